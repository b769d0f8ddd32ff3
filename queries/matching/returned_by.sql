-- Schools that said a child is not on their roll, for the given child-incidents.
select n.child_incident_id as id, n.urn, s.name, coalesce(r.recorded_at, n.sent_at)::date as "on"
from notifications n
join schools s on s.urn = n.urn
left join school_responses r on r.notification_id = n.id and r.kind = 'not_at_school'
where n.child_incident_id in (select unnest($ids::integer[])) and n.status = 'returned'
order by n.id
