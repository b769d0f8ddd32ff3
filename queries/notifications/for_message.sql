-- What the notifications' messages need (a read of children's records: the caller audits it).
select n.id, n.urn, n.kind, s.name as school, i.police_ref, i.incident_at, c.forename, c.surname, c.dob
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
join children c on c.id = ci.child_id
join schools s on s.urn = n.urn
where n.id in (select unnest($ids::integer[]))
