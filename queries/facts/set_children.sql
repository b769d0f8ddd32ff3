-- How many children each given incident has.
update incidents set children = r.n
from (select incident_id, count(*) as n from child_incidents where incident_id in (select unnest($ids::integer[]))
      group by incident_id) r
where incidents.id = r.incident_id
