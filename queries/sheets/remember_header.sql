insert into header_mappings (header_norm, field, created_by, created_at)
values ($header_norm, $field, $username, $now)
on conflict (header_norm) do update set field = excluded.field, created_by = excluded.created_by,
    created_at = excluded.created_at
