update notifications
set status = $status, last_error = $error
where id = $id and status = 'sending'
