select what, old_value, new_value, reason, amended_by, amended_at
from triage_amendments
where incident_id = $incident_id
order by id
