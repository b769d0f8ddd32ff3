-- Incidents on a meeting's list: at the triage levels, in the meeting's window of incident dates.
select id
from incidents
where kind = 'domestic_abuse'
  and incident_at::date between $start and $end
  and level in (select unnest($levels::integer[]))
order by incident_at, police_ref
