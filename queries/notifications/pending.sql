-- Notifications not yet sent nor given up, soonest due first.
select n.id, i.police_ref, n.kind, n.urn, s.name as school, n.due_by, n.known_calendar, n.status,
       n.attempts, n.last_error
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
join schools s on s.urn = n.urn
where n.status in ('queued', 'failed', 'unknown', 'sending')
order by n.due_by, s.name, n.id
