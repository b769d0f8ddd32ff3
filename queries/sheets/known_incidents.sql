-- The sheet's police references already known (the unique index on police_ref answers it).
select id, police_ref, incident_at from incidents where police_ref in (select unnest($refs::varchar[]))
