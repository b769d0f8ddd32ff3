insert into notifications (child_incident_id, urn, kind, status, due_by, known_calendar, queued_at, matched_via)
values ($child_incident_id, $urn, $kind, 'queued', $due_by, $known_calendar, $now, $matched_via)
on conflict (child_incident_id, urn) do nothing
returning id
