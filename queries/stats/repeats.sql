-- Children with incidents in the 12 months to $to: how many had 1, 2, 3, 4, 5+ incidents ('distribution'),
-- and the schools with the most children seen twice or more ('school', by each child's latest school).
with per_child as (
    select child_id, count(distinct incident_id) as incidents, arg_max(urn, day) as urn
    from facts
    where day > $to - interval 12 month and day <= $to
    group by child_id
),
by_school as (
    select urn, count(*) as children from per_child where incidents >= 2 group by urn
)
select 'distribution' as part, least(incidents, 5)::varchar as key, count(*) as children
from per_child
group by 2
union all
select 'school', coalesce(s.name, 'No school'), b.children
from by_school b
left join schools s on s.urn = b.urn
