-- The school said the child is not on its roll: the child waits for a person again.
update child_incidents
set match_status = 'review', urn = null, match_method = null, matched_by = null, matched_at = null,
    match_reason = (select name from schools where urn = $urn) || ' said on ' || strftime($now, '%d/%m/%Y')
                   || ' that the child is not on its roll'
where id = $ci
