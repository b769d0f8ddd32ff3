-- (police reference, child) pairs already imported, for duplicate detection.
select i.police_ref, c.name_key, c.dob
from child_incidents ci
join incidents i on i.id = ci.incident_id
join children c on c.id = ci.child_id
where i.police_ref in (select unnest($refs::varchar[]))
