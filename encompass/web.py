"""Streamlit glue shared by app.py and the pages: the connection, the signed-in user, access checks.

The only module in the package that imports Streamlit; the CLI never imports it.
"""
from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import streamlit as st

from . import auth, db, demo, files, mailing


@st.cache_resource
def _connection(path: str):
    """Open the database once per process, and first make its files owner-only (reported to administrators)."""
    con = db.connect(path)
    fixed = files.secure(Path(path), mail_settings().outbox)
    for line in fixed:
        print(f"encompass: made private (owner only): {line}", file=sys.stderr)
    return con, fixed


def connection():
    """This process's one DuckDB connection, as a cursor for this script run (DuckDB 2.x
    refuses one connection shared by threads)."""
    try:
        return db.cursor(_connection(str(db.default_path()))[0])
    except db.DatabaseLocked as exc:
        st.error(f"Encompass Desk cannot open its database: {exc}.")
        st.stop()


def permissions_fixed() -> list[str]:
    """The files this process made owner-only when it opened the database."""
    return _connection(str(db.default_path()))[1]


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
# Streamlit's markdown turns bare web addresses into links after escapes are read, so escaping cannot stop
# them: an invisible word joiner after "http", "https", "ftp" or "www" does (the text reads the same).
_BARE_ADDRESS = re.compile(r"(?i)\b(https?|ftp|www)(?=[:.])")


def md(text) -> str:
    """Data-derived text made inert for Streamlit markdown: a police sheet or a typed contact must not
    become a link, an image, a colour directive or LaTeX on the co-ordinator's screen."""
    return _MARKDOWN.sub(r"\\\1", _BARE_ADDRESS.sub("\\1\u2060", str(text)))


def sentence(text) -> str:
    """A message as a sentence: capital first, full stop last (exceptions here speak in lower case)."""
    text = str(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def problem(exc_or_text) -> None:
    """Show what went wrong, as inert text: messages quote sheets, typed names and settings."""
    st.error(md(sentence(exc_or_text)))


def secret(name: str) -> str | None:
    """A setting from the environment (ENCOMPASS_<NAME>) or .streamlit/secrets.toml [auth]."""
    value = os.environ.get(f"ENCOMPASS_{name.upper()}")
    if value:
        return value
    try:
        return st.secrets.get("auth", {}).get(name)
    except (FileNotFoundError, KeyError, AttributeError):
        return None
    except Exception:  # no secrets file at all
        return None


def mail_settings() -> "mailing.MailSettings":
    """Mail configuration from the environment, then the [mail] table of secrets.toml."""
    try:
        from_secrets = dict(st.secrets.get("mail", {}))
    except Exception:  # no secrets file
        from_secrets = {}
    return mailing.MailSettings.from_env(secrets=from_secrets)


def client() -> str | None:
    """The browser's address as the server sees it (for the per-client login limit)."""
    try:
        address = st.context.ip_address
    except Exception:  # no request (bare mode)
        return None
    return address if isinstance(address, str) else None  # AppTest has a stand-in request


def authenticator(con):
    """streamlit-authenticator's login form and cookie plumbing, with the two decisions made here: every
    password typed is counted before it is checked (auth.attempt_login), and the cookie carries only a
    server-side session's id, signed — the server decides whether it is still good (auth.session_user)."""
    import jwt
    import streamlit_authenticator as stauth
    from streamlit_authenticator.models import CookieModel

    values = dict(con.execute("select key, value from settings").fetchall())
    lifetime = timedelta(hours=int(values.get("session_hours", 12)))
    key = auth.cookie_key(secret("cookie_key"), demo.is_demo(con), db.default_path().parent)
    where = client()

    class SessionCookie(CookieModel):
        def get_cookie(self):
            if st.session_state.get("logout"):
                return False
            token = st.context.cookies.get(self.cookie_name) if self.cookie_name in st.context.cookies else None
            if not token:
                return None
            try:
                claims = jwt.decode(token, self.cookie_key, algorithms=["HS256"], options={"require": ["sid", "exp"]})
            except jwt.PyJWTError:
                return None
            username = auth.session_user(con, claims["sid"], resumed=True)
            if username is None:
                return None
            st.session_state["encompass_sid"] = claims["sid"]
            return {"username": username, "exp_date": claims["exp"]}

        def set_cookie(self):
            sid = auth.start_session(con, st.session_state["username"], where)
            st.session_state["encompass_sid"] = sid
            # The browser and PyJWT judge this expiry by the real clock, so it is set by the real clock (a
            # pinned service clock would make the cookie stale at birth); the session's idle and absolute
            # limits are enforced on the server by the service clock (auth.session_user).
            expires = datetime.now(timezone.utc) + lifetime
            token = jwt.encode({"sid": sid, "exp": int(expires.timestamp())}, self.cookie_key, algorithm="HS256")
            self.cookie_manager.set(self.cookie_name, token, expires_at=expires)

        def delete_cookie(self):
            auth.end_session(con, st.session_state.pop("encompass_sid", None), "logout")
            try:
                self.cookie_manager.delete(self.cookie_name)
            except KeyError:
                pass

    login = stauth.Authenticate(auth.credentials(con), cookie_name="encompass_desk", cookie_key=key,
                                cookie_expiry_days=lifetime / timedelta(days=1), auto_hash=False, login_sleep_time=0)
    # The library's own cookie model already rendered the one CookieManager component a page may have;
    # a second instance would clash, so the existing object takes on this class's behaviour instead.
    login.cookie_controller.cookie_model.__class__ = SessionCookie
    login.authentication_controller.authentication_model.check_credentials = \
        lambda username, password: auth.attempt_login(con, username, password, where)
    return login


SESSION_ENDED = "Your session has ended (signed out, idle for too long, or a password change). Please log in again."


def current_user(con) -> auth.User | None:
    """The signed-in user, while the server-side session is good; otherwise nobody (and the session state of
    a session that ended elsewhere, went idle or ran out is cleared)."""
    if not st.session_state.get("authentication_status"):
        return None
    username = auth.session_user(con, st.session_state.get("encompass_sid"))
    if username is None or username != st.session_state.get("username"):
        for key in ("authentication_status", "username", "name", "encompass_sid", "roles", "email"):
            st.session_state.pop(key, None)
        st.session_state["session_ended"] = True
        return None
    user = auth.get_user(con, username)
    return None if user is None or user.disabled else user


def require(page: str):
    """The connection and signed-in user, if they may use this page; otherwise stop (deny by default)."""
    con = connection()
    user = current_user(con)
    if user is None:
        if st.session_state.pop("session_ended", False):
            st.info(SESSION_ENDED)
        st.error("Please log in.")
        st.stop()
    if not user.may_use(page):
        st.error("You do not have access to this page.")
        st.stop()
    if user.must_change_password and page != "account":
        st.error("An administrator reset your password: choose your own on My account first.")
        st.stop()
    return con, user


def demo_banner(con) -> None:
    if demo.is_demo(con):
        st.warning("**DEMO** — synthetic children on the real schools register; contact addresses are example.org, "
                   "so nothing can reach a real school.",
                   icon=":material/science:")


def period_form(con, urn: int | None, username: str, key: str, submit: str) -> None:
    """Add a term, holiday or non-pupil day: the council's (urn None) or one school's own."""
    from . import calendar
    with st.form(key, clear_on_submit=True):
        kind = st.selectbox("Kind", calendar.KINDS, format_func=lambda k: k.replace("_", " "))
        name = st.text_input("Name", placeholder="e.g. Autumn term, INSET day")
        start = st.date_input("From", value=None, format="DD/MM/YYYY")
        end = st.date_input("To", value=None, format="DD/MM/YYYY")
        if st.form_submit_button(submit):
            try:
                if not (start and end):
                    raise calendar.CalendarError("give both dates")
                calendar.add_period(con, urn, kind, name, start, end, username)
                st.rerun()
            except calendar.CalendarError as exc:
                problem(exc)


def actions_due(con, user, meeting) -> None:
    """Open actions from earlier meetings due by this one, first thing at a meeting; the owning agency (or an
    administrator) marks each done or cancelled."""
    from . import triage
    due = triage.actions_due(con, meeting)
    if not due:
        return
    with st.container(border=True):
        st.markdown(f"**Actions due or overdue: {len(due)}** (set at earlier meetings)")
        for a in due:
            text, done, cancel = st.columns([6, 1, 1])
            late = " — OVERDUE" if a["due_date"] < meeting else ""
            text.markdown(md(f"{a['police_ref']} · {a['owner_agency']} · due {a['due_date']:%d/%m/%Y}{late} · "
                             f"{a['action']}"))
            mine = user.agency == a["owner_agency"] or "admin" in user.roles
            for column, status, label in ((done, "done", "Done"), (cancel, "cancelled", "Cancel")):
                if column.button(label, key=f"action-{status}-{a['id']}", disabled=not mine,
                                 help=None if mine else md(f"Only {a['owner_agency']} can change its action")):
                    try:
                        triage.set_action_status(con, a["id"], status, user.username, user.agency,
                                                 "admin" in user.roles)
                        st.rerun()
                    except triage.TriageError as exc:
                        problem(exc)


def audit_export(con, username: str, action: str, entity: str, entity_id, rows: int) -> None:
    """A download button's on_click: the export is recorded as it happens."""
    from . import audit
    with db.transaction(con) as cur:
        audit.record(cur, username, action, entity, entity_id, rows=rows)
