insert into users (username, display_name, email, password_hash, roles, agency, disabled, created_at,
                   must_change_password)
values ($username, $display_name, $email, $password_hash, $roles, $agency, false, $now, $must_change)
