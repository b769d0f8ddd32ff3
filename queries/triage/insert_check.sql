insert into triage_checks (incident_id, agency, known, note, version, updated_by, updated_at)
values ($incident_id, $agency, $known, $note, $version, $username, $now)
