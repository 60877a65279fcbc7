"""Maintainer sign-in: constant-time password check, and a lockout that an attacker cannot turn on others.

There is no default password: a secret that is not set (or too short to be a password) never matches,
so the maintainer view stays closed until an operator configures one (``review_password`` or a
``[review_users]`` table in ``.streamlit/secrets.toml``; see ``ui/pages/review.py``).

Failures are counted per account and client address (:mod:`finder.client_address`), in the corrections
database, so neither a reload, a new browser nor a server restart resets them:

- one address gets :data:`MAX_FAILURES` wrong passwords within :data:`FAILURE_RETENTION`; then it is
  locked for :data:`FAILURE_WINDOW`, and every further failure doubles the lock (up to a day);
- when the account sees :data:`ACCOUNT_MAX_FAILURES` failures from all addresses within
  :data:`FAILURE_WINDOW` (a guessing attack spread over many addresses), one wrong password locks an
  address; each address then yields a handful of guesses a day;
- a lock only ever stops the address it belongs to: a correct password from an address that is not locked
  always signs in, so nobody can lock the maintainers out by failing on purpose.

The failure log is a protocol; :class:`finder.corrections.CorrectionStore` implements it (and stores
only a keyed hash of each key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

#: Shortest secret accepted as a maintainer password (shorter ones are refused, not used).
MIN_SECRET_LENGTH = 12
#: Wrong passwords one address may type (within :data:`FAILURE_RETENTION`) before it is locked.
MAX_FAILURES = 5
#: Failures of one account from all addresses within :data:`FAILURE_WINDOW` that mean a spread-out
#: guessing attack: from then on one wrong password locks an address.
ACCOUNT_MAX_FAILURES = 25
#: Wrong passwords an address may type while the account is under such an attack.
ATTACK_MAX_FAILURES = 1
#: The first lock of an address; each further failure doubles it.
FAILURE_WINDOW = dt.timedelta(minutes=15)
#: How long failures are remembered, and the longest lock.
FAILURE_RETENTION = dt.timedelta(days=1)
#: The account of the review page: it has one password field (the password says who signs in).
REVIEW_ACCOUNT = "review"

# Checking the lock, comparing and recording a failure happen one attempt at a time in this process, so a
# burst of parallel attempts from one address cannot all slip in before the first failure is recorded.
_ATTEMPTS = threading.Lock()


class FailureLog(Protocol):
    """Where failed sign-ins are remembered (memory, or the corrections database)."""

    def record_failure(self, key: str, at: dt.datetime) -> None:
        """Remember one failed attempt of ``key`` at ``at`` (UTC)."""

    def failures_since(self, key: str, since: dt.datetime) -> list[dt.datetime]:
        """Times (UTC, oldest first) of the failures of ``key`` at or after ``since``."""

    def clear_failures(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful sign-in)."""


class MemoryFailureLog:
    """A :class:`FailureLog` in memory (one process; for tests and single-user setups)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[dt.datetime]] = {}
        self._lock = threading.Lock()

    def record_failure(self, key: str, at: dt.datetime) -> None:
        """Remember one failed attempt."""
        with self._lock:
            self._failures.setdefault(key, []).append(at)

    def failures_since(self, key: str, since: dt.datetime) -> list[dt.datetime]:
        """Failures of ``key`` since ``since``, oldest first."""
        with self._lock:
            return sorted(t for t in self._failures.get(key, []) if t >= since)

    def clear_failures(self, key: str) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            self._failures.pop(key, None)


def secret_problem(secret: object) -> str | None:
    """Say why a configured secret cannot be used, or ``None`` when it can.

    Parameters
    ----------
    secret
        The value read from the operator's configuration (anything; only a long enough string is usable).

    Returns
    -------
    str or None
        An English message for the operator, or ``None``.
    """
    if secret is None or secret == "":
        return "no maintainer password is configured"
    if not isinstance(secret, str):
        return "the maintainer password must be a text value"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"the maintainer password is too short (at least {MIN_SECRET_LENGTH} characters)"
    return None


def _digest(text: str) -> bytes:
    # Hashing first gives both sides the same length, so the comparison time does not depend on how
    # long the configured secret is; surrogatepass keeps odd input from raising.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def check_secret(given: object, expected: object) -> bool:
    """Compare a typed password with the configured one in constant time.

    Parameters
    ----------
    given
        What the person typed (non-strings never match).
    expected
        The configured secret; an unusable one (see :func:`secret_problem`) never matches.

    Returns
    -------
    bool
        Whether they are equal.
    """
    if not isinstance(given, str) or secret_problem(expected) is not None:
        return False
    assert isinstance(expected, str)  # for the type checker: secret_problem() checked it
    return hmac.compare_digest(_digest(given), _digest(expected))


def match_user(given: object, users: Mapping[str, object]) -> str | None:
    """Find the maintainer whose password was typed (``[review_users]`` name → password).

    Every configured password is compared, with no early exit, so the time taken does not tell which
    entry (if any) matched.

    Parameters
    ----------
    given
        What the person typed.
    users
        Maintainer names and their passwords; unusable passwords are skipped.

    Returns
    -------
    str or None
        The matching maintainer's name, or ``None``.
    """
    found: str | None = None
    for name, secret in users.items():
        if check_secret(given, secret) and found is None:
            found = str(name)
    return found


@dataclass(frozen=True)
class LoginResult:
    """Outcome of one sign-in attempt.

    Attributes
    ----------
    ok
        The password matched and the address was not locked.
    user
        Who signed in (the ``[review_users]`` name), ``None`` for the shared password or a failure.
    locked_until
        When the lock of this address ends (UTC), else ``None``.
    remaining
        Wrong passwords this address may still type before it is locked (0 when locked).
    message
        An English message fit to show.
    """

    ok: bool
    user: str | None
    locked_until: dt.datetime | None
    remaining: int
    message: str


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _locked(until: dt.datetime) -> LoginResult:
    return LoginResult(False, None, until, 0, f"Too many failed attempts. Try again after {until:%H:%M} UTC.")


class LoginGuard:
    """Check maintainer passwords; lock an address out after repeated failures, and only that address.

    Parameters
    ----------
    log
        Where failures are kept (the corrections database, so that locks survive reloads, new browsers
        and restarts, and hold for every process of a deployment).
    max_failures
        Wrong passwords one address may type before it is locked.
    account_max_failures
        Failures of the account from all addresses within ``window`` that mean a spread-out attack.
    attack_max_failures
        Wrong passwords one address may type during such an attack.
    window
        The first lock; every further failure of the address doubles it, up to ``retention``.
    retention
        How far back failures count.
    clock
        Returns the current time (UTC, aware); tests pass a fake one.

    Examples
    --------
    >>> guard = LoginGuard(MemoryFailureLog())
    >>> guard.attempt("203.0.113.5", "wrong", password="a-long-operator-secret").remaining
    4
    >>> guard.attempt("203.0.113.5", "a-long-operator-secret", password="a-long-operator-secret").ok
    True
    """

    def __init__(
        self,
        log: FailureLog,
        *,
        max_failures: int = MAX_FAILURES,
        account_max_failures: int = ACCOUNT_MAX_FAILURES,
        attack_max_failures: int = ATTACK_MAX_FAILURES,
        window: dt.timedelta = FAILURE_WINDOW,
        retention: dt.timedelta = FAILURE_RETENTION,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.log = log
        self.max_failures = max_failures
        self.account_max_failures = account_max_failures
        self.attack_max_failures = attack_max_failures
        self.window = window
        self.retention = retention
        self.clock = clock

    @staticmethod
    def _keys(client: str, account: str) -> tuple[str, str]:
        # The account's own count uses "*", which no client address can be.
        return f"{account}\n{client}", f"{account}\n*"

    def under_attack(self, account: str = REVIEW_ACCOUNT) -> bool:
        """Whether ``account`` sees so many failures from all addresses that one failure locks an address."""
        _, everyone = self._keys("", account)
        recent = self.log.failures_since(everyone, self.clock() - self.window)
        return len(recent) >= self.account_max_failures

    def _state(self, client: str, account: str, now: dt.datetime) -> tuple[dt.datetime | None, int]:
        mine, _ = self._keys(client, account)
        failures = self.log.failures_since(mine, now - self.retention)
        allowed = self.attack_max_failures if self.under_attack(account) else self.max_failures
        over = len(failures) - allowed
        if over < 0:
            return None, allowed - len(failures)
        lock = min(self.window * 2 ** min(over, 30), self.retention)
        until = failures[-1] + lock
        return (until if until > now else None), 0

    def locked_until(self, client: str, account: str = REVIEW_ACCOUNT) -> dt.datetime | None:
        """When the lock of address ``client`` on ``account`` ends, or ``None`` if it is not locked."""
        return self._state(client, account, self.clock())[0]

    def attempt(
        self,
        client: str,
        given: object,
        *,
        password: object = None,
        users: Mapping[str, object] | None = None,
        account: str = REVIEW_ACCOUNT,
    ) -> LoginResult:
        """Try one sign-in from address ``client``.

        Parameters
        ----------
        client
            The client's address key (:func:`finder.client_address.client_address`).
        given
            The typed password.
        password
            The shared maintainer password, if configured.
        users
            Per-maintainer passwords (name → password), if configured.
        account
            What is signed in to (the review page by default).

        Returns
        -------
        LoginResult
            ``ok`` only when the address is not locked and the password matches; a locked address's
            password is not even compared. No failure of another address can make a correct password fail.
        """
        mine, everyone = self._keys(client, account)
        with _ATTEMPTS:
            now = self.clock()
            until, _ = self._state(client, account, now)
            if until is not None:
                return _locked(until)
            user = match_user(given, users or {})
            if user is not None or check_secret(given, password):
                self.log.clear_failures(mine)
                return LoginResult(True, user, None, self.max_failures, "Signed in.")
            self.log.record_failure(mine, now)
            self.log.record_failure(everyone, now)
            until, remaining = self._state(client, account, now)
            if len(self.log.failures_since(everyone, now - self.window)) == self.account_max_failures:
                # Said once per attack, for the operator's log (no address is logged).
                logger.warning("many failed sign-ins to %r: one failure now locks an address", account)
        if until is not None:
            return _locked(until)
        return LoginResult(False, None, None, remaining, "Wrong password.")
