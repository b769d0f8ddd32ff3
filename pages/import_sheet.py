"""Import: the police's daily sheet, checked row by row before anything is saved."""
import hashlib

import streamlit as st

from encompass import sheets, spreadsheet, web

con, user = web.require("import")
st.title("Import the daily sheet")
st.caption("xlsx, xls or csv, one row per child per incident. Nothing is saved until you press Import.")

upload = st.file_uploader("Police sheet", type=["xlsx", "xls", "csv"])
if upload is not None:
    data = upload.getvalue()
    file_key = hashlib.sha256(data).hexdigest()[:16]
    try:
        table = spreadsheet.read_table(data, upload.name)
    except spreadsheet.UnreadableFile as exc:
        st.error(str(exc))
        st.stop()

    # Headers the app does not know: map each once; the choice is remembered for later sheets.
    hmap = sheets.map_headers(table.headers, sheets.remembered_headers(con))
    chosen = {}
    if hmap.unknown:
        st.subheader("Unrecognised columns")
        st.caption("Say what each column holds, or ignore it. Only the fields below are kept.")
        options = [""] + list(sheets.FIELDS)
        labels = {"": "Ignore this column", **{f: label for f, (label, _, _) in sheets.FIELDS.items()}}
        for header in hmap.unknown:
            choice = st.selectbox(f"Column “{header}”", options, format_func=labels.get,
                                  key=f"map:{file_key}:{header}")
            chosen[sheets.header_key(header)] = choice

    # The preview is the whole import rolled back; keep it while neither the file nor the mapping changes.
    preview_key = f"preview:{file_key}:{sorted(chosen.items())}"
    if preview_key not in st.session_state:
        try:
            st.session_state[preview_key] = sheets.import_sheet(con, data, upload.name, user.username,
                                                                chosen_headers=chosen, commit=False)
        except sheets.SheetError as exc:
            st.error(str(exc))
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
        st.caption(f"{result.matched} matched to a school · {result.needs_review} need a school confirmed · "
                   f"{result.no_school} with no school · {result.repeat_children} seen before in the last 12 months")
    if result.rejections:
        st.subheader("Rejected rows")
        st.caption("Correct these in the police sheet and import it again; the rows already in are kept as duplicates.")
        st.dataframe([{"Row": r.row, "Field": sheets.FIELDS[r.field][0], "Why": r.reason} for r in result.rejections],
                     hide_index=True)
    if result.warnings:
        st.subheader("Kept, with a field left blank")
        st.dataframe([{"Row": w.row, "Field": sheets.FIELDS[w.field][0], "Why": w.reason} for w in result.warnings],
                     hide_index=True)

    if done:
        st.success(f"Imported as sheet {done.sheet_id}.")
        if done.needs_review:
            st.page_link("pages/school_matching.py", label=f"Confirm the school of {done.needs_review} "
                         + ("child" if done.needs_review == 1 else "children"),
                         icon=":material/school:")
    elif not result.already_imported and st.button(f"Import {preview.imported} "
                                                   f"row{'s' if preview.imported != 1 else ''}", type="primary",
                                                   disabled=preview.imported == 0 and preview.rejected == 0):
        try:
            committed = sheets.import_sheet(con, data, upload.name, user.username, chosen_headers=chosen)
        except sheets.SheetError as exc:
            st.error(str(exc))
            st.stop()
        st.session_state[f"imported:{file_key}"] = committed
        st.rerun()

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
