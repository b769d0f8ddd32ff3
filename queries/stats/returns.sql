-- Notifications for incidents in the range that reached a school, those returned, and the returns that
-- came from a spelling the app had learned (or a person had chosen).
select count(*) filter (where n.status in ('sent', 'returned')) as sent,
       count(*) filter (where n.status = 'returned') as returned,
       count(*) filter (where n.status = 'returned' and n.matched_via in ('alias', 'person')) as returned_via_alias
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
join schools s on s.urn = n.urn
where i.incident_at::date between $from and $to
  and ($area = 'all' or ($area = 'home' and s.la_code = $home) or ($area = 'out' and s.la_code <> $home))
  and ($phase = 'all' or s.phase_group = $phase)
  and ($urn = 0 or n.urn = $urn)
