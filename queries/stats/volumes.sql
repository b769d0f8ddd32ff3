-- Incidents and children by period (day, week, month or year).
select date_trunc($grain, day)::date as period, count(distinct incident_id) as incidents, count(*) as children
from facts
where day between $from and $to
group by 1
order by 1
