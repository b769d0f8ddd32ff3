delete from ledger_open where child_incident_id in (select unnest($ids::integer[]))
