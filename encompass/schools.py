"""The schools register: import of a DfE GIAS extract and its links file."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import clock, db, normalise, settings, spreadsheet

# GIAS column -> our column. Every other column of a real extract (~130) is ignored.
GIAS_COLUMNS = {
    "URN": "urn",
    "EstablishmentName": "name",
    "LA (code)": "la_code",
    "LA (name)": "la_name",
    "TypeOfEstablishment (name)": "type",
    "EstablishmentStatus (name)": "status",
    "PhaseOfEducation (name)": "phase",
    "StatutoryLowAge": "low_age",
    "StatutoryHighAge": "high_age",
    "Town": "town",
    "Postcode": "postcode",
    "LA inferred from postcode": "la_inferred",
}
REQUIRED = ["URN", "EstablishmentName"]
_TRACKED = ["name", "la_code", "type", "status", "phase", "town", "postcode"]


class RegisterError(ValueError):
    pass


@dataclass
class RegisterReport:
    schools: int = 0
    links: int = 0
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"schools": self.schools, "links": self.links, "opened": len(self.opened),
                "closed": len(self.closed), "changed": len(self.changed)}


def phase_group(phase: str | None, low: int | None, high: int | None, name: str) -> str:
    """primary / secondary / all / unknown, for choosing between same-named schools by a child's age.

    GIAS phase first; then the statutory ages; then words in the name (many extracts leave phase blank).
    """
    p = (phase or "").lower()
    if p in ("primary", "nursery", "middle deemed primary"):
        return "primary"
    if p in ("secondary", "middle deemed secondary", "16 plus"):
        return "secondary"
    if p == "all-through":
        return "all"
    if low is not None and high is not None:
        if high <= 11:
            return "primary"
        if low >= 11:
            return "secondary"
        return "all"
    words = normalise.school_text(name).split()
    text = " ".join(words)
    if any(w in words for w in ("primary", "infant", "junior", "nursery", "first")) or "primary phase" in text:
        return "primary"
    if any(w in words for w in ("secondary", "high", "grammar", "upper")) or "secondary phase" in text:
        return "secondary"
    return "unknown"


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(float(value)) if value else None


def _read_csv(path: str | Path) -> list[dict]:
    try:
        text = spreadsheet.decode_text(Path(path).read_bytes())
    except spreadsheet.UnreadableFile as exc:
        raise RegisterError(f"{path}: {exc}") from None
    return list(csv.DictReader(io.StringIO(text, newline="")))


def read_register(path: str | Path) -> list[dict]:
    records = _read_csv(path)
    if not records:
        raise RegisterError(f"{path}: no schools in the file")
    missing = [c for c in REQUIRED if c not in records[0]]
    if missing:
        raise RegisterError(f"{path}: missing GIAS column(s) {', '.join(missing)}")
    schools = []
    for i, rec in enumerate(records, start=2):
        row = {ours: (rec.get(gias) or "").strip() or None for gias, ours in GIAS_COLUMNS.items()}
        try:
            row["urn"] = int(row["urn"])
            row["low_age"], row["high_age"] = _int(row["low_age"]), _int(row["high_age"])
        except (TypeError, ValueError):
            raise RegisterError(f"{path}: row {i}: URN or age is not a number") from None
        row["status"] = row["status"] or "Open"
        row["status"] = "Closed" if row["status"].lower().startswith("closed") else row["status"]
        row["la_inferred"] = (row["la_inferred"] or "").lower() == "yes"
        schools.append(row)
    return schools


def read_links(path: str | Path) -> list[dict]:
    records = _read_csv(path)
    links = []
    for i, rec in enumerate(records, start=2):
        try:
            urn, link_urn = int(rec["URN"]), int(rec["LinkURN"])
        except (KeyError, TypeError, ValueError):
            raise RegisterError(f"{path}: row {i}: URN and LinkURN must be numbers") from None
        when = (rec.get("LinkEstablishedDate") or "").strip()
        links.append({
            "urn": urn, "link_urn": link_urn, "link_name": (rec.get("LinkName") or "").strip(),
            "link_type": (rec.get("LinkType") or "").strip(),
            "link_date": datetime.strptime(when, "%d-%m-%Y").date() if when else None,
        })
    return links


def import_register(con, schools_path, links_path=None, username: str = "system") -> RegisterReport:
    """Insert or update schools in place, and report what opened, closed or changed. One transaction."""
    schools = read_register(schools_path)
    links = read_links(links_path) if links_path else []
    report = RegisterReport(schools=len(schools), links=len(links))
    now = clock.now()
    with db.transaction(con) as cur:
        before = {r[0]: dict(zip(["urn"] + _TRACKED, r)) for r in cur.execute(
            "select urn, name, la_code, type, status, phase, town, postcode from schools where in_register").fetchall()}
        for s in schools:
            old = before.get(s["urn"])
            if old is None:
                report.opened.append(s["urn"])
            elif old["status"] != "Closed" and s["status"] == "Closed":
                report.closed.append(s["urn"])
            elif any(old[k] != s[k] for k in _TRACKED):
                report.changed.append(s["urn"])
        _upsert_schools(cur, schools, now, in_register=True)
        known = {s["urn"] for s in schools} | set(before)
        named_only = {}
        for link in links:
            # A predecessor we only know by name from the links file is still worth matching
            # against: officers type the old name for years after an academy conversion.
            if link["link_urn"] not in known and link["link_name"]:
                # A predecessor is closed by definition; a successor outside the extract is unknown to us.
                status = "Closed" if link["link_type"].startswith("Predecessor") else "Not in register"
                named_only[link["link_urn"]] = {
                    "urn": link["link_urn"], "name": link["link_name"], "status": status, "la_code": None,
                    "la_name": None, "type": None, "phase": None, "low_age": None, "high_age": None,
                    "town": None, "postcode": None, "la_inferred": False}
        _upsert_schools(cur, list(named_only.values()), now, in_register=False)
        if links:
            frame = pd.DataFrame(links)[["urn", "link_urn", "link_type", "link_date"]].drop_duplicates(
                ["urn", "link_urn", "link_type"], keep="last")
            with db.registered(cur, "register_links", frame):
                db.run(cur, "schools/upsert_links")
        _close_replaced(cur)
        db.set_setting(cur, "register_imported_at", now.isoformat())
        from . import audit
        audit.record(cur, username, "import_schools", "schools", None, **report.as_dict())
    return report


def _upsert_schools(cur, schools: list[dict], now, in_register: bool) -> None:
    """Insert or update many schools in one statement (per-row upserts are slow in DuckDB)."""
    if not schools:
        return
    frame = pd.DataFrame([dict(s, name_norm=normalise.school_text(s["name"]), updated_at=now,
                               in_register=in_register,
                               phase_group=phase_group(s["phase"], s["low_age"], s["high_age"], s["name"]))
                          for s in schools]).drop_duplicates("urn", keep="last")
    frame["low_age"] = frame["low_age"].astype("Int64")
    frame["high_age"] = frame["high_age"].astype("Int64")
    with db.registered(cur, "register_schools", frame):
        db.run(cur, "schools/upsert")


def _close_replaced(cur) -> None:
    """A school whose URN has a successor in the links is closed, even if the extract omits it."""
    db.run(cur, "schools/close_replaced")


def home_la(con) -> str:
    return settings.get(con, "home_la_code")
