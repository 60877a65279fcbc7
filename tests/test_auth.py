"""Tests of finder.auth and finder.client_address: constant-time check, no default password, lockout."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import hmac
import sqlite3
import time

import pytest
from helpers import FakeClock
from hypothesis import given
from hypothesis import strategies as st

from finder import auth, client_address, settings
from finder.corrections import CorrectionStore
from finder.errors import SettingsError

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


# --- lockout ---------------------------------------------------------------------------------------

A, B = "198.51.100.7", "203.0.113.5"


def test_lockout_after_repeated_failures(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=3, clock=clock)
    first = guard.attempt(A, "wrong", password=SECRET)
    assert not first.ok and first.remaining == 2 and first.message == "Wrong password."
    guard.attempt(A, "wrong", password=SECRET)
    third = guard.attempt(A, "wrong", password=SECRET)
    assert not third.ok and third.locked_until == clock() + auth.FAILURE_WINDOW and third.remaining == 0
    # Locked: even the right password is refused.
    locked = guard.attempt(A, SECRET, password=SECRET)
    assert not locked.ok and "Too many failed attempts" in locked.message
    # Another address is not affected by this one's lockout.
    assert guard.attempt(B, SECRET, password=SECRET).ok
    # After the window the lock ends.
    clock.advance(minutes=16)
    assert guard.attempt(A, SECRET, password=SECRET).ok


def test_each_further_failure_doubles_the_lock(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=2, clock=clock)
    guard.attempt(A, "wrong", password=SECRET)
    locks = []
    for _ in range(7):
        result = guard.attempt(A, "wrong", password=SECRET)
        locks.append((result.locked_until - clock()) / dt.timedelta(minutes=1))
        clock.now = result.locked_until  # the first moment the address may try again
    assert locks == [15, 30, 60, 120, 240, 480, 960]
    assert guard.attempt(A, SECRET, password=SECRET).ok  # a correct password after the lock still works


def test_one_address_gets_a_handful_of_guesses_a_day(clock):
    # An address that guesses at every moment it may, for a week.
    guard = auth.LoginGuard(auth.MemoryFailureLog(), clock=clock)
    start, failures = clock(), []
    while clock() < start + dt.timedelta(days=7):
        assert guard.locked_until(A) is None  # it only tries when it may, so every attempt is a guess
        result = guard.attempt(A, "guess", password=SECRET)
        failures.append(clock())
        clock.now = result.locked_until or clock() + dt.timedelta(seconds=1)
    per_day = max(sum(t <= u < t + dt.timedelta(days=1) for u in failures) for t in failures)
    # 5 free, then locks of 15 min, 30 min, ... 16 h: a day holds at most a dozen.
    assert per_day <= auth.MAX_FAILURES + 7
    assert len(failures) <= 7 * (auth.MAX_FAILURES + 7)


def test_success_clears_the_addresses_failures(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=3, clock=clock)
    guard.attempt(A, "wrong", password=SECRET)
    guard.attempt(A, "wrong", password=SECRET)
    assert guard.attempt(A, SECRET, password=SECRET).ok
    assert guard.attempt(A, "wrong", password=SECRET).remaining == 2


def test_failures_are_forgotten_after_a_day(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=3, clock=clock)
    guard.attempt(A, "wrong", password=SECRET)
    guard.attempt(A, "wrong", password=SECRET)
    clock.advance(days=1, seconds=1)
    assert guard.attempt(A, "wrong", password=SECRET).remaining == 2


def test_an_attackers_failures_never_lock_out_the_maintainer(clock):
    # The lever of the old global limit: a flood of wrong guesses from other addresses (here 60, from 30
    # addresses, within minutes) locked every maintainer out. Now it locks only the guessing addresses.
    guard = auth.LoginGuard(auth.MemoryFailureLog(), clock=clock)
    for i in range(60):
        guard.attempt(f"198.51.100.{i % 30}", f"guess-{i}", password=SECRET)
        clock.advance(seconds=5)
    assert guard.under_attack()
    assert guard.locked_until("198.51.100.0") is not None
    assert guard.locked_until(B) is None
    assert guard.attempt(B, SECRET, password=SECRET).ok
    assert guard.attempt(B, "ben-very-long-secret", users={"ben": "ben-very-long-secret"}).user == "ben"


def test_a_spread_out_attack_leaves_each_address_one_guess(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), account_max_failures=5, clock=clock)
    calm = guard.attempt("192.0.2.1", "wrong", password=SECRET)
    assert calm.remaining == auth.MAX_FAILURES - 1 and calm.locked_until is None
    for i in range(4):
        guard.attempt(f"198.51.100.{i}", "wrong", password=SECRET)
    assert guard.under_attack()
    # Now one wrong password locks an address (including one that had failed before) ...
    assert guard.attempt("198.51.100.200", "wrong", password=SECRET).locked_until is not None
    assert guard.locked_until("192.0.2.1") is not None
    # ... while a correct password from an address that is not locked still signs in.
    assert guard.attempt(B, SECRET, password=SECRET).ok
    # Once the attack has passed, each address has its full allowance again.
    clock.advance(minutes=16)
    assert not guard.under_attack()
    assert guard.attempt("192.0.2.50", "wrong", password=SECRET).remaining == auth.MAX_FAILURES - 1


def test_lockouts_are_per_account(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), max_failures=1, clock=clock)
    assert guard.attempt(A, "wrong", password=SECRET, account="review").locked_until is not None
    assert guard.attempt(A, SECRET, password=SECRET, account="other").ok


class _SlowLog(auth.MemoryFailureLog):
    """Reads take a moment, as a database's do: parallel attempts would all read "not locked" at once."""

    def failures_since(self, key, since):
        time.sleep(0.005)
        return super().failures_since(key, since)


def test_parallel_attempts_cannot_overrun_the_limit(clock):
    log = _SlowLog()
    guard = auth.LoginGuard(log, max_failures=3, clock=clock)
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: guard.attempt(A, f"guess-{i}", password=SECRET), range(16)))
    # Exactly three passwords were compared and failed; the other attempts found the address locked.
    assert len(log.failures_since(f"{auth.REVIEW_ACCOUNT}\n{A}", clock() - dt.timedelta(hours=1))) == 3
    assert sum(r.locked_until is None for r in results) == 2


def test_no_password_configured_means_no_entry(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), clock=clock)
    for given_password in ("", "admin", "password", None):
        assert not guard.attempt(A, given_password, password=None, users={}).ok


def test_users_sign_in_with_their_name(clock):
    guard = auth.LoginGuard(auth.MemoryFailureLog(), clock=clock)
    result = guard.attempt(A, "ben-very-long-secret", users={"ben": "ben-very-long-secret"})
    assert result.ok and result.user == "ben"


def test_lockout_survives_a_restart_and_is_shared_through_the_database(tmp_path, clock):
    url = str(tmp_path / "c.sqlite")
    one = auth.LoginGuard(CorrectionStore(url), max_failures=2, clock=clock)
    one.attempt(A, "wrong", password=SECRET)
    one.attempt(A, "wrong", password=SECRET)
    two = auth.LoginGuard(CorrectionStore(url), max_failures=2, clock=clock)  # another process, or a restart
    assert two.locked_until(A) is not None
    assert not two.attempt(A, SECRET, password=SECRET).ok
    assert two.attempt(B, SECRET, password=SECRET).ok
    clock.advance(minutes=16)
    assert two.attempt(A, SECRET, password=SECRET).ok


def test_the_database_keeps_no_address(tmp_path, clock):
    path = tmp_path / "c.sqlite"
    store = CorrectionStore(str(path), clock=clock)
    auth.LoginGuard(store, clock=clock).attempt("198.51.100.77", "wrong", password=SECRET)
    store.submit("a", "phone", "0351 1", client_key="198.51.100.77")
    store.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the file and its WAL
    assert b"198.51.100.77" not in raw
    # Not even an unkeyed hash of it, which anyone could compute for all four billion IPv4 addresses.
    for text in ("198.51.100.77", f"{auth.REVIEW_ACCOUNT}\n198.51.100.77"):
        assert hashlib.sha256(text.encode()).hexdigest()[:32].encode() not in raw
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT client FROM suggestions").fetchall() == [("",)]


# --- the client's address ----------------------------------------------------------------------------

ONE_PROXY = client_address.TrustedProxies(hops=1)
DOCKER = client_address.parse_trusted_proxies("172.17.0.0/16, 10.0.0.5")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # By default the header is the client's own claim and changes nothing.
        ("198.51.100.7", ["203.0.113.9"], None, "198.51.100.7"),
        (None, ["203.0.113.9"], None, "local"),  # Streamlit reports loopback connections as None
        ("::1", [], None, "local"),
        ("::ffff:198.51.100.7", [], None, "198.51.100.7"),
        # IPv6 clients count per /64, whichever address of it they pick.
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", [], None, "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", [], None, "2001:db8:1:2::/64"),
        ("not an address", [], None, "unknown"),
        # One trusted proxy: the rightmost entry (what the proxy saw); forged entries to its left are ignored.
        ("10.0.0.5", ["6.6.6.6, 198.51.100.7"], ONE_PROXY, "198.51.100.7"),
        ("10.0.0.5", ["6.6.6.6", "198.51.100.7"], ONE_PROXY, "198.51.100.7"),  # repeated header
        ("10.0.0.5", [], ONE_PROXY, "10.0.0.5"),
        ("10.0.0.5", ["garbage"], ONE_PROXY, "10.0.0.5"),
        (
            "10.0.0.5",
            ["6.6.6.6, 198.51.100.7, 10.0.0.9"],
            client_address.TrustedProxies(hops=2),
            "198.51.100.7",
        ),
        ("10.0.0.5", ["[2001:db8::7]:4711"], ONE_PROXY, "2001:db8::/64"),
        # Named proxies: walk from the right past them; a connection from elsewhere is taken as it is.
        ("172.17.0.2", ["6.6.6.6, 198.51.100.7, 172.17.0.3"], DOCKER, "198.51.100.7"),
        ("198.51.100.8", ["6.6.6.6"], DOCKER, "198.51.100.8"),
        ("172.17.0.2", ["6.6.6.6, bogus, 172.17.0.3"], DOCKER, "172.17.0.2"),
        ("172.17.0.2", ["10.0.0.5"], DOCKER, "172.17.0.2"),
    ],
)
def test_client_address(peer, forwarded, trusted, expected):
    assert client_address.client_address(peer, forwarded, trusted) == expected


@given(st.one_of(st.none(), st.text(max_size=60)), st.lists(st.text(max_size=80), max_size=3))
def test_client_address_never_trusts_an_unconfigured_header(peer, forwarded):
    assert client_address.client_address(peer, forwarded) == client_address.client_address(peer, [])
    for trusted in (ONE_PROXY, DOCKER):
        assert isinstance(client_address.client_address(peer, forwarded, trusted), str)  # never raises


@pytest.mark.parametrize("text", ["11", "proxy.example", "10.0.0.0/33", "1, 2"])
def test_trusted_proxies_setting_is_checked(text, monkeypatch):
    monkeypatch.setenv("FINDER_TRUSTED_PROXIES", text)
    with pytest.raises(SettingsError, match="FINDER_TRUSTED_PROXIES"):
        settings.load()


def test_trusted_proxies_setting(monkeypatch):
    monkeypatch.delenv("FINDER_TRUSTED_PROXIES", raising=False)
    assert not settings.load().trusted_proxies.active
    monkeypatch.setenv("FINDER_TRUSTED_PROXIES", " 2 ")
    assert settings.load().trusted_proxies == client_address.TrustedProxies(hops=2)
    assert settings.load().with_(trusted_proxies="0").trusted_proxies == client_address.TrustedProxies()
