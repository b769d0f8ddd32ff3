"""Streamlit glue shared by app.py and the pages: the connection, the signed-in user, access checks.

The only module in the package that imports Streamlit; the CLI never imports it.
"""
from __future__ import annotations

import os
import re

import streamlit as st

from . import auth, db, demo, mailing


@st.cache_resource
def _connection(path: str):
    return db.connect(path)


def connection():
    """This process's one DuckDB connection, as a cursor for this script run (DuckDB 2.x
    refuses one connection shared by threads)."""
    try:
        return _connection(str(db.default_path())).cursor()
    except db.DatabaseLocked as exc:
        st.error(f"Encompass Desk cannot open its database: {exc}.")
        st.stop()


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text) -> str:
    """Data-derived text made inert for Streamlit markdown: a police sheet or a typed contact must not
    become a link, an image, a colour directive or LaTeX on the co-ordinator's screen."""
    return _MARKDOWN.sub(r"\\\1", str(text))


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


def current_user(con) -> auth.User | None:
    if not st.session_state.get("authentication_status"):
        return None
    user = auth.get_user(con, st.session_state.get("username") or "")
    return None if user is None or user.disabled else user


def require(page: str):
    """The connection and signed-in user, if they may use this page; otherwise stop (deny by default)."""
    con = connection()
    user = current_user(con)
    if user is None:
        st.error("Please log in.")
        st.stop()
    if not user.may_use(page):
        st.error("You do not have access to this page.")
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
                st.error(str(exc).capitalize() + ".")
