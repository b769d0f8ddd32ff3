update notifications set status = 'acknowledged'
where status = 'sent' and id in (select notification_id from school_responses where kind in ('acknowledged', 'triage_info'))
