-- Notifications sent in the range, those a school returned, and the returns that came from learned spellings.
select count(*) filter (where notification_status in ('sent', 'returned')) as sent,
       count(*) filter (where notification_status = 'returned') as returned,
       count(*) filter (where notification_status = 'returned' and matched_via in ('alias', 'person')) as returned_via_alias
from stats_facts
where day between $from and $to
  and ($area = 'all' or ($area = 'home' and la_code = $home) or ($area = 'out' and la_code <> $home))
  and ($phase = 'all' or phase_group = $phase)
  and ($urn = 0 or urn = $urn)
