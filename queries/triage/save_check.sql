update triage_checks set known = $known, note = $note, version = $version, updated_by = $username, updated_at = $now
where incident_id = $incident_id and agency = $agency
returning id
