"""Users, roles, passwords, the server-side lockout and sessions on a real database."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from encompass import auth, clock, db

from .conftest import PASSWORD


def move_clock(monkeypatch, minutes: float) -> None:
    """The pinned service clock, moved on (or back) from where it stands."""
    monkeypatch.setenv(clock.PIN, (clock.now() + timedelta(minutes=minutes)).isoformat(timespec="seconds"))


def audited(con, action: str) -> list[tuple]:
    return con.execute("select username, entity_id from audit_log where action = ? order by id", [action]).fetchall()


def test_roles_decide_pages(users):
    assert users["coord"].may_use("import") and users["coord"].may_use("matching")
    assert not users["boss"].may_use("import") and not users["boss"].may_use("matching")
    assert not users["police"].may_use("today")
    assert users["root"].may_use("users") and not users["coord"].may_use("users")
    assert users["both"].may_use("import")  # a person may hold several roles
    assert not users["coord"].may_use("no-such-page")  # deny by default


def test_passwords_are_hashed_and_checked(con, users):
    stored = con.execute("select password_hash from users where username = 'coord'").fetchone()[0]
    assert stored.startswith("$2") and PASSWORD not in stored
    assert auth.check_password(con, "coord", PASSWORD)
    assert not auth.check_password(con, "coord", "wrong-password")


@pytest.mark.parametrize("password, words", [
    ("tiny", "at least 12"),
    ("password1234", "too easy to guess"),          # long enough, but among the most common
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),      # a repeated character
    ("qwertyuiopasdf", "too easy to guess"),        # a keyboard row
    ("Jo Bloggs Jo Bloggs", "too easy to guess"),   # the person's own name
    ("jobloggs2024!", "mostly your name"),
    ("newperson-newperson", "mostly your name"),
    ("newperson", "at least 12"),
    (" leading-space-horse-battery", "start or end with a space"),
    ("ünïcödé-horse-" * 6, "72 bytes"),
])
def test_a_new_password_must_be_long_and_hard_to_guess(con, password, words):
    with pytest.raises(auth.AuthError, match=words):
        auth.add_user(con, "newperson", password, "manager", display_name="Jo Bloggs")
    assert auth.get_user(con, "newperson") is None


def test_three_random_words_are_accepted(con):
    auth.add_user(con, "newperson", "lantern otter marmalade", "manager")
    assert auth.check_password(con, "newperson", "lantern otter marmalade")


def test_user_validation(con, users):
    with pytest.raises(auth.AuthError, match="agency"):
        auth.add_user(con, "noagency", PASSWORD, "triage")
    with pytest.raises(auth.AuthError, match="roles"):
        auth.add_user(con, "weird", PASSWORD, "superuser")
    with pytest.raises(auth.AuthError, match="exists"):
        auth.add_user(con, "coord", PASSWORD, "manager")
    with pytest.raises(auth.AuthError, match="cannot be the username"):
        auth.add_user(con, "longusername1", "longusername1", "manager")


def test_five_wrong_passwords_lock_the_username_and_the_right_one_is_then_refused(con, users, monkeypatch):
    for _ in range(4):
        assert not auth.attempt_login(con, "coord", "wrong-password", "10.0.0.1")
    assert auth.locked_until(con, "coord") is None
    assert not auth.attempt_login(con, "coord", "wrong-password", "10.0.0.2")
    until = auth.locked_until(con, "coord")
    assert until == clock.now() + auth.LOCK_FOR
    assert next(u for u in auth.list_users(con) if u["username"] == "coord")["locked"]
    assert not auth.attempt_login(con, "coord", PASSWORD, "10.0.0.3")  # refused unchecked while locked
    # The refused attempt counts too: the lock runs fifteen minutes from the last try.
    move_clock(monkeypatch, 14)
    assert not auth.attempt_login(con, "coord", PASSWORD, "10.0.0.3")
    move_clock(monkeypatch, 16)
    assert auth.attempt_login(con, "coord", PASSWORD, "10.0.0.3")
    assert [a for a, in con.execute("select action from audit_log where entity_id = 'coord' and action like 'login%' "
                                    "order by id").fetchall()] == ["login_failed"] * 7 + ["login"]


def test_an_unknown_username_is_counted_like_a_known_one(con, users):
    for _ in range(auth.LOCK_AFTER):
        assert not auth.attempt_login(con, "nobody", "guess-guess-guess")
    assert auth.locked_until(con, "nobody") is not None  # same behaviour: no hint that it does not exist


def test_one_client_guessing_many_usernames_is_locked(con, users):
    for n in range(auth.LOCK_CLIENT_AFTER):
        assert not auth.attempt_login(con, f"user{n}", "guess-guess-guess", "203.0.113.9")
    assert not auth.attempt_login(con, "coord", PASSWORD, "203.0.113.9")  # the client is locked
    assert auth.attempt_login(con, "coord", PASSWORD, "198.51.100.1")  # the same user elsewhere is not


def test_a_success_resets_the_count_and_an_admin_can_unlock(con, users):
    for _ in range(4):
        auth.attempt_login(con, "nurse", "wrong-password")
    assert auth.attempt_login(con, "nurse", PASSWORD)
    for _ in range(5):
        auth.attempt_login(con, "nurse", "wrong-password")
    assert auth.locked_until(con, "nurse")
    auth.unlock(con, "nurse", by="root")
    assert auth.locked_until(con, "nurse") is None
    assert auth.attempt_login(con, "nurse", PASSWORD)
    assert audited(con, "unlock_user") == [("root", "nurse")]


def test_many_guesses_at_once_are_each_counted_before_any_is_checked(db_path, users):
    """Twenty-five browsers posting a guess at the same moment: each is counted before any is checked, so only
    five wrong ones reach the password check; the rest find the username locked, whatever they guessed (one of
    them is the right password)."""
    guesses = [f"guess-{n:02d}-wrong" for n in range(24)] + [PASSWORD]
    results: dict[str, bool] = {}
    connection = db.connect(db_path)
    start = threading.Barrier(len(guesses))

    def guess(password: str) -> None:
        cursor = db.cursor(connection)
        start.wait()
        results[password] = auth.attempt_login(cursor, "coord", password)

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counted = connection.execute("select count(*), count(succeeded) from login_attempts where username = 'coord'"
                                 ).fetchone()
    checked = connection.execute("select count(*) from audit_log where action like 'login%' and entity_id = 'coord' "
                                 "and detail like '%\"locked\": false%'").fetchone()[0]
    connection.close()
    assert counted == (25, 25)  # every attempt counted and settled
    assert sum(results.values()) == (1 if results[PASSWORD] else 0)
    if not results[PASSWORD]:  # the right password came after five wrong ones: it was never checked
        assert checked == auth.LOCK_AFTER


def test_disabled_users_cannot_log_in_and_their_sessions_end(con, users):
    session = auth.start_session(con, "boss")
    auth.set_disabled(con, "boss", True, by="root")
    assert "boss" not in auth.credentials(con)["usernames"]
    assert not auth.get_user(con, "boss").may_use("account")
    assert not auth.attempt_login(con, "boss", PASSWORD)
    assert auth.session_user(con, session) is None


def test_the_library_is_never_given_a_password_hash(con, users):
    assert all(entry["password"] == "-" for entry in auth.credentials(con)["usernames"].values())


def test_a_session_is_good_until_logout(con, users):
    session = auth.start_session(con, "coord", "10.0.0.1")
    assert auth.session_user(con, session) == "coord"
    stored = con.execute("select id_hash from sessions").fetchone()[0]
    assert session not in stored  # only a hash of the id is kept
    auth.end_session(con, session, "logout")
    assert auth.session_user(con, session) is None
    assert auth.session_user(con, "made-up-session-id") is None
    assert audited(con, "logout") == [("coord", "coord")]


def test_an_idle_session_ends_and_a_busy_one_runs_to_its_lifetime(con, users, monkeypatch):
    idle = auth.start_session(con, "coord")
    busy = auth.start_session(con, "coord")
    for _ in range(20):  # 20 × 25 minutes of use: never idle for 30
        move_clock(monkeypatch, 25)
        assert auth.session_user(con, busy) == "coord"
    assert auth.session_user(con, idle) is None
    for _ in range(8):  # 700 minutes in all
        move_clock(monkeypatch, 25)
        assert auth.session_user(con, busy) == "coord"
    move_clock(monkeypatch, 25)  # past twelve hours, however busy
    assert auth.session_user(con, busy) is None
    assert sorted(con.execute("select ended_why from sessions").fetchall()) == [("idle",), ("lifetime",)]


def test_a_password_change_ends_every_other_session(con, users):
    here = auth.start_session(con, "coord")
    elsewhere = auth.start_session(con, "coord")
    auth.set_password(con, "coord", "lantern otter marmalade", by="coord", keep_session=here)
    assert auth.session_user(con, here) == "coord"
    assert auth.session_user(con, elsewhere) is None


def test_an_administrator_reset_ends_every_session_and_asks_for_a_new_password(con, users):
    session = auth.start_session(con, "nurse")
    auth.set_password(con, "nurse", "lantern otter marmalade", by="root", must_change=True)
    assert auth.session_user(con, session) is None
    assert auth.get_user(con, "nurse").must_change_password
    assert audited(con, "reset_password") == [("root", "nurse")]


def test_sign_out_everywhere(con, users):
    sessions = [auth.start_session(con, "police") for _ in range(3)]
    other = auth.start_session(con, "nurse")
    assert auth.sign_out_everywhere(con, "police", by="root") == 3
    assert [auth.session_user(con, s) for s in sessions] == [None] * 3
    assert auth.session_user(con, other) == "nurse"


def test_cookie_key_rules(tmp_path):
    good = "k" * 40
    assert auth.cookie_key(good, demo=False) == good
    for bad, words in [(None, "no cookie key"), ("short", "too short"), (auth.EXAMPLE_COOKIE_KEY, "example")]:
        with pytest.raises(auth.AuthError, match=words):
            auth.cookie_key(bad, demo=False)
    made = auth.cookie_key(None, demo=True, folder=tmp_path)
    assert len(made) >= auth.MIN_COOKIE_KEY
    assert auth.cookie_key(None, demo=True, folder=tmp_path) == made  # kept: a reload keeps a demo user in
    assert (tmp_path / ".encompass-cookie-key").stat().st_mode & 0o777 == 0o600


def test_an_agency_must_be_one_of_the_triage_agencies(con, users):
    with pytest.raises(auth.AuthError, match="one of the triage agencies"):
        auth.add_user(con, "csc1", PASSWORD, "triage", "Childrens Social Care")
    auth.update_user(con, "police", ["triage"], "Children's Social Care", "PC Example", None, by="root")
    assert auth.get_user(con, "police").agency == "Children's Social Care"
    with pytest.raises(auth.AuthError, match="one of the triage agencies"):
        auth.update_user(con, "police", ["triage"], "Social care", "PC Example", None, by="root")
