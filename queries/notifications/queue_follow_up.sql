-- A follow-up notice ($kind: 'wrong_school_reply' asks a school that does not have the child to delete the
-- notification; 'missing_found' tells whoever had a missing-child notice that the child is found) to the same
-- recipient as notification $id, due at once; never a second one of the same kind.
insert into notifications (child_incident_id, target, urn, la_code, kind, status, due_by, known_calendar, queued_at)
select n.child_incident_id, n.target, n.urn, n.la_code, $kind, 'queued', $now, true, $now
from notifications n
where n.id = $id
  and not exists (select 1 from notifications o
                  where o.child_incident_id = n.child_incident_id and o.target = n.target and o.kind = $kind)
