"""Maintainer sign-in: constant-time password check and a lockout after repeated failures.

There is no default password: a secret that is not set (or too short to be a password) never matches,
so the maintainer view stays closed until an operator configures one (``review_password`` or a
``[review_users]`` table in ``.streamlit/secrets.toml``; see ``ui/pages/review.py``).

Failures are counted per client (one browser session) and for everybody together. Someone who opens new
sessions to get new attempts still runs into the global limit, at the price that a flood of wrong guesses
also locks the real maintainers out for a while; they can still use ``finder review`` on the server.
The failure log is a protocol so that the lockout is shared by all processes of a deployment when it is
kept in the corrections database (:class:`finder.corrections.CorrectionStore` implements it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

#: Shortest secret accepted as a maintainer password (shorter ones are refused, not used).
MIN_SECRET_LENGTH = 12
#: Failures of one client within :data:`FAILURE_WINDOW` that lock that client out.
MAX_FAILURES = 5
#: Failures of all clients together within :data:`FAILURE_WINDOW` that lock everybody out.
GLOBAL_MAX_FAILURES = 25
#: How far back failures count; a lockout lasts until the oldest counted failure leaves the window.
FAILURE_WINDOW = dt.timedelta(minutes=15)
#: Key of the failure count shared by all clients.
GLOBAL_KEY = "*"


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
        The password matched and no lockout was in force.
    user
        Who signed in (the ``[review_users]`` name), ``None`` for the shared password or a failure.
    locked_until
        When a lockout in force ends (UTC), else ``None``.
    remaining
        Attempts this client has left before its lockout (0 when locked).
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


class LoginGuard:
    """Check maintainer passwords and lock clients out after repeated failures.

    Parameters
    ----------
    log
        Where failures are kept (share one across processes to share the lockout).
    max_failures
        Failures of one client within ``window`` that lock it out.
    global_max_failures
        Failures of all clients together within ``window`` that lock everybody out.
    window
        How far back failures count.
    clock
        Returns the current time (UTC, aware); tests pass a fake one.

    Examples
    --------
    >>> guard = LoginGuard(MemoryFailureLog())
    >>> guard.attempt("session-1", "wrong", password="a-long-operator-secret").ok
    False
    >>> guard.attempt("session-1", "a-long-operator-secret", password="a-long-operator-secret").ok
    True
    """

    def __init__(
        self,
        log: FailureLog,
        *,
        max_failures: int = MAX_FAILURES,
        global_max_failures: int = GLOBAL_MAX_FAILURES,
        window: dt.timedelta = FAILURE_WINDOW,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.log = log
        self.max_failures = max_failures
        self.global_max_failures = global_max_failures
        self.window = window
        self.clock = clock

    def _locked_until(self, key: str, limit: int, now: dt.datetime) -> tuple[dt.datetime | None, int]:
        failures = self.log.failures_since(key, now - self.window)
        if len(failures) >= limit:
            # Locked until enough of the counted failures have left the window.
            return failures[len(failures) - limit] + self.window, 0
        return None, limit - len(failures)

    def locked_until(self, key: str) -> dt.datetime | None:
        """When the lockout of ``key`` (or the global one) ends, or ``None`` if there is none."""
        now = self.clock()
        mine, _ = self._locked_until(key, self.max_failures, now)
        everyone, _ = self._locked_until(GLOBAL_KEY, self.global_max_failures, now)
        ends = [t for t in (mine, everyone) if t is not None]
        return max(ends) if ends else None

    def attempt(
        self,
        key: str,
        given: object,
        *,
        password: object = None,
        users: Mapping[str, object] | None = None,
    ) -> LoginResult:
        """Try one sign-in for client ``key``.

        Parameters
        ----------
        key
            The client (e.g. a random token kept in the browser session).
        given
            The typed password.
        password
            The shared maintainer password, if configured.
        users
            Per-maintainer passwords (name → password), if configured.

        Returns
        -------
        LoginResult
            ``ok`` only when not locked out and the password matches. While locked out the password is
            not even compared.
        """
        now = self.clock()
        until = self.locked_until(key)
        if until is not None:
            when = until.strftime("%H:%M UTC")
            return LoginResult(False, None, until, 0, f"Too many failed attempts. Try again after {when}.")
        user = match_user(given, users or {})
        ok = user is not None or check_secret(given, password)
        if ok:
            self.log.clear_failures(key)
            return LoginResult(True, user, None, self.max_failures, "Signed in.")
        self.log.record_failure(key, now)
        self.log.record_failure(GLOBAL_KEY, now)
        until = self.locked_until(key)
        _, remaining = self._locked_until(key, self.max_failures, now)
        if until is not None:
            when = until.strftime("%H:%M UTC")
            return LoginResult(False, None, until, 0, f"Too many failed attempts. Try again after {when}.")
        return LoginResult(False, None, None, remaining, "Wrong password.")
