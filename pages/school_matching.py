"""School matching: children whose school needs a person, with ranked candidates and reasons."""
import re

import streamlit as st

from encompass import audit, calendar, db, matching, web

con, user = web.require("matching")
st.title("School matching")
st.caption("A notification sent to the wrong school is a data breach: only safe matches are made automatically. "
           "Your decision is remembered for this spelling on later sheets.")

if done := st.session_state.pop("matching_done", None):
    st.success(done)
groups = matching.queue(con)
if not groups:
    st.success("Every child has a school, or is recorded as having none.")
    st.stop()
st.write(f"**{sum(g['children'] for g in groups)}** children under **{len(groups)}** typed school names.")
show_names = st.toggle("Show children's names (the view is recorded)")
matcher = matching.Matcher(con)

OTHER, NO_SCHOOL, OUT_OF_AREA = "other", "no_school", "out_of_area"
for g in groups:
    ids = g["child_incident_ids"]
    phases = [matching.child_phase(dob, day) for dob, day in zip(g["dobs"], g["incident_dates"])]
    ages = [calendar.age_on(dob, day) for dob, day in zip(g["dobs"], g["incident_dates"])]
    typed = g["school_text"] or "(no school given)"
    slug = re.sub(r"[^a-z0-9]+", "-", g["group_key"])
    with st.container(border=True, key=f"group-{slug}"):
        st.markdown(f"#### {web.md(typed)}")
        st.caption(f"{g['children']} child{'ren' if g['children'] > 1 else ''} · ages {', '.join(map(str, ages))} · "
                   f"police refs {web.md(', '.join(dict.fromkeys(g['police_refs'])))} · {web.md(g['reason'] or '')}")
        if show_names:
            children = db.rows(con, "matching/children_of", {"ids": ids})
            with db.transaction(con) as cur:
                audit.record(cur, user.username, "view_children", "child_incident", ",".join(map(str, ids)))
            st.write(", ".join(f"{web.md(c['forename'])} {web.md(c['surname'])} ({c['dob']:%d/%m/%Y})"
                               for c in children))
        found = matcher.match(g["school_text"], phases[0] if len(set(phases)) == 1 else None)
        options = [c.urn for c in found.candidates if c.open] + [OTHER, NO_SCHOOL, OUT_OF_AREA]
        names = {c.urn: f"{c.name} (URN {c.urn}, {c.phase_group}) — {c.score:.0%}: {c.reason}"
                 for c in found.candidates}
        names.update({OTHER: "Another school…", NO_SCHOOL: "No school (home educated, pre-school, not known)",
                      OUT_OF_AREA: "Out of area: a school not in the register"})
        key = g["group_key"]
        choice = st.radio("School", options, format_func=names.get, key=f"choice:{key}", index=None)
        urn = choice if isinstance(choice, int) else None
        if choice == OTHER:
            query = st.text_input("Search the register (name, URN, town or postcode)", key=f"search:{key}")
            hits = matching.search_register(con, query) if query else []
            picked = st.selectbox("School", hits, index=None, key=f"pick:{key}",
                                  format_func=lambda s: f"{s['name']} (URN {s['urn']}), "
                                                        f"{s['town'] or ''} {s['postcode'] or ''}")
            urn = picked["urn"] if picked else None
        if st.button("Confirm", key=f"confirm:{key}", disabled=choice is None or (choice == OTHER and urn is None)):
            outcome = "school" if urn is not None else choice
            settled = matching.resolve(con, ids, outcome, urn, user.username)
            st.session_state["matching_done"] = (f"{typed}: recorded for {settled} "
                                                 f"child{'ren' if settled != 1 else ''}.")
            st.rerun()
