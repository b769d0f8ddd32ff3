select username, display_name, email, roles, agency, disabled, created_at
from users
order by username
