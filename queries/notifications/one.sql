select id, child_incident_id, kind, target, urn, status from notifications where id = $id
