-- Notifications sent since a moment (for recording schools' replies). No names here.
select n.id, n.child_incident_id, i.police_ref, s.name as school, n.urn, n.sent_at, n.recipients_to, n.status,
       (select string_agg(r.kind, ', ' order by r.recorded_at) from school_responses r
        where r.notification_id = n.id) as replies
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
join schools s on s.urn = n.urn
where n.status in ('sent', 'acknowledged', 'returned') and n.kind in ('domestic_abuse', 'missing_child')
  and n.sent_at >= $since
order by n.sent_at desc, n.id desc
