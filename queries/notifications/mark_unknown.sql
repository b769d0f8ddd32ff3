-- Left 'sending' by a batch that never finished: the message may or may not have gone.
update notifications
set status = 'unknown', last_error = 'the send was interrupted: check whether the school received it'
where status = 'sending'
returning id
