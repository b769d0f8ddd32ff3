-- The notifications that speak for the children of one incident.
select n.id, n.child_incident_id, n.status
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
where ci.incident_id = $incident_id and n.kind in ('domestic_abuse', 'missing_child')
  and n.target = ci_target(ci.match_status, ci.urn, ci.la_code)
