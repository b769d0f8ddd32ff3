-- Schools with the most children seen 2+ times in the 12 months to $to (the child's latest school).
with per_child as (
    select child_id, count(distinct incident_id) as incidents, arg_max(school, day) as school
    from facts
    where day > $to - interval 12 month and day <= $to
    group by child_id
)
select coalesce(school, 'No school') as school, count(*) as repeat_children
from per_child
where incidents >= 2
group by 1
order by repeat_children desc, school
limit 15
