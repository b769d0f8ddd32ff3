select count(*) from triage_checks
where agency = $agency and known <> 'not_checked' and list_contains($ids::integer[], incident_id)
