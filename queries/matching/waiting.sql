-- The given child-incidents that still wait for a person (settled or closed ones are left alone).
select id, school_norm
from child_incidents
where id in (select unnest($ids::integer[]))
  and match_status in ('review', 'unknown') and closed_at is null
