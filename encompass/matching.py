"""From the school an officer typed to a URN, or to a person with ranked candidates.

A notification sent to the wrong school is a data breach, so a match is only automatic when
it is unambiguous: a learned alias, or one clear best school whose phase fits the child's age.
Everything else goes to the co-ordinator with candidates and the reason for each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from rapidfuzz import fuzz, process

from . import audit, calendar, clock, db, normalise

AUTO_SCORE = 0.92      # a single candidate at least this close may be matched without a person
CANDIDATE_SCORE = 0.60  # below this a school is not worth showing
CONTENDER_MARGIN = 0.08  # candidates this close to the best are rivals: a person must choose
NEEDS_PERSON = ("review", "unknown")


@dataclass
class Candidate:
    urn: int
    name: str
    score: float
    reason: str
    phase_group: str = "unknown"
    open: bool = True
    contains_all: bool = False   # the school's name has every word the officer typed


@dataclass
class Match:
    text: str
    status: str                      # matched / review / unknown / no_school / out_of_area
    urn: int | None = None
    name: str | None = None
    method: str | None = None
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"text": self.text, "status": self.status, "urn": self.urn, "name": self.name,
                "reason": self.reason,
                "candidates": [{"urn": c.urn, "name": c.name, "score": round(c.score, 3), "reason": c.reason}
                               for c in self.candidates]}


def child_phase(dob: date, on: date) -> str:
    """preschool / primary / secondary from the child's age on 31 August of the school year."""
    age = calendar.age_on(dob, calendar.school_year_start(on) - timedelta(days=1))
    if age < 4:
        return "preschool"
    return "primary" if age < 11 else "secondary"


def phase_fits(school_phase: str, phase: str | None) -> bool | None:
    """True / False when both are known, None when either is not."""
    if not phase or school_phase == "unknown":
        return None
    if school_phase == "all":
        return True
    if phase == "preschool":
        return school_phase == "primary"
    return school_phase == phase


class Matcher:
    """Loads the register and aliases once; matches many texts (one sheet) against them."""

    def __init__(self, con):
        cols = ["urn", "name", "name_norm", "status", "phase_group", "in_register"]
        self.schools = {r[0]: dict(zip(cols, r)) for r in con.execute(
            "select urn, name, name_norm, status, phase_group, in_register from schools").fetchall()}
        self.successors = dict(con.execute(
            "select urn, link_urn from school_links where link_type like 'Successor%' "
            "order by link_date nulls first").fetchall())
        self.aliases = {r[0]: r[1:] for r in con.execute(
            "select text_norm, outcome, urn, flagged from school_aliases").fetchall()}
        self._names = [(urn, s["name_norm"]) for urn, s in self.schools.items() if s["name_norm"]]
        self._norms = [name for _, name in self._names]
        self._scores: dict[str, tuple] = {}  # typed name -> (score per school, words-subset per school)

    def resolve(self, urn: int) -> int:
        """Follow successor links from a closed school to the one that replaced it."""
        seen = set()
        while self.schools.get(urn, {}).get("status") != "Open" and urn in self.successors and urn not in seen:
            seen.add(urn)
            urn = self.successors[urn]
        return urn

    def _is_open(self, urn: int) -> bool:
        s = self.schools.get(urn)
        return bool(s and s["status"] == "Open" and s["in_register"])

    def prime(self, norms) -> None:
        """Score many typed names against the register in one batch (a whole sheet at once)."""
        todo = sorted({n for n in norms if n and n not in self._scores})
        if not todo or not self._norms:
            return
        workers = -1 if len(todo) > 64 else 1  # threads cost more than they save on a few names
        ratio = process.cdist(todo, self._norms, scorer=fuzz.ratio, workers=workers) / 100
        subset = process.cdist(todo, self._norms, scorer=fuzz.token_set_ratio, workers=workers) / 100
        for i, norm in enumerate(todo):
            self._scores[norm] = (0.6 * ratio[i] + 0.4 * subset[i], subset[i])

    def candidates(self, norm: str, limit: int = 8) -> list[Candidate]:
        # Score against every school at once in rapidfuzz's C code; the Python loop only sees the few
        # names worth showing.
        if norm not in self._scores:
            self.prime([norm])
        scores, subset = self._scores[norm]
        typed_words = set(norm.split())
        best: dict[int, Candidate] = {}
        # token_set_ratio is 100 exactly when one name's words all appear in the other
        for i in ((scores >= CANDIDATE_SCORE) | (subset >= 1.0)).nonzero()[0]:
            urn, name_norm = self._names[i]
            contains_all = typed_words <= set(name_norm.split())
            if name_norm == norm:
                score, why = 1.0, "same name"
            else:
                score = float(scores[i])
                why = "the name has every typed word" if contains_all else "similar name"
            if score < CANDIDATE_SCORE and not contains_all:
                continue
            target = self.resolve(urn)
            if target != urn:
                why += f"; {self.schools[urn]['name']} (URN {urn}) was replaced by this school"
            s = self.schools.get(target, self.schools[urn])
            cand = Candidate(target, s["name"], score, why, s["phase_group"], self._is_open(target), contains_all)
            if not cand.open:
                cand.reason += "; not an open school in the register"
            if target not in best or best[target].score < score:
                best[target] = cand
        return sorted(best.values(), key=lambda c: (-c.score, c.name))[:limit]

    def match(self, text: str | None, phase: str | None = None) -> Match:
        text = (text or "").strip()
        norm = normalise.school_text(text)
        if not norm:
            return Match(text, "unknown", reason="no school given")
        alias = self.aliases.get(norm)
        if alias:
            outcome, urn, flagged = alias
            if outcome == "school" and not flagged:
                target = self.resolve(urn)
                if self._is_open(target):
                    return Match(text, "matched", target, self.schools[target]["name"], "alias",
                                 "confirmed by a person before")
            elif outcome in ("no_school", "out_of_area"):
                return Match(text, outcome, method="alias", reason="confirmed by a person before")
        if norm in normalise.NO_SCHOOL_WORDS:
            return Match(text, "no_school", method="no_school_words", reason=f"'{text}' means no school")
        cands = self.candidates(norm)
        if not cands:
            return Match(text, "unknown", reason="no school in the register looks like this")
        if alias and alias[2]:
            return Match(text, "review", reason="a school returned a notification sent through this name",
                         candidates=cands)
        top = cands[0]
        # Rivals: anything nearly as close as the best, and any school whose name has every typed
        # word ("Belvidere" could be Belvidere School or Belvidere Primary School).
        rivals = [c for c in cands if c.score >= top.score - CONTENDER_MARGIN or c.contains_all]
        several_words = len(norm.split()) >= 2

        def strong(c: Candidate) -> bool:
            return c.open and (c.score >= AUTO_SCORE or (c.contains_all and several_words))

        if len(rivals) > 1 and phase and any(strong(c) for c in rivals):
            # Same-named schools (e.g. a primary and a secondary phase): the child's age may decide,
            # but only when every other rival's phase is known to be wrong.
            fitting = [c for c in rivals if phase_fits(c.phase_group, phase)]
            ruled_out = [c for c in rivals if phase_fits(c.phase_group, phase) is False]
            if len(fitting) == 1 and len(ruled_out) == len(rivals) - 1 and strong(fitting[0]):
                c = fitting[0]
                return Match(text, "matched", c.urn, c.name, "age",
                             f"{c.reason}; the only one of {len(rivals)} similar schools for a {phase} child",
                             cands)
        if len(rivals) == 1 and strong(top):
            if phase_fits(top.phase_group, phase) is not False:
                method = "exact" if top.score == 1.0 else "contains" if top.contains_all else "fuzzy"
                return Match(text, "matched", top.urn, top.name, method, top.reason, cands)
            return Match(text, "review", reason=f"{top.name} is a {top.phase_group} school; the child is {phase}",
                         candidates=cands)
        if len(rivals) > 1:
            reason = f"{len(rivals)} schools match about equally well"
        else:
            reason = "the closest school is not close enough to be sure"
        return Match(text, "review", reason=reason, candidates=cands)


def match_texts(con, texts: list[str]) -> list[Match]:
    matcher = Matcher(con)
    return [matcher.match(t) for t in texts]


# --- a person's decision ---------------------------------------------------------------

def queue(con) -> list[dict]:
    """Children whose school needs a person, grouped by the typed text (one decision per text)."""
    return db.rows(con, "matching/review_queue")


def resolve(con, child_incident_ids: list[int], outcome: str, urn: int | None, username: str) -> int:
    """Record a person's decision for waiting children that share one typed school, and learn it.

    outcome: school (with urn) / no_school / out_of_area. The typed text becomes an alias so the
    next sheet matches it without asking. Returns how many children it settled.
    """
    if outcome not in ("school", "no_school", "out_of_area"):
        raise ValueError(f"unknown outcome {outcome!r}")
    if outcome == "school" and urn is None:
        raise ValueError("choose a school")
    now = clock.now()
    with db.transaction(con) as cur:
        if outcome == "school":
            row = cur.execute("select 1 from schools where urn = ? and status = 'Open'", [urn]).fetchone()
            if row is None:
                raise ValueError(f"URN {urn} is not an open school in the register")
        waiting = db.run(cur, "matching/waiting", {"ids": list(child_incident_ids)}).fetchall()
        ids = [r[0] for r in waiting]
        if not ids:
            return 0
        db.run(cur, "matching/settle", {
            "ids": ids, "status": "matched" if outcome == "school" else outcome,
            "urn": urn if outcome == "school" else None, "username": username, "now": now})
        texts = {r[1] for r in waiting if r[1]}
        for text_norm in texts:  # a blank school is a per-child answer, not a name to learn
            db.run(cur, "matching/learn_alias", {
                "text_norm": text_norm, "outcome": outcome, "urn": urn if outcome == "school" else None,
                "username": username, "now": now})
        audit.record(cur, username, "confirm_school", "child_incident", ",".join(map(str, ids)),
                     outcome=outcome, urn=urn, children=len(ids), learned=len(texts))
    return len(ids)


def search_register(con, text: str, limit: int = 10) -> list[dict]:
    """Schools whose name, URN, town or postcode contains the text (for 'choose another school')."""
    return db.rows(con, "schools/search", {"q": text.strip(), "limit": limit})
