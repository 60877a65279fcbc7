"""Tests of finder.auth: constant-time password check, no default password, lockout."""

from __future__ import annotations

import datetime as dt
import hmac

import pytest
from helpers import FakeClock
from hypothesis import given
from hypothesis import strategies as st

from finder import auth
from finder.corrections import CorrectionStore

SECRET = "correct horse battery staple"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC))


# --- secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "short", 12345678901234, b"bytes-secret-long"])
def test_unusable_secrets_never_match(secret):
    assert auth.secret_problem(secret) is not None
    assert not auth.check_secret(secret, secret)
    assert not auth.check_secret("", secret)


def test_secret_problem_explains():
    assert "no maintainer password" in auth.secret_problem(None)
    assert "too short" in auth.secret_problem("abc")
    assert auth.secret_problem(SECRET) is None


def test_check_secret_matches_only_the_secret():
    assert auth.check_secret(SECRET, SECRET)
    assert not auth.check_secret(SECRET + " ", SECRET)
    assert not auth.check_secret(SECRET.upper(), SECRET)
    assert not auth.check_secret(None, SECRET)
    assert not auth.check_secret(["x"], SECRET)


def test_check_secret_uses_compare_digest(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert not auth.check_secret("wrong", SECRET)
    assert len(calls) == 1
    a, b = calls[0]
    # Both sides are digests of equal length, so timing says nothing about the secret's length.
    assert isinstance(a, bytes) and len(a) == len(b) == 32


def test_match_user_compares_every_entry(monkeypatch):
    users = {"anna": "anna-very-long-secret", "ben": "ben-very-long-secret", "cem": "short"}
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert auth.match_user("anna-very-long-secret", users) == "anna"
    assert len(calls) == 2  # both usable entries, although the first matched; "cem" is unusable
    assert auth.match_user("short", users) is None
    assert auth.match_user("nobody-knows-this", users) is None


@given(st.text(min_size=auth.MIN_SECRET_LENGTH), st.text())
def test_check_secret_property(secret, other):
    assert auth.check_secret(secret, secret)
    assert auth.check_secret(other, secret) == (other == secret)


# --- lockout -----------------------------------------------------------------------------------------


def test_lockout_after_repeated_failures(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=3, clock=clock)
    first = guard.attempt("s1", "wrong", password=SECRET)
    assert not first.ok and first.remaining == 2 and first.message == "Wrong password."
    guard.attempt("s1", "wrong", password=SECRET)
    third = guard.attempt("s1", "wrong", password=SECRET)
    assert not third.ok and third.locked_until is not None and third.remaining == 0
    # Locked: even the right password is refused.
    locked = guard.attempt("s1", SECRET, password=SECRET)
    assert not locked.ok and "Too many failed attempts" in locked.message
    # Another session is not affected by this one's lockout.
    assert guard.attempt("s2", SECRET, password=SECRET).ok
    # After the window the lock ends.
    clock.advance(minutes=16)
    assert guard.attempt("s1", SECRET, password=SECRET).ok


def test_success_clears_the_clients_failures(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=3, clock=clock)
    guard.attempt("s1", "wrong", password=SECRET)
    guard.attempt("s1", "wrong", password=SECRET)
    assert guard.attempt("s1", SECRET, password=SECRET).ok
    assert guard.attempt("s1", "wrong", password=SECRET).remaining == 2


def test_global_lockout_stops_session_hopping(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=3, global_max_failures=5, clock=clock)
    for i in range(5):
        guard.attempt(f"new-session-{i}", "guess", password=SECRET)
    result = guard.attempt("fresh-session", SECRET, password=SECRET)
    assert not result.ok and result.locked_until is not None


def test_no_password_configured_means_no_entry(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), clock=clock)
    for given_password in ("", "admin", "password", None):
        assert not guard.attempt("s", given_password, password=None, users={}).ok


def test_users_sign_in_with_their_name(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), clock=clock)
    result = guard.attempt("s", "ben-very-long-secret", users={"ben": "ben-very-long-secret"})
    assert result.ok and result.user == "ben"


def test_lockout_is_shared_through_the_database(tmp_path, clock):
    url = str(tmp_path / "c.sqlite")
    one = auth.LoginGuard(CorrectionStore(url), max_failures=2, clock=clock)
    two = auth.LoginGuard(CorrectionStore(url), max_failures=2, clock=clock)  # e.g. another process
    one.attempt("s1", "wrong", password=SECRET)
    one.attempt("s1", "wrong", password=SECRET)
    assert two.locked_until("s1") is not None
    assert not two.attempt("s1", SECRET, password=SECRET).ok
    clock.advance(minutes=16)
    assert two.attempt("s1", SECRET, password=SECRET).ok
