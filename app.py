"""Encompass Desk: page config, login, and the pages this user's roles allow. Nothing else."""
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from encompass import auth, clock, demo, web

st.set_page_config(page_title="Encompass Desk", page_icon=":material/shield_person:", layout="wide")
try:
    clock.now()
except clock.ClockError as exc:
    st.error(f"Encompass Desk cannot start: {exc}.")
    st.stop()
con = web.connection()
web.demo_banner(con)

try:
    cookie_key = auth.cookie_key(web.secret("cookie_key"), demo.is_demo(con))
except auth.AuthError as exc:
    st.error(f"Encompass Desk cannot start: {exc}")
    st.stop()

credentials = auth.credentials(con)
authenticator = stauth.Authenticate(credentials, cookie_name="encompass_desk", cookie_key=cookie_key,
                                    cookie_expiry_days=0.5, auto_hash=False, login_sleep_time=0)


def _logged_in(event: dict) -> None:
    auth.record_attempt(con, event["username"], True)


try:
    authenticator.login(location="main", max_login_attempts=auth.LOCK_AFTER, callback=_logged_in,
                        fields={"Form name": "Log in to Encompass Desk", "Login": "Log in"})
except LoginError:
    # The library refuses locked users (we give it their count at its limit) and cookies of removed users.
    st.error("This account is locked or disabled. A locked account opens again 15 minutes after the "
             "last failed attempt; an administrator can unlock it sooner.")

for username in auth.failed_usernames(credentials):  # the library counted a wrong password for this user
    auth.record_attempt(con, username, False)
    until = auth.locked_until(con, username)
    if until:
        st.error(f"Too many failed logins: this account is locked until {until:%H:%M}.")

user = web.current_user(con)
if user is None:
    if st.session_state.get("authentication_status") is False:
        st.error("Username or password is incorrect.")
    elif st.session_state.get("authentication_status"):
        st.error("This account is disabled.")
    st.navigation([st.Page(lambda: None, title="Log in", url_path="login")], position="hidden").run()
    st.stop()

with st.sidebar:
    st.caption(f"Signed in as **{user.display_name}** ({', '.join(sorted(user.roles))}"
               + (f", {user.agency}" if user.agency else "") + f") · {clock.today():%a %d %b %Y}")
    authenticator.logout("Log out", location="sidebar")

pages = [st.Page(path, title=title, icon=icon, url_path=page_id)
         for page_id, (path, title, icon, _) in auth.PAGES.items() if user.may_use(page_id)]
st.navigation(pages).run()
