-- Children with incidents in the 12 months to $to: how many incidents each, and their latest school.
with window_facts as (
    select child_id, incident_id, school, day
    from stats_facts
    where day > $to - interval 12 month and day <= $to
      and ($area = 'all' or ($area = 'home' and la_code = $home) or ($area = 'out' and la_code <> $home))
      and ($phase = 'all' or phase_group = $phase)
      and ($urn = 0 or urn = $urn)
)
select child_id, count(distinct incident_id) as incidents, arg_max(school, day) as school
from window_facts
group by child_id
