"""Triage: the day's list with every agency's column; each agency enters its own checks before the meeting."""
import streamlit as st

from encompass import triage, web

con, user = web.require("triage")
st.title("Domestic Abuse Triage")

meeting = st.date_input("Meeting date", value=st.session_state.get("meeting_date") or triage.next_meeting_day(con),
                        format="DD/MM/YYYY")
if meeting != st.session_state.get("meeting_date"):
    st.session_state["meeting_date"], st.session_state["meeting_position"] = meeting, 0
agencies = triage.agencies(con)
st.caption(f"Every level {', '.join(map(str, triage.levels(con)))} incident (or one with no level given) still "
           "without a decision, whatever its date, and those this meeting decided"
           + (" · meeting closed" if triage.is_closed(con, meeting) else ""))
incidents = triage.load_meeting(con, meeting, user.username, "triage list")
if not incidents:
    st.info("No incidents on this list.")
    st.stop()

st.dataframe([{
    "Police ref": i.police_ref,
    "When": f"{i.incident_at:%a %d/%m %H:%M}" if i.has_time else f"{i.incident_at:%a %d/%m}",
    "Level": i.level if i.level is not None else "not given", "DASH": i.dash_risk or "",
    "Note": i.note or "",
    "Children": "; ".join(f"{c['forename']} {c['surname']} ({c['age']}, {c['school']}"
                          + (f", {c['times_in_12_months']}× in 12 months" if c["times_in_12_months"] > 1 else "")
                          + f", notification {c['notification'] or 'none'}"
                          + (f", school: {c['school_replies']}" if c["school_replies"] else "") + ")"
                          for c in i.children),
    **{a: triage.KNOWN[i.checks[a]["known"]] if a in i.checks else "—" for a in agencies},
    "Decision": i.decision["outcome"] if i.decision else "",
} for i in incidents], hide_index=True)
st.page_link("pages/meeting.py", label="Open meeting mode (for the shared screen)", icon=":material/present_to_all:")

if user.agency in agencies:
    done, total = triage.progress(con, meeting, user.agency)
    st.subheader(web.md(f"{user.agency}'s checks — {done} of {total} checked"), anchor=False)
    st.progress(done / total if total else 1.0)
    for i in incidents:
        mine = i.checks.get(user.agency)
        conflict = st.session_state.get(f"conflict:{i.id}")
        with st.expander(f"{web.md(i.police_ref)} — level {i.level} — "
                         + (triage.KNOWN[mine["known"]] if mine else "not checked yet")):
            if conflict:
                st.warning(conflict)
            with st.form(f"check-{i.id}"):
                known = st.radio("Known to your agency?", list(triage.KNOWN), format_func=triage.KNOWN.get,
                                 index=list(triage.KNOWN).index(mine["known"]) if mine else 2, horizontal=True)
                note = st.text_area("Your agency's note", value=(mine or {}).get("note") or "")
                if st.form_submit_button("Save"):
                    try:
                        triage.save_check(con, i.id, user.agency, known, note,
                                          st.session_state.get(f"version:{i.id}", (mine or {}).get("version", 0)),
                                          user.username, user.agency)
                        st.session_state.pop(f"conflict:{i.id}", None)
                        st.session_state.pop(f"version:{i.id}", None)
                        st.rerun()
                    except triage.EditConflict as exc:
                        # Show their saved text; the next save replaces the version now on screen.
                        theirs = exc.current
                        st.session_state[f"conflict:{i.id}"] = (
                            f"{web.md(theirs['updated_by'])} saved this check at {theirs['updated_at']:%H:%M} while "
                            f"you were editing: {triage.KNOWN[theirs['known']]}, “{web.md(theirs['note'] or '')}”. "
                            "Your text is still in the box: merge the two and save again.")
                        st.session_state[f"version:{i.id}"] = exc.current["version"]
                        st.rerun()
                    except triage.TriageError as exc:
                        web.problem(exc)
            # The version this editor opened, kept across reruns so a colleague's save is noticed.
            st.session_state.setdefault(f"version:{i.id}", (mine or {}).get("version", 0))
elif "triage" in user.roles:
    st.info("Your account has no triage agency: ask an administrator to set it to enter checks.")
