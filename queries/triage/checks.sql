select incident_id, agency, known, note, version, updated_by, updated_at
from triage_checks
where incident_id in (select unnest($ids::integer[]))
