"""Import: the police's daily sheet, checked row by row before anything is saved."""
import hashlib

import streamlit as st

from encompass import clock, exports, notifications, sheets, spreadsheet, web

con, user = web.require("import")
st.title("Import the daily sheet")
st.caption("xlsx, xls or csv, one row per child per incident. Nothing is saved until you press Import.")

upload = st.file_uploader("Police sheet", type=["xlsx", "xls", "csv"])
if upload is not None:
    data = upload.getvalue()
    file_key = hashlib.sha256(data).hexdigest()[:16]
    try:
        table = spreadsheet.read_table(data, upload.name, sheets.limits(con))
    except spreadsheet.UnreadableFile as exc:
        web.problem(exc)
        st.stop()

    # Headers the app does not know: each is mapped to a field or ignored by a person, once; the choice is
    # remembered for later sheets. Import waits until every one is decided.
    hmap = sheets.map_headers(table.headers, sheets.remembered_headers(con))
    chosen, undecided = {}, []
    if hmap.unknown:
        st.subheader("Unrecognised columns", anchor=False)
        st.caption("Say what each column holds, or ignore it: only the fields listed are kept. Import waits until "
                   "every column is decided.")
        IGNORE = "-"
        labels = {IGNORE: "Ignore this column", **{f: label for f, (label, _, _) in sheets.FIELDS.items()}}
        for header in hmap.unknown:
            choice = st.selectbox(f"Column “{web.md(header)}”", [IGNORE, *sheets.FIELDS], index=None,
                                  format_func=labels.get, placeholder="Choose a field, or ignore it",
                                  key=f"map:{file_key}:{header}")
            if choice is None:
                undecided.append(header)
            else:
                chosen[sheets.header_key(header)] = "" if choice == IGNORE else choice

    # The preview is the whole import rolled back; keep it while neither the file nor the mapping changes.
    preview_key = f"preview:{file_key}:{sorted(chosen.items())}"
    if preview_key not in st.session_state:
        try:
            st.session_state[preview_key] = sheets.import_sheet(con, data, upload.name, user.username,
                                                                chosen_headers=chosen, commit=False)
        except sheets.SheetError as exc:
            web.problem(exc)
            st.stop()
    preview = st.session_state[preview_key]

    done = st.session_state.get(f"imported:{file_key}")
    result = done or preview
    if result.already_imported:
        st.info(f"This file was imported before (sheet {result.sheet_id}). Nothing new to import.")
    else:
        a, b, c, d = st.columns(4)
        a.metric("Rows", result.rows)
        b.metric("To import" if not done else "Imported", result.imported)
        c.metric("Duplicates", result.duplicates)
        d.metric("Rejected", result.rejected)
        st.caption(f"{result.matched} matched to a school · {result.needs_review} for a person to decide · "
                   f"{result.no_school} with no school · {result.repeat_children} seen before in the last 12 months")
    if preview.sample and not done:
        st.subheader("The first rows, as they will be saved", anchor=False)
        st.table([{k: web.md(v) for k, v in row.items()} for row in preview.sample])  # a table wraps; text is inert
    if result.rejections:
        st.subheader("Rejected rows", anchor=False)
        st.caption("Correct these in the police sheet and import it again; the rows already in are kept as duplicates.")
        shown_rows = result.rejections[:100]
        st.table([{"Row": r.row, "Field": sheets.FIELDS[r.field][0], "Why": web.md(r.reason)} for r in shown_rows])
        if len(result.rejections) > len(shown_rows):
            st.caption(f"…and {len(result.rejections) - len(shown_rows)} more: download the whole list.")
        st.download_button("Rejected rows (CSV)", exports.to_csv(
            [{"row": r.row, "field": sheets.FIELDS[r.field][0], "why": r.reason} for r in result.rejections],
            ["row", "field", "why"]), f"rejected-rows-{file_key}.csv", "text/csv", on_click=web.audit_export,
            args=(con, user.username, "export_rejections", "sheet", result.sheet_id, len(result.rejections)))
    if result.warnings:
        st.subheader("Kept, with a field left blank", anchor=False)
        st.table([{"Row": w.row, "Field": sheets.FIELDS[w.field][0], "Why": web.md(w.reason)}
                  for w in result.warnings[:100]])

    if done:
        st.success(f"Imported as sheet {done.sheet_id}.")
        if done.needs_review:
            st.page_link("pages/school_matching.py", label=f"Confirm the school of {done.needs_review} "
                         + ("child" if done.needs_review == 1 else "children"),
                         icon=":material/school:")
    elif undecided:
        st.warning(web.md(f"Say what {'each of these columns' if len(undecided) > 1 else 'this column'} holds (or "
                          f"ignore it) before importing: {', '.join(undecided)}."), icon=":material/table_view:")
        st.button("Import", type="primary", disabled=True)
    elif not result.already_imported and st.button(f"Import {preview.imported} "
                                                   f"row{'s' if preview.imported != 1 else ''}", type="primary",
                                                   disabled=preview.imported == 0 and preview.rejected == 0):
        try:
            committed = sheets.import_sheet(con, data, upload.name, user.username, chosen_headers=chosen)
        except sheets.SheetError as exc:
            web.problem(exc)
            st.stop()
        st.session_state[f"imported:{file_key}"] = committed
        st.rerun()

st.divider()
st.subheader("Missing-child notices")
st.caption("From the police missing-person system, one at a time. The school is matched like a sheet row and the "
           "notice joins the Send queue; when the child is found, the same school (or officer) is told.")
if notice_done := st.session_state.pop("notice_done", None):
    st.success(notice_done)
with st.form("missing_notice", clear_on_submit=False):
    a, b = st.columns(2)
    ref = a.text_input("Police reference", max_chars=40)
    reported = b.date_input("Reported missing on", value=None, format="DD/MM/YYYY", max_value=clock.today())
    forename = a.text_input("Child's forename", max_chars=100)
    surname = b.text_input("Child's surname", max_chars=100)
    dob = a.date_input("Date of birth", value=None, format="DD/MM/YYYY", max_value=clock.today(),
                       min_value=clock.today().replace(year=clock.today().year - 19))
    school = b.text_input("School, as the police gave it", max_chars=200)
    if st.form_submit_button("Record the missing-child notice"):
        try:
            result = sheets.missing_child_notice(con, ref, forename, surname, dob, reported, school, user.username)
        except sheets.SheetError as exc:
            st.error(web.md(str(exc)))
        else:
            if result.rejections:
                st.error(web.md("Not recorded: " + "; ".join(
                    f"{sheets.FIELDS[r.field][0]}: {r.reason}" for r in result.rejections)))
            elif result.already_imported or result.duplicates:
                st.info("That notice is already recorded.")
            else:
                st.session_state["notice_done"] = web.md(
                    f"Missing-child notice {ref.strip().upper()} recorded: "
                    + ("confirm the school on School matching." if result.needs_review else "it is ready to send."))
                st.rerun()
waiting_found = notifications.missing_not_found(con)
if waiting_found:
    with st.form("missing_found"):
        ref = st.selectbox("Found: the notice", [w["police_ref"] for w in waiting_found], index=None,
                           format_func=lambda r: next(f"{w['police_ref']} — reported {w['reported']:%d/%m/%Y}"
                                                      for w in waiting_found if w["police_ref"] == r))
        if st.form_submit_button("The child has been found"):
            try:
                if ref is None:
                    raise notifications.NotificationError("choose the notice")
                done = notifications.found(con, ref, user.username)
                st.session_state["notice_done"] = web.md(
                    f"{done['police_ref']}: found. {done['found_notices']} found notice(s) queued to whoever was "
                    f"told; {done['withdrawn']} notice(s) not yet sent withdrawn.")
                st.rerun()
            except notifications.NotificationError as exc:
                web.problem(exc)

st.divider()
st.subheader("Recent sheets")
recent = sheets.sheets_overview(con, limit=15)
if not recent:
    st.caption("No sheet imported yet.")
else:
    st.dataframe([{"Sheet": s["id"], "File": s["filename"], "Imported": f"{s['imported_at']:%d/%m/%Y %H:%M}",
                   "By": s["imported_by"], "Rows": s["rows_total"], "Imported rows": s["imported"],
                   "Duplicates": s["duplicates"], "Rejected": s["rejected"]} for s in recent], hide_index=True)
    with_rejections = [s["id"] for s in recent if s["rejected"]]
    if with_rejections:
        sheet_id = st.selectbox("Rejected rows of sheet", with_rejections)
        st.dataframe([{"Row": r["row"], "Field": sheets.FIELDS.get(r["field"], (r["field"],))[0], "Why": r["reason"]}
                      for r in sheets.rejections_of(con, sheet_id)], hide_index=True)
