insert into triage_decisions (incident_id, meeting_date, agreed_level, outcome, rationale, decided_by, decided_at)
values ($incident_id, $meeting_date, $agreed_level, $outcome, $rationale, $username, $now)
on conflict (incident_id) do update set agreed_level = excluded.agreed_level, outcome = excluded.outcome,
    rationale = excluded.rationale, decided_by = excluded.decided_by, decided_at = excluded.decided_at
