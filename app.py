"""Encompass Desk: page config, login, and the pages this user's roles allow. Nothing else."""
import streamlit as st
from streamlit_authenticator.utilities import LoginError

from encompass import auth, clock, web

st.set_page_config(page_title="Encompass Desk", page_icon=":material/shield_person:", layout="wide")
try:
    clock.now()
except clock.ClockError as exc:
    st.error(f"Encompass Desk cannot start: {exc}.")
    st.stop()
con = web.connection()

try:
    authenticator = web.authenticator(con)
except auth.AuthError as exc:
    st.error(f"Encompass Desk cannot start: {exc}")
    st.stop()

if web.current_user(con) is None:  # (a session that ended elsewhere, or went idle, is forgotten here)
    web.demo_banner(con)  # above the login form
try:
    authenticator.login(location="main", fields={"Form name": "Log in to Encompass Desk", "Login": "Log in"})
except LoginError:  # a cookie naming a user who is no longer active: just the form again
    st.session_state["authentication_status"] = None

user = web.current_user(con)
if user is None:
    if st.session_state.get("authentication_status") is False:
        st.error(auth.LOGIN_REFUSED)  # the same words for a wrong password, an unknown name or a lock
    elif st.session_state.pop("session_ended", False):
        st.info(web.SESSION_ENDED)
    st.navigation([st.Page(lambda: None, title="Log in", url_path="login")], position="hidden").run()
    st.stop()

if "admin" in user.roles and (fixed := web.permissions_fixed()) and not st.session_state.get("fixes_shown"):
    st.session_state["fixes_shown"] = True  # once per session
    st.warning(web.md("Files readable by other accounts on this server were made owner-only when the app started: "
                      + "; ".join(fixed)), icon=":material/lock:")

with st.sidebar:
    st.caption(web.md(f"Signed in as {user.display_name} ({', '.join(sorted(user.roles))}"
                      + (f", {user.agency}" if user.agency else "") + f") · {clock.today():%a %d %b %Y}"))
    authenticator.logout("Log out", location="sidebar")

if user.must_change_password:  # an administrator reset it: the user chooses their own before anything else
    pages = [st.Page(auth.PAGES["account"][0], title="My account", icon=auth.PAGES["account"][2],
                     url_path="account")]
else:
    pages = [st.Page(path, title=title, icon=icon, url_path=page_id)
             for page_id, (path, title, icon, _) in auth.PAGES.items() if user.may_use(page_id)]
page = st.navigation(pages)
if page.url_path != "meeting":  # the shared screen of a meeting shows the incident, not this
    web.demo_banner(con)
page.run()
