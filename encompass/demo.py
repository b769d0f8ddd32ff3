"""A synthetic but realistic dataset on the real schools register, for the demo and benchmarks.

Children are invented and obviously so (surnames such as "Testington"); schools are the real
public register; contact emails use the reserved example.org domain so nothing can reach a real
school. Volumes follow Shropshire's: about 1,750 child notifications a year, more at weekends
and in school holidays, a quarter of children seen more than once, siblings, typing mistakes.
"""
from __future__ import annotations

import hashlib
import io
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from . import (audit, auth, calendar, clock, db, facts, ledger, matching, normalise, notifications, schools, stats,
               triage)

REFERENCE = db.ROOT / "data" / "reference"
DEMO_PASSWORD = "encompass-demo"
DEMO_USERS = [  # username, roles, agency, display name
    ("coordinator", "coordinator", None, "Demo Co-ordinator"),
    ("manager", "manager", None, "Demo Manager"),
    ("triage-police", "triage", "Police", "Demo Police Early Help"),
    ("triage-health", "triage", "Health", "Demo Public Health Nurse"),
    ("admin", "admin", None, "Demo Admin"),
]
FORENAMES = ["Amy", "Ben", "Cara", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivy", "Jack", "Kai", "Lola", "Max",
             "Nia", "Oli", "Pip", "Quin", "Rosa", "Sam", "Tia", "Uma", "Vic", "Wren", "Xander", "Yara", "Zac",
             "Alfie", "Bella", "Cody", "Daisy", "Ezra", "Freya", "Harry", "Isla", "Jude", "Kit", "Leo", "Mia",
             "Ned", "Orla", "Percy", "Ruby", "Seb", "Tilly", "Vera", "Will"]
SURNAMES = ["Testington", "Samplesby", "Exampleton", "Mockford", "Fakeley", "Dummett", "Demoson", "Pretendly",
            "Placeholder", "Synthwood", "Notreal", "Fictitia", "Madeupson", "Imaginary", "Testwell",
            "Sampleford", "Mockridge", "Fauxley", "Dummyshire", "Testmore", "Exemplar", "Lorem", "Ipsumly",
            "Syntheson", "Fakenham-Test", "O'Sample", "McMock", "De Testa", "Van Demo", "Trialson"]
NO_SCHOOL_TEXTS = ["Pre-school", "Not known", "N/A", "Home Educated", "EHE", "", "Too young"]


@dataclass
class Child:
    forename: str
    surname: str
    dob: date
    school_urn: int | None
    school_name: str


class DemoError(RuntimeError):
    pass


def ensure_reference(con, username: str = "system") -> None:
    """Load the bundled register, links and term calendar into an empty database."""
    if con.execute("select count(*) from schools").fetchone()[0] == 0:
        schools.import_register(con, REFERENCE / "gias_schools_shropshire_area.csv",
                                REFERENCE / "gias_links_shropshire_area.csv", username)
    if con.execute("select count(*) from calendar_periods").fetchone()[0] == 0:
        calendar.import_calendar(con, REFERENCE / "term_dates_shropshire.csv", username)


def is_demo(con) -> bool:
    return db.get_setting(con, "demo") == "true"


def build(con, scale: float = 1.0, seed: int = 7, years: int | None = None,
          end: date | None = None, example_dir: Path | None = None) -> dict:
    """Fill an empty (or demo) database with demo data. Refuses a database holding real data."""
    has_data = con.execute("select count(*) from sheets").fetchone()[0] > 0
    if has_data and not is_demo(con):
        raise DemoError("this database holds real data: demo data goes only into a new or demo database")
    if has_data:
        raise DemoError("demo data is already loaded")
    ensure_reference(con)
    rng = random.Random(seed)
    end = end or clock.today()
    years = years or (2 if scale <= 1 else 10)
    start = end - timedelta(days=round(365.25 * years))
    open_schools = db.rows(con, "demo/open_schools", {"home": schools.home_la(con)})
    primaries = [s for s in open_schools if s["phase_group"] in ("primary", "all")] or open_schools
    # Many register rows leave the phase blank: an academy or college with no primary word in its
    # name stands in for a secondary, so older demo children spread over realistic schools.
    secondaries = [s for s in open_schools if s["phase_group"] in ("secondary", "all") or (
        s["phase_group"] == "unknown" and any(w in s["name"] for w in ("Academy", "College", "School")))] \
        or open_schools

    gen = _Generator(rng, con, primaries, secondaries, scale)
    frames = gen.run(start, end)
    with db.transaction(con, bulk=True) as cur:
        _write_frames(cur, frames)
        if con.execute("select count(*) from users").fetchone()[0] == 0:
            for username, roles, agency, name in DEMO_USERS:
                db.run(cur, "users/insert", {
                    "username": username, "display_name": name, "email": f"{username}@council.example.org",
                    "password_hash": gen.password_hash, "roles": roles, "agency": agency, "now": clock.now(),
                    "must_change": False})
        # Contacts come from their own random stream: the same schools have the same contacts whatever
        # day the demo is built on (tests and screenshots rely on it).
        _write_contacts(cur, random.Random(f"{seed}:contacts"), db.rows(cur, "demo/open_schools", {"home": None}))
        _write_notifications(cur, gen.calendar, end)
        # The demo's EHE / children-missing-education officer: children with no school are notified there.
        db.set_setting(cur, "ehe_officer_name", "Demo EHE officer")
        db.set_setting(cur, "ehe_officer_email", "ehe.officer@council.example.org")
        # Today's work: whatever is open now, with the notifications it needs queued.
        open_now = ledger.rebuild(cur)
        notifications.queue(cur, open_now)
        stats.rebuild(cur)
        ledger.sync(cur, open_now)
        db.run(cur, "demo/insert_triage", {"before": end - timedelta(days=3)})
        triage.sync_open(cur, None)
        # The repeat and sibling facts of every row, as an import computes them for its own.
        facts.refresh(cur, frames["children"]["id"].tolist(), frames["incidents"]["id"].tolist())
        db.set_setting(cur, "demo", "true")
        audit.record(cur, "system", "demo_data", None, None, scale=scale, seed=seed, years=years)
    counts = {k: int(len(v)) for k, v in frames.items()}
    if example_dir is not None:
        counts["example_sheet"] = str(write_example_sheet(con, example_dir, end, rng))
    return counts


class _Generator:
    def __init__(self, rng, con, primaries, secondaries, scale):
        self.rng, self.con, self.scale = rng, con, scale
        self.primaries, self.secondaries = primaries, secondaries
        self.children: list[Child] = []
        self.by_surname: dict[str, list[Child]] = {}
        self.identities: set[tuple[str, date]] = set()
        self.matcher = matching.Matcher(con)
        self.memo: dict = {}
        self.password_hash = auth.hash_password(DEMO_PASSWORD, checked=False)  # published in the README: demo only
        self.calendar = calendar.Calendars(con).council()

    def _day_weight(self, day: date) -> float:
        info = self.calendar.day(day)
        weight = 1.0
        if day.weekday() >= 5:
            weight = 1.45
        elif info.kind in ("holiday", "bank_holiday"):
            weight = 1.2
        return weight * (1.1 if day.month in (12, 1, 7, 8) else 1.0)

    def run(self, start: date, end: date) -> dict[str, pd.DataFrame]:
        rng = self.rng
        sheets, incidents, links, rejected = [], [], [], []
        child_ids: dict[int, int] = {}  # id(child) -> child id
        child_rows = []
        day = start
        ref_no = 0
        weights = {}
        while day < end - timedelta(days=1):  # yesterday's sheet is the one to import today
            weights[day] = self._day_weight(day) if self.scale <= 20 else (1.45 if day.weekday() >= 5 else 1.0)
            day += timedelta(days=1)
        base = 1750 / 365.25 / (sum(weights.values()) / len(weights))  # children a day, on average
        for day, weight in weights.items():
            sheet_id = len(sheets) + 1
            imported_at = datetime.combine(day + timedelta(days=1), datetime.min.time()) + timedelta(
                hours=7, minutes=rng.randint(0, 50))
            n_children = _poisson(rng, base * weight * self.scale)
            row_no, rows_here = 1, []
            while len(rows_here) < n_children:
                ref_no += 1
                police_ref = f"DEMO/{ref_no:07d}/{day:%y}"
                at = datetime.combine(day, datetime.min.time()) + timedelta(
                    minutes=rng.choice([rng.randint(0, 1439), rng.randint(17 * 60, 23 * 60 + 59)]))
                incident_id = len(incidents) + 1
                level = rng.choices([1, 2, 3, 4], [40, 35, 20, 5])[0]
                dash = rng.choices(["standard", "medium", "high"], [60, 30, 10])[0]
                incidents.append((incident_id, police_ref, at, True, level, dash, sheet_id))
                for child in self._children_for(day):
                    key = id(child)
                    if key not in child_ids:
                        child_ids[key] = len(child_rows) + 1
                        child_rows.append((child_ids[key], child.forename, child.surname, child.dob,
                                           normalise.name_key(child.forename, child.surname), imported_at))
                    row_no += 1
                    typed = self._typed(child)
                    m = self._match(typed, matching.child_phase(child.dob, day))
                    status, urn, method, reason, by = m.status, m.urn, m.method, m.reason, "auto"
                    if status in matching.NEEDS_PERSON and day < end - timedelta(days=2):
                        # Older reviews were settled by the co-ordinator at the time.
                        status = "matched" if child.school_urn else "no_school"
                        urn, method, reason, by = child.school_urn, "person", "confirmed by coordinator", "coordinator"
                    elif status in matching.NEEDS_PERSON:
                        by = None
                    links.append((incident_id, child_ids[key], sheet_id, row_no, typed or None,
                                  normalise.school_text(typed), status, method, reason, urn,
                                  by, imported_at if by else None))
                    rows_here.append(1)
            bad = 1 if rng.random() < 0.04 * max(1.0, min(self.scale, 50)) else 0
            for _ in range(bad):
                row_no += 1
                rejected.append((sheet_id, row_no, *rng.choice([
                    ("dob", "Date of birth is empty"),
                    ("dob", "the child would be 19 at the incident: 18 or over is not a child"),
                    ("incident_date", "Date of incident: '31/02/2025' is not a real date (day first: dd/mm/yyyy)"),
                    ("forename", "Child forename is a formula, not a typed value: type the value in and re-export"),
                ])))
            sheets.append((sheet_id, f"DA daily sheet {day:%Y-%m-%d}.xlsx",
                           hashlib.sha256(f"demo:{day}:{sheet_id}".encode()).hexdigest(), "demo",
                           imported_at, "coordinator", len(rows_here) + bad, len(rows_here), 0, bad))
        return {
            "sheets": pd.DataFrame(sheets, columns=["id", "filename", "content_hash", "source", "imported_at",
                                                    "imported_by", "rows_total", "imported", "duplicates",
                                                    "rejected"]),
            "incidents": pd.DataFrame(incidents, columns=["id", "police_ref", "incident_at", "has_time", "level",
                                                          "dash_risk", "sheet_id"]),
            "children": pd.DataFrame(child_rows, columns=["id", "forename", "surname", "dob", "name_key",
                                                          "first_seen"]),
            "child_incidents": pd.DataFrame(links, columns=[
                "incident_id", "child_id", "sheet_id", "sheet_row", "school_text", "school_norm", "match_status",
                "match_method", "match_reason", "urn", "matched_by", "matched_at"]),
            "rejected_rows": pd.DataFrame(rejected, columns=["sheet_id", "row_number", "field", "reason"]),
        }

    def _children_for(self, day: date) -> list[Child]:
        rng = self.rng
        count = rng.choices([1, 2, 3, 4], [55, 30, 11, 4])[0]
        # About a quarter of children come back: reuse a family seen before some of the time.
        if self.children and rng.random() < 0.3:
            first = self.children[rng.randint(max(0, len(self.children) - 4000), len(self.children) - 1)]
            family = [c for c in self.by_surname[first.surname][-6:]
                      if abs((c.dob - first.dob).days) < 365 * 12][:count] or [first]
            return [c for c in family if (day - c.dob).days < 365 * 18 - 30] or [self._new_child(day, first.surname)]
        surname = rng.choice(SURNAMES) + ("" if rng.random() < 0.5 else f"-{rng.choice(SURNAMES)}")
        return [self._new_child(day, surname) for _ in range(count)]

    def _new_child(self, day: date, surname: str) -> Child:
        rng = self.rng
        age_days = rng.randint(200, 365 * 17)
        if age_days < 365 * 4 and rng.random() < 0.5:  # fewer babies than a flat spread gives
            age_days = rng.randint(365 * 4, 365 * 17)
        dob = day - timedelta(days=age_days)
        phase = matching.child_phase(dob, day)
        if phase == "preschool" or rng.random() < 0.02:
            school = None
        else:
            school = rng.choice(self.primaries if phase == "primary" else self.secondaries)
        forename = rng.choice(FORENAMES)
        while (identity := (normalise.name_key(forename, surname), dob)) in self.identities:
            # Name and DOB are a child's identity: a second child may not share both.
            forename, dob = rng.choice(FORENAMES), dob - timedelta(days=1)
        self.identities.add(identity)
        child = Child(forename, surname, dob, school["urn"] if school else None, school["name"] if school else "")
        self.children.append(child)
        self.by_surname.setdefault(surname, []).append(child)
        return child

    def _typed(self, child: Child) -> str:
        """The school as an officer might type it."""
        rng = self.rng
        if not child.school_urn:
            return rng.choice(NO_SCHOOL_TEXTS)
        name = child.school_name
        roll = rng.random()
        if roll < 0.45:
            return name
        if roll < 0.6:
            return re.sub(r"\s*School\b", "", name)
        if roll < 0.7:
            return name.replace("CofE", "C of E").replace("St ", "St. ").replace("'", "")
        if roll < 0.78:
            return name.upper() if rng.random() < 0.5 else name.lower()
        if roll < 0.86 and len(name) > 8:
            i = rng.randint(1, len(name) - 3)
            return name[:i] + name[i + 1] + name[i] + name[i + 2:]
        if roll < 0.92:
            return name.replace("Primary", "Prim").replace("School", "Sch")
        if roll < 0.97:
            return " ".join(name.split()[:2])
        return ""

    def _match(self, typed: str, phase: str) -> matching.Match:
        key = (normalise.school_text(typed), phase)
        if key not in self.memo:
            self.memo[key] = self.matcher.match(typed, phase)
        return self.memo[key]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, mean ** 0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _write_frames(cur, frames: dict[str, pd.DataFrame]) -> None:
    for table in ("sheets", "incidents", "children", "child_incidents", "rejected_rows"):
        frame = frames[table]
        if frame.empty:
            continue
        cols = ", ".join(frame.columns)
        with db.registered(cur, "demo_frame", frame):  # table and column names are ours, not input
            cur.execute(f"insert into {table} ({cols}) select {cols} from demo_frame")
    # Sequences must carry on after the ids written here.
    for table, seq in (("sheets", "seq_sheets"), ("incidents", "seq_incidents"), ("children", "seq_children"),
                       ("child_incidents", "seq_child_incidents")):
        top = cur.execute(f"select coalesce(max(id), 0) from {table}").fetchone()[0]
        # DuckDB cannot set a sequence's position: draw it forward past the ids written here.
        cur.execute(f"select max(nextval('{seq}')) from range(?)", [top])


def _write_notifications(cur, cal: calendar.Calendar, end: date) -> None:
    """The history of what was sent: nearly all on time, some late, a few returned by the school."""
    days = [r[0] for r in cur.execute("select distinct incident_at::date from incidents").fetchall()]
    due = pd.DataFrame({"day": days, "due_by": [cal.due_by(d)[0] for d in days]})
    with db.registered(cur, "due_dates", due):
        db.run(cur, "demo/insert_notifications", {"before": end - timedelta(days=1)})
    db.run(cur, "demo/insert_responses")
    db.run(cur, "demo/acknowledge")


def _write_contacts(cur, rng: random.Random, open_schools: list[dict]) -> None:
    now = clock.now()
    rows, confirmations = [], []
    for s in open_schools:
        if rng.random() < 0.08:
            continue  # some schools have no contacts: the app must show them
        roles = ["key_contact", "head"] + (["deputy"] if rng.random() < 0.9 else [])
        for role in roles:
            domain = "schools.example.org" if rng.random() > 0.01 else "school.example.org"  # the odd typo
            rows.append((s["urn"], role, f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}",
                         f"{role.replace('_', '.')}.{s['urn']}@{domain}", "01743 000000",
                         now - timedelta(days=rng.randint(30, 700)), "demo"))
        confirmations.append((s["urn"], (now - timedelta(days=rng.randint(0, 500))).date(), "demo"))
    cur.executemany(db.sql("demo/insert_contact"), rows)
    cur.executemany("insert into school_confirmations values (?, ?, ?)", confirmations)


def write_example_sheet(con, folder: Path, day: date, rng: random.Random | None = None) -> Path:
    """Today's police sheet for trying the import: good rows, bad rows, a repeat child, an ambiguous school."""
    rng = rng or random.Random(1)
    folder.mkdir(parents=True, exist_ok=True)
    incident = day - timedelta(days=1)
    repeat = con.execute("select forename, surname, dob from children order by id desc limit 1").fetchone()
    d = f"{incident:%d/%m/%Y}"

    def ref(n: int) -> str:  # a new reference every day, as the police's are
        return f"DEMO/{day:%m%d}{n:02d}/{day:%y}"
    rows = [
        [ref(1), d, "21:40", "Poppy", "Testington", "14/03/2016", "Hinstock Primary", "Level 2", "Medium"],
        [ref(1), d, "21:40", "Rory", "Testington", "02/11/2012", "Hadley Learning Community", "Level 2", "Medium"],
        [ref(2), d, "23:05", "Sid", "Exampleton", "30/06/2014", "St Marys C of E Primary", "Level 3", "High"],
        [ref(3), d, "18:15", "Tess", "Mockford", "05/09/2018", "Belvidere", "Level 1", "Standard"],
        [ref(4), d, "02:30", "Uri", "Fakeley", "12/01/2023", "Pre-school", "Level 2", "Standard"],
        [ref(5), d, "19:00", "Vera", "Dummett", "31/02/2013", "Idsall School", "Level 2", "Medium"],
        [ref(6), d, "20:20", "Wes", "Demoson", "01/01/2000", "Meole Brace School", "Level 1", "Standard"],
        ["", d, "20:20", "Xena", "Pretendly", "04/04/2015", "Crowmoor Primary", "Level 1", "Standard"],
    ]
    if repeat:
        rows.append([ref(7), d, "22:10", repeat[0], repeat[1], f"{repeat[2]:%d/%m/%Y}",
                     "Lakelands Academy", "Level 2", "High"])
    frame = pd.DataFrame(rows, columns=["Police Ref", "Incident Date", "Time", "Child Forename", "Child Surname",
                                        "D.O.B", "School Attended", "Concern Level", "DASH Risk"])
    path = folder / f"police-sheet-{day:%Y-%m-%d}.xlsx"
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    path.write_bytes(buffer.getvalue())
    return path
