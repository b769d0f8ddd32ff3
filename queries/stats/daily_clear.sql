-- The daily pre-aggregates of the groups in stats_groups, before they are counted afresh (stats/daily_fill).
delete from stats_daily d
using stats_groups g
where d.day = g.day and d.urn is not distinct from g.urn and d.level is not distinct from g.level
  and d.dash_risk is not distinct from g.dash_risk
