-- A client's latest login attempts, newest first (null: still being checked).
select succeeded, attempted_at from login_attempts where client = $value order by id desc limit $limit
