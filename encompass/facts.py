"""Repeat and sibling facts, computed once when an incident arrives rather than on every page view.

`child_incidents.seen_12m`: the child's incidents in the 12 months up to this one, itself included (2 or
more: a repeat child). `incidents.children`: how many children the incident has (siblings = children - 1).
Both are recomputed, in the importing transaction, for every row of the children and incidents a sheet
touches that were known before it: a late-arriving earlier incident changes the counts of the later ones.
What a sheet brings new is set as it is inserted, where the sheet alone tells it: an incident's children are
its rows, and a child on one row of its first sheet has one incident (see sheets._write); the rest of its new
children are recounted here too.
"""
from __future__ import annotations

from . import db


def lookup(con, name: str, ids) -> dict[int, dict]:
    """Rows of a lookup query by id, queries/lookup/NAME.sql (a semi-join: see db)."""
    ids = sorted(set(ids))
    return {r["id"]: r for r in db.rows(con, f"lookup/{name}", {"ids": ids})} if ids else {}


def refresh(cur, child_ids, incident_ids) -> None:
    """Recompute the facts for these children's child-incidents and for these incidents, in two statements."""
    if child_ids:
        db.run(cur, "facts/set_seen", {"ids": sorted(set(child_ids))})
    if incident_ids:
        db.run(cur, "facts/set_children", {"ids": sorted(set(incident_ids))})
