-- Notifications for many child-incidents at once: the rows of to_queue (registered: what notifications/to_queue
-- found), each due at the time due_days gives for its calendar (its school's own, or the council's) and its
-- incident's day. The caller has checked that none exists yet: ON CONFLICT costs as much as the table is big,
-- and the unique key still guards. Oldest incident first, as to_queue lists them. DuckDB answers an insert with
-- the number of rows it wrote.
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at,
                           matched_via)
select q.child_incident_id, q.target, q.urn, q.la_code, q.kind, 'queued', d.due_by, d.known_calendar, $now,
       q.matched_via
from to_queue q
join due_days d on d.calendar_urn is not distinct from q.calendar_urn and d.day = q.incident_at::date
order by q.incident_at, q.child_incident_id
