-- Notifications waiting to go: how many, the earliest due time, and how many are overdue.
select count(*) as waiting, min(due_by) as next_due, count(*) filter (where due_by < $now) as overdue,
       count(*) filter (where status = 'unknown') as unknown
from notifications
where status in ('queued', 'failed', 'unknown', 'sending')
