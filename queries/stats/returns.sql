-- Notifications returned by a school, for incidents in the range, and those that came from a spelling the
-- app had learned (an alias). Returned notifications are few: this reads only them.
select count(*) as returned,
       count(*) filter (where n.matched_via = 'alias') as returned_via_alias
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
join schools s on s.urn = n.urn
where n.status = 'returned'
  and i.incident_at::date between $from and $to
  and ($area = 'all' or ($area = 'home' and s.la_code = $home) or ($area = 'out' and s.la_code <> $home))
  and ($phase = 'all' or s.phase_group = $phase)
  and ($urn = 0 or n.urn = $urn)
