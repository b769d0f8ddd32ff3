-- The latest login attempts for one username, newest first.
select attempted_at, succeeded
from login_attempts
where username = $username
order by attempted_at desc, id desc
limit $limit
