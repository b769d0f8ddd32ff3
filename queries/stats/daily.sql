-- The daily pre-aggregate for the filters, from $fetch_from (early enough for the year-before comparison)
-- to $to. No names, dates of birth or references exist in it.
select d.*, s.name as school
from stats_daily d
left join schools s on s.urn = d.urn
where d.day between $fetch_from and $to
  and ($area = 'all' or ($area = 'home' and d.la_code = $home) or ($area = 'out' and d.la_code <> $home))
  and ($phase = 'all' or d.phase_group = $phase)
  and ($urn = 0 or d.urn = $urn)
