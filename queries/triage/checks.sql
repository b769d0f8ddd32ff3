select incident_id, agency, known, note, version, updated_by, updated_at
from triage_checks
where list_contains($ids::integer[], incident_id)
