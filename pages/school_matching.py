"""School matching: children whose school needs a person, with the child's last school, ranked candidates
and the reason for each; or no school, out of area, or closed with a reason."""
import re

import streamlit as st

from encompass import calendar, contacts, ledger, matching, web

con, user = web.require("matching")
st.title("School matching")
st.caption("A notification sent to the wrong school is a data breach: only safe matches are made automatically. "
           "A school you choose is remembered for the spelling typed, when the spelling could name it.")

if done := st.session_state.pop("matching_done", None):
    st.success(done)  # escaped when it was made
groups = matching.queue(con)
if not groups:
    st.success("Every child has a school, a route, or a recorded decision.")
    st.stop()
total = sum(g["children"] for g in groups)
st.write(f"**{total}** child{'ren' if total != 1 else ''} waiting, in **{len(groups)}** "
         f"group{'s' if len(groups) != 1 else ''} (one decision per group).")
show_names = st.toggle("Show children's names (the view is recorded)")
names = ledger.names(con, [i for g in groups for i in g["child_incident_ids"]], user.username) if show_names else {}
matcher = matching.Matcher(con)
leads = {lead["la_code"]: lead for lead in contacts.la_leads(con)}

OTHER, NO_SCHOOL, OUT_OF_AREA, CLOSE = "other", "no_school", "out_of_area", "close"
for g in groups:
    ids = g["child_incident_ids"]
    phases = [matching.child_phase(dob, day) for dob, day in zip(g["dobs"], g["incident_dates"])]
    ages = [calendar.age_on(dob, day) for dob, day in zip(g["dobs"], g["incident_dates"])]
    typed = g["school_text"] or "(no school given)"
    key = g["group_key"]
    slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "blank"
    with st.container(border=True, key=f"group-{slug}"):
        st.subheader(web.md(typed), anchor=False)  # no link target named after data
        st.caption(web.md(f"{g['children']} child{'ren' if g['children'] > 1 else ''} · "
                          f"age{'s' if len(ages) > 1 else ''} {', '.join(map(str, ages))} · police "
                          f"ref{'s' if len(ids) > 1 else ''} {', '.join(dict.fromkeys(g['police_refs']))} · "
                          f"why: {g['reason'] or 'needs a person'}"))
        if show_names:
            st.write(web.md(", ".join(f"{names[i]['forename']} {names[i]['surname']} ({names[i]['dob']:%d/%m/%Y})"
                                      for i in ids if i in names)))
        found = matcher.match(g["school_text"], phases[0] if len(set(phases)) == 1 else None)
        age = ages[0] if len(set(ages)) == 1 else None
        schools_offered = matcher.choices(g, found, age)
        options, labels = [urn for urn, _ in schools_offered], dict(schools_offered)
        options += [OTHER, NO_SCHOOL, OUT_OF_AREA, CLOSE]
        labels.update({OTHER: "Another school…",
                       NO_SCHOOL: "No school (home educated, not in education, not of school age): "
                                  "notify the EHE / children-missing-education officer",
                       OUT_OF_AREA: "Out of area: notify the other local authority's Operation Encompass lead",
                       CLOSE: "No notification needed: close with a reason"})
        if found.suggestion and found.suggestion.kind != "school":
            st.info(web.md(f"Suggestion: {found.suggestion.why}. Check it for this child before choosing."),
                    icon=":material/lightbulb:")
        shown = {option: web.md(text) for option, text in labels.items()}  # radio labels are markdown
        choice = st.radio("Decision", options, format_func=shown.get, key=f"choice:{key}", index=None)
        urn = choice if isinstance(choice, int) else None
        la_code = reason = None
        note = ""
        if choice == OTHER:
            query = st.text_input("Search the register (name, URN, town or postcode)", key=f"search:{key}")
            hits = matching.search_register(con, query) if query else []
            picked = st.selectbox("School", hits, index=None, key=f"pick:{key}",
                                  format_func=lambda s, age=age: matcher.describe(s["urn"], age))
            urn = picked["urn"] if picked else None
        elif choice == OUT_OF_AREA:
            if not leads:
                st.warning("No other local authority's lead is recorded yet: add one on Schools & contacts → "
                           "Other LAs' leads.")
            la_code = st.selectbox("Local authority", list(leads), index=None, key=f"la:{key}",
                                   format_func=lambda c: f"{leads[c]['la_name'] or c} ({c}) — {leads[c]['name']}")
        elif choice == CLOSE:
            reason = st.selectbox("Reason", ledger.closure_reasons(con), index=None, key=f"reason:{key}")
            note = st.text_input("Note (which record it duplicates, or why)", key=f"note:{key}", max_chars=500)
        ready = choice is not None and not (choice == OTHER and urn is None) and not (
            choice == OUT_OF_AREA and la_code is None) and not (choice == CLOSE and reason is None)
        if st.button("Confirm", key=f"confirm:{key}", disabled=not ready):
            try:
                if choice == CLOSE:
                    settled = ledger.close(con, ids, reason, note, user.username)
                    what = f"closed ({reason})"
                else:
                    outcome = "school" if urn is not None else choice
                    settled = matching.resolve(con, ids, outcome, urn, user.username, la_code=la_code)
                    what = {"school": "school recorded", "no_school": "no school: the EHE officer will be notified",
                            "out_of_area": "out of area: the other LA's lead will be notified"}[outcome]
                st.session_state["matching_done"] = web.md(
                    f"{typed}: {what} for {settled} child{'ren' if settled != 1 else ''}.")
                st.rerun()
            except (matching.MatchingError, ledger.LedgerError) as exc:
                web.problem(exc)
