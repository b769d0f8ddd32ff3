"""Users, roles, pages and the server-side lockout. No Streamlit here.

Which role may use which page is decided in one table, PAGES: the app offers only those
pages, and every page checks again (deny by default).
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
from zxcvbn import zxcvbn

from . import audit, clock, db, settings

ROLES = ("coordinator", "triage", "manager", "admin")
LOCK_AFTER = 5                      # failed logins in a row for a username ...
LOCK_CLIENT_AFTER = 20              # ... or from one client (an office may share an address) ...
LOCK_FOR = timedelta(minutes=15)    # ... lock it for this long
MIN_PASSWORD = 12                   # NCSC: length over complexity rules
MIN_STRENGTH = 3                    # zxcvbn's score (0-4): not a common password, word or pattern
MIN_COOKIE_KEY = 32
# What a failed login says, whatever the reason: it never tells a locked or unknown username from a wrong
# password.
LOGIN_REFUSED = ("The username or password is not right, or the account is locked after too many attempts "
                 "(it opens again 15 minutes after the last one; an administrator can unlock it sooner).")
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
    must_change_password: bool = False

    def may_use(self, page: str) -> bool:
        return not self.disabled and page in PAGES and bool(self.roles & PAGES[page][3])


class AuthError(ValueError):
    pass


def check_new_password(password: str, username: str = "", display_name: str = "") -> None:
    """A password a person may choose (NCSC guidance): long, not the username, not a common password or an
    easily guessed pattern; nothing silently changed. Raises AuthError saying what to do."""
    if password != password.strip():
        raise AuthError("a password cannot start or end with a space (it could never be typed the same way)")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters: three random words work well")
    if len(password.encode()) > 72:  # bcrypt ignores (bcrypt 5 refuses) anything longer
        raise AuthError("a password can be at most 72 bytes")
    if username and password.lower() == username.lower():
        raise AuthError("a password cannot be the username")
    personal = [w for w in (username, display_name, *re.split(r"[\W_]+", f"{username} {display_name}")) if w]
    compact = re.sub(r"[\W_]+", "", password.lower())  # "Jo Bloggs Jo Bloggs" is the repeat "jobloggsjobloggs"
    left = compact
    for word in sorted(personal, key=len, reverse=True):
        left = left.replace(re.sub(r"[\W_]+", "", word.lower()), "")
    if len(left) < 8:
        raise AuthError("that password is too easy to guess (it is mostly your name or username): "
                        "three random words work well")
    result = min((zxcvbn(p, user_inputs=personal) for p in {password, compact} if p), key=lambda r: r["score"])
    if result["score"] < MIN_STRENGTH:
        hint = (result["feedback"].get("warning") or "").rstrip(".").lower()
        raise AuthError("that password is too easy to guess" + (f" ({hint})" if hint else "")
                        + ": three random words work well")


def hash_password(password: str, username: str = "", display_name: str = "", checked: bool = True) -> str:
    """The bcrypt hash of a password a person chose (checked against the policy); only the demo's published
    password skips the check (`checked=False`)."""
    if checked:
        check_new_password(password, username, display_name)
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
             display_name: str | None = None, email: str | None = None, by: str = "system",
             must_change: bool = False) -> User:
    """A new user. `must_change`: the password is a first one an administrator gave, to be replaced at the
    first login."""
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace(".", "").replace("_", "").isalnum():
        raise AuthError("a username is letters, digits, '.', '-' or '_'")
    role_set = _parse_roles(roles)
    agency = _check_agency(con, agency, role_set)
    pw = hash_password(password, username, display_name or "")
    with db.transaction(con) as cur:
        if cur.execute("select 1 from users where username = ?", [username]).fetchone():
            raise AuthError(f"user {username} already exists")
        db.run(cur, "users/insert", {
            "username": username, "display_name": display_name or username, "email": email,
            "password_hash": pw, "roles": ",".join(sorted(role_set)), "agency": agency, "now": clock.now(),
            "must_change": must_change})
        audit.record(cur, by, "add_user", "user", username, roles=sorted(role_set), agency=agency)
    return get_user(con, username)


def _check_agency(con, agency: str | None, role_set: frozenset[str]) -> str | None:
    """An agency from the service's list (Admin → Settings): "Childrens Social Care" is not "Children's Social
    Care", and a check written under it would sit in no column."""
    agency = " ".join((agency or "").split()) or None
    if "triage" in role_set and not agency:
        raise AuthError("a triage member needs an agency")
    listed = settings.as_list(con, "triage_agencies")
    if agency and agency not in listed:
        raise AuthError(f"the agency must be one of the triage agencies ({', '.join(listed)})")
    return agency


def update_user(con, username: str, roles, agency: str | None, display_name: str, email: str | None,
                by: str) -> User:
    """An administrator changes what a user may do or who they are. An administrator cannot take the admin role
    from themself (someone must be left to run the service)."""
    role_set = _parse_roles(roles)
    agency = _check_agency(con, agency, role_set)
    if username == by and "admin" not in role_set:
        raise AuthError("you cannot take the admin role from yourself: ask another administrator")
    before = get_user(con, username)
    if before is None:
        raise AuthError(f"no user {username}")
    with db.transaction(con) as cur:
        cur.execute("update users set roles = ?, agency = ?, display_name = ?, email = ? where username = ?",
                    [",".join(sorted(role_set)), agency, display_name.strip() or username,
                     (email or "").strip() or None, username])
        audit.record(cur, by, "update_user", "user", username, roles=sorted(role_set), agency=agency,
                     roles_before=sorted(before.roles), agency_before=before.agency)
    return get_user(con, username)


def get_user(con, username: str) -> User | None:
    row = db.one(con, "users/get", {"username": username})
    if row is None:
        return None
    return User(row["username"], row["display_name"], frozenset(row["roles"].split(",")), row["agency"],
                row["email"], row["disabled"], row["must_change_password"])


def list_users(con) -> list[dict]:
    locked = locks(con)
    return [dict(u, locked=u["username"] in locked) for u in db.rows(con, "users/list")]


def set_disabled(con, username: str, disabled: bool, by: str) -> None:
    with db.transaction(con) as cur:
        cur.execute("update users set disabled = ? where username = ?", [disabled, username])
        if disabled:
            _end_sessions(cur, username, "disabled")
        audit.record(cur, by, "disable_user" if disabled else "enable_user", "user", username)


def set_password(con, username: str, password: str, by: str, keep_session: str | None = None,
                 must_change: bool = False) -> None:
    """A new password. Every session of the user ends (but the one changing it, `keep_session`); an
    administrator's reset (`must_change`) makes the user choose their own at the next login."""
    user = get_user(con, username)
    if user is None:
        raise AuthError(f"no user {username}")
    pw = hash_password(password, username, user.display_name)
    with db.transaction(con) as cur:
        cur.execute("update users set password_hash = ?, password_changed_at = ?, must_change_password = ? "
                    "where username = ?", [pw, clock.now(), must_change, username])
        _end_sessions(cur, username, "password changed", keep=keep_session)
        audit.record(cur, by, "reset_password" if must_change else "set_password", "user", username)


def check_password(con, username: str, password: str) -> bool:
    """The password against the stored hash, uncounted: use attempt_login wherever a person types one."""
    row = con.execute("select password_hash from users where username = ?", [username]).fetchone()
    return bool(row) and bcrypt.checkpw(password.encode()[:72], row[0].encode())


def attempt_login(con, username: str, password: str, client: str | None = None) -> bool:
    """A person types a password (the login form, or My account). The attempt is counted first, in the write
    lock, before the password is checked: twenty-five guesses at once are counted in turn and those past the
    limit are refused unchecked. A locked username or client, an unknown username and a wrong password all
    give the same False."""
    username = (username or "").strip().lower()[:100]
    with db.transaction(con) as cur:
        refused = _locked(cur, username, client)
        attempt = cur.execute("insert into login_attempts (username, client, attempted_at, succeeded) "
                              "values (?, ?, ?, null) returning id", [username, client, clock.now()]).fetchone()[0]
    ok = not refused and check_password(con, username, password or "")
    user = get_user(con, username) if ok else None
    ok = ok and user is not None and not user.disabled
    with db.transaction(con) as cur:
        cur.execute("update login_attempts set succeeded = ? where id = ?", [ok, attempt])
        audit.record(cur, username or "?", "login" if ok else "login_failed", "user", username or None,
                     locked=refused)
    return ok


def _locked(cur, username: str, client: str | None) -> bool:
    """Locked now: the username's last LOCK_AFTER attempts, or the client's last LOCK_CLIENT_AFTER, all failed
    (or still being checked), the latest within LOCK_FOR."""
    since = clock.now() - LOCK_FOR
    for query, value, limit in (("users/attempts_of_username", username, LOCK_AFTER),
                                ("users/attempts_of_client", client, LOCK_CLIENT_AFTER)):
        if not value:
            continue
        last = db.run(cur, query, {"value": value, "limit": limit}).fetchall()
        if len(last) == limit and not any(ok for ok, _ in last) and last[0][1] >= since:
            return True
    return False


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


def credentials(con) -> dict:
    """The credentials dict streamlit-authenticator wants, built fresh from the database. The passwords are
    checked by attempt_login, not by the library (see web.authenticator), so none are given to it."""
    return {"usernames": {row["username"]: {
        "name": row["display_name"], "email": row["email"] or f"{row['username']}@localhost", "password": "-",
        "roles": row["roles"].split(","), "failed_login_attempts": 0, "logged_in": False}
        for row in db.rows(con, "users/active")}}


# --- server-side sessions -----------------------------------------------------------------------

def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(con, username: str, client: str | None = None) -> str:
    """A new session after a password login; returns its id (only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    with db.transaction(con) as cur:
        cur.execute("insert into sessions (id_hash, username, client, created_at, last_seen) values (?, ?, ?, ?, ?)",
                    [_hash(session_id), username, client, now, now])
    return session_id


def _limits(con) -> tuple[timedelta, timedelta]:
    values = settings.all_settings(con)
    return timedelta(minutes=int(values["session_idle_minutes"])), timedelta(hours=int(values["session_hours"]))


def session_user(con, session_id: str | None, resumed: bool = False) -> str | None:
    """The user of a live session, or None: ended (logout, password changed, disabled, signed out everywhere),
    idle past the setting, or past its lifetime — the server decides, whatever the cookie says. An expiry is
    recorded and audited; `resumed` audits a login from the cookie."""
    if not session_id:
        return None
    row = con.execute("select s.username, s.created_at, s.last_seen, s.ended_at, u.disabled, u.password_changed_at "
                      "from sessions s left join users u on u.username = s.username where s.id_hash = ?",
                      [_hash(session_id)]).fetchone()
    if row is None:
        return None
    username, created, last_seen, ended, disabled, changed = row
    if ended is not None:
        return None
    idle, lifetime = _limits(con)
    now = clock.now()
    why = ("disabled" if disabled or disabled is None else "password changed" if changed and changed > created
           else "idle" if now - last_seen > idle else "lifetime" if now - created > lifetime else None)
    if why:
        with db.transaction(con) as cur:
            cur.execute("update sessions set ended_at = ?, ended_why = ? where id_hash = ? and ended_at is null",
                        [now, why, _hash(session_id)])
            audit.record(cur, username, "session_expired", "user", username, why=why)
        return None
    if resumed or now - last_seen > timedelta(minutes=1):  # one write a minute at most, per session
        with db.transaction(con) as cur:
            cur.execute("update sessions set last_seen = ? where id_hash = ?", [now, _hash(session_id)])
            if resumed:
                audit.record(cur, username, "login_cookie", "user", username)
    return username


def end_session(con, session_id: str | None, why: str = "logout") -> None:
    if not session_id:
        return
    with db.transaction(con) as cur:
        row = cur.execute("update sessions set ended_at = ?, ended_why = ? where id_hash = ? and ended_at is null "
                          "returning username", [clock.now(), why, _hash(session_id)]).fetchone()
        if row:
            audit.record(cur, row[0], why.replace(" ", "_"), "user", row[0])


def _end_sessions(cur, username: str, why: str, keep: str | None = None) -> int:
    ended = cur.execute("update sessions set ended_at = ?, ended_why = ? where username = ? and ended_at is null "
                        "and id_hash <> ? returning id_hash", [clock.now(), why, username,
                                                               _hash(keep) if keep else ""]).fetchall()
    return len(ended)


def sign_out_everywhere(con, username: str, by: str) -> int:
    """An administrator (or the user) ends every session of a user at once."""
    with db.transaction(con) as cur:
        n = _end_sessions(cur, username, "signed out everywhere")
        audit.record(cur, by, "sign_out_everywhere", "user", username, sessions=n)
    return n


def demo_cookie_key(folder: Path) -> str:
    """In demo mode the cookie key is made once and kept beside the database (owner-only), so that reloading
    the page keeps a demo user signed in."""
    path = Path(folder) / ".encompass-cookie-key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def cookie_key(configured: str | None, demo: bool, folder: Path | None = None) -> str:
    """The key that signs the session cookie. Outside demo mode a weak key stops the app."""
    if configured and len(configured) >= MIN_COOKIE_KEY and configured != EXAMPLE_COOKIE_KEY:
        return configured
    if demo:
        return demo_cookie_key(folder) if folder else secrets.token_urlsafe(48)
    if not configured:
        raise AuthError("no cookie key is configured: set auth.cookie_key in .streamlit/secrets.toml "
                        "(or ENCOMPASS_COOKIE_KEY) to a random string of at least 32 characters")
    if configured == EXAMPLE_COOKIE_KEY:
        raise AuthError("the cookie key is the example from secrets.toml.example: generate your own")
    raise AuthError(f"the cookie key is too short: it needs at least {MIN_COOKIE_KEY} characters")
