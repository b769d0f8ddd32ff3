-- Incidents and children by period (day, week, month or year).
with children as (
    select date_trunc($grain, day)::date as period, sum(children) as children
    from daily where day between $from and $to group by 1
),
incidents as (
    select date_trunc($grain, day)::date as period, sum(incidents) as incidents
    from daily_incidents where day between $from and $to group by 1
)
select c.period, coalesce(i.incidents, 0)::bigint as incidents, c.children::bigint as children
from children c
left join incidents i using (period)
order by 1
