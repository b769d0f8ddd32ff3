select count(*) from triage_checks
where agency = $agency and known <> 'not_checked' and incident_id in (select unnest($ids::integer[]))
