-- How many children each given incident has.
update incidents set children = r.n
from (select incident_id, count(*) as n from child_incidents where list_contains($ids::integer[], incident_id)
      group by incident_id) r
where incidents.id = r.incident_id
