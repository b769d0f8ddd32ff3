-- The child-incidents on the given sheets whose child had another incident in the 12 months before.
select id, incident_id, child_id, seen_12m
from child_incidents
where list_contains($sheets::integer[], sheet_id) and seen_12m > 1
