-- Each username's latest $limit login attempts, newest first.
with ranked as (
    select username, attempted_at, succeeded,
           row_number() over (partition by username order by attempted_at desc, id desc) as n
    from login_attempts
)
select username, attempted_at, succeeded
from ranked
where n <= $limit
order by username, n
