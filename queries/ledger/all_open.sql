select id from child_state($home, $ehe_email, $ehe_name, null)
where state in ('needs_school', 'blocked', 'queued', 'failed', 'outcome_unknown')
