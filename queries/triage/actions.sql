select id, incident_id, action, owner_agency, due_date, meeting_date, status, closed_by, closed_at, created_by,
       created_at
from triage_actions
where incident_id in (select unnest($ids::integer[]))
order by id
