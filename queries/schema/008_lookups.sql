-- The morning's work finds its rows through these indexes: a few keys in, a few rows out, whatever the
-- years of history behind them.
create index child_incidents_child on child_incidents(child_id);
create index child_incidents_incident on child_incidents(incident_id);
create index notifications_child_incident on notifications(child_incident_id);
create index notifications_status on notifications(status);
create index school_responses_notification on school_responses(notification_id);
create index triage_checks_incident on triage_checks(incident_id);
create index triage_actions_incident on triage_actions(incident_id);
create index triage_decisions_meeting on triage_decisions(meeting_date);
create index children_name_key on children(name_key);
create index child_incidents_sheet on child_incidents(sheet_id);

-- Facts computed once, when an incident arrives, instead of on every page view: how many incidents the
-- child had in the 12 months up to this one (itself included), and how many children the incident has.
alter table child_incidents add column seen_12m integer;
alter table incidents add column children integer;
update child_incidents set seen_12m = r.n
from (
    select ci.id, count(*) over (partition by ci.child_id order by i.incident_at
                                 range between interval 12 month preceding and current row) as n
    from child_incidents ci
    join incidents i on i.id = ci.incident_id
) r
where child_incidents.id = r.id;
update incidents set children = r.n
from (select incident_id, count(*) as n from child_incidents group by incident_id) r
where incidents.id = r.incident_id;
