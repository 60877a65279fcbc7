"""Helpers shared by the tests: small valid-by-default office directories, a settable clock, the CLI runner.

Import them as ``from helpers import …`` (``tests/`` is on ``sys.path``, see ``pythonpath`` in
``pyproject.toml``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path

import pytest

from finder.cli import build_parser
from finder.directory import OFFICE_COLUMNS

#: The repository (``data/``, ``app.py``, ``notebooks/``).
REPO = Path(__file__).resolve().parent.parent

#: Field values of a valid minimal office; ``id`` and ``name`` are numbered per row.
DEFAULT_OFFICE: dict[str, str] = {
    "kind": "MBE",
    "district": "Dresden",
    "topics": "residence",
    "source_url": "https://example.org/x",
    "target_group": "all",
}


def make_offices_csv(
    path: str | PathLike[str],
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str] = OFFICE_COLUMNS,
) -> Path:
    """Write an ``offices.csv`` whose rows are valid unless a test says otherwise.

    Parameters
    ----------
    path
        The file to write; if it is an existing folder, ``offices.csv`` inside it.
    rows
        One mapping per office with the fields to set (values are passed through ``str``). Missing fields get
        the values of a valid minimal office: ``id`` ``office-N`` and ``name`` ``Office N`` (N = row number
        from 1), ``kind`` MBE, ``district`` Dresden, ``topics`` residence, ``source_url``
        https://example.org/x, ``target_group`` all, everything else blank.
    columns
        Header to write, in this order; fields of columns not listed are dropped, so leaving out a column
        writes a file that misses it.

    Returns
    -------
    pathlib.Path
        The file written (UTF-8, LF line ends, fields quoted where needed).

    Raises
    ------
    ValueError
        If a row sets a field that is not in ``columns`` (most likely a typo).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = make_offices_csv(folder, [{"id": "a"}, {"kind": "JMD"}])
    ...     with path.open(encoding="utf-8") as handle:
    ...         [(row["id"], row["kind"], row["name"]) for row in csv.DictReader(handle)]
    [('a', 'MBE', 'Office 1'), ('office-2', 'JMD', 'Office 2')]
    """
    target = Path(path)
    if target.is_dir():
        target = target / "offices.csv"
    header = list(columns)
    lines = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(header)
        if unknown:
            msg = f"row {number} sets fields that are not columns: {', '.join(sorted(unknown))}"
            raise ValueError(msg)
        values = dict.fromkeys(header, "")
        defaults = {**DEFAULT_OFFICE, "id": f"office-{number}", "name": f"Office {number}"}
        values.update({key: value for key, value in defaults.items() if key in values})
        values.update({key: str(value) for key, value in row.items()})
        lines.append([values[column] for column in header])
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(lines)
    return target


class FakeClock:
    """A clock for tests of time-dependent code (rate limits, lockouts): call it for "now", move it on.

    Examples
    --------
    >>> import datetime as dt
    >>> clock = FakeClock(dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC))
    >>> clock.advance(minutes=15)
    >>> clock().minute
    15
    """

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        """Return "now"."""
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move the clock on by ``datetime.timedelta(**kwargs)``."""
        self.now += dt.timedelta(**kwargs)


def run_cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run one ``finder`` command in-process: exit code, stdout, stderr.

    Unlike ``finder.cli.main`` it lets exceptions through, so a test sees a crash as a crash (use ``main``
    only to test its own error handling: exit 2 for usage, 3 for a crash).
    """
    args = build_parser().parse_args(list(argv))
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class FakeTimer:
    """A monotonic clock in seconds that moves only when slept on or advanced, and the sleeps requested.

    Pass ``timer.clock`` and ``timer.sleep`` to code that waits (e.g. a rate limiter): the test then checks
    the waits asked for, not elapsed wall-clock time.

    Examples
    --------
    >>> timer = FakeTimer()
    >>> timer.sleep(0.5)
    >>> timer.advance(1.0)
    >>> timer.clock(), timer.sleeps
    (1.5, [0.5])
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        """Return "now" in seconds."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock on by it."""
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        """Move the clock on without a wait (time spent elsewhere)."""
        self.now += seconds


#: Markdown and HTML that a hostile link, report or directory entry may carry: a link, an image, bold,
#: HTML, a colour directive, a formula, an event handler, a bare link and a bare e-mail address. The words
#: are odd on purpose, so that no place search finds a place for it.
HOSTILE_MARKDOWN = (
    "[Urgent](https://evil.example/x) ![t](https://evil.example/t.png) **zqbold** <b>zqb</b> :red[zqred] "
    "$\\alpha$ <img src=x onerror=alert(1)> https://evil.example/auto mail@evil.example"
)
_ACTIVE_PIECES = ("[Urgent](", "![t](", "**zqbold**", "<b>", ":red[", "$\\alpha$", "<img")
# GFM finds bare links in the text after backslash escapes are gone.
_BARE_LINKS = ("https://evil", "mail@evil")


def active_markdown(text: str) -> list[str]:
    """The pieces of :data:`HOSTILE_MARKDOWN` that the Markdown ``text`` still has in their working form.

    Examples
    --------
    >>> active_markdown("Nothing found for “**zqbold**”")
    ['**zqbold**']
    >>> active_markdown("Nothing found for “\\\\*\\\\*zqbold\\\\*\\\\* \\\\<img”")
    []
    >>> active_markdown("see https\\\\:\\\\/\\\\/evil\\\\.example")
    ['https://evil']
    """
    # A backslash before a piece's first character makes Markdown show that character as it is.
    pieces = [piece for piece in _ACTIVE_PIECES if re.search(r"(?<!\\)" + re.escape(piece), text)]
    unescaped = re.sub(r"\\(.)", r"\1", text)
    return pieces + [link for link in _BARE_LINKS if link in unescaped]
