-- Every child-incident of the given children.
select id, child_id, incident_id, match_status, urn, matched_at
from child_incidents where child_id in (select unnest($ids::integer[]))
