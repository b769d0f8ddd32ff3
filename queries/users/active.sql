select username, display_name, email, password_hash, roles
from users
where not disabled
order by username
