"""Statistics: volumes, holidays, repeat children, timeliness, returns and triage — counts only, no names."""
from datetime import timedelta

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
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 2])
    period = c1.date_input("Dates", value=(today - timedelta(days=365), today), format="DD/MM/YYYY")
    area = c2.selectbox("Area", ["all", "home", "out"],
                        format_func={"all": "All", "home": "In county", "out": "Out of county"}.get)
    phase = c3.selectbox("Phase", ["all", "primary", "secondary"], format_func=str.capitalize)
    school_rows = db.rows(con, "stats/schools")
    school = c4.selectbox("School", [None] + [s["urn"] for s in school_rows], placeholder="All schools",
                          format_func=lambda u: "All schools" if u is None else
                          next(s["name"] for s in school_rows if s["urn"] == u))
if not isinstance(period, tuple) or len(period) != 2:
    st.info("Choose a start and an end date.")
    st.stop()
filters = stats.Filters(period[0], period[1], area, phase, school)


def numbers(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """For a chart: suppressed cells become gaps, with the "<5" kept for the tooltip."""
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

st.subheader("Volumes")
grain = st.radio("By", stats.GRAINS, index=2, horizontal=True, format_func=str.capitalize)
volume = stats.publish(by_grain[grain],
                       ["incidents", "children"] + (["children_year_before"] if grain in ("month", "year") else []),
                       limit)


def volume_chart():
    lines = alt.Chart(numbers(volume, "children")).mark_line(point=True).encode(
        x=alt.X("period:T", title=None), y=alt.Y("children:Q", title="Children"),
        tooltip=[alt.Tooltip("period:T"), alt.Tooltip("children shown:N", title="children")])
    if grain in ("month", "year"):
        lines += alt.Chart(numbers(volume, "children_year_before")).mark_line(strokeDash=[4, 3], color="gray").encode(
            x="period:T", y="children_year_before:Q",
            tooltip=[alt.Tooltip("period:T"), alt.Tooltip("children_year_before shown:N", title="a year before")])
    return lines


draw(volume, volume_chart)
downloads(f"volumes-by-{grain}", volume)

st.subheader("Term time, holidays and weekends")
kinds = report["Term, holiday, weekend"]
draw(kinds, lambda: alt.Chart(numbers(kinds, "per_day")).mark_bar().encode(
    x=alt.X("kind:N", title=None, sort=None), y=alt.Y("per_day:Q", title="Children per day"),
    tooltip=["kind", "days", alt.Tooltip("per_day shown:N", title="per day")]))
st.dataframe(kinds.astype(str), hide_index=True)
downloads("term-holiday-weekend", kinds)

st.subheader("Repeat children")
st.caption(f"Children with an incident in the 12 months to {filters.end:%d %B %Y}.")
r = st.columns(3)
r[0].metric("Children", summary["children with an incident in the 12 months to the end date"])
r[1].metric("2 or more incidents", summary["of whom with 2 or more incidents"])
r[2].metric("3 or more incidents", summary["of whom with 3 or more incidents"])
distribution = report["Repeat children"]
draw(distribution, lambda: alt.Chart(numbers(distribution, "children")).mark_bar().encode(
    x=alt.X("incidents:N", title="Incidents in 12 months", sort=None), y=alt.Y("children:Q", title="Children"),
    tooltip=["incidents", alt.Tooltip("children shown:N", title="children")]))
downloads("repeat-children", distribution)
st.dataframe(report["Schools with repeats"].astype(str), hide_index=True)
downloads("schools-with-repeat-children", report["Schools with repeats"])

st.subheader("Timeliness")
timely = report["Timeliness"]
draw(timely, lambda: alt.Chart(numbers(timely, "share_on_time")).mark_line(point=True).encode(
    x=alt.X("month:T", title=None), y=alt.Y("share_on_time:Q", title="Sent before the school day",
                                            axis=alt.Axis(format="%")),
    tooltip=[alt.Tooltip("month:T"), alt.Tooltip("share_on_time shown:N", title="share")]))
st.dataframe(timely.astype(str), hide_index=True)
downloads("timeliness", timely)

st.subheader("Where the children were")
dim = st.selectbox("By", list(stats.DIMENSIONS), format_func=stats.DIMENSIONS.get)
by = report[f"By {stats.DIMENSIONS[dim].lower()}"]
draw(by, lambda: alt.Chart(numbers(by.head(25), "children")).mark_bar().encode(
    y=alt.Y("key:N", title=None, sort=None), x=alt.X("children:Q", title="Children"),
    tooltip=["key", alt.Tooltip("children shown:N", title="children")]))
downloads(f"children-by-{dim}", by)

st.subheader("Triage outcomes and agreed levels")
outcomes = report["Triage outcomes"]
draw(outcomes, lambda: alt.Chart(numbers(outcomes, "incidents")).mark_bar().encode(
    y=alt.Y("key:N", title=None, sort=None), x=alt.X("incidents:Q", title="Incidents"), color=alt.Color("measure:N"),
    tooltip=["measure", "key", alt.Tooltip("incidents shown:N", title="incidents")]))
downloads("triage-outcomes", outcomes)

st.divider()


def monthly_exported() -> None:
    with db.transaction(con) as cur:
        audit.record(cur, user.username, "export_statistics", "statistics", "report", format="xlsx",
                     start=filters.start, end=filters.end)


st.download_button("Download the report (XLSX, a sheet per view)", stats.report_xlsx(report),
                   f"encompass-report-{filters.start}-to-{filters.end}.xlsx", type="primary",
                   on_click=monthly_exported)
