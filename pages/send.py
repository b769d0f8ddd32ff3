"""Send: the day's notifications grouped by school, previewed, sent once each, and schools' replies."""
from collections import defaultdict
from datetime import timedelta

import streamlit as st

from encompass import calendar, clock, contacts, notifications, web

con, user = web.require("send")
st.title("Send notifications")
mail = web.mail_settings()

today = calendar.day_info(con, clock.today())
if not today.school_day:
    st.warning(f"{today.describe()}. Notifications still go today; schools may not read them until they reopen.",
               icon=":material/beach_access:")
st.caption(f"Mail goes to the outbox folder {mail.outbox} (nothing leaves this machine)." if mail.transport == "outbox"
           else f"Mail goes through {mail.host}:{mail.port}.")

notifications.refresh(con, user.username)
items = notifications.pending(con)
ready = [i for i in items if i.status == "queued" and not i.blocked]
failed = [i for i in items if i.status == "failed"]
blocked = [i for i in items if i.status == "queued" and i.blocked]
unknown = [i for i in items if i.status == "unknown"]
sending = [i for i in items if i.status == "sending"]

a, b, c, d = st.columns(4)
a.metric("Ready to send", len(ready))
b.metric("Overdue", sum(i.overdue for i in ready + failed + blocked))
c.metric("Blocked (no contacts)", len(blocked))
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
    first = min(sending, key=lambda i: i.claimed_at or clock.now())
    st.info(web.md(f"{len(sending)} message{'s are' if len(sending) != 1 else ' is'} being sent by "
                   f"{first.claimed_by or 'someone'} since {first.claimed_at:%H:%M}." if first.claimed_at else
                   f"{len(sending)} being sent."), icon=":material/outgoing_mail:")
for item in unknown:
    with st.container(border=True):
        st.error(f"Outcome unknown: {web.md(item.police_ref)} to {item.school}. The send was interrupted; check the "
                 "sent items or ask the school before deciding.", icon=":material/help:")
        yes, no = st.columns(2)
        for column, was_sent, label in ((yes, True, "It was sent"), (no, False, "It was not sent: queue it again")):
            if column.button(label, key=f"unknown-{'sent' if was_sent else 'queue'}-{item.id}"):
                try:
                    notifications.settle_unknown(con, item.id, was_sent, user.username)
                    st.rerun()
                except notifications.NotificationError as exc:
                    st.error(web.md(str(exc).capitalize() + "."))


def run_batch(retry: bool) -> None:
    bar = st.progress(0.0, text="Sending…")
    result = notifications.send(con, mail, user.username, retry_failed=retry,
                                progress=lambda done, total: bar.progress(done / total, text=f"Sent {done} of {total}"))
    st.session_state["send_result"] = {
        "sent": result.sent, "failed": result.failed,
        "rows": [{"Police ref": o.police_ref, "School": o.school, "Result": o.status, "Detail": o.detail}
                 for o in result.outcomes]}
    st.rerun()


left, right = st.columns(2)
if left.button(f"Send all {len(ready)}", type="primary", disabled=not ready, icon=":material/send:"):
    run_batch(retry=False)
if right.button(f"Retry {len(failed)} failed", disabled=not failed, icon=":material/refresh:"):
    run_batch(retry=True)

by_school = defaultdict(list)
for item in ready + failed + blocked:
    by_school[(item.school, item.urn)].append(item)
now = clock.now()
for (school, _urn), group in sorted(by_school.items(), key=lambda kv: min(i.due_by for i in kv[1])):
    due = min(i.due_by for i in group)
    flags = (" · OVERDUE" if due < now else "") + (" · BLOCKED" if group[0].blocked else "")
    with st.expander(f"{school} — {len(group)} child{'ren' if len(group) > 1 else ''} — "
                     f"due {due:%a %d %b %H:%M}{flags}"):
        if group[0].blocked:
            st.error(web.md(f"Cannot send: {group[0].route.reason}. Add contacts on Schools & contacts "
                            "(or the EHE officer in Admin → Settings)."))
        else:
            st.caption(web.md(f"To {group[0].route.to}" + (f", cc {', '.join(group[0].route.cc)}"
                                                           if group[0].route.cc else "")
                              + f" — {group[0].route.reason}"))
            if group[0].route.missing:
                st.warning(f"This school has no {contacts.ROLES[group[0].route.missing]}: the message goes to the "
                           "lead it has. Ask the school for the missing one.", icon=":material/person_off:")
        for item in group:
            cols = st.columns([3, 2, 1, 1])
            cols[0].write(f"**{web.md(item.police_ref)}** · {notifications.KIND_LABELS[item.kind]}"
                          + ("" if item.known_calendar
                             else " · due date assumes weekdays (outside the known calendar)"))
            cols[1].write(web.md(item.status + (f": {item.last_error}" if item.last_error else "")))
            if cols[2].button("Preview", key=f"preview-{item.id}"):
                st.session_state["previewing"] = item.id
            if cols[3].button("Withdraw", key=f"withdraw-{item.id}"):
                st.session_state["withdrawing"] = item.id
            if st.session_state.get("previewing") == item.id:
                rendered, route = notifications.preview(con, item.id, user.username)
                st.code(f"To: {route.to or '(none)'}\nCc: {', '.join(route.cc)}\nSubject: {rendered.subject}\n\n"
                        f"{rendered.text}", language=None)
            if st.session_state.get("withdrawing") == item.id:
                with st.form(f"withdraw-form-{item.id}"):
                    reason = st.text_input("Why is it withdrawn?")
                    if st.form_submit_button("Withdraw notification"):
                        try:
                            notifications.withdraw(con, item.id, user.username, reason)
                            st.session_state.pop("withdrawing", None)
                            st.rerun()
                        except notifications.NotificationError as exc:
                            st.error(str(exc).capitalize() + ".")

st.divider()
st.subheader("Schools' replies")
recent = notifications.sent_recently(con, clock.today() - timedelta(days=14))
if not recent:
    st.caption("Nothing sent in the last 14 days.")
else:
    chosen = st.selectbox("Notification", recent, index=None, placeholder="Choose a sent notification",
                          format_func=lambda n: f"{n['police_ref']} — {n['school']} — sent {n['sent_at']:%d/%m %H:%M}"
                          + (f" — replies: {n['replies'].replace('_', ' ')}" if n["replies"] else "")
                          + (" — RETURNED" if n["status"] == "returned" else ""))
    if chosen:
        with st.form("reply"):
            kind = st.radio("The school says", list(notifications.RESPONSES), format_func=notifications.RESPONSES.get,
                            index=None)
            note = st.text_area("Note (information for the triage)")
            if st.form_submit_button("Record reply"):
                try:
                    if kind is None:
                        raise notifications.NotificationError("choose what the school says")
                    notifications.record_response(con, chosen["id"], kind, note, user.username)
                    st.session_state["reply_done"] = "Reply recorded." + (
                        " The child is back in School matching to choose the right school, and a reply asking "
                        "the school to delete the message is queued."
                        if kind == "not_at_school" else "")
                    st.rerun()
                except notifications.NotificationError as exc:
                    st.error(str(exc).capitalize() + ".")
