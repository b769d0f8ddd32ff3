-- The mail server could not be reached: the notifications stay where they were, with the reason.
update notifications
set last_error = $error, status = case when status = 'queued' then 'failed' else status end,
    attempts = attempts + 1
where id in (select unnest($ids::integer[])) and status in ('queued', 'failed')
