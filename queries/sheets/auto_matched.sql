-- The given child-incidents that were matched to a school without a person.
select id, urn, school_text
from child_incidents
where id in (select unnest($ids::integer[])) and match_status = 'matched' and match_method <> 'person'
