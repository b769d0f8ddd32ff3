-- For each given child-incident, the school its child was last confirmed at: another incident of the same
-- child since $since, matched to a school and not returned by it (a return puts the child back in review).
with mine as (
    select id, child_id from child_incidents where id in (select unnest($ids::integer[]))
),
earlier as (
    select m.id, p.urn, coalesce(p.matched_at, pi.incident_at) as confirmed_at
    from mine m
    join child_incidents p on p.child_id = m.child_id and p.id <> m.id
    join incidents pi on pi.id = p.incident_id
    where p.match_status = 'matched' and p.urn is not null and pi.incident_at >= $since
),
final as (
    select e.id, arg_max(e.urn, e.confirmed_at) as urn, max(e.confirmed_at)::date as "on"
    from earlier e
    group by e.id
)
select f.id, f.urn, s.name, f."on", s.town
from final f
join schools s on s.urn = f.urn
