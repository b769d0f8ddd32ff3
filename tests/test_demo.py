"""The demo dataset is realistic where the service's numbers depend on it, and obviously synthetic."""
from __future__ import annotations

from encompass import db, demo


def test_demo_volumes_repeats_siblings_and_mess(demo_template):
    con = db.connect(demo_template)
    try:
        q = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        per_year = q("select count(*) from child_incidents")[0]  # one year of sheets
        assert 1400 <= per_year <= 2100
        children, repeated = q("""select count(*), count(*) filter (where n > 1)
                                  from (select child_id, count(*) n from child_incidents group by 1)""")
        assert 0.15 <= repeated / children <= 0.40
        assert q("select count(*) from (select incident_id from child_incidents "
                 "group by 1 having count(*) > 1)")[0] > 100
        weekend, weekday = q("""
            with daily as (select incident_at::date d, count(*) n from child_incidents ci
                           join incidents i on i.id = ci.incident_id group by 1)
            select avg(n) filter (where dayofweek(d) in (0, 6)), avg(n) filter (where dayofweek(d) between 1 and 5)
            from daily""")
        assert weekend > weekday * 1.2
        assert q("select count(*) from rejected_rows")[0] > 0
        messy = q("""select count(*) from child_incidents ci join schools s on s.urn = ci.urn
                     where ci.school_text <> s.name""")[0]
        assert messy > per_year * 0.2
        schools_without = q("""select count(*) from schools s where s.status = 'Open' and s.in_register
                               and not exists (select 1 from school_contacts c where c.urn = s.urn)""")[0]
        assert 0 < schools_without < 60
        assert q("select count(*) from school_contacts where email not like '%.example.org'")[0] == 0
        surnames = {r[0] for r in con.execute("select distinct surname from children").fetchall()}
        synthetic = {s for s in surnames if any(part in demo.SURNAMES for part in s.split("-"))} | {
            s for s in surnames if s in demo.SURNAMES}
        assert surnames == synthetic
        sheets = q("select count(*), sum(rows_total) = sum(imported + duplicates + rejected) from sheets")
        assert sheets[0] >= 360 and sheets[1]
        assert demo.is_demo(con)
        assert {r[0] for r in con.execute("select username from users").fetchall()} == {u[0] for u in demo.DEMO_USERS}
    finally:
        con.close()


def test_scale_multiplies_volume(tmp_path):
    con = db.connect(tmp_path / "scaled.duckdb")
    try:
        counts = demo.build(con, scale=8, years=1, seed=1)
        assert 8 * 1400 <= counts["child_incidents"] <= 8 * 2100
        # ids carry on after the bulk insert: the next import does not collide
        nxt = con.execute("select nextval('seq_child_incidents')").fetchone()[0]
        assert nxt > con.execute("select max(id) from child_incidents").fetchone()[0]
    finally:
        con.close()
