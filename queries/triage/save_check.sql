insert into triage_checks (incident_id, agency, known, note, version, updated_by, updated_at)
values ($incident_id, $agency, $known, $note, $version, $username, $now)
on conflict (incident_id, agency) do update set known = excluded.known, note = excluded.note,
    version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at
