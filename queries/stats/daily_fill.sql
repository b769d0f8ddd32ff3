-- The daily pre-aggregates of the (day, school, level, DASH risk) groups in stats_groups (a temporary table),
-- from the facts. A group with no facts left gets no row.
insert into stats_daily
select f.day, f.urn, any_value(f.la_code), any_value(f.phase_group), f.level, f.dash_risk, count(*),
       count(distinct f.incident_id),
       count(*) filter (where f.sent_at is not null),
       count(*) filter (where f.sent_at is not null and f.sent_at <= f.due_by),
       sum(f.returned), sum(f.returned_via_alias)
from stats_groups g
join stats_facts f on f.day = g.day and f.urn is not distinct from g.urn and f.level is not distinct from g.level
                  and f.dash_risk is not distinct from g.dash_risk
group by f.day, f.urn, f.level, f.dash_risk
