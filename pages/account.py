"""My account: who I am, and changing my password."""
import streamlit as st

from encompass import auth, web

con, user = web.require("account")
st.title("My account")
st.write(f"**{user.display_name}** (`{user.username}`) — roles: {', '.join(sorted(user.roles))}"
         + (f"; agency: {user.agency}" if user.agency else ""))

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    current = st.text_input("Current password", type="password")
    new = st.text_input(f"New password (at least {auth.MIN_PASSWORD} characters)", type="password")
    repeat = st.text_input("New password again", type="password")
    if st.form_submit_button("Change password"):
        if not auth.check_password(con, user.username, current):
            st.error("The current password is not right.")
        elif new != repeat:
            st.error("The new passwords differ.")
        else:
            try:
                auth.set_password(con, user.username, new, by=user.username)
                st.success("Password changed.")
            except auth.AuthError as exc:
                st.error(str(exc).capitalize() + ".")
