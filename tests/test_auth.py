"""Users, roles and the server-side lockout on a real database."""
from __future__ import annotations

from datetime import timedelta

import pytest

from encompass import auth, clock

from .conftest import PASSWORD


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


def test_user_validation(con, users):
    with pytest.raises(auth.AuthError, match="at least"):
        auth.add_user(con, "short", "tiny", "manager")
    with pytest.raises(auth.AuthError, match="agency"):
        auth.add_user(con, "noagency", PASSWORD, "triage")
    with pytest.raises(auth.AuthError, match="roles"):
        auth.add_user(con, "weird", PASSWORD, "superuser")
    with pytest.raises(auth.AuthError, match="exists"):
        auth.add_user(con, "coord", PASSWORD, "manager")


def test_five_failures_lock_for_fifteen_minutes(con, users):
    for _ in range(4):
        auth.record_attempt(con, "coord", False)
    assert auth.locked_until(con, "coord") is None
    auth.record_attempt(con, "coord", False)
    until = auth.locked_until(con, "coord")
    assert until is not None and timedelta(minutes=14) < until - clock.now() <= timedelta(minutes=15)
    creds = auth.credentials(con)
    assert creds["usernames"]["coord"]["failed_login_attempts"] == auth.LOCK_AFTER  # the library refuses it
    assert next(u for u in auth.list_users(con) if u["username"] == "coord")["locked"]
    # Sixteen minutes later the lock has passed.
    con.execute("update login_attempts set attempted_at = attempted_at - interval 16 minute")
    assert auth.locked_until(con, "coord") is None


def test_a_success_resets_the_count_and_an_admin_can_unlock(con, users):
    for _ in range(4):
        auth.record_attempt(con, "nurse", False)
    auth.record_attempt(con, "nurse", True)
    for _ in range(4):
        auth.record_attempt(con, "nurse", False)
    assert auth.locked_until(con, "nurse") is None
    auth.record_attempt(con, "nurse", False)
    assert auth.locked_until(con, "nurse")
    auth.unlock(con, "nurse", by="root")
    assert auth.locked_until(con, "nurse") is None


def test_disabled_users_cannot_log_in(con, users):
    auth.set_disabled(con, "boss", True, by="root")
    assert "boss" not in auth.credentials(con)["usernames"]
    assert not auth.get_user(con, "boss").may_use("account")


def test_library_failures_are_read_back(con, users):
    creds = auth.credentials(con)
    creds["usernames"]["coord"]["failed_login_attempts"] = 1  # what the library writes on a wrong password
    assert auth.failed_usernames(creds) == ["coord"]


def test_cookie_key_rules():
    good = "k" * 40
    assert auth.cookie_key(good, demo=False) == good
    for bad, words in [(None, "no cookie key"), ("short", "too short"), (auth.EXAMPLE_COOKIE_KEY, "example")]:
        with pytest.raises(auth.AuthError, match=words):
            auth.cookie_key(bad, demo=False)
    assert len(auth.cookie_key(None, demo=True)) >= auth.MIN_COOKIE_KEY
