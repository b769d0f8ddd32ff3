insert into school_aliases (text_norm, outcome, urn, la_code, created_by, created_at)
values ($text_norm, $outcome, $urn, $la_code, $username, $now)
on conflict (text_norm) do update set
    outcome = excluded.outcome, urn = excluded.urn, la_code = excluded.la_code, created_by = excluded.created_by,
    created_at = excluded.created_at, flagged = false
