insert into triage_decisions (incident_id, meeting_date, agreed_level, outcome, rationale, decided_by, decided_at)
values ($incident_id, $meeting_date, $agreed_level, $outcome, $rationale, $username, $now)
