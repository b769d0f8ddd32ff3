update notifications
set status = $status, closed_by = $username, closed_reason = $reason,
    sent_at = case when $status = 'sent' then $now end
where id = $id and status = 'unknown'
returning id
