-- Open actions due by a meeting (or overdue), set at an earlier meeting: the chair reviews these first.
-- triage_actions holds only the actions of discussed incidents (tens a week), so a scan is small.
select a.id, a.incident_id, i.police_ref, a.action, a.owner_agency, a.due_date, a.meeting_date
from triage_actions a
join incidents i on i.id = a.incident_id
where a.status = 'open' and a.due_date is not null and a.due_date <= $meeting and a.meeting_date < $meeting
order by a.due_date, a.id
