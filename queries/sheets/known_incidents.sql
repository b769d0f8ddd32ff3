-- The sheet's police references already known.
select id, police_ref, incident_at from incidents where police_ref in (select unnest($refs::varchar[]))
