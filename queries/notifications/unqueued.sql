-- Matched child-incidents with no notification yet for their school.
select ci.id as child_incident_id, ci.urn, i.kind, i.incident_at, ci.match_method
from child_incidents ci
join incidents i on i.id = ci.incident_id
where ci.match_status = 'matched' and ci.urn is not null
  and not exists (select 1 from notifications n where n.child_incident_id = ci.id and n.urn = ci.urn)
order by i.incident_at, ci.id
