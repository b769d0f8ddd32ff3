select police_ref, incident_at::date as reported
from incidents
where kind = 'missing_child' and found_at is null
order by incident_at desc
limit 200
