update notifications
set status = 'withdrawn', closed_by = $username, closed_reason = $reason
where id = $id and status in ('queued', 'failed', 'unknown')
returning id
