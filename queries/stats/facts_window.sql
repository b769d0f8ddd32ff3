-- The facts the repeats, timeliness and triage views need: child-incidents from $window_from to $to, filtered.
select f.child_id, f.incident_id, f.day, f.incident_at, f.imported_at, f.urn, f.sent_at, f.due_by
from stats_facts f
where f.day between $window_from and $to
  and ($area = 'all' or ($area = 'home' and f.la_code = $home) or ($area = 'out' and f.la_code <> $home))
  and ($phase = 'all' or f.phase_group = $phase)
  and ($urn = 0 or f.urn = $urn)
