-- How each notification's school was chosen when it was queued, so returns can be traced to learned
-- spellings even after the child has been re-matched.
alter table notifications add column matched_via varchar;

-- One row per child per incident with what the statistics need, and nothing that names anyone.
create view stats_facts as
with first_notification as (
    select child_incident_id, status, sent_at, due_by, matched_via,
           row_number() over (partition by child_incident_id order by id) as n
    from notifications
)
select ci.id as ci_id, ci.child_id, ci.incident_id, i.incident_at, i.incident_at::date as day, i.level,
       i.dash_risk, i.kind, sh.imported_at, ci.urn, ci.match_status, s.name as school, s.la_code,
       s.phase_group, f.status as notification_status, f.sent_at, f.due_by, f.matched_via
from child_incidents ci
join incidents i on i.id = ci.incident_id
join sheets sh on sh.id = ci.sheet_id
left join schools s on s.urn = ci.urn
left join first_notification f on f.child_incident_id = ci.id and f.n = 1;
