-- Triage decisions on the incidents in the range (filtered by their children's schools).
with decided as (
    select d.incident_id, any_value(d.outcome) as outcome, any_value(d.agreed_level) as agreed_level
    from triage_decisions d
    join facts f on f.incident_id = d.incident_id
    where f.day between $from and $to
    group by d.incident_id
)
select 'outcome' as measure, outcome as key, count(*) as incidents from decided group by outcome
union all
select 'agreed level', 'Level ' || agreed_level::varchar, count(*) from decided group by agreed_level
order by measure, incidents desc
