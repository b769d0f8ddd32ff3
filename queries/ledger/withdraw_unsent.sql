-- A closed child-incident's messages that have not gone are withdrawn with the decision.
update notifications
set status = 'withdrawn', closed_by = $username, closed_reason = $reason
where child_incident_id in (select unnest($ids::integer[])) and status in ('queued', 'failed')
