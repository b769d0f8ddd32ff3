"""My account: who I am, and changing my password."""
import streamlit as st

from encompass import auth, web

con, user = web.require("account")
st.title("My account")
st.write(web.md(f"{user.display_name} ({user.username}) — roles: {', '.join(sorted(user.roles))}"
                + (f"; agency: {user.agency}" if user.agency else "")))
if user.must_change_password:
    st.warning("An administrator reset your password: choose your own to continue.", icon=":material/key:")
if done := st.session_state.pop("account_done", None):
    st.success(done)

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    st.caption(f"At least {auth.MIN_PASSWORD} characters and not easy to guess: three random words work well. "
               "Every other session of yours is signed out.")
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password")
    repeat = st.text_input("New password again", type="password")
    if st.form_submit_button("Change password"):
        # The current password is a login attempt like any other: counted, and refused while locked.
        if not auth.attempt_login(con, user.username, current, web.client()):
            st.error(auth.LOGIN_REFUSED)
        elif new != repeat:
            st.error("The new passwords differ.")
        else:
            try:
                auth.set_password(con, user.username, new, by=user.username,
                                  keep_session=st.session_state.get("encompass_sid"))
                st.session_state["account_done"] = "Password changed. Your other sessions are signed out."
                st.rerun()
            except auth.AuthError as exc:
                web.problem(exc)
