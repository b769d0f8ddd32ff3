select incident_id, meeting_date, agreed_level, outcome, rationale, decided_by, decided_at
from triage_decisions
where incident_id in (select unnest($ids::integer[]))
