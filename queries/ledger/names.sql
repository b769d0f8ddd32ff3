select ci.id, c.forename, c.surname, c.dob
from child_incidents ci
join children c on c.id = ci.child_id
where ci.id in (select unnest($ids::integer[]))
