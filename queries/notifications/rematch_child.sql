update child_incidents
set match_status = 'review', urn = null, match_method = null, matched_by = null, matched_at = null,
    match_reason = 'the school it was sent to said the child is not on its roll'
where id = $ci
