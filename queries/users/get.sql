select username, display_name, email, roles, agency, disabled
from users
where username = $username
