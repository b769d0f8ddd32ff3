"""The real register's quirks, and school matching that never auto-confirms an unsafe match."""
from __future__ import annotations

import csv
import os
import sys
import threading
from datetime import date

import pytest

from encompass import matching, normalise, schools, sheets

from .conftest import REFERENCE, child_row, xlsx_bytes


def school(con, urn):
    cols = ["urn", "name", "la_code", "status", "phase_group", "la_inferred", "in_register"]
    row = con.execute(f"select {', '.join(cols)} from schools where urn = ?", [urn]).fetchone()
    return dict(zip(cols, row)) if row else None


# --- register -------------------------------------------------------------------------

def test_register_real_columns_and_quirks(con):
    assert con.execute("select count(*) from schools where in_register").fetchone()[0] == 232
    tushingham = school(con, 111285)  # LA inferred from the postcode, type and phase blank
    assert tushingham["la_inferred"] and tushingham["la_code"] == "893"
    assert tushingham["phase_group"] == "primary"  # from the name, since GIAS phase is blank
    # Names are not keys: four St Mary's CofE primaries with their own URNs.
    marys = con.execute("select count(*) from schools where in_register and name_norm = 'saint marys cofe primary'")
    assert marys.fetchone()[0] == 4
    # Postcodes are not keys either.
    assert con.execute("select count(*) from schools where postcode = 'SY9 5EA'").fetchone()[0] == 2
    # Hadley Learning Community: one postcode, two phases.
    assert school(con, 144853)["phase_group"] == "secondary" and school(con, 144942)["phase_group"] == "primary"


def test_links_make_closed_predecessors_resolve_to_successors(con):
    old = school(con, 123372)  # Hinstock before its academy conversion, known only from the links file
    assert old["status"] == "Closed" and not old["in_register"]
    m = matching.Matcher(con)
    assert m.resolve(123372) == 150398 and m.resolve(123391) == 150206


def test_reimport_updates_in_place_and_reports_changes(con, tmp_path):
    rows = list(csv.DictReader(open(REFERENCE / "gias_schools_shropshire_area.csv", encoding="utf-8")))
    header = list(rows[0].keys()) + ["SomeOtherGiasColumn"]
    rows = [dict(r, SomeOtherGiasColumn="ignored") for r in rows]
    rows[0]["EstablishmentName"] = rows[0]["EstablishmentName"] + " (renamed)"
    rows[1]["EstablishmentStatus (name)"] = "Closed"
    new = dict(rows[2], URN="999001", EstablishmentName="Testwell New Primary School")
    path = tmp_path / "gias.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows + [new])
    report = schools.import_register(con, path)
    assert (report.opened, report.closed, report.changed) == ([999001], [int(rows[1]["URN"])], [int(rows[0]["URN"])])
    assert con.execute("select count(*) from schools where in_register").fetchone()[0] == 233


def test_register_without_required_columns(tmp_path, con):
    path = tmp_path / "bad.csv"
    path.write_text("Name,Town\nA school,Somewhere\n")
    with pytest.raises(schools.RegisterError, match="URN"):
        schools.import_register(con, path)


# --- normalisation -------------------------------------------------------------------------

@pytest.mark.parametrize("typed, registered", [
    ("St. Mary's C of E Prim Sch", "St Mary's CofE Primary School"),
    ("ST MARYS CE PRIMARY", "St Mary's CofE Primary School"),
    ("Saint Marys Church of England Primary", "St Mary's CofE Primary School"),
    ("Crowmoor Primary School and Nursery", "Crowmoor Primary School"),
    ("Castlefields Infants", "Castlefields Infant School"),
])
def test_school_names_normalise_alike(typed, registered):
    assert normalise.school_text(typed) == normalise.school_text(registered)


def test_child_names_compare_without_case_spacing_or_punctuation():
    assert normalise.name_key("Mary-Jane", "O'Testington") == normalise.name_key("mary jane", "OTESTINGTON")


@pytest.mark.parametrize("extra", [("Zoë", "Fakeley"), ("Ada", "Line\nBreak"), ("", "")])
def test_a_sheets_name_keys_are_each_names_key(extra):
    """The whole-sheet form gives every row the key its own name gives, whatever else the sheet holds: an
    accent or a line break inside a cell (either sends the sheet down the row-by-row route), an empty name."""
    forenames = ["Mary-Jane", "ADA", " Bo ", "Cy 2", "D'Arcy", extra[0]]
    surnames = ["O'Testington", "otestington", "Mock_ford", "", "Fake-Smith", extra[1]]
    assert normalise.name_keys(forenames, surnames) == [normalise.name_key(f, s) for f, s in zip(forenames, surnames)]
    assert normalise.name_keys(forenames[:5], surnames[:5]) == [normalise.name_key(f, s)
                                                                  for f, s in zip(forenames[:5], surnames[:5])]
    assert normalise.name_keys([], []) == []


# --- matching ---------------------------------------------------------------------------------

@pytest.fixture
def matcher(con):
    return matching.Matcher(con)


def test_exact_after_normalising(matcher):
    m = matcher.match("SHORT WOOD PRIM SCH", "primary")
    assert (m.status, m.urn, m.method) == ("matched", 104939, "exact")


def test_a_small_typo_with_no_rival_matches(matcher):
    m = matcher.match("Crowmore Primary", "primary")
    assert (m.status, m.urn) == ("matched", 150206)


def test_the_old_name_of_a_converted_school_goes_to_its_successor(con, matcher):
    con.execute("update schools set name_norm = 'hinstock old primary' where urn = 123372")  # only the old name
    m = matching.Matcher(con).match("Hinstock Old Primary", "primary")
    assert (m.status, m.urn) == ("matched", 150398)
    assert "replaced" in m.reason


def test_same_names_go_to_a_person(matcher):
    m = matcher.match("St Marys C of E Primary", "primary")
    assert m.status == "review" and m.urn is None
    assert {c.urn for c in m.candidates} >= {123458, 123537, 147568, 150077}


def test_a_name_inside_another_goes_to_a_person(matcher):
    m = matcher.match("Belvidere", "primary")
    assert m.status == "review"
    assert [c.urn for c in m.candidates[:2]] == [146506, 123437]


def test_age_chooses_between_phases_of_one_school(matcher):
    assert matcher.match("Hadley Learning Community", "secondary").urn == 144853
    assert matcher.match("Hadley Learning Community", "primary").urn == 144942
    assert matcher.match("Hadley Learning Community", None).status == "review"


def test_a_primary_for_a_teenager_goes_to_a_person(matcher):
    m = matcher.match("Hinstock Primary School", "secondary")
    assert m.status == "review" and "primary" in m.reason


@pytest.mark.parametrize("text", ["Home Educated", "EHE", "Pre-school", "not in education", "Too young"])
def test_no_school_words(matcher, text):
    assert matcher.match(text, "primary").status == "no_school"


@pytest.mark.parametrize("text", ["N/A", "not known", "NONE", "N/K", "TBC", "?", "", "unknown", "  "])
def test_a_school_not_given_needs_a_person(matcher, text):
    m = matcher.match(text, "primary")
    assert (m.status, m.reason) == ("unknown", "school not given")


def test_nothing_like_any_school(matcher):
    assert matcher.match("Qwxz Zzyq", "primary").status == "unknown"
    assert matcher.match("", "primary").status == "unknown"


def test_child_phase_uses_the_school_year():
    assert matching.child_phase(date(2015, 8, 31), date(2026, 11, 1)) == "secondary"  # 11 on 31 Aug: year 7
    assert matching.child_phase(date(2015, 9, 1), date(2026, 11, 1)) == "primary"     # 10 on 31 Aug: year 6
    assert matching.child_phase(date(2024, 1, 1), date(2026, 11, 1)) == "preschool"


def _open_school_names(con, n: int) -> list[str]:
    return [r[0] for r in con.execute("select name from schools where in_register and status = 'Open' "
                                      "order by urn limit ?", [n]).fetchall()]


def test_a_long_sheet_is_matched_as_each_school_alone_would_be(con):
    # A sheet with more distinct schools than matching.BATCH has them scored in a thread while its rows are
    # checked: every child must end exactly where matching its school by itself would put it.
    typed = [*_open_school_names(con, matching.BATCH + 20), "Belvidere", "St Marys CofE Primary", "Idsal School",
             "Testwel Brand Nw Primary", "N/K", "home educated"]
    rows = [child_row(ref=f"L/{n}", forename=f"Kid{n}", school=text) for n, text in enumerate(typed)]
    result = sheets.import_sheet(con, xlsx_bytes(rows), "long.xlsx", "coord")
    assert result.imported == len(typed)
    alone = matching.Matcher(con)
    phase = matching.child_phase(date(2016, 4, 3), date(2026, 11, 14))
    for n, text in enumerate(typed):
        saved = con.execute("select match_status, urn, match_reason from child_incidents ci join incidents i "
                            "on i.id = ci.incident_id where police_ref = ?", [f"L/{n}"]).fetchone()
        expected = alone.match(text, phase)
        assert saved == (expected.status, expected.urn, expected.reason), text


def test_school_scores_are_rapidfuzz_scores_whatever_words_are_shared(con):
    # Scoring takes shortcuts (each distinct name once; the token-set ratio in full only where a word is
    # shared): every score must still be exactly rapidfuzz's blend of the plain and token-set ratios.
    from rapidfuzz import fuzz
    import random
    names = matching.register_names(con)
    words = sorted({w for n in names for w in n.split()})
    rng = random.Random(11)
    typed = sorted({" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(150)}
                   | {"zzz qqq", "primary primary", names[0], names[0] + " x", "a"})
    names = names + names[:5]  # a register repeats names
    scores = matching._scores(typed, names)
    assert len(typed) >= matching.BATCH
    for text in typed:
        expected = [0.6 * fuzz.ratio(text, n) / 100 + 0.4 * fuzz.token_set_ratio(text, n) / 100 for n in names]
        assert scores[text].tolist() == pytest.approx(expected, abs=1e-6), text


@pytest.mark.skipif(sys.platform != "linux", reason="a nice value is per thread only on Linux")
def test_early_scoring_gives_way_to_the_import_thread():
    # A long sheet's schools are scored on both cores while the import's own thread checks the rows: the
    # scoring thread (and the rapidfuzz threads it starts, which inherit it) must run at a lower priority.
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert matching._SCORING.submit(priority).result() > priority()


def test_scores_worked_out_before_a_register_change_are_not_used_after_it(con):
    # The early scoring reads the register outside the import's transaction: if the register changes before
    # the import reads it, the typed names are scored again against the new one.
    typed = [*_open_school_names(con, matching.BATCH + 10), "Testwel Brand Nw Primary"]
    early = matching.EarlyScores.start(con, typed)
    assert early is not None
    renamed = con.execute("select urn from schools where in_register and status = 'Open' and phase_group = 'primary' "
                          "order by urn desc limit 1").fetchone()[0]
    new_name = "Testwell Brand New Primary School"
    con.execute("update schools set name = ?, name_norm = ? where urn = ?",
                [new_name, normalise.school_text(new_name), renamed])
    matcher = matching.Matcher(con)
    matcher.prime([normalise.school_text(t) for t in typed], early)
    found = matcher.match("Testwel Brand Nw Primary", "primary")
    assert (found.status, found.urn) == ("matched", renamed)


def test_a_person_confirms_once_for_every_child_and_the_next_sheet_learns(con):
    rows = [child_row(ref="M/1", school="Belvidere"), child_row(ref="M/2", forename="Bo", school="belvidere ")]
    first = sheets.import_sheet(con, xlsx_bytes(rows), "a.xlsx", "coord")
    assert first.needs_review == 2
    queue = matching.queue(con)
    assert len(queue) == 1 and queue[0]["children"] == 2
    settled = matching.resolve(con, queue[0]["child_incident_ids"], "school", 123437, "coord")
    assert settled == 2 and matching.queue(con) == []
    later = sheets.import_sheet(con, xlsx_bytes([child_row(ref="M/3", forename="Cy", school="BELVIDERE")]),
                                "b.xlsx", "coord")
    assert later.needs_review == 0
    assert con.execute("select urn, match_method from child_incidents ci join incidents i on i.id = ci.incident_id "
                       "where police_ref = 'M/3'").fetchone() == (123437, "alias")
    audit = con.execute("select count(*) from audit_log where action = 'confirm_school'").fetchone()[0]
    assert audit == 1


def test_blank_schools_are_decided_child_by_child(con):
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="B/1", school=None),
                                         child_row(ref="B/2", forename="Bo", school=None)]), "a.xlsx", "coord")
    queue = matching.queue(con)
    assert [g["children"] for g in queue] == [1, 1]
    matching.resolve(con, queue[0]["child_incident_ids"], "no_school", None, "coord")
    assert len(matching.queue(con)) == 1
    assert con.execute("select count(*) from school_aliases").fetchone()[0] == 0


def test_a_flagged_alias_is_not_trusted(con):
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="F/1", school="Belvidere")]), "a.xlsx", "coord")
    matching.resolve(con, matching.queue(con)[0]["child_incident_ids"], "school", 123437, "coord")
    con.execute("update school_aliases set flagged = true")  # a school said "not our pupil"
    m = matching.Matcher(con).match("Belvidere", "primary")
    assert m.status == "review" and "returned" in m.reason


def test_resolve_refuses_a_closed_school(con):
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="C/1", school="Belvidere")]), "a.xlsx", "coord")
    with pytest.raises(ValueError, match="not an open school"):
        matching.resolve(con, matching.queue(con)[0]["child_incident_ids"], "school", 123372, "coord")


def test_four_st_marys_are_told_apart_by_town_and_a_12_year_old_is_told_they_are_primaries(con):
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="SM/1", dob="01/01/2014", incident="20/11/2026",
                                                   school="St Mary's CofE Primary School")]), "sm.xlsx", "coord")
    group = next(g for g in matching.queue(con) if g["police_refs"] == ["SM/1"])
    matcher = matching.Matcher(con)
    found = matcher.match(group["school_text"])
    lines = [line for _, line in matcher.choices(group, found, 12) if line.startswith("St Mary")]
    towns = {line.split(" · ")[1] for line in lines}
    assert len(lines) >= 4 and len(towns) == len(lines)  # each one tells where it is
    assert {"Wolverhampton WV7 3DS", "Bucknell SY7 0AA", "Market Drayton TF9 4DN"} <= towns
    assert all("primary" in line and "DOES NOT FIT — the child is 12" in line for line in lines)
    assert any("ages 5–11" in line for line in lines)


def test_a_spelling_a_person_matched_before_is_offered_beside_a_near_one(con):
    crowmoor = 150206
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="LS/1", school="Crowmoore Primry Schl")]), "a.xlsx", "coord")
    first = next(g for g in matching.queue(con) if g["police_refs"] == ["LS/1"])
    matching.resolve(con, first["child_incident_ids"], "school", crowmoor, "coord")
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="LS/2", school="Crowmore Primry Schl")]), "b.xlsx", "coord")
    second = next(g for g in matching.queue(con) if g["police_refs"] == ["LS/2"])  # still a person's decision
    matcher = matching.Matcher(con)
    offered = dict(matcher.choices(second, matcher.match(second["school_text"]), 9))
    assert "a person chose it for “crowmoore primry schl” (1 letter different)" in offered[crowmoor]
    assert offered[crowmoor].startswith("Crowmoor Primary School · Shrewsbury")
    assert "fits the child (9)" in offered[crowmoor]
