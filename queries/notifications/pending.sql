-- Notifications not yet sent nor given up (the index on status finds them), with where each would go now.
with waiting as (
    select id, child_incident_id, kind, target, urn, la_code, status, due_by, known_calendar, attempts, last_error,
           claimed_by, claimed_at
    from notifications
    where status in ('queued', 'failed', 'unknown', 'sending')
)
select w.*, r.kind as route_kind, r.to_email, r.cc_email, coalesce(r.reason, no_route_reason(w.target)) as route_reason,
       r.missing_lead,
       case when w.urn is not null then s.name
            when w.target = 'ehe' then 'EHE / children-missing-education officer'
            else 'Out of area: ' || coalesce(l.la_name, w.la_code) end as recipient
from waiting w
left join routes($home, $ehe_email, $ehe_name) r on r.target = w.target
left join schools s on s.urn = w.urn
left join la_leads l on l.la_code = w.la_code
