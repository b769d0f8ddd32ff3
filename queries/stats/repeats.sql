-- Children with incidents in the 12 months to $to: how many children had 1, 2, 3, 4, 5+ incidents.
with per_child as (
    select child_id, count(distinct incident_id) as incidents, arg_max(school, day) as school
    from facts
    where day > $to - interval 12 month and day <= $to
    group by child_id
)
select least(incidents, 5) as incidents, count(*) as children
from per_child
group by 1
order by 1
