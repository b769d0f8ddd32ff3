-- Children per incident date (the page adds the kind of day: term, holiday, weekend).
select day, count(*) as children
from stats_facts
where day between $from and $to
  and ($area = 'all' or ($area = 'home' and la_code = $home) or ($area = 'out' and la_code <> $home))
  and ($phase = 'all' or phase_group = $phase)
  and ($urn = 0 or urn = $urn)
group by 1
