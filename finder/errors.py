"""Every exception the library raises on purpose, under one root (after geopy's ``geopy.exc``).

A caller that wants to show "something the person can fix" catches :class:`FinderError`; each class also
keeps the built-in it used to be (``ValueError`` or ``RuntimeError``) as a mix-in, so older ``except
ValueError`` code keeps working. The messages are written to be shown to a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

__all__ = [
    "AssetError",
    "ConflictError",
    "CorrectionError",
    "CoverageError",
    "DirectoryError",
    "FinderError",
    "HsdsError",
    "InvalidAnswerError",
    "LocateError",
    "RateLimitedError",
    "SettingsError",
    "StoreUnavailableError",
    "format_problems",
]

#: How many problems :class:`DirectoryError` shows in its message.
MAX_SHOWN_PROBLEMS = 20


def format_problems(problems: Sequence[object], limit: int = MAX_SHOWN_PROBLEMS) -> str:
    """Join problems one per line, showing at most ``limit`` of them.

    Parameters
    ----------
    problems
        The problems to show (:class:`finder.directory.Problem`, printed as ``PATH:LINE: FIELD: message``).
    limit
        How many to show; the rest are counted as ``… and N more``.

    Returns
    -------
    str
        One problem per line.
    """
    lines = [str(problem) for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"… and {len(problems) - limit} more")
    return "\n".join(lines)


class FinderError(Exception):
    """Root of the library's own exceptions; the message is fit to show to a person."""


class SettingsError(FinderError, ValueError):
    """A ``FINDER_*`` setting has a value the library cannot use."""


class LocateError(FinderError, ValueError):
    """Nothing matches the location text (the message says what to try instead)."""


class DirectoryError(FinderError, ValueError):
    """The office directory has problems; ``.problems`` lists them all.

    Parameters
    ----------
    problems
        What :func:`finder.directory.validate_file` found (at least one).
    """

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


class CoverageError(FinderError, ValueError):
    """Input the coverage analysis cannot answer."""


class CorrectionError(FinderError, ValueError):
    """A suggestion or an edit was refused; the message says why."""


class RateLimitedError(CorrectionError):
    """Too many suggestions from one client or in total.

    ``retry_after`` says how long to wait; ``scope`` is ``"client"`` (this sender's own limit) or
    ``"everybody"`` (the safety cap of all senders together).
    """

    def __init__(self, message: str, retry_after: dt.timedelta, scope: str = "client") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.scope = scope


class ConflictError(CorrectionError):
    """The change no longer fits the directory (decided already, or changed again since)."""


class StoreUnavailableError(CorrectionError):
    """The corrections database did not answer (down, restarting, unreachable, full, locked too long).

    Raised before anything was stored or changed: what was asked may simply be tried again later.
    """


class HsdsError(FinderError, ValueError):
    """An import source cannot be read; the message says what and where."""


class InvalidAnswerError(FinderError, ValueError):
    """An online geocoder answered something that is not a usable place."""


class AssetError(FinderError, RuntimeError):
    """A vendored file could not be found in its package or could not be copied."""
