-- Triage decisions on the incidents in the range (filtered by their children's schools).
with incidents as (
    select distinct incident_id from facts where day between $from and $to
),
decided as (
    select d.incident_id, d.outcome, d.agreed_level
    from incidents i
    join triage_decisions d on d.incident_id = i.incident_id
)
select 'outcome' as measure, outcome as key, count(*) as incidents from decided group by outcome
union all
select 'agreed level', 'Level ' || agreed_level::varchar, count(*) from decided group by agreed_level
order by measure, incidents desc
