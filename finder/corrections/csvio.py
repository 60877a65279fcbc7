"""Reading and writing the directory file: raw rows, validated temporary files, atomic replacement.

Edits are only made to a valid ``offices.csv`` and only ever produce a valid one: the would-be file is
written beside the real one, checked with :func:`finder.directory.validate_file`, and only then moved into
place (by :class:`finder.corrections.editor.DirectoryEditor`, with :func:`os.replace`).
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from finder.directory import complete_header, read_checked, validate_file
from finder.errors import CorrectionError

__all__ = ["check_rows", "fsync_dir", "read_rows", "serialise_rows", "write_valid_temp"]


def read_rows(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read a valid ``offices.csv`` as its header and one dict of raw strings per row.

    The file is read and parsed once: the rows are the ones :func:`finder.directory.read_checked` checked.
    A file written before the columns of :data:`finder.directory.ADDED_COLUMNS` existed reads as if it had
    them blank, so the next edit writes them.

    Raises
    ------
    CorrectionError
        If the file has problems (edits are only made to a valid directory).
    """
    header, rows, problems = read_checked(path)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        msg = f"{path} has {len(problems)} problem(s); fix them first (finder validate): {shown}"
        raise CorrectionError(msg)
    full = complete_header(header)
    if full != header:
        rows = [dict.fromkeys(full, "") | row for row in rows]
    return full, rows


def serialise_rows(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> tuple[str, list[int]]:
    r"""CSV text (LF line ends, minimal quoting, like the file in the repository) and each row's line.

    Linear in the size of the text: each row's line count comes from the pieces written for that row
    alone (not from the text written so far, which would make the whole quadratic).

    Examples
    --------
    >>> serialise_rows(["id", "notes"], [{"id": "a", "notes": "two\nlines"}, {"id": "b"}])
    ('id,notes\na,"two\nlines"\nb,\n', [2, 4])
    """
    pieces = _Pieces()
    writer = csv.writer(pieces, lineterminator="\n")
    writer.writerow(header)
    lines = []
    line = 2
    for row in rows:
        first = len(pieces)
        writer.writerow([row.get(column, "") for column in header])
        lines.append(line)
        line += sum(piece.count("\n") for piece in pieces[first:])
    return "".join(pieces), lines


class _Pieces(list[str]):
    """A file-like list: what a :func:`csv.writer` writes, piece by piece."""

    def write(self, text: str) -> int:
        self.append(text)
        return len(text)


def fsync_dir(folder: Path) -> None:
    """Flush ``folder``'s entries to disk, so a file moved into it survives a power cut (where supported)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(path: Path, text: str) -> Path:
    """Write ``text`` to a new temporary file beside ``path`` (same file system, so os.replace is atomic).

    ``path`` itself need not exist.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # A lone surrogate (from a JSON "\ud800" escape, or undecodable bytes) is written as bytes that are
        # not UTF-8, so validation reports it at its office and field instead of the write failing.
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
    with contextlib.suppress(OSError):
        Path(name).chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
    return Path(name)


def _validate_temp(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    origins: Mapping[str, str] | None = None,
) -> tuple[Path, list[str]]:
    """Write rows to a new temporary file beside ``path`` and validate it: (file, problem lines)."""
    text, lines = serialise_rows(header, rows)
    temp = _write_temp(path, text)
    by_line = {line: row.get("id", "") for line, row in zip(lines, rows, strict=True)}
    messages = []
    for problem in validate_file(temp):
        office = by_line.get(problem.line, "")
        where = f"office {office}" if office else f"line {problem.line}"
        if origins and office in origins:
            where = origins[office]
        messages.append(f"{where}: {problem.field}: {problem.message}")
    return temp, messages


def write_valid_temp(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    touched: Collection[str],
    folder: Path | None = None,
) -> Path:
    """Write the would-be directory to a temporary file and validate it; return the file if valid.

    The file is written beside ``path`` (so it can replace it atomically) unless ``folder`` is given.

    Raises
    ------
    CorrectionError
        If the rows are not a valid directory (naming the ``touched`` offices); no file is left behind.
    """
    temp, messages = _validate_temp(path if folder is None else folder / path.name, header, rows)
    if not messages:
        return temp
    with contextlib.suppress(OSError):
        temp.unlink()
    changed = ", ".join(sorted(touched)) or "the directory"
    msg = f"The change to {changed} was refused because the result would not be valid: " + "; ".join(
        messages[:5]
    )
    raise CorrectionError(msg)


def check_rows(
    header: Sequence[str], rows: Sequence[Mapping[str, str]], origins: Mapping[str, str] | None = None
) -> list[str]:
    """Validate would-be directory rows (in a private temporary folder).

    Parameters
    ----------
    header, rows
        The rows to check.
    origins
        Where offices came from (office id → e.g. ``PATH:LINE``), to name in their problems instead of
        ``office ID``.

    Returns
    -------
    list of str
        Empty when valid, else one ``office ID: FIELD: message`` (or ``ORIGIN: FIELD: message``) line per
        problem.
    """
    with tempfile.TemporaryDirectory() as folder:
        _, messages = _validate_temp(Path(folder) / "offices.csv", header, rows, origins)
    return messages
