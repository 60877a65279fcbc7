"""Load and validate the office directory (``data/offices.csv``).

:func:`validate_file` reports every problem of a directory file as a :class:`Problem` (``PATH:LINE: FIELD:
message``) and never raises on bad content; :func:`load_offices` returns the directory as a DataFrame with
parsed helper columns, or raises :class:`DirectoryError` carrying the problems. Both go through one parser
(:func:`_check_file`), so a file that validates is exactly a file that loads.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pandas as pd

from finder import hours, rules, settings, vocab
from finder._field_parsers import (
    email_message,
    parse_contact,
    parse_date,
    parse_number,
    parse_urls,
    phone_message,
    show,
    split_list,
)
from finder._files import MAX_INPUT_BYTES, read_regular_file, wide_encoding
from finder.errors import DirectoryError

#: Columns of ``offices.csv`` in file order (see ``data/README.md``).
OFFICE_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "provider",
    "kind",
    "street",
    "postcode",
    "city",
    "district",
    "phone",
    "email",
    "website",
    "languages",
    "interpreting",
    "topics",
    "target_group",
    "target_group_original",
    "opening_hours",
    "opening_hours_osm",
    "source_url",
    "source_date",
    "last_checked",
    "notes",
    "status",
    "lat",
    "lon",
    "geocode_precision",
    "geocode_source",
)

#: Columns without which no row can be understood; the others are expected too, but optional in spirit.
REQUIRED_COLUMNS: tuple[str, ...] = ("id", "name", "kind", "district", "topics", "source_url")

#: Columns added after the first files were written: a file without them is valid, and they read as blank.
ADDED_COLUMNS: tuple[str, ...] = ("interpreting", "opening_hours_osm", "status")

#: Values of ``geocode_precision`` for rows with a location (blank = no location).
GEOCODE_PRECISIONS: tuple[str, ...] = ("street", "postcode", "place", "district")

#: Rough bounding box of Saxony ``(lat_min, lat_max, lon_min, lon_max)``; the exact polygon test is
#: done by the geodata code.
SAXONY_BBOX: tuple[float, float, float, float] = (50.1, 51.7, 11.8, 15.1)

#: Largest directory file read (bytes). The real one is about 0.1 MB; the cap only keeps reads bounded,
#: and it is larger than an import's (:data:`finder._files.MAX_INPUT_BYTES`), so that a directory that grew
#: by a full-size import can still be read and edited.
MAX_FILE_BYTES = 4 * MAX_INPUT_BYTES

#: Separator of several pages in ``source_url``.
SOURCE_URL_SEPARATOR = " | "

# ASCII digits only: ``\d`` would accept Arabic-Indic and other digits.
_POSTCODE_SAXONY = re.compile(r"0[1-9][0-9]{3}")
_POSTCODE_GERMANY = re.compile(r"[0-9]{5}")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")
# A CR that does not end a line (CRLF inside a quoted field of a CRLF file is a line break, and fine).
_LONE_CR = re.compile(r"\r(?!\n)")
# Bytes that are not UTF-8 are decoded with ``surrogateescape`` and show up as lone surrogates.
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")


@dataclass(frozen=True)
class Problem:
    """One problem of a directory file.

    Attributes
    ----------
    path
        The file as given.
    line
        Physical line (1 = header) where the record starts; 1 for file-level problems.
    field
        Column name, ``"row"`` for a record as a whole, ``"file"`` for the file as a whole.
    message
        What is wrong, in English.
    """

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


# --------------------------------------------------------------------------------------------------
# Reading


@dataclass
class _Record:
    line: int
    values: dict[str, str]
    parsed: dict[str, object] = field(default_factory=dict)


@dataclass
class _Checked:
    problems: list[Problem] = field(default_factory=list)
    records: list[_Record] = field(default_factory=list)
    header: list[str] = field(default_factory=list)


def _safe(text: str) -> str:
    """Make a path or column name printable (no lone surrogates)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _decode(
    path: str | PathLike[str], problem: Callable[[int, str, str], None], max_bytes: int
) -> str | None:
    """The file's text (undecodable bytes as lone surrogates), or None after reporting why there is none."""
    try:
        data = read_regular_file(path, max_bytes)
    except OSError as exc:
        problem(1, "file", f"cannot read the file ({exc.strerror or exc})")
        return None
    # Spreadsheet programs like to prepend a byte order mark; it is not part of the first column's name.
    data = data.removeprefix(codecs.BOM_UTF8)
    if (encoding := wide_encoding(data)) is not None:
        problem(1, "file", f"the file is {encoding}, not UTF-8 (save it as UTF-8); nothing else was checked")
        return None
    # Undecodable bytes survive as lone surrogates, so they are reported at their record and field and the
    # rest of the file is still checked.
    return data.decode("utf-8", "surrogateescape")


# One CSV field as the csv module reads it: quoted (doubled quotes inside) or up to the next , or LF.
_CSV_FIELD = re.compile(r'"[^"]*(?:""[^"]*)*"|[^,\n]*')


def _oversized_field(text: str, line: int, header: list[str] | None) -> tuple[str, int]:
    """The column and length of the longest field of the record starting on ``line`` (for a message)."""
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset) + 1
    column, longest, index = "row", 0, 0
    while True:
        match = _CSV_FIELD.match(text, offset)  # always matches (an unquoted field may be empty)
        value = match.group() if match else ""
        length = len(value[1:-1].replace('""', '"')) if value.startswith('"') else len(value)
        if length > longest:
            name = header[index] if header is not None and index < len(header) else None
            column, longest = name or "row", length
        offset += len(value)
        if not text.startswith(",", offset):
            return column, longest
        offset += 1
        index += 1


def _csv_error(exc: csv.Error, text: str, line: int, header: list[str] | None) -> tuple[str, str]:
    """The column and message for a record the csv module could not read."""
    if str(exc) == "unexpected end of data":
        return "row", 'a quoted field is never closed (unterminated ")'
    if str(exc).startswith("new-line character seen in unquoted field"):
        return "row", "a carriage return (CR) inside an unquoted field (quote the field or end lines with LF)"
    if str(exc).startswith("field larger than field limit"):
        column, length = _oversized_field(text, line, header)
        return column, f"field too large ({length} characters; at most {csv.field_size_limit()})"
    return "row", f"broken quoting ({exc})"


def _check_file(path: str | PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> _Checked:
    """Read, parse and check a directory file: the one code path behind validation and loading."""
    where = _safe(str(path))
    out = _Checked()

    def problem(line: int, column: str, message: str) -> None:
        out.problems.append(Problem(where, line, _safe(column), message))

    text = _decode(path, problem, max_bytes)
    if text is None:
        return out
    # Lines end at LF only (CRLF ends in LF too), so line numbers match editors, grep -n and sed.
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)

    header: list[str] | None = None
    seen_ids: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            column, reason = _csv_error(exc, text, start, header)
            problem(start, column, f"{reason}; the rest of the file was not checked")
            break
        if header is None:
            header = row
            out.header = row
            _check_header(header, problem)
            continue
        if not row:  # blank line
            continue
        if len(row) != len(header):
            problem(start, "row", f"has {len(row)} fields, the header has {len(header)}")
            continue
        record = _Record(start, dict(zip(header, row, strict=True)))
        for column, message in _check_record(record):
            problem(start, column, message)
        office_id = record.values.get("id", "")
        if office_id:
            if office_id in seen_ids:
                first = seen_ids[office_id]
                problem(start, "id", f"duplicate id {show(office_id)} (first used on line {first})")
            else:
                seen_ids[office_id] = start
        out.records.append(record)
    if header is None and not out.problems:
        problem(1, "file", "the file is empty (no header row)")
    return out


def _check_header(header: list[str], problem: Callable[[int, str, str], None]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problem(1, name, "column appears more than once in the header")
        elif name not in OFFICE_COLUMNS:
            problem(1, name, f"unknown column (expected: {', '.join(OFFICE_COLUMNS)})")
        seen.add(name)
    for name in OFFICE_COLUMNS:
        if name not in seen and name not in ADDED_COLUMNS:
            kind = "required column" if name in REQUIRED_COLUMNS else "column"
            problem(1, name, f"missing {kind}")


def complete_header(header: list[str]) -> list[str]:
    """``header`` with the :data:`ADDED_COLUMNS` it lacks, each after the column it follows in the file.

    Examples
    --------
    >>> complete_header(["id", "languages", "topics"])
    ['id', 'languages', 'interpreting', 'topics', 'opening_hours_osm', 'status']
    """
    out = list(header)
    for name in ADDED_COLUMNS:
        if name not in out:
            before = OFFICE_COLUMNS[OFFICE_COLUMNS.index(name) - 1]
            out.insert(out.index(before) + 1 if before in out else len(out), name)
    return out


#: Leading characters a column may start with although spreadsheets read them as the start of a formula
#: (:func:`finder.rules.starts_like_formula`). A phone number may start with ``+`` (``+49 351 …``) and a
#: coordinate with ``-``: their own rules leave only digits and separators after it, which cannot call a
#: function. Every other column refuses ``= + - @``, tab and CR at the start: names, addresses, opening hours,
#: target groups and notes never need them (a note can start with its words instead of a dash), and URLs,
#: e-mail addresses and codes cannot start with them in valid data anyway.
FORMULA_START_ALLOWED: dict[str, str] = {"phone": "+", "lat": "-", "lon": "-"}


def _generic_messages(value: str) -> list[str]:
    messages = []
    if _UNDECODABLE.search(value):
        messages.append(f"contains bytes that are not UTF-8: {show(value)}")
    if rules.has_controls(value, multiline=True):
        messages.append(f"contains control characters: {show(value)}")
    elif _LONE_CR.search(value):
        # A spreadsheet starts a new row at a CR (CSV writers leave it unquoted), and a terminal hides text.
        messages.append(f"contains a carriage return (CR) without a line feed after it: {show(value)}")
    if rules.has_bidi_controls(value):
        messages.append(
            f"contains bidi controls (U+202A-U+202E, U+2066-U+2069) that reorder text: {show(value)}"
        )
    if _HTML_TAG.search(value):
        messages.append(f"contains HTML markup: {show(value)}")
    return messages


def _check_record(record: _Record) -> list[tuple[str, str]]:
    """List ``(column, message)`` for every problem of one record and fill ``record.parsed``."""
    problems = list(_check_fields(record))
    # A value its column's own rule refuses already (an id "-abc", a URL "=HYPERLINK(…)") gets one message.
    flagged = {column for column, _ in problems}
    for column, value in record.values.items():
        if column not in flagged and rules.starts_like_formula(value, FORMULA_START_ALLOWED.get(column, "")):
            problems.append(
                (
                    column,
                    f"starts like a spreadsheet formula (= + - @, tab or CR at the start): {show(value)}",
                )
            )
    return problems


def _check_fields(record: _Record) -> Iterable[tuple[str, str]]:
    values = record.values
    parsed = record.parsed

    for column, value in values.items():
        for message in _generic_messages(value):
            yield column, message

    def get(column: str) -> str | None:
        return values.get(column)

    if (office_id := get("id")) is not None:
        if not office_id:
            yield "id", "empty (every office needs an id)"
        elif not rules.is_office_id(office_id):
            rule = (
                f"a-z, 0-9 and -, starting with a letter or digit, at most {rules.MAX_OFFICE_ID_CHARS} long"
            )
            yield "id", f"not a slug ({rule}): {show(office_id)}"
    if get("name") == "":
        yield "name", "empty (every office needs a name)"
    if (kind := get("kind")) is not None and kind not in vocab.KINDS:
        yield "kind", f"unknown kind {show(kind)} (one of {', '.join(vocab.KINDS)})"
    district = get("district")
    if district is not None and district not in vocab.DISTRICTS and district != vocab.STATEWIDE:
        yield "district", f"unknown district {show(district)} (one of the 13 districts or {vocab.STATEWIDE})"
    if (topics := get("topics")) is not None:
        items, messages = split_list(topics)
        parsed["topics_list"] = items
        for message in messages:
            yield "topics", message
        for item in items:
            if item not in vocab.TOPICS:
                yield "topics", f"unknown topic {show(item)} (one of {', '.join(vocab.TOPICS)})"
    if (group := get("target_group")) is not None and group not in vocab.TARGET_GROUPS:
        yield "target_group", f"unknown target group {show(group)} (one of {', '.join(vocab.TARGET_GROUPS)})"
    if postcode := get("postcode"):
        # A Saxon office has a Saxon postcode (01xxx-09xxx); statewide services may sit elsewhere.
        if district == vocab.STATEWIDE:
            if not _POSTCODE_GERMANY.fullmatch(postcode):
                yield "postcode", f"not a German postcode (5 digits): {show(postcode)}"
        elif not _POSTCODE_SAXONY.fullmatch(postcode):
            yield "postcode", f"not a Saxon postcode (0 and 4 digits, 01000-09999): {show(postcode)}"
    if email := get("email"):
        for message in parse_contact(email, email_message):
            yield "email", message
    if phone := get("phone"):
        for message in parse_contact(phone, phone_message):
            yield "phone", message
    if website := get("website"):
        for message in parse_urls(website, None)[1]:
            yield "website", message
    if (source_url := get("source_url")) is not None:
        if not source_url:
            yield "source_url", "empty (every row needs the page its facts came from)"
            parsed["source_urls"] = []
        else:
            urls, messages = parse_urls(source_url, SOURCE_URL_SEPARATOR)
            parsed["source_urls"] = urls
            for message in messages:
                yield "source_url", message
    if (languages := get("languages")) is not None:
        items, messages = split_list(languages)
        parsed["languages_list"] = items
        for message in messages:
            yield "languages", message
        for item in items:
            if item not in vocab.ISO_639_1:
                yield "languages", f"not an ISO 639-1 language code (like de, en, ar): {show(item)}"
    for column, allowed in (("interpreting", vocab.INTERPRETING), ("status", vocab.STATUSES)):
        if (value := get(column)) and value not in allowed:
            yield column, f"unknown value {show(value)} (one of {', '.join(allowed)}, or blank)"
    if (osm := get("opening_hours_osm")) and (message := hours.check_osm(osm)) is not None:
        yield "opening_hours_osm", f"{message}: {show(osm)}"
    if source_date := get("source_date"):
        year, messages = parse_date(source_date, full=False)
        parsed["source_year"] = year
        for message in messages:
            yield "source_date", message
    if last_checked := get("last_checked"):
        for message in parse_date(last_checked, full=True)[1]:
            yield "last_checked", message
    yield from _check_location(values, parsed)


def _check_location(values: dict[str, str], parsed: dict[str, object]) -> Iterable[tuple[str, str]]:
    lat_text, lon_text = values.get("lat"), values.get("lon")
    coords: dict[str, float] = {}
    for column, text in (("lat", lat_text), ("lon", lon_text)):
        coords[column] = math.nan
        if text:
            coords[column], messages = parse_number(text)
            for message in messages:
                yield column, message
    parsed["lat"], parsed["lon"] = coords["lat"], coords["lon"]
    if lat_text is not None and lon_text is not None:
        if lat_text and not lon_text:
            yield "lon", "blank, but lat is set (give both or neither)"
        elif lon_text and not lat_text:
            yield "lat", "blank, but lon is set (give both or neither)"
    lat_min, lat_max, lon_min, lon_max = SAXONY_BBOX
    lat, lon = coords["lat"], coords["lon"]
    if not math.isnan(lat) and not lat_min <= lat <= lat_max:
        yield "lat", f"{lat} is outside Saxony (latitude {lat_min}–{lat_max})"
    if not math.isnan(lon) and not lon_min <= lon <= lon_max:
        yield "lon", f"{lon} is outside Saxony (longitude {lon_min}–{lon_max})"
    precision = values.get("geocode_precision")
    if precision is None:
        return
    if precision and precision not in GEOCODE_PRECISIONS:
        known = ", ".join(GEOCODE_PRECISIONS)
        yield "geocode_precision", f"unknown precision {show(precision)} (one of {known})"
    elif lat_text is not None:
        if lat_text and not precision:
            yield "geocode_precision", "blank, but the row has lat/lon"
        elif precision and not lat_text:
            yield "geocode_precision", "set, but the row has no lat/lon (leave it blank)"


# --------------------------------------------------------------------------------------------------
# Public API


def read_checked(
    path: str | PathLike[str], *, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[str], list[dict[str, str]], list[Problem]]:
    """Check a directory file and return its header, rows and problems, from one reading and parsing.

    For callers that need the raw rows of a valid file (the editor, the import): they need not parse a
    large file twice.

    Parameters
    ----------
    path
        A CSV file with the columns of :data:`OFFICE_COLUMNS`.
    max_bytes
        A larger file is a problem and is not read (an import passes its own, smaller cap).

    Returns
    -------
    header : list of str
        The header row as written (``[]`` if the file could not be read).
    rows : list of dict
        One dict of raw strings per record with the right number of fields; only complete when there are
        no problems.
    problems : list of Problem
        As :func:`validate_file`.
    """
    checked = _check_file(path, max_bytes)
    return checked.header, [record.values for record in checked.records], checked.problems


def validate_file(path: str | PathLike[str]) -> list[Problem]:
    r"""Check a directory file and list its problems; never raises on bad content.

    Parameters
    ----------
    path
        A CSV file with the columns of :data:`OFFICE_COLUMNS`.

    Returns
    -------
    list of Problem
        Empty when the file is valid. Unreadable files (also anything but a regular file, and files over
        :data:`MAX_FILE_BYTES`), invalid UTF-8, broken quoting and rows with the wrong number of fields are
        problems too.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "offices.csv").write_text(",".join(OFFICE_COLUMNS) + "\n" + "x" * 3 + "\n")
    >>> for problem in validate_file(folder / "offices.csv"):
    ...     print(problem.line, problem.field, problem.message)
    2 row has 1 fields, the header has 27
    >>> validate_file(settings.load().data_dir / "offices.csv")
    []
    """
    return _check_file(path).problems


def load_offices(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Load the office directory, refusing a file with problems.

    Parameters
    ----------
    path
        The CSV file; default ``settings.load().data_dir / "offices.csv"``.

    Returns
    -------
    pandas.DataFrame
        One row per office, the columns of :data:`OFFICE_COLUMNS` as strings (blank = ``""``, never NA),
        plus ``languages_list``, ``topics_list``, ``source_urls`` (lists of str), ``lat``, ``lon`` (float,
        NaN when blank), ``has_location``, ``language_stated``, ``statewide`` (bool) and ``source_year``
        (``Int64``, NA when ``source_date`` is blank).

    Raises
    ------
    DirectoryError
        If :func:`validate_file` finds any problem; ``.problems`` lists them.
    """
    if path is None:
        path = settings.load().data_dir / "offices.csv"
    checked = _check_file(path)
    if checked.problems:
        raise DirectoryError(checked.problems)
    records = checked.records
    frame = pd.DataFrame(
        [[record.values.get(column, "") for column in OFFICE_COLUMNS] for record in records],
        columns=list(OFFICE_COLUMNS),
        dtype=str,
    )

    def parsed(key: str) -> list[object]:
        return [record.parsed[key] for record in records]

    frame["languages_list"] = pd.Series(parsed("languages_list"), index=frame.index, dtype=object)
    frame["topics_list"] = pd.Series(parsed("topics_list"), index=frame.index, dtype=object)
    frame["source_urls"] = pd.Series(parsed("source_urls"), index=frame.index, dtype=object)
    frame["lat"] = pd.Series(parsed("lat"), index=frame.index, dtype="float64")
    frame["lon"] = pd.Series(parsed("lon"), index=frame.index, dtype="float64")
    frame["has_location"] = frame["lat"].notna() & frame["lon"].notna()
    frame["language_stated"] = pd.Series(
        [bool(langs) for langs in parsed("languages_list")], index=frame.index, dtype=bool
    )
    frame["statewide"] = (frame["district"] == vocab.STATEWIDE).astype(bool)
    frame["source_year"] = pd.array([record.parsed.get("source_year") for record in records], dtype="Int64")
    return frame


#: Lays maintainers' decisions over the file's table (``frame, settings → frame``); the corrections
#: package provides one (:func:`finder.corrections.directory_overlay`), so that loading the directory for
#: a search needs no database code unless somebody asks for it.
Overlay = Callable[[pd.DataFrame, settings.Settings], pd.DataFrame]


def load_directory(
    settings_: settings.Settings | None = None, overlay: Overlay | None = None
) -> pd.DataFrame:
    """The directory to search and show: ``offices.csv`` of the data folder, with an optional overlay.

    Parameters
    ----------
    settings_
        Library settings (for ``data_dir``); default :func:`finder.settings.load`.
    overlay
        Applied to the loaded table, e.g. :func:`finder.corrections.directory_overlay` (edits kept in the
        corrections database, maintainers' confirmations).

    Returns
    -------
    pandas.DataFrame
        As :func:`load_offices`, plus ``confirmed``: the ISO date a maintainer last said "still correct"
        ('' unless the overlay knows one).
    """
    settings_ = settings_ or settings.load()
    frame = load_offices(Path(settings_.data_dir) / "offices.csv")
    frame["confirmed"] = ""
    return overlay(frame, settings_) if overlay is not None else frame
