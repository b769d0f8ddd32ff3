-- Every user, with how many live sessions each has (not ended; idle or expired ones end when next seen).
select u.username, u.display_name, u.email, u.roles, u.agency, u.disabled, u.must_change_password, u.created_at,
       count(s.id_hash) as sessions
from users u
left join sessions s on s.username = u.username and s.ended_at is null
group by all
order by u.username
