"""Today: the ledger of every child still open, whatever day it arrived, and what to do about each."""
import pandas as pd
import streamlit as st

from encompass import audit, auth, clock, db, ledger, status, web

con, user = web.require("today")
st.title("Today")
now = status.today(con)
moment = clock.now()

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

if now.sheet_loaded:
    latest = now.sheets_today[0]
    st.caption(web.md(f"Today's sheet loaded at {latest['imported_at']:%H:%M}: {now.children_today} "
                      f"child{'ren' if now.children_today != 1 else ''}, {now.matched_today} matched to a school, "
                      f"{now.repeat_children_today} seen before in the last 12 months."))
else:
    st.warning("Today's police sheet is not loaded yet.", icon=":material/upload_file:")
    st.page_link("pages/import_sheet.py", label="Import today's sheet", icon=":material/upload_file:")

# Every open child-incident is in exactly one of these states, until a send or a person's decision ends it.
counts = now.by_state
overdue = sum(i.overdue(moment) for i in now.open_items)
columns = st.columns(len(ledger.OPEN) + 1)
for column, state in zip(columns, ledger.OPEN):
    column.metric(ledger.SHORT[state], counts[state], help=ledger.LABELS[state])
columns[-1].metric("Overdue", overdue, help="Past the start of the school day they were due by")

for state in ledger.OPEN:
    if counts[state]:
        page = ledger.RESOLVED_ON[state]
        path, title, icon, _ = auth.PAGES[page]
        if user.may_use(page):
            st.page_link(path, label=f"{ledger.LABELS[state]}: {counts[state]} — go to {title}", icon=icon)

if not now.open_items:
    st.success("Every child is accounted for: nothing is waiting.", icon=":material/task_alt:")
else:
    st.subheader(f"Open: {len(now.open_items)} child{'ren' if len(now.open_items) != 1 else ''}")
    show_names = st.toggle("Show children's names (the view is recorded)", key="today_names")
    names = ledger.names(con, [i.id for i in now.open_items], user.username) if show_names else {}
    table = pd.DataFrame([{
        "Police ref": i.police_ref,
        "Child": (f"{names[i.id]['forename']} {names[i.id]['surname']} ({names[i.id]['dob']:%d/%m/%Y})"
                  if i.id in names else f"age {i.age}"),
        "State": ledger.LABELS[i.state], "Due": i.time_left(moment) + ("" if i.known_calendar else " (weekdays)"),
        "Why": i.reason, "School or route": i.school or "", "Resolve on": auth.PAGES[i.page][1],
        "Overdue": i.overdue(moment)} for i in now.open_items])
    late = table.pop("Overdue")
    styled = table.style.apply(lambda due: ["color: #b00020; font-weight: 600" if x else "" for x in late],
                               subset=["Due"], axis=0)
    st.dataframe(styled, hide_index=True, width="stretch",
                 column_config={"Why": st.column_config.TextColumn(width="medium"),
                                "Due": st.column_config.TextColumn(width="medium")})

if now.repeat_children_today and st.toggle("Show today's repeat children (names; the view is recorded)"):
    rows = status.repeat_children(con)
    with db.transaction(con) as cur:
        audit.record(cur, user.username, "view_children", "repeat_children", None, children=len(rows))
    st.dataframe([{"Police ref": r["police_ref"], "Child": f"{r['forename']} {r['surname']}",
                   "DOB": f"{r['dob']:%d/%m/%Y}", "Incidents in 12 months": r["times_in_12_months"],
                   "Siblings in incident": r["siblings"]} for r in rows], hide_index=True)
