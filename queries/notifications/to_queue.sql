-- The notification each given child-incident needs and does not have yet: its school, LA or EHE officer
-- decided, the child-incident not closed.
with decided as (
    select ci.id, ci.urn, ci.la_code, ci.match_method, ci_target(ci.match_status, ci.urn, ci.la_code) as target,
           i.kind, i.incident_at
    from child_incidents ci
    join incidents i on i.id = ci.incident_id
    where ci.id in (select unnest($ids::integer[])) and ci.closed_at is null
)
select d.id as child_incident_id, d.target, d.urn, d.la_code, d.kind, d.incident_at, d.match_method as matched_via
from decided d
where d.target is not null
  and not exists (select 1 from notifications n
                  where n.child_incident_id = d.id and n.target = d.target and n.kind = d.kind)
order by d.incident_at, d.id
