"""From the school an officer typed to a URN, or to a person with ranked candidates.

A notification sent to the wrong school is a data breach, so a match is only automatic when it is
unambiguous: a learned spelling, an exact full name, the one school whose name holds every typed word,
one clear best school, the one of same-named schools in the town typed after the name, or the one whose
phase fits the child's age. Everything else goes to the co-ordinator with candidates and the reason for
each. Only explicit words ("home educated", "pre-school") mean no school; "N/K", "TBC" or a blank mean the
school is not known, and a person researches it. A child's own history is checked after matching (see
`history_conflicts`): a school other than the one the child was last confirmed at goes to a person.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from . import audit, calendar, clock, db, normalise

AUTO_SCORE = 0.92       # a single candidate at least this close may be matched without a person
CLOSE_SCORE = 0.85      # ... or this close, when the child's age fits its known phase
CANDIDATE_SCORE = 0.60  # below this a school is not worth showing
CONTENDER_MARGIN = 0.08  # candidates this close to the best are rivals: a person must choose
WORD_SIMILARITY = 85    # a typed word of 4+ letters "is" a name's word this similar ("Idsal" / "Idsall")
HISTORY = timedelta(days=730)  # a child's last confirmed school counts for 24 months
BATCH = 64  # from this many typed names, scoring uses every core (threads cost more than they save on fewer)
NEEDS_PERSON = ("review", "unknown")
OUTCOMES = ("school", "no_school", "out_of_area")

# Words about how a school is run, which officers leave out ("Abraham Darby" for "Haberdashers' Abraham
# Darby Academy"). Words about a school's phase are not in here: "... Primary" must not match a
# secondary school whose name lacks the word.
GOVERNANCE_WORDS = frozenset({"academy", "cofe", "catholic", "community", "voluntary", "controlled", "aided",
                              "va", "vc", "endowed", "free", "church", "and", "of", "specialist", "learning"})
PHASE_WORDS = frozenset({"primary", "infant", "junior", "nursery", "secondary", "high", "grammar", "upper", "first",
                         "middle", "college", "preschool", "phase"})
DESCRIPTIVE_WORDS = GOVERNANCE_WORDS | PHASE_WORDS | {"saint"}


def _similar(a: str, b: str) -> bool:
    """Two words are the same allowing a small typo (4+ letters) or a plural."""
    return a == b or (min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= WORD_SIMILARITY)


@dataclass
class Candidate:
    urn: int
    name: str
    score: float
    reason: str
    phase_group: str = "unknown"
    open: bool = True
    contains_all: bool = False   # the school's name has every typed word (allowing a small typo)
    town: str | None = None
    postcode: str | None = None
    low_age: int | None = None
    high_age: int | None = None
    full: str = ""               # the whole name, normalised (see normalise.school_full)
    places: frozenset = frozenset()
    norm: str = ""               # the name that matched, normalised (an old name, for a replaced school)


@dataclass
class Suggestion:
    """What a person is offered first: the child's last school, or what a person decided for this spelling."""
    kind: str                     # school / no_school / out_of_area
    why: str
    urn: int | None = None
    name: str | None = None
    la_code: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "urn": self.urn, "la_code": self.la_code, "why": self.why}


@dataclass
class Match:
    text: str
    status: str                      # matched / review / unknown / no_school
    urn: int | None = None
    name: str | None = None
    method: str | None = None
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    suggestion: Suggestion | None = None

    def as_dict(self) -> dict:
        return {"text": self.text, "status": self.status, "urn": self.urn, "name": self.name,
                "reason": self.reason,
                "suggestion": self.suggestion.as_dict() if self.suggestion else None,
                "candidates": [{"urn": c.urn, "name": c.name, "score": round(c.score, 3), "reason": c.reason}
                               for c in self.candidates]}


def child_phase(dob: date, on: date) -> str:
    """preschool / primary / secondary from the child's age on 31 August of the school year."""
    return child_phases([dob], [on])[0]


def child_phases(dobs: list[date], days: list[date]) -> list[str]:
    """child_phase of each (date of birth, day) pair, for a whole sheet: each day's school year worked out once."""
    began = {day: calendar.school_year_start(day).year for day in set(days)}
    # The age on the 31 August before the school year began.
    return [_phase_at_age(began[day] - dob.year - (dob.month >= 9)) for dob, day in zip(dobs, days)]


def _phase_at_age(age: int) -> str:
    if age < 4:
        return "preschool"
    return "primary" if age < 11 else "secondary"


def phase_fits(school_phase: str, phase: str | None) -> bool | None:
    """True / False when both are known, None when either is not (an unknown phase is never a fit)."""
    if not phase or school_phase == "unknown":
        return None
    if school_phase == "all":
        return True
    if phase == "preschool":
        return school_phase == "primary"
    return school_phase == phase


def age_fit(low: int | None, high: int | None, phase_group: str, age: int | None) -> str:
    """A few words for the person choosing: the school's phase and ages, and whether the child's age fits."""
    ages = f"ages {low}–{high}" if low is not None and high is not None else ""
    phase = {"primary": "primary", "secondary": "secondary", "all": "all-through"}.get(phase_group, "")
    what = ", ".join(x for x in (phase, ages) if x) or "phase and ages not known"
    if age is None:
        return what
    if ages:
        fits = low <= age <= high
    elif phase_group in ("primary", "secondary"):
        fits = (phase_group == "primary") == (age < 11)
    else:
        return what
    return f"{what}: fits the child ({age})" if fits else f"{what}: DOES NOT FIT — the child is {age}"


class Matcher:
    """Loads the register and aliases once; matches many texts (one sheet) against them."""

    def __init__(self, con):
        self.schools = {r["urn"]: r for r in db.rows(con, "matching/register")}
        for s in self.schools.values():
            s["full"] = normalise.school_full(s["name"])
            s["places"] = frozenset(p for p in (normalise.place(s["town"]), normalise.place(s["locality"])) if p)
        self.successors = dict(db.run(con, "matching/successors").fetchall())
        self.aliases = {r[0]: r[1:] for r in db.run(con, "matching/aliases").fetchall()}
        self._names = [(urn, s["name_norm"]) for urn, s in self.schools.items() if s["name_norm"]]
        self._position = {urn: i for i, (urn, _) in enumerate(self._names)}
        self._norms = [name for _, name in self._names]
        self._same_name: dict[str, list[int]] = {}  # a name -> the positions of the schools called exactly that
        for i, norm in enumerate(self._norms):
            self._same_name.setdefault(norm, []).append(i)
        # The school each name leads to today (a closed school's successor): one array, so that candidates()
        # can keep each school's best-scoring name without a Python loop over the register.
        self._targets = np.array([self.resolve(urn) for urn, _ in self._names], dtype=np.int64)
        self._urns = np.array([urn for urn, _ in self._names], dtype=np.int64)
        self._scores: dict[str, np.ndarray] = {}  # typed name -> its score against each school
        # Which schools' names hold each word, for "every typed word is in the name".
        self._word_schools: dict[str, set[int]] = {}
        for urn, norm in self._names:
            for word in norm.split():
                self._word_schools.setdefault(word, set()).add(urn)
        self._vocabulary = list(self._word_schools)
        self._with_word: dict[str, frozenset[int]] = {}
        # Places typed after a name, longest first ("market drayton" before "drayton").
        self._places = sorted({p for s in self.schools.values() for p in s["places"]}, key=len, reverse=True)

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

    def prime(self, norms, early: EarlyScores | None = None) -> None:
        """Score many typed names against the register in one batch (a whole sheet at once), taking what was
        scored `early` if it was scored against the register as it is now."""
        if early is not None and early.names == self._norms:
            self._scores.update(early.pending.result())
        distinct = set(norms)
        # A town typed after a name is matched on the name without it: scored in the same batch.
        todo = sorted({n for norm in distinct for n in (norm, self._split_place(norm)[0]) if n} - self._scores.keys())
        if todo and self._norms:
            self._scores.update(_scores(todo, self._norms))
        self._learn_words({word for norm in distinct for word in norm.split()})

    def _learn_words(self, words) -> None:
        """Which schools' names hold each word, or one a small typo away (4+ letters): one rapidfuzz batch
        finds the near spellings of many words at once."""
        todo = sorted(w for w in words if w not in self._with_word)
        long = [w for w in todo if len(w) >= 4]
        near = {}
        if long and self._vocabulary:
            similar = process.cdist(long, self._vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY,
                                    workers=-1 if len(long) >= BATCH else 1)
            near = {word: similar[i].nonzero()[0] for i, word in enumerate(long)}
        for word in todo:
            found = set(self._word_schools.get(word, ()))
            for j in near.get(word, ()):
                found |= self._word_schools[self._vocabulary[j]]
            self._with_word[word] = frozenset(found)

    def _schools_with_word(self, word: str) -> frozenset[int]:
        """Schools whose name has this word, or one a small typo away (see _learn_words)."""
        if word not in self._with_word:
            self._learn_words([word])
        return self._with_word[word]

    def _containing(self, words) -> frozenset[int]:
        """Schools whose names hold every one of the words."""
        sets = [self._schools_with_word(w) for w in words]
        return sets[0].intersection(*sets[1:]) if sets else frozenset()

    def candidates(self, norm: str, limit: int = 8) -> list[Candidate]:
        """The schools worth showing for a typed name, best first: the `limit` closest, and every school whose
        name holds every typed word however far down (they are the rivals). A closed school counts as the one
        that replaced it, with its best-scoring name."""
        # Scores against every school come from rapidfuzz's C code, the choosing from numpy; Candidates are
        # built only for the few schools that can be shown.
        if norm not in self._scores:
            self.prime([norm])
        if norm not in self._scores:  # nothing typed, or no register loaded yet
            return []
        scores = self._scores[norm].copy()
        scores[self._same_name.get(norm, [])] = 1.0
        containing = self._containing(norm.split())
        holds = np.zeros(len(scores), dtype=bool)
        holds[[self._position[urn] for urn in containing]] = True
        worth = ((scores >= CANDIDATE_SCORE) | holds).nonzero()[0]
        if not len(worth):
            return []
        # Each school's best-scoring name (on a tie its own name, not a school it replaced), best schools first.
        replaced = self._targets[worth] != self._urns[worth]
        ordered = worth[np.lexsort((worth, replaced, -scores[worth]))]
        first: dict[int, int] = {}  # school -> its first (best) position in that order
        for position, target in zip(ordered.tolist(), self._targets[ordered].tolist()):
            first.setdefault(target, position)
        best = np.fromiter(first.values(), dtype=ordered.dtype, count=len(first))
        cut = scores[best[min(limit, len(best)) - 1]]
        shown = best[(scores[best] >= cut) | holds[best]]
        ranked = sorted((self._candidate(int(i), norm, float(scores[i]), bool(holds[i])) for i in shown),
                        key=lambda c: (-c.score, c.name, c.urn))
        return ranked[:limit] + [c for c in ranked[limit:] if c.contains_all]

    def _candidate(self, position: int, norm: str, score: float, holds: bool) -> Candidate:
        urn, name_norm = self._names[position]
        if name_norm == norm:
            why = "same name"
        else:
            why = "the name has every typed word" if holds else "similar name"
        target = int(self._targets[position])
        if target != urn:
            why += f"; {self.schools[urn]['name']} (URN {urn}) was replaced by this school"
        s = self.schools.get(target, self.schools[urn])
        cand = Candidate(target, s["name"], score, why, s["phase_group"], self._is_open(target), holds,
                         s["town"], s["postcode"], s["low_age"], s["high_age"], s["full"], s["places"], name_norm)
        if not cand.open:
            cand.reason += "; not an open school in the register"
        return cand

    def _split_place(self, norm: str) -> tuple[str, str | None]:
        """'idsal shifnal' -> ('idsal', 'shifnal'): a known town typed after the name."""
        for place in self._places:
            if norm.endswith(" " + place):
                return norm[: -len(place) - 1].strip(), place
        return norm, None

    def describe(self, urn: int, age: int | None = None) -> str:
        """One line a person can choose by: name, town and postcode, phase and ages (and whether the child's age
        fits), URN — four schools called St Mary's CofE Primary are told apart by their towns."""
        s = self.schools[urn]
        where = " ".join(x for x in (s["town"], s["postcode"]) if x) or "town not known"
        return f"{s['name']} · {where} · {age_fit(s['low_age'], s['high_age'], s['phase_group'], age)} · URN {urn}"

    def learned_near(self, text: str | None) -> tuple[str, int, int] | None:
        """The spelling closest to this one that a person has matched to a school (a few letters apart):
        (that spelling, its school, how many letters differ). A hint beside the candidates, never a match."""
        norm = normalise.school_text(text or "")
        learned = [t for t, (outcome, urn, _, flagged) in self.aliases.items()
                   if outcome == "school" and urn is not None and not flagged and t != norm]
        if not norm or not learned:
            return None
        found = process.extractOne(norm, learned, scorer=Levenshtein.distance, score_cutoff=3)
        if found is None:
            return None
        spelling, distance, _ = found
        return spelling, self.resolve(self.aliases[spelling][1]), int(distance)

    def choices(self, group: dict, found: "Match", age: int | None) -> list[tuple[int, str]]:
        """The schools offered for a group waiting on School matching, in order, each with the line a person
        decides by: the child's last school first, then the candidates, the school a near spelling was matched
        to, and any school that said the child is not theirs (marked so)."""
        refused = {r["urn"]: r["on"] for r in group["returned_by"]}
        near = self.learned_near(group["school_text"])
        offered: dict[int, str] = {}
        last = group["last_school"]
        if last and last["urn"] not in refused:
            offered[last["urn"]] = f"the child's last school: confirmed there on {last['on']:%d/%m/%Y}"
        for c in found.candidates:
            if c.open and c.urn not in offered:
                offered[c.urn] = c.reason
        if near and near[1] in self.schools:
            letters = f"{near[2]} letter{'s' if near[2] != 1 else ''} different"
            hint = f"a person chose it for “{near[0]}” ({letters})"
            offered[near[1]] = f"{offered[near[1]]}; {hint}" if near[1] in offered else hint
        for urn in refused:
            offered.setdefault(urn, "")
        return [(urn, f"{self.describe(urn, age)} — {why}".rstrip(" —")
                 + (f" — SAID NOT AT THIS SCHOOL on {refused[urn]:%d/%m/%Y}" if urn in refused else ""))
                for urn, why in offered.items()]

    def match(self, text: str | None, phase: str | None = None) -> Match:
        text = (text or "").strip()
        norm = normalise.school_text(text)
        if norm in normalise.NOT_GIVEN_WORDS:
            return Match(text, "unknown", reason="school not given")
        if norm in normalise.OUT_OF_AREA_WORDS:
            return Match(text, "unknown", reason="a school out of area, not named: find out which local authority",
                         suggestion=Suggestion("out_of_area", "the police recorded a school out of area"))
        suggestion = None
        alias = self.aliases.get(norm)
        if alias:
            outcome, urn, la_code, flagged = alias
            if outcome == "school" and not flagged:
                target = self.resolve(urn)
                if self._is_open(target):
                    return Match(text, "matched", target, self.schools[target]["name"], "alias",
                                 "confirmed by a person before")
            elif outcome in ("no_school", "out_of_area"):
                # A person's "no school" or "out of area" for one child is a suggestion for the next.
                suggestion = Suggestion(outcome, f"a person recorded “{text}” as "
                                        + ("no school" if outcome == "no_school" else "out of area") + " before",
                                        la_code=la_code)
        if norm in normalise.NO_SCHOOL_WORDS and suggestion is None:
            return Match(text, "no_school", method="no_school_words", reason=f"“{text}” means no school")
        base, place = self._split_place(norm)
        full = normalise.school_full(text)
        if place and base:
            found = self._decide(text, base, full, phase, place)
        else:
            found = self._decide(text, norm, full, phase, None)
        if alias and alias[3]:  # a school returned a child sent through this spelling: a person decides
            found = Match(text, "review", reason="a school returned a notification sent through this spelling"
                          + ("" if found.status == "matched" else f"; {found.reason}"), candidates=found.candidates)
        if suggestion is not None:
            found = Match(text, "review", reason=suggestion.why, candidates=found.candidates, suggestion=suggestion)
        return found

    def _accept(self, text: str, c: Candidate, phase: str | None, method: str, why: str,
                cands: list[Candidate]) -> Match:
        if not c.open:
            return Match(text, "review", reason=f"{c.name} is not an open school", candidates=cands)
        if phase_fits(c.phase_group, phase) is False:
            return Match(text, "review", reason=f"{c.name} is a {c.phase_group} school; the child is {phase}",
                         candidates=cands)
        replaced = c.reason.partition("; ")[2]  # e.g. "Hinstock Primary School (URN 123372) was replaced by this"
        return Match(text, "matched", c.urn, c.name, method, why + (f"; {replaced}" if replaced else ""), cands)

    def _decide(self, text: str, norm: str, full: str, phase: str | None, place: str | None) -> Match:
        cands = self.candidates(norm)
        if not cands:
            return Match(text, "unknown", reason="no school in the register looks like this")
        pool = cands
        where = ""
        if place:
            pool = [c for c in cands if place in c.places]
            where = f" in {place.title()}"
            if not pool:
                return Match(text, "review", reason=f"no school like this{where}: the town typed is another "
                             "school's", candidates=cands)
        top = pool[0]
        # An exact full name beats names that merely hold it ("Belvidere School", not Belvidere Primary); with
        # a town typed after it, the name may end with the town ("The Community College, Bishop's Castle").
        fulls = {full, full[: -len(place)].strip()} if place and full.endswith(place) else {full}
        exact = [c for c in pool if c.full in fulls]
        if len(exact) == 1:
            return self._accept(text, exact[0], phase, "exact", f"the exact full name{where}", cands)
        words = set(norm.split())
        distinctive = words - DESCRIPTIVE_WORDS
        typed = words | set((place or "").split())  # a school's name often holds its town

        def named_in_full(c: Candidate) -> bool:
            """Enough was typed to name this school: two distinctive words, or every distinctive word of
            its name ("Thomas" alone does not name Thomas Parker School)."""
            theirs = set(c.norm.split()) - DESCRIPTIVE_WORDS
            return len(distinctive) >= 2 or all(any(_similar(w, t) for t in typed) for w in theirs)

        containing = [c for c in pool if c.contains_all]
        if len(containing) == 1 and distinctive and named_in_full(containing[0]):
            c = containing[0]
            return self._accept(text, c, phase, "exact" if c.score == 1.0 else "contains",
                                f"the only school{where} whose name has every typed word", cands)
        if not containing and distinctive and all(w in GOVERNANCE_WORDS for w in words - distinctive):
            # Every distinctive word is in one name, and only words about how a school is run are missing.
            holders = self._containing(sorted(distinctive))
            in_pool = [c for c in pool if c.urn in holders]
            if len(in_pool) == 1 and len({self.resolve(u) for u in holders}) == 1 and named_in_full(in_pool[0]):
                return self._accept(text, in_pool[0], phase, "contains", f"the only school{where} whose name has "
                                    "every distinctive typed word", cands)
        rivals = containing or [c for c in pool if c.score >= top.score - CONTENDER_MARGIN]
        if len(rivals) > 1:
            if phase:
                # Same-named schools (a primary and a secondary phase): the child's age decides, but only
                # when every other rival's phase is known to be wrong.
                fitting = [c for c in rivals if phase_fits(c.phase_group, phase)]
                ruled_out = [c for c in rivals if phase_fits(c.phase_group, phase) is False]
                if len(fitting) == 1 and len(ruled_out) == len(rivals) - 1:
                    return self._accept(text, fitting[0], phase, "age", f"the only one of {len(rivals)} similar "
                                        f"schools{where} for a {phase} child", cands)
            return Match(text, "review", reason=f"{len(rivals)} schools{where} match about equally well",
                         candidates=cands)
        if top.score >= AUTO_SCORE:
            return self._accept(text, top, phase, "fuzzy", f"{top.reason}{where}", cands)
        if top.score >= CLOSE_SCORE and phase_fits(top.phase_group, phase):
            return self._accept(text, top, phase, "fuzzy", f"{top.reason}{where}; the child's age fits its phase",
                                cands)
        return Match(text, "review", reason=f"the closest school{where} is not close enough to be sure",
                     candidates=cands)


def register_names(con) -> list[str]:
    """The register's normalised names in URN order: what typed names are scored against."""
    return [name for (name,) in db.run(con, "matching/register_names").fetchall()]


def _scores(typed: list[str], names: list[str]) -> dict[str, np.ndarray]:
    """Each typed name's score against each register name, from rapidfuzz's C++ code; a batch runs on every
    core, and only then does rapidfuzz let go of Python's lock. A register repeats names ("St Mary's CofE
    Primary"): each distinct name is scored once (Shropshire's 386 names hold 302 distinct ones)."""
    workers = -1 if len(typed) >= BATCH else 1
    distinct, name_at = np.unique(np.array(names, dtype=object), return_inverse=True)
    distinct = list(distinct)
    ratio = process.cdist(typed, distinct, scorer=fuzz.ratio, workers=workers) / 100
    subset = process.cdist(typed, distinct, scorer=fuzz.token_set_ratio, workers=workers) / 100
    blended = (0.6 * ratio + 0.4 * subset)[:, name_at]
    return {norm: blended[k] for k, norm in enumerate(typed)}


def _behind_the_import() -> None:
    """The scoring thread gives way to the import's own thread. Both cores score while one of them is also
    checking the sheet's rows; at equal priority that checking ran a third slower (about 0.17 s, not 0.12),
    and the import waits for it either way. Niced, the scoring takes what the checking leaves, and the
    rapidfuzz threads it starts inherit that. Linux only: there a nice value belongs to one thread (elsewhere
    it would slow the whole app)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):  # a sandbox may refuse: scoring at equal priority is only slower
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


_SCORING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="school-scoring", initializer=_behind_the_import)


@dataclass
class EarlyScores:
    """A long sheet's typed schools scored against the register in a thread, started as soon as the sheet is
    read, so that the scoring overlaps the checking of its rows. The register is read outside the import's
    transaction, so a Matcher takes these scores only if its register's names are still these `names`."""
    names: list[str]
    pending: Future

    @classmethod
    def start(cls, con, texts) -> EarlyScores | None:
        typed = sorted({normalise.school_text(t) for t in texts} - {""})
        if len(typed) < BATCH:  # a daily sheet: scored in the import itself, in no time
            return None
        names = register_names(con)
        return cls(names, _SCORING.submit(_scores, typed, names)) if names else None


def match_texts(con, texts: list[str]) -> list[Match]:
    matcher = Matcher(con)
    return [matcher.match(t) for t in texts]


# --- a child's history ---------------------------------------------------------------------------

def last_schools(con, child_incident_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """For each child-incident: the school its child was last confirmed at in the last 24 months (another
    incident, matched and not returned — a return puts the child back in review), with when:
    {ci id: {"urn", "name", "town", "on"}}. Found through the indexes, whatever the history."""
    from . import facts  # facts reads the same tables; kept out of the matcher's own imports

    if not child_incident_ids:
        return {}
    since = (now or clock.now()) - HISTORY
    mine = facts.lookup(con, "child_incidents", child_incident_ids)
    theirs = db.rows(con, "facts/of_children", {"ids": sorted({m["child_id"] for m in mine.values()})})
    when = facts.lookup(con, "incidents", (t["incident_id"] for t in theirs))
    confirmed_at: dict[int, list] = {}  # child -> [(when confirmed, ci, urn)] for its matched child-incidents
    for t in theirs:
        at = when[t["incident_id"]]["incident_at"]
        if t["match_status"] == "matched" and t["urn"] is not None and at >= since:
            confirmed_at.setdefault(t["child_id"], []).append((t["matched_at"] or at, t["id"], t["urn"]))
    best: dict[int, tuple] = {}
    for ci, m in mine.items():
        others = [(at, urn) for at, other, urn in confirmed_at.get(m["child_id"], []) if other != ci]
        if others:
            best[ci] = max(others)
    names = facts.lookup(con, "schools", (urn for _, urn in best.values()))
    return {ci: {"id": ci, "urn": urn, "name": names[urn]["name"], "town": names[urn]["town"], "on": confirmed.date()}
            for ci, (confirmed, urn) in best.items() if urn in names}


def returned_by(con, child_incident_ids: list[int]) -> dict[int, list[dict]]:
    """Schools that said a child is not on their roll: {ci id: [{"urn", "name", "on"}]}."""
    found: dict[int, list[dict]] = {}
    if child_incident_ids:
        for r in db.rows(con, "matching/returned_by", {"ids": list(child_incident_ids)}):
            found.setdefault(r["id"], []).append(r)
    return found


# --- a person's decision ---------------------------------------------------------------

def queue(con) -> list[dict]:
    """Children whose school needs a person, grouped so that one decision fits every child in a group: by
    the typed text, the school the child was last confirmed at, and the schools that returned the child."""
    rows = db.rows(con, "matching/waiting_children")
    ids = [r["id"] for r in rows]
    last, returns = last_schools(con, ids), returned_by(con, ids)
    groups: dict[tuple, dict] = {}
    for r in rows:
        previous = last.get(r["id"])
        refused = tuple(sorted(x["urn"] for x in returns.get(r["id"], [])))
        text_key = r["school_norm"] or f"child:{r['id']}"
        key = (text_key, previous["urn"] if previous else None, refused)
        g = groups.setdefault(key, {
            "group_key": "|".join(str(k) for k in (text_key, previous["urn"] if previous else "", *refused)),
            "school_text": r["school_text"], "school_norm": r["school_norm"], "reason": r["match_reason"],
            "child_incident_ids": [], "police_refs": [], "dobs": [], "incident_dates": [], "children": 0,
            "earliest": r["incident_at"], "last_school": previous, "returned_by": returns.get(r["id"], [])})
        g["child_incident_ids"].append(r["id"])
        g["police_refs"].append(r["police_ref"])
        g["dobs"].append(r["dob"])
        g["incident_dates"].append(r["incident_at"].date())
        g["children"] += 1
    return sorted(groups.values(), key=lambda g: (g["earliest"], g["group_key"]))


class MatchingError(ValueError):
    pass


def resolve(con, child_incident_ids: list[int], outcome: str, urn: int | None, username: str,
            la_code: str | None = None) -> int:
    """Record a person's decision for waiting children that share one typed school; queue their notifications.

    outcome: school (with urn) / no_school (notified to the EHE officer) / out_of_area (with the local
    authority whose Operation Encompass lead is told). The spelling is learned: a school only when the
    typed text could name it (never from a child's history alone); "no school" and "out of area" as a
    suggestion for the next child, never applied by themselves. Returns how many children it settled.
    """
    from . import ledger, notifications  # they build on matching

    if outcome not in OUTCOMES:
        raise MatchingError(f"unknown outcome {outcome!r}")
    if outcome == "school" and urn is None:
        raise MatchingError("choose a school")
    if outcome == "out_of_area" and not la_code:
        raise MatchingError("choose the local authority whose Operation Encompass lead is told")
    now = clock.now()
    matcher = Matcher(con)
    with db.transaction(con) as cur:
        if outcome == "school" and not matcher._is_open(urn):
            raise MatchingError(f"URN {urn} is not an open school in the register")
        if outcome == "out_of_area" and not cur.execute("select 1 from la_leads where la_code = ?",
                                                        [la_code]).fetchone():
            raise MatchingError("that local authority has no Operation Encompass lead recorded: add one first")
        waiting = db.rows(cur, "matching/waiting", {"ids": list(child_incident_ids)})
        ids = [r["id"] for r in waiting]
        if not ids:
            return 0
        if outcome == "school":
            refused = [x for xs in returned_by(cur, ids).values() for x in xs if x["urn"] == urn]
            if refused:
                raise MatchingError(f"{refused[0]['name']} said on {refused[0]['on']:%d/%m/%Y} that the child is not "
                                    "on its roll: choose another school, or close the child-incident with a reason")
        db.run(cur, "matching/settle", {
            "ids": ids, "status": "matched" if outcome == "school" else outcome,
            "urn": urn if outcome == "school" else None, "la_code": la_code if outcome == "out_of_area" else None,
            "username": username, "now": now})
        learned = 0
        for text_norm in {r["school_norm"] for r in waiting if r["school_norm"]}:
            # A blank school is a per-child answer, not a name to learn; a school the text could not
            # name (chosen from the child's history) is not learned either.
            if outcome == "school" and urn not in {c.urn for c in matcher.candidates(text_norm)}:
                continue
            db.run(cur, "matching/learn_alias", {
                "text_norm": text_norm, "outcome": outcome, "urn": urn if outcome == "school" else None,
                "la_code": la_code if outcome == "out_of_area" else None, "username": username, "now": now})
            learned += 1
        notifications.queue(cur, ids)
        ledger.sync(cur, ids)
        audit.record(cur, username, "confirm_school", "child_incident", ",".join(map(str, ids)),
                     outcome=outcome, urn=urn, la_code=la_code, children=len(ids), learned=learned)
    return len(ids)


def search_register(con, text: str, limit: int = 10) -> list[dict]:
    """Schools whose name, URN, town or postcode contains the text (for 'choose another school')."""
    return db.rows(con, "schools/search", {"q": text.strip(), "limit": limit})
