-- Users with whether each is locked out now (the last $limit attempts all failed, within the window).
with recent as (
    select username, attempted_at, succeeded, id,
           row_number() over (partition by username order by attempted_at desc, id desc) as n
    from login_attempts
),
lock_state as (
    select username,
           count(*) filter (where not succeeded) = $limit and max(attempted_at) > $since as locked,
           max(attempted_at) as last_attempt
    from recent
    where n <= $limit
    group by username
),
final as (
    select u.username, u.display_name, u.roles, u.agency, u.disabled,
           coalesce(l.locked, false) as locked, l.last_attempt, u.created_at
    from users u
    left join lock_state l using (username)
)
select * from final order by username
