select id, police_ref, incident_at, has_time, level, dash_risk
from incidents
where id in (select unnest($ids::integer[]))
