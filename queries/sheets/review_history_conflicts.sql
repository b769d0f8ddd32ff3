-- Matched by name to a school other than the child's last one: back to a person (frame history_conflicts).
update child_incidents
set match_status = 'review', urn = null, match_method = null, matched_by = null, matched_at = null,
    match_reason = h.reason
from history_conflicts h
where child_incidents.id = h.id
