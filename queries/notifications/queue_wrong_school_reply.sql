-- Ask the school that does not have the child to delete the notification (sent as soon as possible).
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at)
select n.child_incident_id, n.target, n.urn, n.la_code, 'wrong_school_reply', 'queued', $now, true, $now
from notifications n
where n.id = $id
  and not exists (select 1 from notifications o where list_contains([n.child_incident_id], o.child_incident_id)
                  and o.target = n.target and o.kind = 'wrong_school_reply')
