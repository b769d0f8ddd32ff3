update child_incidents
set closed_reason = $reason, closed_note = $note, closed_by = $username, closed_at = $now
where id in (select unnest($ids::integer[])) and closed_at is null
