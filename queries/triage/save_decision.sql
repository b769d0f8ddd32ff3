update triage_decisions set agreed_level = $agreed_level, outcome = $outcome, rationale = $rationale,
    decided_by = $username, decided_at = $now
where incident_id = $incident_id
returning incident_id
