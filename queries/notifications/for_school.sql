-- A school's notifications and what became of them (no child names: counts and references only).
select n.id, i.police_ref, n.kind, n.status, n.due_by, n.sent_at, n.recipients_to,
       (select string_agg(r.kind, ', ' order by r.recorded_at) from school_responses r
        where r.notification_id = n.id) as replies
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
where n.urn = $urn
order by coalesce(n.sent_at, n.queued_at) desc, n.id desc
