-- The incidents on a meeting's list for the CLI: no names.
select i.id, i.police_ref, i.level, count(ci.id) as children
from incidents i
left join child_incidents ci on ci.incident_id = i.id
where i.id in (select unnest($ids::integer[]))
group by i.id, i.police_ref, i.level
