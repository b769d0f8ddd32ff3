"""Send: the queue by recipient, each message previewable and sent once, and schools' replies.

One table of recipients however long the queue; a recipient's messages are drawn only when it is opened, a
preview only when asked for: a two-week backlog costs a click no more than a quiet morning.
"""
from collections import defaultdict

import pandas as pd
import streamlit as st

from encompass import calendar, clock, contacts, notifications, web

con, user = web.require("send")
st.title("Send notifications")
mail = web.mail_settings()

today = calendar.day_info(con, clock.today())
if not today.school_day:
    st.warning(f"{today.describe()}. Notifications still go today; schools may not read them until they reopen.",
               icon=":material/beach_access:")
st.caption(web.md(f"Mail goes to the outbox folder {mail.outbox} (nothing leaves this machine)."
                  if mail.transport == "outbox" else f"Mail goes through {mail.host}:{mail.port}."))

items = notifications.pending(con)
if any(i.status == "sending" for i in items) and notifications.recover_if_idle(con, user.username) is not None:
    items = notifications.pending(con)  # a batch that died is settled now; what is left is being sent
waiting = {i.child_incident_id for i in items if i.kind in notifications.MAIN_KINDS}
if notifications.refresh(con, user.username, waiting):  # a safety net: normally queued when the school is decided
    items = notifications.pending(con)
ready = [i for i in items if i.status == "queued" and not i.blocked]
failed = [i for i in items if i.status == "failed"]
blocked = [i for i in items if i.status == "queued" and i.blocked]
unknown = [i for i in items if i.status == "unknown"]
sending = [i for i in items if i.status == "sending"]
now = clock.now()

a, b, c, d = st.columns(4)
a.metric("Ready to send", len(ready))
b.metric("Overdue", sum(i.overdue for i in ready + failed + blocked))
c.metric("Blocked (no one to send to)", len(blocked))
d.metric("Failed", len(failed))

if done := st.session_state.pop("reply_done", None):
    st.success(done)
    if "School matching" in done:
        st.page_link("pages/school_matching.py", label="Go to School matching", icon=":material/school:")
if last := st.session_state.pop("send_result", None):
    st.success(f"{last['sent']} sent, {last['failed']} not sent.")
    if last["rows"]:
        st.dataframe(last["rows"], hide_index=True)

if sending:
    first = min(sending, key=lambda i: i.claimed_at or now)
    st.info(web.md(f"{len(sending)} message{'s are' if len(sending) != 1 else ' is'} being sent by "
                   f"{first.claimed_by or 'someone'} since {first.claimed_at:%H:%M}." if first.claimed_at else
                   f"{len(sending)} being sent."), icon=":material/outgoing_mail:")
for item in notifications.with_references(con, unknown):
    with st.container(border=True):
        st.error(web.md(f"Outcome unknown: {item.police_ref} to {item.recipient}. The send broke after the "
                        "message left; check the sent items or ask the school before deciding."),
                 icon=":material/help:")
        yes, no = st.columns(2)
        for column, was_sent, label in ((yes, True, "It was sent"), (no, False, "It was not sent: queue it again")):
            if column.button(label, key=f"unknown-{'sent' if was_sent else 'queue'}-{item.id}"):
                try:
                    notifications.settle_unknown(con, item.id, was_sent, user.username)
                    st.rerun()
                except notifications.NotificationError as exc:
                    web.problem(exc)


def run_batch(retry: bool) -> None:
    bar = st.progress(0.0, text="Sending…")
    result = notifications.send(con, mail, user.username, retry_failed=retry,
                                progress=lambda done, total: bar.progress(done / total, text=f"Sent {done} of {total}"))
    st.session_state["send_result"] = {
        "sent": result.sent, "failed": result.failed,
        "rows": [{"Police ref": o.police_ref, "To": o.school, "Result": o.status, "Detail": o.detail}
                 for o in result.outcomes]}
    st.rerun()


left, right = st.columns(2)
if left.button(f"Send all {len(ready)}", type="primary", disabled=not ready, icon=":material/send:"):
    run_batch(retry=False)
if right.button(f"Retry {len(failed)} failed", disabled=not failed, icon=":material/refresh:"):
    run_batch(retry=True)

# One row per recipient, soonest due first; a recipient's messages only when it is opened.
groups: dict[str, list] = defaultdict(list)
for item in ready + failed + blocked:
    groups[item.target].append(item)
order = sorted(groups, key=lambda t: (min(i.due_by for i in groups[t]), groups[t][0].recipient))
if order:
    st.dataframe(pd.DataFrame([{
        "Recipient": groups[t][0].recipient, "Messages": len(groups[t]),
        "Due": f"{min(i.due_by for i in groups[t]):%a %d %b %H:%M}",
        "Overdue": "yes" if any(i.overdue for i in groups[t]) else "",
        "Route": groups[t][0].route.reason} for t in order]), hide_index=True, width="stretch",
        column_config={"Route": st.column_config.TextColumn(width="large")})
    opened = st.selectbox("Open a recipient's messages", order, index=None, placeholder="Choose a school or route",
                          format_func=lambda t: f"{groups[t][0].recipient} — {len(groups[t])} message"
                          + ("s" if len(groups[t]) != 1 else ""), key="send_open")
    if opened:
        group = notifications.with_references(con, groups[opened])
        route = group[0].route
        with st.container(border=True):
            if group[0].blocked:
                st.error(web.md(f"Cannot send: {route.reason}. Add contacts on Schools & contacts (or the EHE "
                                "officer in Admin → Settings)."))
            else:
                st.caption(web.md(f"To {route.to}" + (f", cc {', '.join(route.cc)}" if route.cc else "")
                                  + f" — {route.reason}"))
                if route.missing:
                    st.warning(f"This school has no {contacts.ROLES[route.missing]}: the message goes to the lead it "
                               "has. Ask the school for the missing one.", icon=":material/person_off:")
            for item in group:
                cols = st.columns([3, 2, 1, 1])
                cols[0].write(f"**{web.md(item.police_ref)}** · {notifications.KIND_LABELS[item.kind]}"
                              + ("" if item.known_calendar else " · due time assumes weekdays"))
                cols[1].write(web.md(item.status + (f": {item.last_error}" if item.last_error else "")))
                if cols[2].button("Preview", key=f"preview-{item.id}"):
                    st.session_state["previewing"] = item.id
                if cols[3].button("Withdraw", key=f"withdraw-{item.id}"):
                    st.session_state["withdrawing"] = item.id
                if st.session_state.get("previewing") == item.id:
                    rendered, shown_route = notifications.preview(con, item.id, user.username)
                    st.code(f"To: {shown_route.to or '(none)'}\nCc: {', '.join(shown_route.cc)}\n"
                            f"Subject: {rendered.subject}\n\n{rendered.text}", language=None)
                if st.session_state.get("withdrawing") == item.id:
                    with st.form(f"withdraw-form-{item.id}"):
                        reason = st.text_input("Why is it withdrawn?", max_chars=500)
                        if st.form_submit_button("Withdraw notification"):
                            try:
                                notifications.withdraw(con, item.id, user.username, reason)
                                st.session_state.pop("withdrawing", None)
                                st.rerun()
                            except notifications.NotificationError as exc:
                                web.problem(exc)

st.divider()
st.subheader("Schools' replies")
st.caption("Find the notification by its police reference (it is in the subject of the school's email).")
ref = st.text_input("Police reference", max_chars=40, key="reply_ref")
found = notifications.find_sent(con, ref) if ref.strip() else []
if ref.strip() and not found:
    st.info("Nothing was sent under that police reference.")
if found:
    chosen = st.selectbox("Notification", found, index=0 if len(found) == 1 else None,
                          placeholder="Choose the child and school",
                          format_func=lambda n: f"{n['police_ref']} — {n['initials']}, age {n['age']} — "
                          f"{n['school']} — sent {n['sent_at']:%d/%m %H:%M}"
                          + (f" — replies: {n['replies']}" if n["replies"] else "")
                          + (" — RETURNED" if n["status"] == "returned" else ""))
    if chosen:
        with st.form("reply"):
            kind = st.radio("The school says", list(notifications.RESPONSES), format_func=notifications.RESPONSES.get,
                            index=None)
            note = st.text_area("Note (information for the triage)", max_chars=4000)
            sure = st.checkbox("I have checked: the school says this child is not on its roll (the child goes back "
                               "to School matching and the school is asked to delete the message)")
            if st.form_submit_button("Record reply"):
                try:
                    if kind is None:
                        raise notifications.NotificationError("choose what the school says")
                    if kind == "not_at_school" and not sure:
                        raise notifications.NotificationError("tick the box to confirm “not at this school”")
                    notifications.record_response(con, chosen["id"], kind, note, user.username)
                    st.session_state["reply_done"] = "Reply recorded." + (
                        " The child is back in School matching to choose the right school, and a reply asking "
                        "the school to delete the message is queued." if kind == "not_at_school" else "")
                    st.rerun()
                except notifications.NotificationError as exc:
                    web.problem(exc)
