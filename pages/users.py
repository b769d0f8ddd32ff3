"""Users (admin): who may use the app, with which roles; disable and unlock."""
import streamlit as st

from encompass import auth, web

con, user = web.require("users")
st.title("Users")

users = auth.list_users(con)
st.dataframe([{"Username": u["username"], "Name": u["display_name"], "Roles": u["roles"], "Agency": u["agency"] or "",
               "Disabled": u["disabled"], "Locked": u["locked"]} for u in users], hide_index=True)

left, right = st.columns(2)
with left, st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("Username")
    name = st.text_input("Full name")
    email = st.text_input("Email")
    roles = st.multiselect("Roles", auth.ROLES)
    agency = st.text_input("Agency (triage members)")
    password = st.text_input(f"First password (at least {auth.MIN_PASSWORD} characters)", type="password")
    if st.form_submit_button("Add user"):
        try:
            auth.add_user(con, username, password, roles, agency or None, name or None, email or None, by=user.username)
            st.success(f"User {username} added.")
            st.rerun()
        except auth.AuthError as exc:
            st.error(str(exc).capitalize() + ".")

with right:
    st.subheader("Change a user")
    names = [u["username"] for u in users]
    chosen = st.selectbox("User", names, index=None, placeholder="Choose a user")
    if chosen:
        row = next(u for u in users if u["username"] == chosen)
        if row["locked"] and st.button("Unlock"):
            auth.unlock(con, chosen, by=user.username)
            st.rerun()
        if chosen != user.username:
            label = "Enable" if row["disabled"] else "Disable"
            if st.button(label):
                auth.set_disabled(con, chosen, not row["disabled"], by=user.username)
                st.rerun()
