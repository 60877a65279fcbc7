"""Tables a spreadsheet may open (CSV, GIS attribute tables), with formula-leading cells neutralised.

A spreadsheet evaluates a cell that starts with ``= + - @``, a tab or a carriage return as a formula, and a
formula can open links, read other cells or, through DDE, start programs. Every export that a spreadsheet
may open therefore writes such a cell with a ``'`` in front (OWASP "CSV Injection";
:func:`finder.rules.neutralise_formula`), and leaves numbers and phone numbers alone. A carriage return
inside a cell becomes a line feed first: Python's and pandas' CSV writers leave a field with a lone CR
unquoted, and a spreadsheet would start a new row there, whose first cell could be a formula.

Validation already refuses formula-leading values in the directory (:func:`finder.rules.starts_like_formula`,
:data:`finder.directory.FORMULA_START_ALLOWED`), so for a valid directory nothing here changes a value and
``finder export --format csv`` writes the same text as ``offices.csv``; this is defence in depth for values
that reach an export another way (a database overlay, a coverage layer, a column added later).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd

from finder._values import cell_text
from finder.rules import neutralise_formula

__all__ = ["directory_csv", "safe_cell", "safe_frame", "write_directory_csv"]

_Frame = TypeVar("_Frame", bound=pd.DataFrame)


def safe_cell(text: str) -> str:
    r"""``text`` as a cell no spreadsheet evaluates or splits: line breaks as LF, ``'`` before a formula.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("Mo 9-12\r=1+1"), safe_cell("\r=1+1"), safe_cell("+49 351 1")
    ("'=1+1", 'Mo 9-12\n=1+1', "'\n=1+1", '+49 351 1')
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise_formula(text)


def safe_frame(frame: _Frame) -> _Frame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas (numbers and geometry kept).

    Examples
    --------
    >>> safe_frame(pd.DataFrame({"name": ["=1+1", "Caritas"], "km": [-1.5, 2.0]})).to_dict("list")
    {'name': ["'=1+1", 'Caritas'], 'km': [-1.5, 2.0]}
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(lambda v: safe_cell(v) if isinstance(v, str) else v)
    return out


def directory_csv(header: Sequence[str], rows: Sequence[Mapping[str, object]]) -> str:
    r"""The directory as CSV text in the layout of ``offices.csv`` (LF line ends, minimal quoting).

    Examples
    --------
    >>> directory_csv(["id", "name"], [{"id": "a", "name": "=1+1"}, {"id": "b", "name": "B, C"}])
    'id,name\na,\'=1+1\nb,"B, C"\n'
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell_text(row.get(column, ""))) for column in header])
    return out.getvalue()


def write_directory_csv(
    header: Sequence[str], rows: Sequence[Mapping[str, object]], output: str | os.PathLike[str]
) -> Path:
    """Write :func:`directory_csv` to ``output`` (``offices.csv`` inside it if it is a folder), atomically.

    Returns
    -------
    pathlib.Path
        The file written (a reader never sees half of it: it is written beside and moved into place).
    """
    target = Path(output)
    if target.is_dir():
        target = target / "offices.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(directory_csv(header, rows))
        Path(name).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
    return target
