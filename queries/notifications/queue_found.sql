-- The "found" notice goes to whoever had the missing-child notice, as soon as possible.
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at)
select child_incident_id, target, urn, la_code, 'missing_found', 'queued', $now, true, $now
from notifications where id = $id
on conflict do nothing
