"""Statistics for managers: honest numbers, never a name.

Every query reads the `stats_facts` view, which holds no names, dates of birth, police references or
notes. Counts from 1 to 4 (a setting) are shown as "<5" wherever a manager can see them, and so are
rates built on them, so that no small group of children can be picked out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from . import calendar, db, exports, schools, settings

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


def suppress(frame: pd.DataFrame, counts: list[str], limit: int, rates: dict[str, str] | None = None) -> pd.DataFrame:
    """Counts 1..limit-1 become "<limit"; a rate whose numerator is suppressed is blanked the same way."""
    out = frame.copy()
    small = {c: out[c].between(1, limit - 1) for c in counts}
    for rate, numerator in (rates or {}).items():
        out[rate] = out[rate].astype(object).where(~small[numerator], f"<{limit}")
    for c in counts:
        out[c] = out[c].astype(object).where(~small[c], f"<{limit}")
    return out


def _frame(con, name: str, params: dict) -> pd.DataFrame:
    return db.run(con, name, params).df()


def volumes(con, f: Filters, grain: str) -> pd.DataFrame:
    """Incidents and children per period, beside the same period a year earlier (months and years)."""
    if grain not in GRAINS:
        raise ValueError(grain)
    frame = _frame(con, "stats/volumes", dict(f.params(con), grain=grain))
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    if grain in ("month", "year"):
        year_before = Filters(_year_earlier(f.start), _year_earlier(f.end), f.area, f.phase, f.urn)
        before = _frame(con, "stats/volumes", dict(year_before.params(con), grain=grain))
        earlier = {_year_later(p): c for p, c in zip(before["period"], before["children"])}
        frame["children_year_before"] = [earlier.get(p, 0) for p in frame["period"]]
    return frame


def _year_earlier(d: date) -> date:
    return d.replace(year=d.year - 1, day=28) if (d.month, d.day) == (2, 29) else d.replace(year=d.year - 1)


def _year_later(d) -> date:
    d = pd.Timestamp(d).date()
    return d.replace(year=d.year + 1)


def date_trunc(d: date, grain: str) -> date:
    if grain == "year":
        return date(d.year, 1, 1)
    if grain == "month":
        return date(d.year, d.month, 1)
    if grain == "week":
        return d - timedelta(days=d.weekday())
    return d


def breakdown(con, f: Filters, dim: str) -> pd.DataFrame:
    if dim not in DIMENSIONS:
        raise ValueError(dim)
    return _frame(con, "stats/breakdown", dict(f.params(con), dim=dim))


def day_kinds(con, f: Filters) -> pd.DataFrame:
    """Children per day in term time, school holidays and weekends, so periods of different length compare."""
    cal = calendar.Calendar(con)
    days = pd.DataFrame({"day": pd.date_range(f.start, f.end, freq="D").date})
    kinds = []
    for d in days["day"]:
        info = cal.day(d)
        kinds.append("weekend" if info.kind == "weekend" else "term time" if info.school_day and info.known
                     else "holiday" if info.kind in ("holiday", "bank_holiday", "non_pupil_day") else "unknown")
    days["kind"] = kinds
    counts = _frame(con, "stats/by_day", f.params(con))
    counts["day"] = pd.to_datetime(counts["day"]).dt.date
    merged = days.merge(counts, on="day", how="left").fillna({"children": 0})
    out = merged.groupby("kind").agg(days=("day", "count"), children=("children", "sum")).reset_index()
    out["children"] = out["children"].astype(int)
    out["per_day"] = (out["children"] / out["days"]).round(2)
    order = {"term time": 0, "holiday": 1, "weekend": 2, "unknown": 3}
    return out.sort_values("kind", key=lambda s: s.map(order)).reset_index(drop=True)


@dataclass
class Repeats:
    children: int
    two_plus: int
    three_plus: int
    distribution: pd.DataFrame     # incidents -> children
    schools: pd.DataFrame          # school -> repeat children


def repeats(con, f: Filters) -> Repeats:
    per_child = _frame(con, "stats/repeats", f.params(con))
    n = per_child["incidents"]
    dist = (n.clip(upper=5).value_counts().sort_index().rename_axis("incidents").reset_index(name="children"))
    dist["incidents"] = dist["incidents"].map(lambda k: "5 or more" if k == 5 else str(k))
    top = (per_child[n >= 2].groupby(per_child["school"].fillna("No school")).size()
           .sort_values(ascending=False).head(15).rename_axis("school").reset_index(name="repeat_children"))
    return Repeats(len(per_child), int((n >= 2).sum()), int((n >= 3).sum()), dist, top)


def timeliness(con, f: Filters) -> pd.DataFrame:
    frame = _frame(con, "stats/timeliness", f.params(con))
    frame["share_on_time"] = (frame["sent_on_time"] / frame["sent"].where(frame["sent"] > 0)).round(3)
    return frame


def returns(con, f: Filters) -> dict:
    row = db.one(con, "stats/returns", f.params(con))
    row["return_rate"] = round(row["returned"] / row["sent"], 4) if row["sent"] else None
    row["blocked_now"] = db.scalar(con, "stats/blocked", {"home": schools.home_la(con)})
    return row


def triage_outcomes(con, f: Filters) -> pd.DataFrame:
    return _frame(con, "stats/triage", f.params(con))


def report(con, f: Filters) -> dict[str, pd.DataFrame]:
    """Every view, suppressed: what a manager may take away (the monthly report, the CLI report)."""
    limit = threshold(con)
    rep = repeats(con, f)
    ret = returns(con, f)
    volume = volumes(con, f, "month")
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
    kinds = day_kinds(con, f)
    timely = timeliness(con, f)
    return {
        "Summary": suppress(summary, ["value"], limit),
        "Monthly volumes": suppress(volume, ["incidents", "children", "children_year_before"], limit),
        "Term, holiday, weekend": suppress(kinds, ["children"], limit, {"per_day": "children"}),
        **{f"By {label.lower()}": suppress(breakdown(con, f, dim), ["children"], limit)
           for dim, label in DIMENSIONS.items()},
        "Repeat children": suppress(rep.distribution, ["children"], limit),
        "Schools with repeats": suppress(rep.schools, ["repeat_children"], limit),
        "Timeliness": suppress(timely, ["sent", "sent_on_time"], limit, {"share_on_time": "sent_on_time"}),
        "Triage outcomes": suppress(triage_outcomes(con, f), ["incidents"], limit),
    }


def report_xlsx(con, f: Filters, sheets: dict[str, pd.DataFrame] | None = None) -> bytes:
    sheets = sheets if sheets is not None else report(con, f)
    return exports.to_xlsx({name: (frame.to_dict("records"), list(frame.columns)) for name, frame in sheets.items()})
