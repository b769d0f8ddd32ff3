"""Triage: the meeting's list, one row per child; each agency's checks (with the children's names, dates of birth
and schools to search its own records), schools' information, attendance, and the actions due."""
import pandas as pd
import streamlit as st

from encompass import notifications, triage, web

con, user = web.require("triage")
st.title("Domestic Abuse Triage")

meeting = st.date_input("Meeting date", value=st.session_state.get("meeting_date") or triage.next_meeting_day(con),
                        format="DD/MM/YYYY")
if meeting != st.session_state.get("meeting_date"):
    st.session_state["meeting_date"], st.session_state["meeting_position"] = meeting, 0
agencies = triage.agencies(con)
closed = triage.is_closed(con, meeting)
st.caption(f"Every level {', '.join(map(str, triage.levels(con)))} incident (or one with no level given) still "
           "without a decision, whatever its date, and those this meeting decided"
           + (" · meeting closed" if closed else ""))
if done := st.session_state.pop("triage_done", None):
    st.success(done)  # escaped when it was made

web.actions_due(con, user, meeting)
incidents = triage.load_meeting(con, meeting, user.username, "triage list")
if not incidents:
    st.info("No incidents on this list.")
    st.stop()

# One row per child: the meeting reads down the children, not across a cell holding several.
rows = []
for i in incidents:
    checked = [a for a in agencies if a in i.checks]
    known = [a for a in checked if i.checks[a]["known"] == "yes"]
    for c in i.children or [{}]:
        rows.append({
            "Police ref": i.police_ref,
            "When": f"{i.incident_at:%a %d/%m %H:%M}" if i.has_time else f"{i.incident_at:%a %d/%m}",
            "Level": i.level if i.level is not None else "not given", "DASH": i.dash_risk or "",
            "Child": f"{c.get('forename', '')} {c.get('surname', '')}".strip(), "Age": c.get("age"),
            "School": c.get("school", ""), "In 12 months": c.get("times_in_12_months"),
            "Notification": c.get("notification") or "none", "School says": c.get("school_replies") or "",
            "Checked": f"{len(checked)} of {len(agencies)}", "Known to": ", ".join(known),
            "Decision": i.decision["outcome"] if i.decision else "", "Note": i.note or ""})
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={"School says": st.column_config.TextColumn(width="medium"),
                            "Known to": st.column_config.TextColumn(width="medium")})
st.page_link("pages/meeting.py", label="Open meeting mode (for the shared screen)", icon=":material/present_to_all:")


def keep(key: str, value: str) -> None:
    """A button's choice in a conflict: what the note box holds next."""
    st.session_state[key] = value


mine_tab, schools_tab, attendance_tab = st.tabs(["Your agency's checks", "Schools' information", "Attendance"])

with mine_tab:
    if user.agency not in agencies:
        st.info("Your account has no triage agency: ask an administrator to set it to enter checks.")
    else:
        checked_count, total = triage.progress(con, meeting, user.agency)
        st.subheader(web.md(f"{user.agency}'s checks — {checked_count} of {total} checked"), anchor=False)
        st.progress(checked_count / total if total else 1.0)
        for i in incidents:
            mine = i.checks.get(user.agency)
            note_key, known_key, version_key = f"note-{i.id}", f"known-{i.id}", f"version:{i.id}"
            # The version this editor opened, kept across reruns so that a colleague's save is noticed.
            st.session_state.setdefault(version_key, (mine or {}).get("version", 0))
            conflict = st.session_state.get(f"conflict:{i.id}")
            label = f"{web.md(i.police_ref)} — level {i.level if i.level is not None else 'not given'} — " + (
                triage.KNOWN[mine["known"]] if mine else "not checked yet")
            with st.expander(label, expanded=bool(conflict)):
                for c in i.children:
                    st.markdown(web.md(f"{c['forename']} {c['surname']} · born {c['dob']:%d/%m/%Y} · age {c['age']} "
                                       f"· {c['school']}"))
                if conflict:
                    theirs = conflict["theirs"]
                    st.warning(web.md(f"{theirs['updated_by']} saved this check at {theirs['updated_at']:%H:%M} while "
                                      "you were editing. Both texts are kept: yours is still in the box; theirs is "
                                      "below. Choose one, or put both in the box and edit, then save."),
                               icon=":material/merge:")
                    st.markdown(web.md(f"Their text ({triage.KNOWN[theirs['known']]}): “{theirs['note'] or ''}”"))
                    left, right = st.columns(2)
                    left.button("Use their text", key=f"theirs:{i.id}", on_click=keep,
                                args=(note_key, theirs["note"] or ""))
                    right.button("Put both in the box", key=f"both:{i.id}", on_click=keep,
                                 args=(note_key, f"{conflict['mine']}\n\n{theirs['note'] or ''}".strip()))
                with st.form(f"check-{i.id}"):
                    st.session_state.setdefault(known_key, (mine or {}).get("known", "not_checked"))
                    st.session_state.setdefault(note_key, (mine or {}).get("note") or "")
                    known = st.radio("Known to your agency?", list(triage.KNOWN), format_func=triage.KNOWN.get,
                                     key=known_key, horizontal=True)
                    note = st.text_area("Your agency's note", key=note_key, max_chars=4000)
                    if st.form_submit_button("Save"):
                        try:
                            triage.save_check(con, i.id, user.agency, known, note, st.session_state[version_key],
                                              user.username, user.agency)
                        except triage.EditConflict as exc:
                            st.session_state[f"conflict:{i.id}"] = {"theirs": exc.current, "mine": note}
                            st.session_state[version_key] = exc.current["version"]
                            st.rerun()
                        except triage.TriageError as exc:
                            web.problem(exc)
                        else:
                            for key in (f"conflict:{i.id}", version_key, note_key, known_key):
                                st.session_state.pop(key, None)
                            st.session_state["triage_done"] = web.md(f"{user.agency}'s check of {i.police_ref} saved.")
                            st.rerun()

with schools_tab:
    st.caption("A school's information for the triage (attendance, how the child seems), recorded against the "
               "child's notification. The school's own words are kept; the meeting sees them beside the child.")
    told = [(i, c) for i in incidents for c in i.children if c.get("notification_id")]
    if not told:
        st.info("No child on this list has a notification sent yet.")
    else:
        with st.form("school_info", clear_on_submit=False):
            pick = st.selectbox("Child", range(len(told)), index=None, placeholder="Choose the child",
                                format_func=lambda n: f"{told[n][0].police_ref} — {told[n][1]['forename']} "
                                                      f"{told[n][1]['surname']}, {told[n][1]['age']} — "
                                                      f"{told[n][1]['school']}")
            text = st.text_area("What the school says", max_chars=4000, key="school_info_text")
            if st.form_submit_button("Record the school's information"):
                try:
                    if pick is None or not text.strip():
                        raise notifications.NotificationError("choose the child and write what the school says")
                    incident, child = told[pick]
                    notifications.record_response(con, child["notification_id"], "triage_info", text, user.username)
                except notifications.NotificationError as exc:
                    web.problem(exc)
                else:
                    st.session_state.pop("school_info_text", None)
                    st.session_state["triage_done"] = web.md(f"The school's information for {incident.police_ref} "
                                                             "is recorded.")
                    st.rerun()

with attendance_tab:
    present = triage.attendance(con, meeting)
    st.caption("Who is at the meeting for each agency, or sent apologies. It goes into the minutes.")
    with st.form("attendance"):
        marks = {}
        for agency in agencies:
            was = present.get(agency) or {}
            a, b = st.columns([3, 2])
            status = a.radio(web.md(agency), list(triage.ATTENDANCE), format_func=triage.ATTENDANCE.get,
                             horizontal=True, key=f"attend:{agency}",
                             index=list(triage.ATTENDANCE).index(was["status"]) if was else None)
            who = b.text_input("Who came", value=was.get("attendee") or "", key=f"who:{agency}", max_chars=200,
                               label_visibility="collapsed", placeholder="Who came (name)")
            if status:
                marks[agency] = (status, who)
        if st.form_submit_button("Save attendance", disabled=closed):
            try:
                triage.record_attendance(con, meeting, marks, user.username)
            except triage.TriageError as exc:
                web.problem(exc)
            else:
                came = sum(status == "present" for status, _ in marks.values())
                st.session_state["triage_done"] = f"Attendance saved: {came} of {len(agencies)} agencies present."
                st.rerun()
