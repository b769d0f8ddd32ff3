-- Ask the school that does not have the child to delete the notification (sent as soon as possible).
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at)
select child_incident_id, target, urn, la_code, 'wrong_school_reply', 'queued', $now, true, $now
from notifications where id = $id
on conflict do nothing
