-- The message may or may not have reached the server: a person checks before anything is sent again.
update notifications
set status = 'unknown', last_error = $error
where id = $id and status = 'sending'
