"""Text normalisation for the two things officers type: children's names and school names."""
from __future__ import annotations

import functools
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _ascii_lower(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def name_key(forename: str, surname: str) -> str:
    """A child's name compared without case, spacing, punctuation or accents ("O'Neil" == "oneil", "Zoë" == "zoe")."""
    text = f"{forename}{surname}"
    if not text.isascii():  # accents come apart from their letters and go; so does anything else not a-z0-9
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("", text.lower())


_NON_ALNUM_LINE = re.compile(r"[^a-z0-9\n]+")


def name_keys(forenames: list[str], surnames: list[str]) -> list[str]:
    """name_key of each (forename, surname) pair: a sheet's names in ASCII, as they nearly always are, go
    through the expression once, a line each."""
    if not forenames:
        return []
    lines = "\n".join(map(str.__add__, forenames, surnames)).lower()
    if lines.isascii() and lines.count("\n") == len(forenames) - 1:
        return _NON_ALNUM_LINE.sub("", lines).split("\n")
    return list(map(name_key, forenames, surnames))


# Whole-phrase rewrites, applied on a space-separated, punctuation-free string.
_PHRASES = [
    (r"\bchurch of england\b", "cofe"),
    (r"\bc of e\b", "cofe"),
    (r"\bc e\b", "cofe"),
    (r"\bce\b", "cofe"),
    (r"\bcoe\b", "cofe"),
    (r"\broman catholic\b", "catholic"),
    (r"\br c\b", "catholic"),
    (r"\brc\b", "catholic"),
    (r"\bst\b", "saint"),
    (r"\bprim\b", "primary"),
    (r"\bpri\b", "primary"),
    (r"\bprimay\b", "primary"),
    (r"\binfants\b", "infant"),
    (r"\bjuniors\b", "junior"),
    (r"\bjnr\b", "junior"),
    (r"\bsec\b", "secondary"),
    (r"\bsch\b", "school"),
    (r"\bacad\b", "academy"),
    (r"\band nursery\b", ""),
    (r"\bnursery and\b", ""),
    (r"\b(the|school)\b", ""),
]
# The full form keeps "school" (so "Belvidere School" is told from "Belvidere Primary School").
_FULL = [(re.compile(p), r) for p, r in _PHRASES[:-1]] + [(re.compile(r"\bthe\b"), "")]
_PHRASES = [(re.compile(p), r) for p, r in _PHRASES]


def _reduce(text: str | None, phrases) -> str:
    if not text:
        return ""
    s = _ascii_lower(str(text)).replace("&", " and ")
    s = re.sub(r"['\u2019`]", "", s)
    s = _NON_ALNUM.sub(" ", s)
    s = f" {s} "
    for pattern, repl in phrases:
        s = pattern.sub(repl, s)
    return " ".join(s.split())


@functools.lru_cache(maxsize=65536)  # a sheet repeats the same few hundred school spellings
def school_text(text: str | None) -> str:
    """A typed or registered school name reduced to comparable words.

    "St. Mary's C of E Prim Sch" and "St Mary's CofE Primary School" both become
    "saint marys cofe primary"; apostrophes join ("Mary's" -> "marys"), "&" reads "and".
    """
    return _reduce(text, _PHRASES)


@functools.lru_cache(maxsize=65536)
def school_full(text: str | None) -> str:
    """As school_text, but keeping the word "school": the whole name, to tell an exact full name."""
    return _reduce(text, _FULL)


def place(text: str | None) -> str:
    """A town or locality as officers type it after a school's name ("Nr Whitchurch" -> "whitchurch")."""
    words = _NON_ALNUM.sub(" ", _ascii_lower(text or "").replace("'", "")).split()
    while words and words[0] in ("nr", "near"):
        words = words[1:]
    return " ".join(words)


# What officers type when a child has no school to tell: only these mean "no school", and such a
# child is notified to the council's EHE / children-missing-education officer. Compared after school_text().
NO_SCHOOL_WORDS = {
    school_text(w) for w in [
        "home educated", "home education", "elective home education", "electively home educated",
        "home schooled", "home school", "ehe", "ehe child", "not in education", "nee", "neet",
        "no school", "not in school", "not at school", "left school",
        "pre-school", "preschool", "pre school", "pre-school age", "preschool age", "too young",
        "not school age", "not of school age", "under school age", "below school age", "baby",
        "infant not at school",
    ]
}

# What officers type for a school in another local authority's area, without naming it: a person finds
# out which authority, and its Operation Encompass lead is told.
OUT_OF_AREA_WORDS = {
    school_text(w) for w in ["out of area", "out of county", "ooa", "out of authority", "another county",
                             "other county", "attends out of area"]
}

# What officers type when they do not know the school. Such a child needs a person, who researches it.
NOT_GIVEN_WORDS = {
    school_text(w) for w in [
        "not known", "unknown", "unk", "n/k", "nk", "u/k", "n/a", "na", "none", "nil", "tbc", "to be confirmed",
        "tba", "not given", "not stated", "not recorded", "not provided", "not asked", "x",
    ]
} | {""}
