-- Child-incidents by id, with where their notification goes (ci_target).
select id, incident_id, child_id, sheet_id, school_text, school_norm, match_status, match_method, match_reason, urn,
       la_code, seen_12m, closed_at, ci_target(match_status, urn, la_code) as target
from child_incidents where id in (select unnest($ids::integer[]))
