-- Incidents per day, counted once each for the filters: for one school, its own count (an incident has one
-- row per school it touches); otherwise the count kept for the area and phase chosen.
select day, sum(incidents) as incidents
from stats_daily
where $urn <> 0 and urn = $urn and day between $fetch_from and $to
group by day
union all
select day, incidents
from stats_daily_incidents
where $urn = 0 and area = $area and phase = $phase and day between $fetch_from and $to
