"""Today: what the co-ordinator needs to do now."""
import streamlit as st

from encompass import audit, db, notifications, status, web

con, user = web.require("today")
st.title("Today")
notifications.refresh(con, user.username)  # matched children get their notification queued (idempotent)
now = status.today(con)

day = now.day
if day.school_day and day.known:
    st.info(day.describe(), icon=":material/school:")
elif day.kind != "unknown":
    st.warning(f"{day.describe()}. Notifications still go; schools may not read them until the next school day.",
               icon=":material/beach_access:")
else:
    st.warning(day.describe() + ".", icon=":material/event_busy:")
if now.calendar_warning:
    st.warning(now.calendar_warning, icon=":material/event_upcoming:")
    if user.may_use("admin"):
        st.page_link("pages/admin.py", label="Import next year's term dates (Admin → Term calendar)",
                     icon=":material/calendar_month:")
    else:
        st.caption("An administrator imports term dates (Admin → Term calendar).")

sheet, waiting, repeats, children = st.columns(4)
if now.sheet_loaded:
    latest = now.sheets_today[0]
    sheet.metric("Daily sheet", "Loaded", f"{latest['imported_at']:%H:%M} · {latest['imported']} rows",
                 delta_color="off", delta_arrow="off")
else:
    sheet.metric("Daily sheet", "Not yet")
waiting.metric("Children awaiting a school", now.awaiting_school,
               f"oldest incident {now.awaiting_oldest:%d %b}" if now.awaiting_oldest else None,
               delta_color="off", delta_arrow="off")
repeats.metric("Repeat children today", now.repeat_children_today,
               help="Seen in another incident in the last 12 months")
children.metric("Children on today's sheets", now.children_today,
                f"{now.matched_today} matched · {now.no_school_today} no school" if now.children_today else None,
                delta_color="off", delta_arrow="off")

due = now.notifications
if due["waiting"]:
    text = (f"**{due['waiting']}** notification{'s' if due['waiting'] != 1 else ''} to send; the first is due by "
            f"{due['next_due']:%A %d %B %H:%M}" + (f" — **{due['overdue']} overdue**" if due["overdue"] else "")
            + (f" — {due['unknown']} with an unknown outcome to check" if due["unknown"] else "") + ".")
    (st.error if due["overdue"] else st.info)(text, icon=":material/send:")
    st.page_link("pages/send.py", label="Go to Send", icon=":material/send:")

if not now.sheet_loaded:
    st.page_link("pages/import_sheet.py", label="Import today's sheet", icon=":material/upload_file:")
if now.awaiting_school:
    st.page_link("pages/school_matching.py", label=f"Confirm the school of {now.awaiting_school} "
                 + ("child" if now.awaiting_school == 1 else "children"),
                 icon=":material/school:")

if now.sheets_today:
    st.subheader("Sheets imported today")
    st.dataframe([{"Sheet": s["id"], "File": s["filename"], "At": f"{s['imported_at']:%H:%M}", "By": s["imported_by"],
                   "Rows": s["rows_total"], "Imported": s["imported"], "Duplicates": s["duplicates"],
                   "Rejected": s["rejected"]} for s in now.sheets_today], hide_index=True)

if now.repeat_children_today and st.toggle("Show today's repeat children (names; the view is recorded)"):
    rows = status.repeat_children(con)
    with db.transaction(con) as cur:
        audit.record(cur, user.username, "view_children", "repeat_children", None, children=len(rows))
    st.dataframe([{"Police ref": r["police_ref"], "Child": f"{r['forename']} {r['surname']}",
                   "DOB": f"{r['dob']:%d/%m/%Y}", "Incidents in 12 months": r["times_in_12_months"],
                   "Siblings in incident": r["siblings"]} for r in rows], hide_index=True)
