-- Notifications not yet sent nor given up, soonest due first, with where each would go now.
select n.id, n.child_incident_id, n.kind, n.target, n.urn, n.status, n.due_by, n.known_calendar, n.attempts,
       n.last_error, n.claimed_by, n.claimed_at, i.police_ref,
       case when n.urn is not null then s.name
            when n.target = 'ehe' then 'EHE / children-missing-education officer'
            else 'Out of area: ' || coalesce(l.la_name, n.la_code) end as recipient,
       r.kind as route_kind, r.to_email, r.cc_email, coalesce(r.reason, no_route_reason(n.target)) as route_reason,
       r.missing_lead
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
left join schools s on s.urn = n.urn
left join la_leads l on l.la_code = n.la_code
left join routes($home, $ehe_email, $ehe_name) r on r.target = n.target
where n.status in ('queued', 'failed', 'unknown', 'sending')
order by n.due_by, recipient, n.id
