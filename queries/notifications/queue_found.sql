-- The "found" notice goes to whoever had the missing-child notice, as soon as possible.
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at)
select n.child_incident_id, n.target, n.urn, n.la_code, 'missing_found', 'queued', $now, true, $now
from notifications n
where n.id = $id
  and not exists (select 1 from notifications o where list_contains([n.child_incident_id], o.child_incident_id)
                  and o.target = n.target and o.kind = 'missing_found')
