"""Admin: message templates, the term calendar, service settings and the audit log."""
import streamlit as st

from encompass import calendar, db, settings, templates, web

con, user = web.require("admin")
st.title("Admin")
if done := st.session_state.pop("admin_done", None):
    st.success(done)

tpl_tab, cal_tab, set_tab, audit_tab = st.tabs(["Templates", "Term calendar", "Settings", "Audit log"])

with tpl_tab:
    name = st.selectbox("Template", list(templates.NAMES), format_func=templates.NAMES.get)
    current = templates.current(con, name)
    st.caption(f"Version {current.version}" + (" (the built-in default)" if current.version == 0 else "")
               + ". Fields you may use: " + ", ".join(f"`{{{{ {f} }}}}`" for f in templates.FIELDS)
               + ". The subject may not name the child.")
    edit, preview = st.columns(2)
    with edit:
        subject = st.text_input("Subject", current.subject, key=f"subject-{name}-{current.version}")
        body_text = st.text_area("Text (always sent)", current.body_text, height=420,
                                 key=f"text-{name}-{current.version}")
        body_html = st.text_area("HTML (optional, sent beside the text)", current.body_html or "", height=120,
                                 key=f"html-{name}-{current.version}")
        if st.button("Save as a new version", type="primary"):
            try:
                version = templates.save(con, name, subject, body_text, body_html, user.username)
                st.session_state["admin_done"] = f"Saved as version {version}."
                st.rerun()
            except templates.TemplateError as exc:
                web.problem(f"Not saved: {exc}")
    with preview:
        st.markdown("**Preview on a sample child**")
        try:
            templates.check(subject, body_text, body_html or None)
            rendered = templates.render(templates.Template(name, 0, subject, body_text, body_html or None),
                                        templates.SAMPLE)
            st.code(f"Subject: {rendered.subject}\n\n{rendered.text}", language=None)
        except templates.TemplateError as exc:
            web.problem(exc)
    history = templates.versions(con, name)
    if history:
        st.markdown("##### Version history")
        st.dataframe([{"Version": v["version"], "Saved": f"{v['created_at']:%d/%m/%Y %H:%M}", "By": v["created_by"],
                       "Subject": v["subject"]} for v in history], hide_index=True)

with cal_tab:
    st.caption("The council's term dates. Bank holidays (England) come from the holidays package for every year. "
               "The days between two terms are holidays. A date after the last term (or before the first) is "
               "outside the known calendar: weekdays that are not bank holidays are then assumed to be school "
               "days, and the app says so wherever it matters.")
    if warning := calendar.end_warning(calendar.calendar_end(con)):
        st.warning(warning, icon=":material/event_upcoming:")
    upload = st.file_uploader("Replace from a CSV (academic_year, kind, name, start_date, end_date, note)",
                              type=["csv"])
    if upload is not None and st.button("Import calendar"):
        import tempfile
        from pathlib import Path
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "calendar.csv"
            path.write_bytes(upload.getvalue())
            try:
                n = calendar.import_calendar(con, path, user.username)
                st.session_state["admin_done"] = f"{n} calendar periods imported."
                st.rerun()
            except calendar.CalendarError as exc:
                web.problem(str(exc).replace(str(path), upload.name))
    periods = calendar.la_periods(con)
    for p in periods[::-1][:60]:
        a, b = st.columns([5, 1])
        a.write(web.md(f"{p['academic_year']} · {p['name']} ({p['kind'].replace('_', ' ')}): "
                       f"{p['start_date']:%d/%m/%Y} – {p['end_date']:%d/%m/%Y}"))
        if b.button("Remove", key=f"la-period-{p['id']}"):
            calendar.remove_period(con, p["id"], user.username)
            st.rerun()
    st.markdown("**Add a period**")
    web.period_form(con, None, user.username, "la-period", "Add")

with set_tab:
    values = settings.all_settings(con)
    with st.form("settings"):
        entered = {key: st.text_input(label, values[key]) for key, (label, _, _) in settings.SETTINGS.items()}
        if st.form_submit_button("Save settings"):
            try:
                changed = settings.save(con, entered, user.username)
                st.session_state["admin_done"] = f"Saved ({len(changed)} changed)."
                st.rerun()
            except settings.SettingError as exc:
                web.problem(exc)

with audit_tab:
    st.caption("Append-only. It never holds a child's name: entries name records by their number.")
    action = st.text_input("Filter by action (e.g. send_notification, view_children, export)")
    rows = db.rows(con, "admin/audit_recent", {"action": action.strip(), "limit": 300})
    st.dataframe([{"When": f"{r['logged_at']:%d/%m/%Y %H:%M:%S}", "Who": r["username"], "Action": r["action"],
                   "Record": f"{r['entity'] or ''} {r['entity_id'] or ''}".strip(), "Detail": r["detail"] or ""}
                  for r in rows], hide_index=True)
