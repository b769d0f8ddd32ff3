select id, incident_at from incidents where police_ref = $ref
