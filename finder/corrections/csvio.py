"""Reading and writing the directory file: raw rows, validated temporary files, atomic replacement.

Edits are only made to a valid ``offices.csv`` and only ever produce a valid one: the would-be file is
written beside the real one, checked with :func:`finder.directory.validate_file`, and only then moved into
place (by :class:`finder.corrections.editor.DirectoryEditor`, with :func:`os.replace`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from finder.directory import validate_file
from finder.errors import CorrectionError

__all__ = ["check_rows", "fsync_dir", "read_rows", "serialise_rows", "write_valid_temp"]


def read_rows(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read a valid ``offices.csv`` as its header and one dict of raw strings per row.

    Raises
    ------
    CorrectionError
        If the file has problems (edits are only made to a valid directory).
    """
    problems = validate_file(path)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        msg = f"{path} has {len(problems)} problem(s); fix them first (finder validate): {shown}"
        raise CorrectionError(msg)
    text = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = [dict(zip(header, row, strict=True)) for row in reader if row]
    return header, rows


def serialise_rows(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> tuple[str, list[int]]:
    r"""CSV text (LF line ends, minimal quoting, like the file in the repository) and each row's line.

    Examples
    --------
    >>> serialise_rows(["id", "notes"], [{"id": "a", "notes": "two\nlines"}, {"id": "b"}])
    ('id,notes\na,"two\nlines"\nb,\n', [2, 4])
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    lines = []
    line = 2
    for row in rows:
        before = out.tell()
        writer.writerow([row.get(column, "") for column in header])
        lines.append(line)
        out.seek(0, io.SEEK_END)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue(), lines


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
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
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
    path: Path, header: Sequence[str], rows: Sequence[Mapping[str, str]]
) -> tuple[Path, list[str]]:
    """Write rows to a new temporary file beside ``path`` and validate it: (file, problem lines)."""
    text, lines = serialise_rows(header, rows)
    temp = _write_temp(path, text)
    by_line = {line: row.get("id", "") for line, row in zip(lines, rows, strict=True)}
    messages = []
    for problem in validate_file(temp):
        office = by_line.get(problem.line, "")
        where = f"office {office}" if office else f"line {problem.line}"
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


def check_rows(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> list[str]:
    """Validate would-be directory rows (in a private temporary folder).

    Returns
    -------
    list of str
        Empty when valid, else one ``office ID: FIELD: message`` line per problem.
    """
    with tempfile.TemporaryDirectory() as folder:
        _, messages = _validate_temp(Path(folder) / "offices.csv", header, rows)
    return messages
