-- The notification each given child-incident needs and does not have yet: its school, LA or EHE officer decided
-- (ci_target), not closed, and no notification of the main kinds ($kinds) to that target. Oldest incident first.
-- calendar_urn: the school, when it keeps its own term dates (null: the council's calendar).
-- Both sides are narrowed to the given ids first, so nothing reads the whole notifications table.
with mine as (
    select id, incident_id, urn, la_code, match_method, ci_target(match_status, urn, la_code) as target
    from child_incidents
    where id in (select unnest($ids::integer[])) and closed_at is null
), have as (
    select child_incident_id, target from notifications
    where child_incident_id in (select unnest($ids::integer[])) and list_contains($kinds::varchar[], kind)
)
select ci.id as child_incident_id, ci.target, ci.urn, ci.la_code, i.kind, i.incident_at, ci.match_method as matched_via,
       own.urn as calendar_urn
from mine ci
join incidents i on i.id = ci.incident_id
left join (select distinct urn from calendar_periods where urn is not null) own on own.urn = ci.urn
where ci.target is not null
  and not exists (select 1 from have h where h.child_incident_id = ci.id and h.target = ci.target)
order by i.incident_at, ci.id
