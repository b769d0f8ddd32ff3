select id, incident_id, action, owner_agency, due_date, created_by, created_at
from triage_actions
where list_contains($ids::integer[], incident_id)
order by id
