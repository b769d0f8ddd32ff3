-- Incidents by id.
select id, police_ref, kind, incident_at, has_time, level, dash_risk, sheet_id, found_at, children
from incidents where id in (select unnest($ids::integer[]))
