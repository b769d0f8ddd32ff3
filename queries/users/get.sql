select username, display_name, email, roles, agency, disabled, must_change_password
from users
where username = $username
