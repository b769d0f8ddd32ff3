insert into notifications (child_incident_id, urn, kind, status, due_by, known_calendar, queued_at)
values ($child_incident_id, $urn, $kind, 'queued', $due_by, $known_calendar, $now)
on conflict (child_incident_id, urn) do nothing
returning id
