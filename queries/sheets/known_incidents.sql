-- The sheet's police references already known (the unique index on police_ref answers it).
select id, police_ref, incident_at from incidents where list_contains($refs::varchar[], police_ref)
