"""Repeat and sibling facts, computed once when an incident arrives rather than on every page view.

`child_incidents.seen_12m`: the child's incidents in the 12 months up to this one, itself included (2 or
more: a repeat child). `incidents.children`: how many children the incident has (siblings = children - 1).
Both are recomputed, in the importing transaction, for every row of the children and incidents a sheet
touches: a late-arriving earlier incident changes the counts of the later ones.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pandas as pd

from . import db


def year_before(moment: datetime) -> datetime:
    """The same moment twelve months earlier (29 February -> 28 February), as DuckDB's interval 12 month."""
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:
        return moment.replace(year=moment.year - 1, day=28)


def lookup(con, name: str, ids) -> dict[int, dict]:
    """Rows of a lookup query by id (queries/lookup/NAME.sql): a short list, answered by the index."""
    ids = sorted(set(ids))
    return {r["id"]: r for r in db.rows(con, f"lookup/{name}", {"ids": ids})} if ids else {}


def refresh(cur, child_ids, incident_ids) -> None:
    """Recompute the facts for these children's child-incidents and for these incidents."""
    rows = db.rows(cur, "facts/of_children", {"ids": sorted(set(child_ids))}) if child_ids else []
    when = {i: r["incident_at"] for i, r in lookup(cur, "incidents", (r["incident_id"] for r in rows)).items()}
    per_child: dict[int, list] = defaultdict(list)
    for r in rows:
        per_child[r["child_id"]].append((when[r["incident_id"]], r["id"]))
    seen = []
    for history in per_child.values():
        history.sort()
        for at, ci in history:
            since = year_before(at)
            seen.append({"id": ci, "seen_12m": sum(since <= other <= at for other, _ in history)})
    if seen:
        with db.registered(cur, "seen_facts", pd.DataFrame(seen)):
            db.run(cur, "facts/set_seen")
    if incident_ids:
        db.run(cur, "facts/set_children", {"ids": sorted(set(incident_ids))})
