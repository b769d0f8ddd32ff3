-- Triage decisions on incidents in the range (by the incident's children's schools when filtered).
with decided as (
    select distinct d.incident_id, d.outcome, d.agreed_level
    from triage_decisions d
    join stats_facts f on f.incident_id = d.incident_id
    where f.day between $from and $to
      and ($area = 'all' or ($area = 'home' and la_code = $home) or ($area = 'out' and la_code <> $home))
      and ($phase = 'all' or phase_group = $phase)
      and ($urn = 0 or urn = $urn)
)
select 'outcome' as measure, outcome as key, count(*) as incidents from decided group by outcome
union all
select 'agreed level', 'Level ' || agreed_level::varchar, count(*) from decided group by agreed_level
order by measure, incidents desc
