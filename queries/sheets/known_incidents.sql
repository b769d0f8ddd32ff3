select police_ref, incident_at
from incidents
where police_ref in (select unnest($refs::varchar[]))
