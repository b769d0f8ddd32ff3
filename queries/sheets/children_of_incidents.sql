select id, incident_id, child_id from child_incidents where incident_id in (select unnest($ids::integer[]))
