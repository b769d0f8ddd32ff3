"""Statistics: volumes, holidays, repeat children, timeliness, returns and triage — counts only, no names."""
import altair as alt
import pandas as pd
import streamlit as st

from encompass import audit, clock, db, exports, stats, web

con, user = web.require("statistics")
st.title("Statistics")
limit = stats.threshold(con)
st.caption(f"No names, dates of birth or police references. Counts from 1 to {limit - 1} show as “<{limit}” and "
           f"every other count is rounded to the nearest {stats.ROUND_TO}, so that no child can be picked out by "
           "subtracting one figure from another; a total is rounded on its own and may differ a little from the sum "
           "of its parts.")

today = clock.today()
quick = stats.quick_ranges(con, today)
CUSTOM = "Choose dates"
with st.container(border=True):
    c1, c2, c3, c4, c5 = st.columns([2, 2, 1, 1, 2])
    which = c1.selectbox("Range", [*quick, CUSTOM])
    if which == CUSTOM:
        period = c2.date_input("Dates", value=quick["Last 12 months"], format="DD/MM/YYYY", max_value=today)
    else:
        period = quick[which]
        c2.text_input("Dates", f"{period[0]:%d/%m/%Y} – {period[1]:%d/%m/%Y}", disabled=True)
    area = c3.selectbox("Area", ["all", "home", "out"],
                        format_func={"all": "All", "home": "In county", "out": "Out of county"}.get)
    phase = c4.selectbox("Phase", ["all", "primary", "secondary"], format_func=str.capitalize)
    school_rows = db.rows(con, "stats/schools")
    school = c5.selectbox("School", [None] + [s["urn"] for s in school_rows], placeholder="All schools",
                          format_func=lambda u: "All schools" if u is None else
                          next(s["name"] for s in school_rows if s["urn"] == u))
if not isinstance(period, tuple) or len(period) != 2:
    st.info("Choose a start and an end date.")
    st.stop()
filters = stats.Filters(period[0], period[1], area, phase, school)


def numbers(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """For a chart: held-back cells become gaps, with the "<5" kept for the tooltip."""
    out = frame.copy()
    out[f"{column} shown"] = out[column].astype(str)
    out[column] = pd.to_numeric(out[column], errors="coerce")
    return out


def draw(frame: pd.DataFrame, chart) -> None:
    if frame.empty:
        st.caption("Nothing in this range.")
    else:
        st.altair_chart(chart(), width="stretch")


def downloads(name: str, frame: pd.DataFrame) -> None:
    """CSV and XLSX of a table exactly as the page shows it (rounded, held back, human column names)."""
    def exported(kind: str) -> None:
        with db.transaction(con) as cur:
            audit.record(cur, user.username, "export_statistics", "statistics", name, format=kind,
                         start=filters.start, end=filters.end)

    rows, columns = frame.to_dict("records"), list(frame.columns)
    a, b, _ = st.columns([1, 1, 4])
    a.download_button("CSV", exports.to_csv(rows, columns), f"{name}.csv", "text/csv", key=f"csv-{name}",
                      on_click=exported, args=("csv",))
    b.download_button("XLSX", exports.to_xlsx({name[:31]: (rows, columns)}), f"{name}.xlsx", key=f"xlsx-{name}",
                      on_click=exported, args=("xlsx",))


@st.cache_data(max_entries=64, show_spinner="Counting…")
def computed(path: str, version: int, f: stats.Filters):
    """Every view for these filters, kept until what the statistics show changes (stats.version is bumped by
    those writes only: reading, previewing or downloading leaves the cache alone)."""
    figures = stats.Stats(con, f)
    return stats.report(figures), {g: figures.volumes(g) for g in stats.GRAINS}


report, by_grain = computed(str(db.default_path()), stats.version(con), filters)
summary = report["Summary"].set_index("measure")["value"]
m = st.columns(4)
m[0].metric("Children on the police sheets", summary["children on the police sheets"])
m[1].metric("Incidents", summary["incidents"])
m[2].metric("Returned by a school", summary["returned by a school (wrong school)"])
m[3].metric("Blocked now (no contacts)", summary["notifications blocked now for lack of contacts"])

st.subheader("Volumes", anchor=False)
grain = st.radio("By", stats.GRAINS, index=2, horizontal=True, format_func=str.capitalize)
with_year_before = grain in ("month", "year")
volume = stats.mark_partial(stats.publish(by_grain[grain], ["incidents", "children"]
                                          + (["children_year_before"] if with_year_before else []), limit),
                            grain, filters)
whole = volume[volume["whole"]]


def volume_chart():
    series = [("children", "In the range")] + ([("children_year_before", "A year before")] if with_year_before else [])
    long = pd.concat([numbers(whole, column).assign(series=label, value=lambda f, c=column: f[c],
                                                    shown=lambda f, c=column: f[f"{c} shown"])
                      [["period", "series", "value", "shown"]] for column, label in series])
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("period:T", title=None), y=alt.Y("value:Q", title="Children"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["In the range", "A year before"], range=["#1f5fa8", "#9a9a9a"])),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=["In the range", "A year before"], range=[[1, 0], [5, 4]])),
        tooltip=[alt.Tooltip("period:T", title=grain.capitalize()), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("shown:N", title="Children")])


draw(whole, volume_chart)
if len(whole) < len(volume):
    st.caption(f"The first or last {grain} is only partly inside the range: it is in the table (marked), not on "
               "the chart, where its fewer days would look like a drop.")
labels = {"period": grain.capitalize(), "incidents": "Incidents", "children": "Children",
          **({"children_year_before": "Children, a year before"} if with_year_before else {})}
volume_table = stats.readable(volume.assign(period=[f"{p:%d/%m/%Y}" + ("" if w else " (part)")
                                                    for p, w in zip(volume["period"], volume["whole"])]), labels)
with st.expander("The numbers"):
    st.dataframe(volume_table.astype(str), hide_index=True)
downloads(f"volumes-by-{grain}", volume_table)

st.subheader("Term time, holidays and weekends", anchor=False)
kinds = report["Term, holiday, weekend"]
draw(kinds, lambda: alt.Chart(numbers(kinds, "per_day")).mark_bar().encode(
    x=alt.X("kind:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
    y=alt.Y("per_day:Q", title="Children per day"),
    tooltip=[alt.Tooltip("kind:N", title="Days"), alt.Tooltip("days:Q", title="Number of days"),
             alt.Tooltip("per_day shown:N", title="Children per day")]))
kinds_table = stats.for_people("Term, holiday, weekend", kinds)
st.dataframe(kinds_table.astype(str), hide_index=True)
downloads("term-holiday-weekend", kinds_table)

st.subheader("Repeat children", anchor=False)
st.caption(f"Children with an incident in the 12 months to {filters.end:%d %B %Y}.")
r = st.columns(3)
r[0].metric("Children", summary["children with an incident in the 12 months to the end date"])
r[1].metric("2 or more incidents", summary["of whom with 2 or more incidents"])
r[2].metric("3 or more incidents", summary["of whom with 3 or more incidents"])
distribution = report["Repeat children"]
draw(distribution, lambda: alt.Chart(numbers(distribution, "children")).mark_bar().encode(
    x=alt.X("incidents:N", title="Incidents in 12 months", sort=None, axis=alt.Axis(labelAngle=0)),
    y=alt.Y("children:Q", title="Children"),
    tooltip=[alt.Tooltip("incidents:N", title="Incidents"), alt.Tooltip("children shown:N", title="Children")]))
downloads("repeat-children", stats.for_people("Repeat children", distribution))
repeat_schools = stats.for_people("Schools with repeats", report["Schools with repeats"])
st.dataframe(repeat_schools.astype(str), hide_index=True)
downloads("schools-with-repeat-children", repeat_schools)

st.subheader("Timeliness", anchor=False)
timely = report["Timeliness"]
draw(timely, lambda: alt.Chart(numbers(timely, "share_on_time")).mark_line(point=True).encode(
    x=alt.X("month:T", title=None),
    y=alt.Y("share_on_time:Q", title="Sent before the school day", axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1])),
    tooltip=[alt.Tooltip("month:T", title="Month", format="%B %Y"),
             alt.Tooltip("share_on_time:Q", title="Share", format=".0%")]))
timely_table = stats.for_people("Timeliness", timely.assign(month=[f"{m:%B %Y}" for m in timely["month"]]))
st.dataframe(timely_table.astype(str), hide_index=True)
downloads("timeliness", timely_table)

st.subheader("Where the children were", anchor=False)
dim = st.selectbox("By", list(stats.DIMENSIONS), format_func=stats.DIMENSIONS.get)
by = report[f"By {stats.DIMENSIONS[dim].lower()}"]
draw(by, lambda: alt.Chart(numbers(by.head(25), "children")).mark_bar().encode(
    y=alt.Y("key:N", title=None, sort=None, axis=alt.Axis(labelLimit=360)), x=alt.X("children:Q", title="Children"),
    tooltip=[alt.Tooltip("key:N", title=stats.DIMENSIONS[dim]), alt.Tooltip("children shown:N", title="Children")]))
downloads(f"children-by-{dim}", stats.for_people(f"By {stats.DIMENSIONS[dim].lower()}", by))

st.subheader("Triage outcomes and agreed levels", anchor=False)
outcomes = report["Triage outcomes"]
left, right = st.columns(2)
for column, measure, title in ((left, "outcome", "Outcome"), (right, "agreed level", "Agreed level")):
    part = outcomes[outcomes["measure"] == measure]
    with column:
        st.markdown(f"**{title}**")
        draw(part, lambda part=part, title=title: alt.Chart(numbers(part, "incidents")).mark_bar().encode(
            y=alt.Y("key:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("incidents:Q", title="Incidents"),
            tooltip=[alt.Tooltip("key:N", title=title), alt.Tooltip("incidents shown:N", title="Incidents")]))
downloads("triage-outcomes", stats.for_people("Triage outcomes", outcomes))

st.divider()


def monthly_exported() -> None:
    with db.transaction(con) as cur:
        audit.record(cur, user.username, "export_statistics", "statistics", "report", format="xlsx",
                     start=filters.start, end=filters.end)


st.download_button("Download the report (XLSX, a sheet per view)", stats.report_xlsx(report),
                   f"encompass-report-{filters.start}-to-{filters.end}.xlsx", type="primary",
                   on_click=monthly_exported)
