"""Meeting mode: the shared screen of the triage meeting, one incident at a time, for a 1280×720 projector.

The sidebar and banners are out of the way; the incident, its children, every agency's check, the decision and
its actions fit in about one screen and a scroll; Previous/Next sit at the top (keys P and N) and the bottom.
"Hide names" shows initials and ages only, and hides the free-text notes that may name people, for when someone
joins who should not see them. The meeting starts with the actions due from earlier meetings."""
import streamlit as st

from encompass import clock, triage, web

con, user = web.require("meeting")
# Our own constant CSS (no data in it): no sidebar, little top padding, agencies' notes in readable type.
st.markdown("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {display: none;}
.block-container {padding-top: 0.6rem; padding-bottom: 1rem; max-width: 1240px;}
.st-key-checks p {font-size: 1.02rem; line-height: 1.35;}
</style>""", unsafe_allow_html=True)

meeting = st.session_state.setdefault("meeting_date", triage.next_meeting_day(con))
listed = triage.meeting_list(con, meeting)
due = triage.actions_due(con, meeting)
slides = (["review"] if due else []) + [i for i, _ in listed]
closed = triage.is_closed(con, meeting)
hide = st.session_state.get("meeting_hide_names", False)


def step(to: int) -> None:
    st.session_state["meeting_position"] = to


def navigation(where: str, position: int) -> None:
    """Previous, where we are, Next: at the top (with keys P and N) and again at the bottom."""
    prev, middle, nxt = st.columns([1, 4, 1], vertical_alignment="center")
    top = where == "top"
    prev.button("◀ Previous", key=f"prev-{where}", disabled=position == 0, width="stretch", on_click=step,
                args=(position - 1,), shortcut="P" if top else None)
    nxt.button("Next ▶", key=f"next-{where}", disabled=position >= len(slides) - 1, width="stretch", on_click=step,
               args=(position + 1,), shortcut="N" if top else None)
    if top:
        left, right, back = middle.columns([3, 2, 1], vertical_alignment="center")
        number = position + (0 if due else 1)
        left.markdown(f"**{meeting:%A %d %B}** · " + (
            "actions due" if slides[position] == "review" else f"incident {number} of {len(listed)}")
            + (" · CLOSED" if closed else ""))
        right.toggle("Hide names", key="meeting_hide_names", help="Initials and ages only; notes hidden")
        back.page_link("pages/triage.py", label="Leave", icon=":material/close:")


if not slides:
    st.title(f"Triage {meeting:%A %d %B}", anchor=False)
    st.info("No incidents on this meeting's list.")
    st.page_link("pages/triage.py", label="Back to the triage list", icon=":material/arrow_back:")
    st.stop()
position = max(0, min(st.session_state.get("meeting_position", 0), len(slides) - 1))
navigation("top", position)

if slides[position] == "review":  # the meeting starts with what earlier meetings asked for
    web.actions_due(con, user, meeting)
    navigation("bottom", position)
    st.stop()

incident = triage.load(con, [slides[position]], user.username, "meeting", dict(listed))[0]


def person(c: dict) -> str:
    return f"{c['forename'][:1]}.{c['surname'][:1]}." if hide else f"{c['forename']} {c['surname']}"


when = f"{incident.incident_at:%a %d %B %H:%M}" if incident.has_time else f"{incident.incident_at:%a %d %B}"
st.subheader(f"{web.md(incident.police_ref)} · level {incident.level if incident.level is not None else 'not given'}"
             f" · DASH {incident.dash_risk or 'not given'} · {when}", anchor=False)  # no link target from data
if incident.note:
    st.caption(web.md(web.sentence(incident.note)))  # the first letter only: “Fri 27/11” keeps its capital
for c in incident.children:
    repeat = f"incident {c['times_in_12_months']} in 12 months" if c["times_in_12_months"] > 1 else "first in 12 months"
    siblings = f"{c['siblings']} sibling{'s' if c['siblings'] != 1 else ''} here" if c["siblings"] else "no siblings"
    said = "" if hide or not c["school_replies"] else f" · school: {c['school_replies']}"
    st.markdown(f"**{web.md(person(c))}**, {c['age']} — " + web.md(
        f"{c['school']} · {repeat} · {siblings} · notification {c['notification'] or 'not sent'}{said}"))

agencies = triage.agencies(con)
with st.container(key="checks"):
    for row in range(0, len(agencies), 4):
        for column, agency in zip(st.columns(4), agencies[row:row + 4]):
            check = incident.checks.get(agency)
            with column.container(border=True):
                st.markdown(f"**{web.md(agency)}** · " + (triage.KNOWN[check["known"]] if check else "not checked"))
                if check and check["note"]:
                    st.markdown("*note hidden with the names*" if hide else web.md(check["note"]))

decision = incident.decision or {}
if decision:
    st.caption(web.md(f"Decided: level {decision['agreed_level']}, {decision['outcome']}"
                      + ("" if hide or not decision.get("rationale") else f" — {decision['rationale']}")))
outcomes = triage.outcomes(con)
with st.form(f"decision-{incident.id}"):
    level_col, outcome_col, save_col = st.columns([1, 3, 1], vertical_alignment="bottom")
    agreed = level_col.selectbox("Agreed level", [1, 2, 3, 4],
                                 index=(decision.get("agreed_level") or incident.level or 2) - 1)
    outcome = outcome_col.selectbox("Outcome", outcomes, index=outcomes.index(decision["outcome"])
                                    if decision.get("outcome") in outcomes else None, key=f"outcome-{incident.id}")
    if hide:  # the rationale may name people: kept as it is while names are hidden
        rationale = decision.get("rationale") or ""
    else:
        rationale = st.text_area("Rationale", value=decision.get("rationale") or "", height=68,
                                 key=f"rationale-{incident.id}")
    reason = st.text_input("Reason for the amendment (the meeting is closed)", key=f"reason-{incident.id}") \
        if closed else ""
    if save_col.form_submit_button("Save decision", type="primary", width="stretch"):
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

for a in incident.actions:
    st.markdown(web.md(f"Action ({triage.ACTION_STATUS.get(a['status'] or 'open')}): {a['action']} — "
                       f"{a['owner_agency']}" + (f", due {a['due_date']:%d/%m/%Y}" if a["due_date"] else "")))
with st.expander("Add an action", expanded=False):
    keys = {"what": f"action-{incident.id}", "owner": f"owner-{incident.id}", "due": f"due-{incident.id}",
            "why": f"action-reason-{incident.id}"}
    with st.form(f"action-form-{incident.id}"):  # typed text stays on a mistake; cleared once saved
        what, owner, due_col = st.columns([3, 2, 1])
        action = what.text_input("Action", key=keys["what"], max_chars=1000)
        owner_agency = owner.selectbox("Owner", agencies, index=None, key=keys["owner"])
        due_date = due_col.date_input("Due", value=None, format="DD/MM/YYYY", key=keys["due"])
        action_reason = st.text_input("Reason (the meeting is closed)", key=keys["why"]) if closed else ""
        if st.form_submit_button("Add action"):
            try:
                triage.add_action(con, meeting, incident.id, action, owner_agency, due_date, user.username,
                                  action_reason)
            except triage.TriageError as exc:
                web.problem(exc)
            else:
                for key in keys.values():
                    st.session_state.pop(key, None)
                st.rerun()

if closed:
    changes = triage.amendments(con, incident.id)
    if changes:
        st.caption("Amendments: " + "; ".join(
            f"{web.md(a['what'])} by {a['amended_by']} at {a['amended_at']:%d/%m %H:%M} ({web.md(a['reason'])})"
            for a in changes))
navigation("bottom", position)

st.divider()
end, minutes = st.columns(2)
with end:
    if not closed:
        if st.session_state.get("confirm_close") != str(meeting):
            if st.button("Close the meeting"):
                st.session_state["confirm_close"] = str(meeting)
                st.rerun()
        else:
            st.warning("Close the meeting? Its decisions then change only as amendments, with a reason.")
            yes, no = st.columns(2)
            if yes.button("Yes, close it", type="primary"):
                st.session_state.pop("confirm_close", None)
                undecided = triage.close_meeting(con, meeting, user.username)
                if undecided:
                    st.error(f"Still without a decision: {web.md(', '.join(undecided))}.")
                else:
                    st.rerun()
            if no.button("Not yet"):
                st.session_state.pop("confirm_close", None)
                st.rerun()
with minutes:
    if st.button("Prepare the minutes"):  # made (and recorded as an export) only when asked for
        st.session_state["minutes"] = (triage.minutes_xlsx(con, meeting, user.username),
                                       triage.minutes_html(con, meeting, user.username), clock.now())
    if made := st.session_state.get("minutes"):
        xlsx, printable, at = made
        st.caption(f"Minutes prepared at {at:%H:%M}.")
        left, right = st.columns(2)
        left.download_button("Minutes (XLSX)", xlsx, f"dat-minutes-{meeting}.xlsx")
        right.download_button("Minutes (printable)", printable, f"dat-minutes-{meeting}.html", "text/html")
