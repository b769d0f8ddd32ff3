update notifications
set status = 'sent', sent_at = $now, sent_by = $username, route = $route, recipients_to = $to,
    recipients_cc = $cc, template_version = $version, message_id = $message_id, last_error = $refused
where id = $id and status = 'sending'
