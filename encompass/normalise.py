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
    """A child's name compared without case, spacing or punctuation ("O'Neil" == "oneil")."""
    return _NON_ALNUM.sub("", _ascii_lower(f"{forename}{surname}"))


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
_PHRASES = [(re.compile(p), r) for p, r in _PHRASES]


@functools.lru_cache(maxsize=65536)  # a sheet repeats the same few hundred school spellings
def school_text(text: str | None) -> str:
    """A typed or registered school name reduced to comparable words.

    "St. Mary's C of E Prim Sch" and "St Mary's CofE Primary School" both become
    "saint marys cofe primary"; apostrophes join ("Mary's" -> "marys"), "&" reads "and".
    """
    if not text:
        return ""
    s = _ascii_lower(str(text)).replace("&", " and ")
    s = re.sub(r"['\u2019`]", "", s)
    s = _NON_ALNUM.sub(" ", s)
    s = f" {s} "
    for pattern, repl in _PHRASES:
        s = pattern.sub(repl, s)
    return " ".join(s.split())


# What officers type when a child has no school to tell. Compared after school_text().
NO_SCHOOL_WORDS = {
    school_text(w) for w in [
        "home educated", "home education", "elective home education", "electively home educated",
        "home schooled", "home school", "ehe", "not known", "unknown", "n/k", "nk", "n/a", "na",
        "none", "no school", "not in school", "not at school", "not in education", "nee", "neet",
        "pre-school", "preschool", "pre school", "pre-school age", "preschool age", "too young",
        "not school age", "under school age", "baby", "infant not at school", "tbc", "to be confirmed",
        "left school", "-",
    ]
}
