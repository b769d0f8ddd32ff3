update child_incidents
set match_status = $status, urn = $urn, la_code = $la_code, match_method = 'person',
    match_reason = 'confirmed by ' || $username, matched_by = $username, matched_at = $now
where id in (select unnest($ids::integer[]))
