-- Children whose school needs a person, oldest incident first (grouped for one decision in matching.queue).
select ci.id, ci.school_text, ci.school_norm, ci.match_status, ci.match_reason, i.police_ref, i.incident_at, c.dob
from ledger_open o
join child_incidents ci on ci.id = o.child_incident_id
join incidents i on i.id = ci.incident_id
join children c on c.id = ci.child_id
where ci.match_status in ('review', 'unknown') and ci.closed_at is null
order by i.incident_at, ci.id
