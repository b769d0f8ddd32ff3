"""Schools & contacts: find a school, keep its safeguarding contacts right, see what needs attention."""
import streamlit as st

from encompass import audit, calendar, clock, contacts, db, exports, matching, notifications, resources, schools, web

con, user = web.require("schools")
st.title("Schools & contacts")

EXPORT_COLUMNS = ["urn", "school", "role", "name", "email", "phone", "valid_from"]


def show_errors(exc: contacts.ContactError) -> None:
    st.error(web.md(f"{exc.field.capitalize()}: {exc}"))


SAVED = {"added": "Contact added.", "changed": "Contact replaced; the previous one is kept in the history.",
         "unchanged": "Nothing changed."}


def contact_form(urn: int, role: str, existing: dict | None, key: str) -> None:
    """Add a person, replace one (a new person starts with empty fields: nothing of the last one carries over), or
    correct one's details. An address whose domain looks like a typo is saved only once the user says it is right.
    What happened is said here, beside the form, not at the top of the page."""
    if said := st.session_state.pop(f"saved:{key}", None):
        st.success(said)
    correcting = existing is not None and st.radio(
        "Change", ["replace", "correct"], key=f"mode:{key}", horizontal=True, label_visibility="collapsed",
        format_func={"replace": "A new person takes over (empty form)",
                     "correct": "Correct this person's details"}.get) == "correct"
    start = existing if correcting else {}
    doubt = st.session_state.get(f"doubt:{key}")
    with st.form(f"{key}-{'correct' if correcting else 'new'}", clear_on_submit=False):
        name = st.text_input("Name", value=start.get("name") or "", max_chars=120)
        email = st.text_input("Email", value=start.get("email") or "", max_chars=254)
        phone = st.text_input("Phone", value=start.get("phone") or "", max_chars=40)
        sure = st.checkbox(web.md(f"{web.sentence(doubt['warning'])} I have checked: the address is right"),
                           key=f"sure:{key}") if doubt else False
        if st.form_submit_button("Save"):
            warning = contacts.domain_warning(con, email)
            if warning and not (sure and doubt and doubt["email"] == email.strip().lower()):
                st.session_state[f"doubt:{key}"] = {"email": email.strip().lower(), "warning": warning}
                st.rerun()
            try:
                replace = existing["id"] if existing and (correcting or role == "other") else None
                outcome = contacts.save(con, urn, contacts.Contact(role, name, email, phone), user.username,
                                        replace_id=replace)
            except contacts.ContactError as exc:
                show_errors(exc)
            else:
                for state in (f"doubt:{key}", f"sure:{key}", f"mode:{key}"):
                    st.session_state.pop(state, None)
                st.session_state[f"saved:{key}"] = SAVED[outcome]
                st.session_state["open_contact"] = key
                st.rerun()
    if doubt:
        st.warning(web.md(web.sentence(doubt["warning"]) + " Tick the box to save it as it is, or correct it."),
                   icon=":material/spellcheck:")


def school_view(urn: int) -> None:
    s = db.one(con, "contacts/school", {"urn": urn})
    route = contacts.route(con, urn)
    st.subheader(web.md(f"{s['name']} (URN {urn})"), anchor=False)
    st.caption(web.md(" · ".join(str(x) for x in (s["la_name"], s["phase"] or s["phase_group"], s["type"],
                                                  s["status"], s["town"], s["postcode"]) if x)))
    if s["successor_urn"]:
        st.warning(web.md(f"Closed: replaced by {s['successor_name']} (URN {s['successor_urn']})."))
    if s["la_inferred"]:
        st.caption("The register inferred this school's local authority from its postcode: check it near the borders.")
    if route.kind == "blocked":
        st.error(web.md(f"Notifications cannot go to this school: {route.reason}."), icon=":material/block:")
    else:
        st.success(web.md(f"Notifications go to {route.to}" + (f", copied to {', '.join(route.cc)}" if route.cc else "")
                          + f" — {route.reason}."), icon=":material/mail:")
    confirmed = s["last_confirmed"]
    since = calendar.school_year_start(clock.today())
    left, right = st.columns([3, 1])
    left.write(f"Contacts last confirmed: **{confirmed:%d %B %Y}**" if confirmed else "Contacts never confirmed.")
    if confirmed and confirmed >= since:
        left.caption("Confirmed for this school year.")
    if right.button("Confirmed today", key=f"confirm-{urn}"):
        contacts.confirm(con, urn, user.username)
        st.session_state["schools_done"] = "Recorded as confirmed today."
        st.rerun()

    in_force = contacts.current(con, urn)
    by_role = {c["role"]: c for c in in_force if c["role"] != "other"}
    for role in contacts.SINGLE_ROLES:
        c = by_role.get(role)
        label = f"{contacts.ROLES[role]}: " + (
            web.md(f"{c['name']} <{c['email'] or 'no email'}> {c['phone'] or ''}") if c else "none")
        key = f"form-{urn}-{role}"
        with st.expander(label, icon=":material/person:" if c else ":material/person_off:",
                         expanded=st.session_state.get("open_contact") == key):
            contact_form(urn, role, c, key)
            if c and st.button("Remove without replacement", key=f"remove-{c['id']}"):
                contacts.remove(con, c["id"], user.username)
                st.rerun()
    others = [c for c in in_force if c["role"] == "other"]
    for c in others:
        key = f"form-other-{c['id']}"
        with st.expander("Other: " + web.md(f"{c['name']} <{c['email'] or 'no email'}>"),
                         expanded=st.session_state.get("open_contact") == key):
            contact_form(urn, "other", c, key)
            if st.button("Remove", key=f"remove-{c['id']}"):
                contacts.remove(con, c["id"], user.username)
                st.rerun()
    with st.expander("Add another contact", icon=":material/person_add:",
                     expanded=st.session_state.get("open_contact") == f"form-{urn}-new-other"):
        contact_form(urn, "other", None, f"form-{urn}-new-other")

    st.markdown("##### History")
    past = st.date_input("Contacts in force on", value=clock.today(), max_value=clock.today(), key=f"on-{urn}",
                         format="DD/MM/YYYY")
    st.dataframe([{"Role": contacts.ROLES[c["role"]], "Name": c["name"], "Email": c["email"], "Phone": c["phone"],
                   "From": f"{c['valid_from']:%d/%m/%Y}"} for c in contacts.on_date(con, urn, past)], hide_index=True)
    st.dataframe([{"Role": contacts.ROLES[c["role"]], "Name": c["name"], "Email": c["email"],
                   "From": f"{c['valid_from']:%d/%m/%Y %H:%M}", "Until": f"{c['valid_to']:%d/%m/%Y %H:%M}"
                   if c["valid_to"] else "in force", "Changed by": c["changed_by"]}
                  for c in contacts.history(con, urn)], hide_index=True)

    st.markdown("##### Notifications sent to this school")
    sent = notifications.for_school(con, urn)
    if not sent:
        st.caption("None yet.")
    else:
        st.dataframe([{"Police ref": n["police_ref"], "Kind": notifications.KIND_LABELS.get(n["kind"], n["kind"]),
                       "Status": n["status"],
                       "Sent": f"{n['sent_at']:%d/%m/%Y %H:%M}" if n["sent_at"] else "", "To": n["recipients_to"] or "",
                       "Replies": ", ".join(notifications.RESPONSES.get(k, k) for k in (n["replies"] or "").split(", ")
                                            if k)} for n in sent[:200]], hide_index=True)

    st.markdown("##### Own term dates")
    st.caption("An academy may keep its own calendar: its periods replace the council's on the days they cover.")
    own = calendar.school_periods(con, urn)
    for p in own:
        a, b = st.columns([4, 1])
        a.write(web.md(f"{p['name']} ({p['kind'].replace('_', ' ')}): "
                       f"{p['start_date']:%d/%m/%Y} – {p['end_date']:%d/%m/%Y}"))
        if b.button("Remove", key=f"period-{p['id']}"):
            calendar.remove_period(con, p["id"], user.username)
            st.rerun()
    web.period_form(con, urn, user.username, f"period-{urn}", "Add to this school's calendar")


if done := st.session_state.pop("schools_done", None):
    st.success(done)

find, attention, bulk, leads = st.tabs(["Find a school", "Needs attention", "Import & export", "Other LAs' leads"])

with find:
    query = st.text_input("Name, URN, town or postcode", placeholder="e.g. belvidere, 123437, Ludlow, SY2")
    hits = matching.search_register(con, query, limit=25) if query.strip() else []
    if query.strip() and not hits:
        st.info("No open school in the register matches that.")
    chosen = st.selectbox("School", hits, index=0 if len(hits) == 1 else None, placeholder="Choose a school",
                          format_func=lambda s: f"{s['name']} (URN {s['urn']}) — {s['town'] or ''} "
                                                f"{s['postcode'] or ''}")
    if chosen:
        school_view(chosen["urn"])

with attention:
    refused = contacts.refused_addresses(con)
    if refused:
        st.markdown("##### Addresses the mail server refused")
        st.caption("The message went to the school's other lead only. Check the address with the school and "
                   "correct it under Find a school.")
        st.dataframe([{"URN": r["urn"], "School": r["school"], "Role": contacts.ROLES[r["role"]], "Name": r["name"],
                       "Email": r["email"], "Refused": f"{r['refused_at']:%d/%m/%Y %H:%M}", "Server said": r["detail"]}
                      for r in refused], hide_index=True)
    missing = contacts.missing_contacts(con)
    blocked = [m for m in missing if not (m["has_key"] or m["has_deputy"])
               and not (m["out_of_county"] and m["la_lead"])]
    st.metric("Schools that cannot receive a notification today", len(blocked))
    st.caption("A school with only one lead still receives notifications (to the lead it has); ask it for the "
               "other.")
    st.dataframe([{"URN": m["urn"], "School": m["name"], "Town": m["town"], "LA": m["la_name"],
                   "Key Contact": "yes" if m["has_key"] else "MISSING",
                   "Deputy": "yes" if m["has_deputy"] else "MISSING",
                   "Route": "to the lead it has" if m["has_key"] or m["has_deputy"]
                   else "LA lead" if m["out_of_county"] and m["la_lead"] else "blocked"} for m in missing],
                 hide_index=True)
    rows, done_count, total = contacts.unconfirmed(con)
    since = calendar.school_year_start(clock.today())
    st.markdown(f"##### Yearly re-confirmation since {since:%d %B %Y}: {done_count} of {total} schools done")
    st.progress(done_count / total if total else 1.0)
    st.dataframe([{"URN": r["urn"], "School": r["name"], "Town": r["town"],
                   "Last confirmed": f"{r['last_confirmed']:%d/%m/%Y}" if r["last_confirmed"] else "never"}
                  for r in rows], hide_index=True)
    closed = contacts.closed_with_contacts(con)
    if closed:
        st.markdown("##### Closed schools still holding contacts")
        st.dataframe([{"URN": c["urn"], "School": c["name"], "Contacts": c["contacts"],
                       "Replaced by": f"{c['successor_name']} (URN {c['successor_urn']})" if c["successor_urn"] else ""}
                      for c in closed], hide_index=True)
    odd = contacts.odd_domains(con)
    if odd:
        st.markdown("##### Email domains unlike the school's other contacts (check for a typo)")
        st.dataframe([{"URN": o["urn"], "School": o["school"], "Role": contacts.ROLES[o["role"]], "Name": o["name"],
                       "Email": o["email"]} for o in odd], hide_index=True)

with bulk:
    st.markdown("##### Import contacts")
    st.caption("CSV with columns urn, role, name, email, phone (role: key_contact, deputy, head, other). "
               "A changed contact replaces the one in force; an unchanged row changes nothing.")
    upload = st.file_uploader("Contacts CSV", type=["csv"], key="contacts_csv")
    if upload is not None and st.button("Import contacts", type="primary"):
        try:
            report = contacts.import_csv(con, upload.getvalue(), user.username)
        except contacts.ContactError as exc:
            show_errors(exc)
        else:
            st.success(f"{report.rows} rows: {report.added} added, {report.changed} changed, "
                       f"{report.unchanged} unchanged, {len(report.rejections)} rejected.")
            if report.rejections:
                st.dataframe([{"Row": r["row"], "Field": r["field"], "Why": r["reason"]} for r in report.rejections],
                             hide_index=True)
    st.markdown("##### Export the contacts in force")
    rows = contacts.export_rows(con)

    def exported(kind: str) -> None:
        with db.transaction(con) as cur:
            audit.record(cur, user.username, "export_contacts", "contacts", None, rows=len(rows), format=kind)

    a, b = st.columns(2)
    a.download_button("Download CSV", exports.to_csv(rows, EXPORT_COLUMNS), f"contacts-{clock.today()}.csv",
                      "text/csv", on_click=exported, args=("csv",))
    b.download_button("Download XLSX", exports.to_xlsx({"Contacts": (rows, EXPORT_COLUMNS)}),
                      f"contacts-{clock.today()}.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      on_click=exported, args=("xlsx",))

    st.markdown("##### Resources for schools")
    st.caption("Editable documents in the council's words: a letter to parents and a record-of-notification form.")
    c, d = st.columns(2)
    c.download_button("Letter to parents (RTF)", resources.parent_letter(con), "operation-encompass-parent-letter.rtf",
                      "application/rtf")
    d.download_button("Record of notification form (RTF)", resources.referral_record(con),
                      "operation-encompass-record-form.rtf", "application/rtf")

with leads:
    st.caption("Other local authorities' Operation Encompass leads: an out-of-county school with no Key Contact or "
               "Deputy of its own is notified through its authority's lead, and so is a child whose school is out "
               "of area (chosen on School matching).")
    current_leads = contacts.la_leads(con)
    st.dataframe([{"LA": f"{lead['la_name'] or ''} ({lead['la_code']})", "Lead": lead["name"],
                   "Email": lead["email"], "Phone": lead["phone"],
                   "Updated": f"{lead['updated_at']:%d/%m/%Y} by {lead['updated_by']}"}
                  for lead in current_leads], hide_index=True)
    las = db.rows(con, "contacts/other_las", {"home": schools.home_la(con)})
    ANOTHER = {"la_code": "", "la_name": "Another local authority (type its code and name)"}
    with st.form("la_lead", clear_on_submit=True):
        la = st.selectbox("Local authority", las + [ANOTHER], index=None,
                          format_func=lambda la: la["la_name"] if la is ANOTHER or not la["la_code"]
                          else f"{la['la_name']} ({la['la_code']})")
        code_col, name_col = st.columns([1, 3])
        other_code = code_col.text_input("Its GIAS code (another LA)", max_chars=3, placeholder="e.g. 884")
        other_name = name_col.text_input("Its name (another LA)", max_chars=100, placeholder="e.g. Herefordshire")
        name = st.text_input("Lead's name")
        email = st.text_input("Email")
        phone = st.text_input("Phone")
        if st.form_submit_button("Save lead"):
            try:
                if la is None:
                    raise contacts.ContactError("local authority", "choose a local authority")
                code, la_name = (other_code, other_name) if not la["la_code"] else (la["la_code"], la["la_name"])
                contacts.save_la_lead(con, code, la_name, name, email, phone, user.username)
                st.session_state["schools_done"] = web.md(f"{la_name}'s lead saved.")
                st.rerun()
            except contacts.ContactError as exc:
                show_errors(exc)
