"""Admin: message templates, the term calendar, service settings and the audit log."""
from datetime import timedelta

import streamlit as st

from encompass import audit, auth, calendar, clock, exports, settings, templates, web

AUDIT_ROWS = 5000  # shown and downloaded at once; the date range narrows further back

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
    st.caption("Append-only. It never holds a child's name or the text people type: entries name records by "
               "their number.")
    a, b, c = st.columns([2, 1, 2])
    when = a.date_input("From – to", value=(clock.today() - timedelta(days=7), clock.today()), format="DD/MM/YYYY",
                        max_value=clock.today(), key="audit_dates")
    people = ["", *sorted({u["username"] for u in auth.list_users(con)} | {"system", "cli"})]
    who = b.selectbox("Who", people, format_func=lambda u: u or "Everyone", key="audit_who")
    groups = c.multiselect("What", audit.GROUPS, placeholder="Everything", key="audit_groups")
    if isinstance(when, tuple) and len(when) == 2:
        rows = audit.search(con, when[0], when[1], who, groups, limit=AUDIT_ROWS)
        st.caption(f"{len(rows):,} entr{'ies' if len(rows) != 1 else 'y'}"
                   + (f" (the latest {AUDIT_ROWS:,}: narrow the filters for older ones)" if len(rows) == AUDIT_ROWS
                      else ""))
        table = [{"When": f"{r['logged_at']:%d/%m/%Y %H:%M:%S}", "Who": r["username"], "What": r["what"],
                  "Record": f"{r['entity'] or ''} {r['entity_id'] or ''}".strip(), "Details": r["details"]}
                 for r in rows]
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"Details": st.column_config.TextColumn(width="large")})
        st.download_button("Download these entries (CSV)", exports.to_csv(table, list(table[0]) if table else
                                                                          ["When", "Who", "What", "Record", "Details"]),
                           f"audit-{when[0]}-to-{when[1]}.csv", "text/csv", on_click=web.audit_export,
                           args=(con, user.username, "export_audit", "audit", f"{when[0]}..{when[1]}", len(table)))
