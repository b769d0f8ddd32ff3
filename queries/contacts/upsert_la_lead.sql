insert into la_leads (la_code, la_name, name, email, phone, updated_by, updated_at)
values ($la_code, $la_name, $name, $email, $phone, $username, $now)
on conflict (la_code) do update set la_name = excluded.la_name, name = excluded.name, email = excluded.email,
    phone = excluded.phone, updated_by = excluded.updated_by, updated_at = excluded.updated_at
