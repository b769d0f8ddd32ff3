select id, incident_at, police_ref from incidents where id in (select unnest($ids::integer[]))
