-- Incidents and children by period (day, week, month or year).
select date_trunc($grain, day)::date as period, count(distinct incident_id) as incidents, count(*) as children
from stats_facts
where day between $from and $to
  and ($area = 'all' or ($area = 'home' and la_code = $home) or ($area = 'out' and la_code <> $home))
  and ($phase = 'all' or phase_group = $phase)
  and ($urn = 0 or urn = $urn)
group by 1
order by 1
