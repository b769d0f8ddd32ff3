select incident_id, agreed_level, outcome, rationale from triage_decisions where incident_id = $incident_id
