-- The facts behind every statistic for one set of filters, from $fetch_from (early enough for the
-- year-before comparison and the 12-month repeats window) to $to. No names, DOBs or references.
select ci_id, child_id, incident_id, incident_at, day, level, dash_risk, imported_at, urn, school, la_code,
       phase_group, notification_status, sent_at, due_by
from stats_facts
where day between $fetch_from and $to
  and ($area = 'all' or ($area = 'home' and la_code = $home) or ($area = 'out' and la_code <> $home))
  and ($phase = 'all' or phase_group = $phase)
  and ($urn = 0 or urn = $urn)
