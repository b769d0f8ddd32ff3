"""Users (admin): who may use the app, with which roles and agency; add, change, disable, unlock, reset a
password, sign a user out everywhere."""
import streamlit as st

from encompass import auth, triage, web

con, user = web.require("users")
st.title("Users")
if done := st.session_state.pop("users_done", None):
    st.success(done)

users = auth.list_users(con)
st.dataframe([{"Username": u["username"], "Name": u["display_name"], "Roles": u["roles"].replace(",", ", "),
               "Agency": u["agency"] or "", "Disabled": u["disabled"], "Locked": u["locked"],
               "Must choose a password": u["must_change_password"], "Signed in": u["sessions"]} for u in users],
             hide_index=True)

agencies = triage.agencies(con)


def agency_box(label: str, current: str | None, key: str) -> str | None:
    """The agency from the service's list (Admin → settings); an old value no longer listed stays choosable."""
    options = agencies + ([current] if current and current not in agencies else [])
    return st.selectbox(label, options, index=options.index(current) if current in options else None,
                        placeholder="None (needed for triage members)", key=key)


def finish(message: str) -> None:
    st.session_state["users_done"] = message
    st.rerun()


add, change = st.tabs(["Add a user", "Change a user"])
with add, st.form("add_user"):
    username = st.text_input("Username", max_chars=60)
    name = st.text_input("Full name", max_chars=120)
    email = st.text_input("Email", max_chars=200)
    roles = st.multiselect("Roles", auth.ROLES)
    agency = agency_box("Agency (triage members)", None, "add_agency")
    password = st.text_input(f"First password (at least {auth.MIN_PASSWORD} characters; they choose their own "
                             "at first login)", type="password")
    if st.form_submit_button("Add user", type="primary"):
        try:
            auth.add_user(con, username, password, roles, agency, name or None, email or None, by=user.username,
                          must_change=True)
            finish(f"User {username.strip().lower()} added: give them the first password in person or by phone.")
        except auth.AuthError as exc:
            web.problem(exc)

with change:
    chosen = st.selectbox("User", [u["username"] for u in users], index=None, placeholder="Choose a user")
    row = next((u for u in users if u["username"] == chosen), None)
    if row:
        with st.form(f"edit_{chosen}"):
            st.markdown(f"**{web.md(row['display_name'])}** ({web.md(chosen)})")
            name = st.text_input("Full name", row["display_name"], max_chars=120)
            email = st.text_input("Email", row["email"] or "", max_chars=200)
            roles = st.multiselect("Roles", auth.ROLES, default=row["roles"].split(","), key=f"roles_{chosen}")
            agency = agency_box("Agency (triage members)", row["agency"], f"agency_{chosen}")
            if st.form_submit_button("Save changes"):
                try:
                    auth.update_user(con, chosen, roles, agency, name, email, by=user.username)
                    finish(f"{chosen} saved.")
                except auth.AuthError as exc:
                    web.problem(exc)

        with st.form(f"reset_{chosen}", clear_on_submit=True):
            st.markdown("**Reset password** — every session of theirs ends, and they choose their own at the next "
                        "login.")
            first = st.text_input("New first password", type="password")
            if st.form_submit_button("Reset password"):
                try:
                    auth.set_password(con, chosen, first, by=user.username, must_change=True)
                    finish(f"{chosen}'s password reset: give it to them in person or by phone.")
                except auth.AuthError as exc:
                    web.problem(exc)

        buttons = st.columns(3)
        if row["locked"] and buttons[0].button("Unlock"):
            auth.unlock(con, chosen, by=user.username)
            finish(f"{chosen} unlocked.")
        if buttons[1].button(f"Sign out everywhere ({row['sessions']})", disabled=not row["sessions"]):
            ended = auth.sign_out_everywhere(con, chosen, by=user.username)
            finish(f"{chosen} signed out of {ended} session{'s' * (ended != 1)}.")
        if chosen != user.username and buttons[2].button("Enable" if row["disabled"] else "Disable"):
            auth.set_disabled(con, chosen, not row["disabled"], by=user.username)
            finish(f"{chosen} {'enabled' if row['disabled'] else 'disabled'}.")
