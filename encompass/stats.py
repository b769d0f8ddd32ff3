"""Statistics for managers: honest numbers, never a name.

The page reads pre-computed tables, kept in step by the writes that change them (`refresh`, called in the
same transaction as every write that touches a child-incident): `stats_facts`, the facts of each
child-incident without names, dates of birth, police references or notes; and the daily pre-aggregates
`stats_daily` (children per day, school, level and DASH risk) and `stats_daily_incidents` (incidents per
day for each area and phase filter). Volumes, breakdowns, days and returns come from the daily tables;
repeats, timeliness and triage outcomes from the facts of the window they need. Wherever a manager can see
them, counts from 1 to 4 (a setting) show as "<5", every other count is rounded to the nearest 5, and rates
are worked out from those published counts (`publish`).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from . import calendar, db, exports, ledger, schools, settings

GRAINS = ("day", "week", "month", "year")
DIMENSIONS = {"school": "School", "phase": "Phase", "county": "In or out of county", "dash": "DASH risk",
              "level": "Level"}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    area: str = "all"      # all / home / out
    phase: str = "all"     # all / primary / secondary
    urn: int | None = None

    def params(self, con) -> dict:
        return {"from": self.start, "to": self.end, "area": self.area, "phase": self.phase,
                "urn": self.urn or 0, "home": schools.home_la(con)}


def threshold(con) -> int:
    return max(2, int(settings.get(con, "suppress_below")))


ROUND_TO = 5  # every count a manager sees is a multiple of this (or 0, or "<limit")


def published(value, limit: int):
    """One count as a manager sees it: 0 stays 0; 1 to limit-1 becomes "<limit"; anything larger is rounded to
    the nearest multiple of ROUND_TO. Rounding every count — totals on their own, not as the sum of their
    rounded parts — is what stops a hidden count being worked out by subtraction: a total less the cells shown
    beside it no longer gives the one held back."""
    if value is None or pd.isna(value):
        return None
    value = int(value)
    if value == 0:
        return 0
    if value < limit:
        return f"<{limit}"
    return ROUND_TO * int(value / ROUND_TO + 0.5)


def publish(frame: pd.DataFrame, counts: list[str], limit: int,
            rates: dict[str, tuple[str, str, int]] | None = None) -> pd.DataFrame:
    """A table as a manager may see it: its counts published (see `published`), and each rate recomputed from
    the published numerator and denominator — {rate: (numerator, denominator, decimals)} — so that a rate
    never tells more than the counts beside it (blank where either is held back)."""
    out = frame.copy()
    for c in counts:
        out[c] = [published(v, limit) for v in out[c]]
    for rate, (numerator, denominator, decimals) in (rates or {}).items():
        pairs = list(zip(out[numerator], out[denominator]))
        out[rate] = [round(n / d, decimals) if isinstance(n, numbers.Real) and isinstance(d, numbers.Real) and d
                     else None for n, d in pairs]
    return out


class Stats:
    """The statistics for one set of filters: the filtered slices of the pre-computed tables are read once
    and every view is then a DuckDB query over them."""

    def __init__(self, con, f: Filters):
        self.con, self.f = con, f
        self.cur = db.cursor(con)  # the slices are registered on this cursor only
        self.params = f.params(con)
        window_from = min(f.start, f.end - timedelta(days=366))  # the 12-month repeats window
        params = dict(self.params, fetch_from=min(_year_earlier(f.start), window_from), window_from=window_from)
        for name in ("daily", "daily_incidents", "facts"):
            table = self.cur.sql(db.sql(f"stats/{name if name != 'facts' else 'facts_window'}"), params={
                k: params[k] for k in db.param_names(f"stats/{name if name != 'facts' else 'facts_window'}")})
            self.cur.register(name, table.to_arrow_table())

    def query(self, name: str, **extra) -> pd.DataFrame:
        return db.run(self.cur, name, {**self.params, **extra}).df()

    def volumes(self, grain: str) -> pd.DataFrame:
        """Incidents and children per period, beside the same period a year earlier (months and years)."""
        if grain not in GRAINS:
            raise ValueError(grain)
        frame = self.query("stats/volumes", grain=grain)
        frame["period"] = pd.to_datetime(frame["period"]).dt.date
        if grain in ("month", "year"):
            before = self.query("stats/volumes", grain=grain, **{"from": _year_earlier(self.f.start),
                                                                 "to": _year_earlier(self.f.end)})
            earlier = {_year_later(p): c for p, c in zip(before["period"], before["children"])}
            frame["children_year_before"] = [earlier.get(p, 0) for p in frame["period"]]
        return frame

    def breakdown(self, dim: str) -> pd.DataFrame:
        if dim not in DIMENSIONS:
            raise ValueError(dim)
        return self.query("stats/breakdown", dim=dim)

    def day_kinds(self) -> pd.DataFrame:
        """Children per day in term time, school holidays and weekends, so periods of different length compare."""
        cal = calendar.Calendars(self.con).council()
        days = pd.DataFrame({"day": pd.date_range(self.f.start, self.f.end, freq="D").date})
        kinds = []
        for d in days["day"]:
            info = cal.day(d)
            kinds.append("weekend" if info.kind == "weekend" else "term time" if info.school_day and info.known
                         else "holiday" if info.kind in ("holiday", "bank_holiday", "non_pupil_day")
                         else "outside the known calendar")
        days["kind"] = kinds
        counts = self.query("stats/by_day")
        counts["day"] = pd.to_datetime(counts["day"]).dt.date
        merged = days.merge(counts, on="day", how="left").fillna({"children": 0})
        out = merged.groupby("kind").agg(days=("day", "count"), children=("children", "sum")).reset_index()
        out["children"] = out["children"].astype(int)
        out["per_day"] = (out["children"] / out["days"]).round(2)
        order = {"term time": 0, "holiday": 1, "weekend": 2, "outside the known calendar": 3}
        return out.sort_values("kind", key=lambda s: s.map(order)).reset_index(drop=True)

    def repeats(self) -> "Repeats":
        both = self.query("stats/repeats")
        dist = both[both["part"] == "distribution"].astype({"key": int}).sort_values("key")
        children = int(dist["children"].sum())
        two_plus = int(dist.loc[dist["key"] >= 2, "children"].sum())
        three_plus = int(dist.loc[dist["key"] >= 3, "children"].sum())
        distribution = pd.DataFrame({"incidents": ["5 or more" if k == 5 else str(k) for k in dist["key"]],
                                     "children": dist["children"].to_numpy()})
        schools = (both[both["part"] == "school"].sort_values(["children", "key"], ascending=[False, True]).head(15)
                   .rename(columns={"key": "school", "children": "repeat_children"})[["school", "repeat_children"]]
                   .reset_index(drop=True))
        return Repeats(children, two_plus, three_plus, distribution, schools)

    def timeliness(self) -> pd.DataFrame:
        frame = self.query("stats/timeliness")
        frame["share_on_time"] = (frame["sent_on_time"] / frame["sent"].where(frame["sent"] > 0)).round(3)
        return frame

    def returns(self) -> dict:
        row = self.query("stats/sent").to_dict("records")[0]
        row = {k: int(v) for k, v in row.items()}
        row["sent"] += row["returned"]  # a returned notification was sent too
        row["return_rate"] = round(row["returned"] / row["sent"], 4) if row["sent"] else None
        row["blocked_now"] = db.scalar(self.con, "stats/blocked", ledger.route_params(self.con))
        return row

    def triage_outcomes(self) -> pd.DataFrame:
        return self.query("stats/triage")


# --- keeping the pre-computed tables in step ---------------------------------------------------

def refresh(cur, child_incident_ids, created: bool = False) -> None:
    """Recompute the facts of these child-incidents and the daily pre-aggregates they count in, in the writing
    transaction. Cost: the child-incidents and the (day, school, level, DASH risk) groups touched, not the
    history, nor the rest of their days (20,000 rows into a national-size database: 16 ms to count them, 7 ms
    to clear their old rows first, against 29 ms for whole days). Child-incidents `created` by this write have
    no facts yet, so none are looked for."""
    ids = sorted(set(child_incident_ids))
    if not ids:
        return
    db.run(cur, "stats/scope", {"ids": ids})
    cur.execute(_NO_GROUPS)
    if not created:
        db.run(cur, "stats/groups")  # as they are counted now ...
        cur.execute("delete from stats_facts where ci_id in (select ci_id from stats_scope)")
    db.run(cur, "stats/facts_fill")
    db.run(cur, "stats/groups")  # ... and as they will be
    _fill_groups(cur)


def rebuild(cur) -> None:
    """Every fact and every group afresh (after the demo's bulk load, or a migration)."""
    cur.execute("delete from stats_facts")
    cur.execute("delete from stats_daily")
    cur.execute("delete from stats_daily_incidents")
    cur.execute("create or replace temp table stats_scope as select id as ci_id from child_incidents")
    db.run(cur, "stats/facts_fill")
    cur.execute(_NO_GROUPS)
    db.run(cur, "stats/groups")
    _fill_groups(cur)


_NO_GROUPS = ("create or replace temp table stats_groups "
              "(day date, urn integer, level integer, dash_risk varchar)")


def _fill_groups(cur) -> None:
    """The daily pre-aggregates of the groups in stats_groups, and the incident counts of their days (an
    incident counts once a day in each area and phase, whichever school: its day is counted afresh)."""
    db.run(cur, "stats/daily_clear")
    db.run(cur, "stats/daily_fill")
    cur.execute("create or replace temp table stats_days as select distinct day from stats_groups")
    cur.execute("delete from stats_daily_incidents where day in (select day from stats_days)")
    db.run(cur, "stats/daily_incidents_fill", {"home": schools.home_la(cur)})
    touch(cur)


def touch(cur) -> None:
    """What the statistics show has changed (facts, triage decisions, contacts, settings): a new cache key."""
    cur.execute("update stats_version set version = version + 1")


def version(con) -> int:
    return db.scalar(con, "stats/version")


def _year_earlier(d: date) -> date:
    return d.replace(year=d.year - 1, day=28) if (d.month, d.day) == (2, 29) else d.replace(year=d.year - 1)


def _year_later(d) -> date:
    d = pd.Timestamp(d).date()
    return d.replace(year=d.year + 1, day=28) if (d.month, d.day) == (2, 29) else d.replace(year=d.year + 1)


@dataclass
class Repeats:
    children: int
    two_plus: int
    three_plus: int
    distribution: pd.DataFrame     # incidents -> children
    schools: pd.DataFrame          # school -> repeat children


def report(s: Stats) -> dict[str, pd.DataFrame]:
    """Every view, suppressed: what a manager may take away (the page, the monthly report, the CLI)."""
    limit = threshold(s.con)
    rep = s.repeats()
    ret = s.returns()
    volume = s.volumes("month")
    summary = pd.DataFrame([
        {"measure": "children on the police sheets", "value": int(volume["children"].sum())},
        {"measure": "incidents", "value": int(volume["incidents"].sum())},
        {"measure": "children with an incident in the 12 months to the end date", "value": rep.children},
        {"measure": "of whom with 2 or more incidents", "value": rep.two_plus},
        {"measure": "of whom with 3 or more incidents", "value": rep.three_plus},
        {"measure": "notifications sent", "value": ret["sent"]},
        {"measure": "returned by a school (wrong school)", "value": ret["returned"]},
        {"measure": "returns from learned spellings", "value": ret["returned_via_alias"]},
        {"measure": "notifications blocked now for lack of contacts", "value": ret["blocked_now"]},
    ])
    return {
        "Summary": publish(summary, ["value"], limit),
        "Monthly volumes": publish(volume, ["incidents", "children", "children_year_before"], limit),
        "Term, holiday, weekend": publish(s.day_kinds(), ["children"], limit, {"per_day": ("children", "days", 2)}),
        **{f"By {label.lower()}": publish(s.breakdown(dim), ["children"], limit)
           for dim, label in DIMENSIONS.items()},
        "Repeat children": publish(rep.distribution, ["children"], limit),
        "Schools with repeats": publish(rep.schools, ["repeat_children"], limit),
        "Timeliness": _timeliness(s.timeliness(), limit),
        "Triage outcomes": publish(s.triage_outcomes(), ["incidents"], limit),
    }


def _timeliness(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Timeliness as published: counts rounded, the share from those, and the median hours (to the tenth of an
    hour) only for a month whose notifications are not held back — a median of two is one child's hours."""
    out = publish(frame, ["sent", "sent_on_time"], limit, {"share_on_time": ("sent_on_time", "sent", 3)})
    few = [not isinstance(v, numbers.Real) for v in out["sent"]]
    for column in ("hours_incident_to_sheet", "hours_sheet_to_sent"):
        out[column] = [None if hide or pd.isna(v) else round(float(v), 1) for hide, v in zip(few, out[column])]
    return out


def quick_ranges(con, today: date) -> dict[str, tuple[date, date]]:
    """The ranges a manager asks for most, ending before today: the last 12 months, the last calendar month,
    the last term that has ended (from the council's calendar, when it knows one) and the last school year."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    year_start = calendar.school_year_start(today)
    ranges = {"Last 12 months": (_year_earlier(today), today),
              "Last month": (last_month_end.replace(day=1), last_month_end)}
    terms = [p for p in calendar.la_periods(con) if p["kind"] == "term" and p["end_date"] < today]
    if terms:
        term = max(terms, key=lambda p: p["end_date"])
        ranges[f"Last term ({term['name']})"] = (term["start_date"], term["end_date"])
    ranges["Last school year"] = (_year_earlier(year_start), year_start - timedelta(days=1))
    return ranges


def mark_partial(frame: pd.DataFrame, grain: str, f: Filters) -> pd.DataFrame:
    """Add `whole`: whether each period (day, week, month, year) lies wholly inside the range. A period cut
    by the start or end date has fewer days in it, and would plunge on a chart."""
    out = frame.copy()
    starts = pd.to_datetime(out["period"])
    ends = {"day": starts, "week": starts + pd.Timedelta(days=6),
            "month": starts + pd.offsets.MonthEnd(0), "year": starts + pd.offsets.YearEnd(0)}[grain]
    out["whole"] = (starts.dt.date >= f.start) & (ends.dt.date <= f.end)
    return out


def readable(frame: pd.DataFrame, labels: dict[str, str], percent: tuple[str, ...] = (),
             decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """A table for people: the columns in `labels` (in that order) under those names; rates as whole
    percentages; other numbers to a few decimals; nothing shown for a held-back rate."""
    out = frame[list(labels)].copy()
    for column in percent:
        out[column] = [f"{v:.0%}" if isinstance(v, numbers.Real) and not pd.isna(v) else "" for v in out[column]]
    for column, places in (decimals or {}).items():
        out[column] = [round(v, places) if isinstance(v, numbers.Real) and not pd.isna(v) else "" for v in out[column]]
    return out.rename(columns=labels)


# Each report table's columns as a person reads them (the report's own names stay short for code and tests).
LABELS: dict[str, dict[str, str]] = {
    "Summary": {"measure": "Measure", "value": "Number"},
    "Monthly volumes": {"period": "Month", "incidents": "Incidents", "children": "Children",
                        "children_year_before": "Children, the same month a year before"},
    "Term, holiday, weekend": {"kind": "Days", "days": "Number of days", "children": "Children",
                               "per_day": "Children per day"},
    **{f"By {label.lower()}": {"key": label, "children": "Children"} for label in DIMENSIONS.values()},
    "Repeat children": {"incidents": "Incidents in 12 months", "children": "Children"},
    "Schools with repeats": {"school": "School", "repeat_children": "Children with 2 or more incidents"},
    "Timeliness": {"month": "Month", "sent": "Notifications sent", "sent_on_time": "Sent before the school day",
                   "share_on_time": "Share before the school day",
                   "hours_incident_to_sheet": "Median hours, incident to sheet",
                   "hours_sheet_to_sent": "Median hours, sheet to sent"},
    "Triage outcomes": {"measure": "Measure", "key": "Outcome or level", "incidents": "Incidents"},
}
PERCENT = {"Timeliness": ("share_on_time",)}
DECIMALS = {"Term, holiday, weekend": {"per_day": 2}}


def for_people(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One report table as a person reads it (the page, its downloads, the report workbook)."""
    return readable(frame, LABELS[name], PERCENT.get(name, ()), DECIMALS.get(name))


def report_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    readable_sheets = {name: for_people(name, frame) for name, frame in sheets.items()}
    return exports.to_xlsx({name: (frame.to_dict("records"), list(frame.columns))
                            for name, frame in readable_sheets.items()})
