-- A chunk's delivered notifications (registered as the frame sent_now); a recipient refused is noted.
update notifications
set status = 'sent', sent_at = s.now, sent_by = s.username, route = s.route, recipients_to = s."to",
    recipients_cc = s.cc, template_version = s.version, message_id = s.message_id, last_error = s.refused
from sent_now s
where notifications.id = s.id and notifications.status = 'sending'
