insert into triage_amendments (incident_id, what, old_value, new_value, reason, amended_by, amended_at)
values ($incident_id, $what, $old, $new, $reason, $username, $now)
