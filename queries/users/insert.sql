insert into users (username, display_name, email, password_hash, roles, agency, disabled, created_at)
values ($username, $display_name, $email, $password_hash, $roles, $agency, false, $now)
