insert into school_aliases (text_norm, outcome, urn, created_by, created_at)
values ($text_norm, $outcome, $urn, $username, $now)
on conflict (text_norm) do update set
    outcome = excluded.outcome, urn = excluded.urn, created_by = excluded.created_by,
    created_at = excluded.created_at, flagged = false
