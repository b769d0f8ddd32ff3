-- New police references from this sheet (registered as new_incidents: the caller left out known ones). Every
-- child of a new incident is on this sheet, one row each, so its number of children is its number of rows.
insert into incidents (police_ref, incident_at, has_time, level, dash_risk, kind, sheet_id, children)
select police_ref, min(incident_at), bool_or(has_time), max(level), max(dash_risk), $kind, $sheet_id, count(*)
from new_incidents
group by police_ref
returning id, police_ref
