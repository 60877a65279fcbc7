"""Helpers for tests: write small, valid-by-default office directories."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path

from finder.directory import OFFICE_COLUMNS

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
    >>> make_offices_csv(tmp_path / "offices.csv", [{"id": "a"}, {"kind": "JMD"}])  # doctest: +SKIP
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
