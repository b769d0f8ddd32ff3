-- How each notification's school was chosen when it was queued, so returns can be traced to learned
-- spellings even after the child has been re-matched.
alter table notifications add column matched_via varchar;

-- One row per child per incident with what the statistics need, and nothing that names anyone. A child's
-- notification is the one to the school it is matched to now: (child, school) is unique, so this is a
-- plain join; returns are counted from the notifications themselves.
create view stats_facts as
select ci.id as ci_id, ci.child_id, ci.incident_id, i.incident_at, i.incident_at::date as day, i.level,
       i.dash_risk, i.kind, sh.imported_at, ci.urn, ci.match_status, s.name as school, s.la_code,
       s.phase_group, n.status as notification_status, n.sent_at, n.due_by, n.matched_via
from child_incidents ci
join incidents i on i.id = ci.incident_id
join sheets sh on sh.id = ci.sheet_id
left join schools s on s.urn = ci.urn
left join notifications n on n.child_incident_id = ci.id and n.urn = ci.urn;
