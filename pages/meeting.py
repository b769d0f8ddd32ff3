"""Meeting mode: one incident at a time for the shared screen, agencies side by side, the decision below."""
import streamlit as st

from encompass import clock, triage, web

con, user = web.require("meeting")
meeting = st.session_state.setdefault("meeting_date", triage.next_meeting_day(con))
listed = triage.meeting_list(con, meeting)
ids = [i for i, _ in listed]
closed = triage.is_closed(con, meeting)
if not ids:
    st.title(f"Triage {meeting:%A %d %B}")
    st.info("No incidents on this meeting's list.")
    st.stop()
position = min(st.session_state.get("meeting_position", 0), len(ids) - 1)
incident = triage.load(con, [ids[position]], user.username, "meeting", dict(listed))[0]

prev, where, nxt = st.columns([1, 3, 1])
if prev.button("◀ Previous", disabled=position == 0, width="stretch"):
    st.session_state["meeting_position"] = position - 1
    st.rerun()
where.markdown(f"### {position + 1} of {len(ids)} · {meeting:%A %d %B}" + (" · CLOSED" if closed else ""))
if nxt.button("Next ▶", disabled=position == len(ids) - 1, width="stretch"):
    st.session_state["meeting_position"] = position + 1
    st.rerun()

st.title(web.md(incident.police_ref), anchor=False)  # no link target named after data
st.header(f"Level {incident.level if incident.level is not None else 'not given'} · "
          f"DASH {incident.dash_risk or 'not given'} · "
          + (f"{incident.incident_at:%a %d %B %H:%M}" if incident.has_time else f"{incident.incident_at:%a %d %B}"))
if incident.note:
    st.warning(web.md(incident.note.capitalize()), icon=":material/history:")
for c in incident.children:
    st.subheader(f"{web.md(c['forename'])} {web.md(c['surname'])}, {c['age']} — {web.md(c['school'])}",
                 anchor=False)
    st.caption(f"{c['times_in_12_months']} incident{'s' if c['times_in_12_months'] != 1 else ''} in 12 months · "
               f"{c['siblings']} sibling{'s' if c['siblings'] != 1 else ''} in this incident · notification "
               f"{c['notification'] or 'not sent'}" + (f" · school: {web.md(c['school_replies'])}"
                                                        if c["school_replies"] else ""))

agencies = triage.agencies(con)
for row in range(0, len(agencies), 4):
    for col, agency in zip(st.columns(4), agencies[row:row + 4]):
        check = incident.checks.get(agency)
        with col.container(border=True):
            st.markdown(f"**{web.md(agency)}**")
            st.markdown(triage.KNOWN[check["known"]] if check else "—")
            if check and check["note"]:
                st.caption(web.md(check["note"]))

decision = incident.decision or {}
outcomes = triage.outcomes(con)
with st.form(f"decision-{incident.id}"):
    level_col, outcome_col = st.columns(2)
    agreed = level_col.selectbox("Agreed level", [1, 2, 3, 4],
                                 index=(decision.get("agreed_level") or incident.level or 2) - 1)
    outcome = outcome_col.selectbox("Outcome", outcomes, index=outcomes.index(decision["outcome"])
                                    if decision.get("outcome") in outcomes else None, key=f"outcome-{incident.id}")
    rationale = st.text_area("Rationale", value=decision.get("rationale") or "")
    reason = st.text_input("Reason for the amendment (the meeting is closed)") if closed else ""
    if st.form_submit_button("Save decision", type="primary"):
        try:
            if outcome is None:
                raise triage.TriageError("choose an outcome")
            triage.decide(con, meeting, incident.id, agreed, outcome, rationale, user.username, reason)
            st.session_state["meeting_done"] = web.md(f"Decision saved for {incident.police_ref}.")
            st.rerun()
        except triage.TriageError as exc:
            web.problem(exc)
if done := st.session_state.pop("meeting_done", None):
    st.success(done)

if incident.actions:
    st.dataframe([{"Action": a["action"], "Owner": a["owner_agency"],
                   "Due": f"{a['due_date']:%d/%m/%Y}" if a["due_date"] else ""} for a in incident.actions],
                 hide_index=True)
with st.form(f"action-{incident.id}", clear_on_submit=True):
    what, owner, due = st.columns([3, 2, 1])
    action = what.text_input("Action")
    owner_agency = owner.selectbox("Owner", agencies, index=None)
    due_date = due.date_input("Due", value=None, format="DD/MM/YYYY")
    action_reason = st.text_input("Reason (the meeting is closed)") if closed else ""
    if st.form_submit_button("Add action"):
        try:
            triage.add_action(con, meeting, incident.id, action, owner_agency, due_date, user.username, action_reason)
            st.rerun()
        except triage.TriageError as exc:
            web.problem(exc)

if closed:
    changes = triage.amendments(con, incident.id)
    if changes:
        st.caption("Amendments: " + "; ".join(
            f"{web.md(a['what'])} by {a['amended_by']} at {a['amended_at']:%d/%m %H:%M} ({web.md(a['reason'])})"
            for a in changes))
else:
    st.divider()
    if st.button("Close the meeting"):
        undecided = triage.close_meeting(con, meeting, user.username)
        if undecided:
            st.error(f"Still without a decision: {web.md(', '.join(undecided))}.")
        else:
            st.rerun()

if st.button("Prepare the minutes"):  # made (and recorded as an export) only when asked for
    st.session_state["minutes"] = (triage.minutes_xlsx(con, meeting, user.username),
                                   triage.minutes_html(con, meeting, user.username), clock.now())
if minutes := st.session_state.get("minutes"):
    xlsx, printable, made = minutes
    st.caption(f"Minutes prepared at {made:%H:%M}.")
    left, right = st.columns(2)
    left.download_button("Minutes (XLSX)", xlsx, f"dat-minutes-{meeting}.xlsx")
    right.download_button("Minutes (printable)", printable, f"dat-minutes-{meeting}.html", "text/html")
