"""Users, roles, pages and the server-side lockout. No Streamlit here.

Which role may use which page is decided in one table, PAGES: the app offers only those
pages, and every page checks again (deny by default).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt

from . import audit, clock, db

ROLES = ("coordinator", "triage", "manager", "admin")
LOCK_AFTER = 5                      # failed logins in a row ...
LOCK_FOR = timedelta(minutes=15)    # ... lock the username for this long
MIN_PASSWORD = 10
MIN_COOKIE_KEY = 32
EXAMPLE_COOKIE_KEY = "replace-me-with-a-long-random-string-of-64-characters"

# page id -> (file, title, icon, roles allowed)
PAGES: dict[str, tuple[str, str, str, frozenset[str]]] = {
    "today": ("pages/today.py", "Today", ":material/today:", frozenset({"coordinator", "admin"})),
    "import": ("pages/import_sheet.py", "Import", ":material/upload_file:", frozenset({"coordinator", "admin"})),
    "matching": ("pages/school_matching.py", "School matching", ":material/school:",
                 frozenset({"coordinator", "admin"})),
    "send": ("pages/send.py", "Send", ":material/send:", frozenset({"coordinator", "admin"})),
    "schools": ("pages/schools.py", "Schools & contacts", ":material/contact_mail:",
                frozenset({"coordinator", "admin"})),
    "triage": ("pages/triage.py", "Triage", ":material/groups:", frozenset({"triage", "admin"})),
    "meeting": ("pages/meeting.py", "Meeting mode", ":material/present_to_all:", frozenset({"triage", "admin"})),
    "statistics": ("pages/statistics.py", "Statistics", ":material/monitoring:",
                   frozenset({"manager", "coordinator", "admin"})),
    "users": ("pages/users.py", "Users", ":material/group:", frozenset({"admin"})),
    "admin": ("pages/admin.py", "Admin", ":material/settings:", frozenset({"admin"})),
    "account": ("pages/account.py", "My account", ":material/person:", frozenset(ROLES)),
}


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    roles: frozenset[str]
    agency: str | None = None
    email: str | None = None
    disabled: bool = False

    def may_use(self, page: str) -> bool:
        return not self.disabled and page in PAGES and bool(self.roles & PAGES[page][3])


class AuthError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password.encode()) > 72:  # bcrypt ignores (bcrypt 5 refuses) anything longer
        raise AuthError("a password can be at most 72 bytes")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _parse_roles(roles) -> frozenset[str]:
    if isinstance(roles, str):
        roles = [r for r in roles.split(",") if r.strip()]
    found = frozenset(r.strip().lower() for r in roles)
    unknown = found - set(ROLES)
    if unknown or not found:
        raise AuthError(f"roles must be some of {', '.join(ROLES)}; got {', '.join(sorted(unknown)) or 'none'}")
    return found


def add_user(con, username: str, password: str, roles, agency: str | None = None,
             display_name: str | None = None, email: str | None = None, by: str = "system") -> User:
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace(".", "").replace("_", "").isalnum():
        raise AuthError("a username is letters, digits, '.', '-' or '_'")
    role_set = _parse_roles(roles)
    if "triage" in role_set and not agency:
        raise AuthError("a triage member needs an agency")
    pw = hash_password(password)
    with db.transaction(con) as cur:
        if cur.execute("select 1 from users where username = ?", [username]).fetchone():
            raise AuthError(f"user {username} already exists")
        db.run(cur, "users/insert", {
            "username": username, "display_name": display_name or username, "email": email,
            "password_hash": pw, "roles": ",".join(sorted(role_set)), "agency": agency, "now": clock.now()})
        audit.record(cur, by, "add_user", "user", username, roles=sorted(role_set), agency=agency)
    return get_user(con, username)


def get_user(con, username: str) -> User | None:
    row = db.one(con, "users/get", {"username": username})
    if row is None:
        return None
    return User(row["username"], row["display_name"], frozenset(row["roles"].split(",")), row["agency"],
                row["email"], row["disabled"])


def list_users(con) -> list[dict]:
    locked = locks(con)
    return [dict(u, locked=u["username"] in locked) for u in db.rows(con, "users/list")]


def set_disabled(con, username: str, disabled: bool, by: str) -> None:
    with db.transaction(con) as cur:
        cur.execute("update users set disabled = ? where username = ?", [disabled, username])
        audit.record(cur, by, "disable_user" if disabled else "enable_user", "user", username)


def set_password(con, username: str, password: str, by: str) -> None:
    pw = hash_password(password)
    with db.transaction(con) as cur:
        cur.execute("update users set password_hash = ? where username = ?", [pw, username])
        audit.record(cur, by, "set_password", "user", username)


def check_password(con, username: str, password: str) -> bool:
    row = con.execute("select password_hash from users where username = ?", [username]).fetchone()
    return bool(row) and bcrypt.checkpw(password.encode()[:72], row[0].encode())


def unlock(con, username: str, by: str) -> None:
    with db.transaction(con) as cur:
        cur.execute("insert into login_attempts (username, attempted_at, succeeded) values (?, ?, true)",
                    [username, clock.now()])
        audit.record(cur, by, "unlock_user", "user", username)


def locks(con) -> dict[str, datetime]:
    """Usernames locked now, with when each lock ends: the last LOCK_AFTER attempts all failed,
    the latest of them within LOCK_FOR. One query for every user."""
    latest: dict[str, list] = {}
    for username, at, ok in db.run(con, "users/recent_attempts", {"limit": LOCK_AFTER}).fetchall():
        latest.setdefault(username, []).append((at, ok))
    now = clock.now()
    found = {}
    for username, attempts in latest.items():
        if len(attempts) == LOCK_AFTER and not any(ok for _, ok in attempts):
            until = attempts[0][0] + LOCK_FOR
            if until > now:
                found[username] = until
    return found


def locked_until(con, username: str) -> datetime | None:
    return locks(con).get(username)


def record_attempt(con, username: str, succeeded: bool) -> None:
    with db.transaction(con) as cur:
        cur.execute("insert into login_attempts (username, attempted_at, succeeded) values (?, ?, ?)",
                    [username, clock.now(), succeeded])
        audit.record(cur, username, "login" if succeeded else "login_failed", "user", username)


def credentials(con) -> dict:
    """The credentials dict streamlit-authenticator wants, built fresh from the database.

    Disabled users are left out. A locked user carries a failed-attempt count at the library's
    limit, so the library refuses the login before it even checks the password.
    """
    users, locked_now = {}, locks(con)
    for row in db.rows(con, "users/active"):
        locked = row["username"] in locked_now
        users[row["username"]] = {
            "name": row["display_name"], "email": row["email"] or f"{row['username']}@localhost",
            "password": row["password_hash"], "roles": row["roles"].split(","),
            "failed_login_attempts": LOCK_AFTER if locked else 0, "logged_in": False,
        }
    return {"usernames": users}


def failed_usernames(creds: dict) -> list[str]:
    """Usernames whose password the library has just seen fail (it counts into our dict)."""
    return [name for name, u in creds["usernames"].items() if 0 < u.get("failed_login_attempts", 0) < LOCK_AFTER]


def cookie_key(configured: str | None, demo: bool) -> str:
    """The key that signs the remember-me cookie. Outside demo mode a weak key stops the app."""
    if configured and len(configured) >= MIN_COOKIE_KEY and configured != EXAMPLE_COOKIE_KEY:
        return configured
    if demo:
        return secrets.token_urlsafe(48)  # per process: demo sessions simply log in again after a restart
    if not configured:
        raise AuthError("no cookie key is configured: set auth.cookie_key in .streamlit/secrets.toml "
                        "(or ENCOMPASS_COOKIE_KEY) to a random string of at least 32 characters")
    if configured == EXAMPLE_COOKIE_KEY:
        raise AuthError("the cookie key is the example from secrets.toml.example: generate your own")
    raise AuthError(f"the cookie key is too short: it needs at least {MIN_COOKIE_KEY} characters")
