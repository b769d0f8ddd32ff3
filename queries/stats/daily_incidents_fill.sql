-- The incidents pre-aggregate for the days in stats_days, from the facts.
insert into stats_daily_incidents
select f.day, a.area, p.phase, count(distinct f.incident_id)
from stats_days d
join stats_facts f on f.day = d.day
cross join (values ('all'), ('home'), ('out')) a(area)
cross join (values ('all'), ('primary'), ('secondary')) p(phase)
where (a.area = 'all' or (a.area = 'home' and f.la_code = $home) or (a.area = 'out' and f.la_code <> $home))
  and (p.phase = 'all' or f.phase_group = p.phase)
group by f.day, a.area, p.phase
