select id, incident_id, child_id from child_incidents where list_contains($ids::integer[], incident_id)
