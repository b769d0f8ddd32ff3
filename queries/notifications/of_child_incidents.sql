-- The notifications of the given child-incidents.
select id, child_incident_id, target, urn, kind, status, sent_at
from notifications where child_incident_id in (select unnest($ids::integer[]))
