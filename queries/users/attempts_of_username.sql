-- A username's latest login attempts, newest first (null: still being checked).
select succeeded, attempted_at from login_attempts where username = $value order by id desc limit $limit
