update notifications set status = 'acknowledged' where id = $id and status = 'sent'
