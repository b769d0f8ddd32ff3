-- Notifications for many child-incidents at once (registered as the frame to_queue; the caller has checked
-- that none exists yet: ON CONFLICT costs as much as the table is big, and the unique key still guards).
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at,
                           matched_via)
select child_incident_id, target, urn, la_code, kind, 'queued', due_by, known_calendar, now, matched_via
from to_queue
returning id
