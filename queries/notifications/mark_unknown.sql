-- Attempted by a batch that died before the server's answer was recorded: it may or may not have gone.
update notifications
set status = 'unknown', last_error = 'the send was interrupted: check whether the school received it'
where id = $id and status = 'sending'
