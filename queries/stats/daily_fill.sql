-- The daily pre-aggregates for the days in stats_days (a temporary table), from the facts.
insert into stats_daily
select f.day, f.urn, any_value(f.la_code), any_value(f.phase_group), f.level, f.dash_risk, count(*),
       count(distinct f.incident_id),
       count(*) filter (where f.sent_at is not null),
       count(*) filter (where f.sent_at is not null and f.sent_at <= f.due_by),
       sum(f.returned), sum(f.returned_via_alias)
from stats_days d
join stats_facts f on f.day = d.day
group by f.day, f.urn, f.level, f.dash_risk
