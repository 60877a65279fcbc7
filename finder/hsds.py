"""The directory as Open Referral HSDS 3.x JSON (export, import); ``finder export`` and ``finder import``.

Export (:func:`export_hsds`) writes a folder with

- ``services.json``: a JSON array of *compiled* HSDS services (the shape of HSDS 3's
  ``compiled/service.json``): each office is one service with its ``organization`` (the provider),
  ``service_at_locations[].location`` (``addresses``, coordinates), ``phones``, ``languages``, ``schedules``
  (the opening-hours text as ``description``; weekly rules where the text is simple enough to parse
  safely) and ``attributes``;
- ``organizations.json``: the providers (HSDS ``organization`` objects);
- ``taxonomies.json``: the one taxonomy our attributes use.

HSDS identifiers must be UUIDs; ours are derived with :func:`uuid.uuid5` from the office id, so they stay
the same from one export to the next. Fields HSDS has no place for (our office id, kind, topics, district,
target group, source pages and date, notes, geocoding) travel as ``attributes`` whose
``taxonomy_term.code`` is the column name and whose ``value`` is the value, in the taxonomy
``beratungsfinder-sachsen``. ``last_checked`` is the service's ``assured_date``.

Import (:func:`read_hsds`, :func:`read_csv`, :func:`plan_import`, :func:`apply_import`) reads such a
folder, or a CSV in the column layout of ``offices.csv``, compares it with the directory and applies the
differences through :class:`finder.corrections.DirectoryEditor` (atomic, validated, recorded and
revertible). Offices missing from the import are left alone (an import never deletes). Export followed by
import changes nothing.

Nothing here reads or writes suggestions or their contacts: they never leave the corrections database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale

from finder import i18n, vocab
from finder import settings as _settings
from finder.directory import OFFICE_COLUMNS, SOURCE_URL_SEPARATOR, validate_file
from finder.errors import HsdsError

#: Namespace of all our HSDS identifiers (uuid5 of the project's name; never change it).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/beratungsfinder-sachsen/offices")
#: Name of the taxonomy of our attributes.
TAXONOMY = "beratungsfinder-sachsen"
#: Files of an export folder.
SERVICES_FILE, ORGANIZATIONS_FILE, TAXONOMIES_FILE = "services.json", "organizations.json", "taxonomies.json"
#: Largest JSON file read by the import (bytes).
MAX_IMPORT_BYTES = 50_000_000

#: Columns carried as service attributes (one attribute each; topics and source URLs one per item).
SERVICE_ATTRIBUTES: tuple[str, ...] = (
    "id", "kind", "topics", "district", "target_group", "source_url", "source_date", "notes", "email",
)  # fmt: skip
#: Columns carried as location attributes.
LOCATION_ATTRIBUTES: tuple[str, ...] = ("geocode_precision", "geocode_source")

#: English names of the kinds (for the service description), from the interface catalogue.
KIND_NAMES: dict[str, str] = {kind: i18n.kind_label(kind, "en") for kind in vocab.KINDS}
_ATTRIBUTE_DESCRIPTIONS: dict[str, str] = {
    "id": "Identifier of the office in the Beratungsfinder Sachsen directory (offices.csv column id).",
    "kind": "Kind of office (offices.csv column kind; codes in finder/vocab.py).",
    "topics": "A topic the office advises on (one attribute per topic).",
    "district": "Saxon district the office serves, or 'Sachsen' for statewide and online services.",
    "target_group": "Normalised target group (all, 12-27, 27+, refugees, migrants, women, other).",
    "source_url": "A public web page the entry was compiled from (one attribute per page).",
    "source_date": "The date the source page shows (YYYY, YYYY-MM or YYYY-MM-DD).",
    "notes": "Notes of the compilers (German).",
    "email": "All e-mail addresses as listed (only when there are several).",
    "geocode_precision": "How precise the coordinates are: street, postcode, place or district.",
    "geocode_source": "What placed the office on the map (e.g. geonames-postcode).",
}

_DAYS = {"Mo": "MO", "Di": "TU", "Mi": "WE", "Do": "TH", "Fr": "FR", "Sa": "SA", "So": "SU"}
_DAY_ORDER = list(_DAYS.values())
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<range>(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*[-–]\s*(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?(?:\s*Uhr)?)
      | (?P<day>Mo|Di|Mi|Do|Fr|Sa|So)\.?(?![A-Za-zÄÖÜäöüß])
      | (?P<sep>\+|/|,|&|und\b|u\.|[-–]|bis\b)
      | \((?P<note>[^()]*)\)\s*$
    )""",
    re.VERBOSE,
)


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


# --------------------------------------------------------------------------------------------------
# Opening hours


def parse_opening_hours(text: str) -> list[dict[str, str]]:
    """Weekly rules from simple German opening hours (``Di+Do 08:30-12:00 und 13:00-18:00``).

    Each ``;``-separated part is parsed only if all of it is days and time ranges (an optional
    parenthesis at its end becomes ``notes``); anything else ("nach Vereinbarung", "jeden 2. Do",
    "Termin-Hotline Mo 9-12") is left to the free-text description, never guessed.

    Parameters
    ----------
    text
        The ``opening_hours`` cell.

    Returns
    -------
    list of dict
        ``byday`` (``MO,TU``), ``opens_at``, ``closes_at`` (``HH:MM``) and possibly ``notes``.

    Examples
    --------
    >>> parse_opening_hours("Mo-Mi 9-12; Do 13-16 (Stand 2022)")  # doctest: +NORMALIZE_WHITESPACE
    [{'byday': 'MO,TU,WE', 'opens_at': '09:00', 'closes_at': '12:00'},
     {'byday': 'TH', 'opens_at': '13:00', 'closes_at': '16:00', 'notes': 'Stand 2022'}]
    """
    rules: list[dict[str, str]] = []
    for clause in (text or "").split(";"):
        parsed = _parse_clause(clause.strip())
        if parsed:
            rules.extend(parsed)
    return rules


def _time(hours: str, minutes: str | None) -> str | None:
    h, m = int(hours), int(minutes or 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def _parse_clause(clause: str) -> list[dict[str, str]]:
    if not clause:
        return []
    position, tokens = 0, []
    while position < len(clause):
        match = _TOKEN.match(clause, position)
        if match is None or match.end() == position:
            if clause[position:].strip():
                return []
            break
        tokens.append(match)
        position = match.end()
    entries: list[tuple[list[str], list[tuple[str, str]]]] = []
    days: list[str] = []
    ranges: list[tuple[str, str]] = []
    note = ""
    pending_dash = False
    for token in tokens:
        if token.group("note") is not None:
            note = " ".join(token.group("note").split())
        elif token.group("day"):
            day = _DAYS[token.group("day")]
            if ranges:
                entries.append((days, ranges))
                days, ranges = [], []
            if pending_dash and days:
                start, end = _DAY_ORDER.index(days[-1]), _DAY_ORDER.index(day)
                if end <= start:
                    return []
                days.extend(_DAY_ORDER[start + 1 : end + 1])
            else:
                days.append(day)
            pending_dash = False
        elif token.group("range"):
            opens, closes = _time(token["h1"], token["m1"]), _time(token["h2"], token["m2"])
            if not days or opens is None or closes is None or opens >= closes or pending_dash:
                return []
            ranges.append((opens, closes))
        else:
            sep = token.group("sep")
            if sep in ("-", "–", "bis"):
                if not days or ranges:
                    return []
                pending_dash = True
    if pending_dash or not days or not ranges:
        return []
    entries.append((days, ranges))
    out = []
    for entry_days, entry_ranges in entries:
        unique = [d for d in _DAY_ORDER if d in entry_days]
        for opens, closes in entry_ranges:
            rule = {"byday": ",".join(unique), "opens_at": opens, "closes_at": closes}
            if note:
                rule["notes"] = note
            out.append(rule)
    return out


# --------------------------------------------------------------------------------------------------
# Export


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _rows_of(offices: Any) -> list[dict[str, str]]:
    """Rows as dicts of strings from a DataFrame or a sequence of mappings."""
    records = offices.to_dict("records") if hasattr(offices, "to_dict") else list(offices)
    return [{column: _text(row.get(column, "")) for column in OFFICE_COLUMNS} for row in records]


def _split(value: str, pattern: str) -> list[str]:
    return [part.strip() for part in re.split(pattern, value) if part.strip()]


def _language_name(code: str) -> str:
    return Locale("en").languages.get(code, code)


def _attribute(link: tuple[str, str], office_id: str, column: str, index: int, value: str) -> dict[str, Any]:
    link_id, entity = link
    term_id = _id("term", column)
    return {
        "id": _id("attribute", office_id, column, index),
        "link_id": link_id,
        "link_type": column,
        "link_entity": entity,
        "taxonomy_term_id": term_id,
        "value": value,
        "taxonomy_term": {
            "id": term_id,
            "code": column,
            "name": column,
            "description": _ATTRIBUTE_DESCRIPTIONS[column],
            "taxonomy": TAXONOMY,
            "taxonomy_id": _id("taxonomy", TAXONOMY),
        },
    }


def _organization(provider: str, count: int) -> dict[str, Any]:
    return {
        "id": _id("organization", provider),
        "name": provider,
        "description": f"Provider of {count} office(s) listed in the Beratungsfinder Sachsen directory.",
    }


def _service(row: Mapping[str, str], organizations: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    office_id = row["id"]
    service_id = _id("service", office_id)
    kind = row.get("kind", "")
    topics = _split(row.get("topics", ""), ";")
    district = row.get("district", "")
    where = "all of Saxony (statewide or online)" if district == vocab.STATEWIDE else district
    description = f"{KIND_NAMES.get(kind, kind)} in {where}."
    if topics:
        description += f" Topics: {', '.join(topics)}."
    service: dict[str, Any] = {"id": service_id, "name": row.get("name", ""), "description": description}
    provider = row.get("provider", "")
    if provider:
        service["organization_id"] = organizations[provider]["id"]
    if row.get("website"):
        service["url"] = row["website"]
    emails = _split(row.get("email", ""), r"[;,]")
    if emails:
        service["email"] = emails[0]
    service["status"] = "active"
    if row.get("target_group_original"):
        service["eligibility_description"] = row["target_group_original"]
    age = vocab.KIND_AGE_RANGE.get(kind)
    if age is not None:
        service["minimum_age"] = age[0]
        if age[1] < 120:
            service["maximum_age"] = age[1]
    if row.get("last_checked"):
        service["assured_date"] = row["last_checked"]
    service["phones"] = [
        {"id": _id("phone", office_id, i), "service_id": service_id, "number": number}
        for i, number in enumerate(_split(row.get("phone", ""), r"[;,]"))
    ]
    service["schedules"] = _schedules(row, service_id)
    location = _location(row)
    service["service_at_locations"] = (
        [{"id": _id("service_at_location", office_id), "service_id": service_id,
          "location_id": location["id"], "location": location}]
        if location else []
    )  # fmt: skip
    service["languages"] = [
        {"id": _id("language", office_id, code), "service_id": service_id, "name": _language_name(code),
         "code": code}
        for code in _split(row.get("languages", ""), ";")
    ]  # fmt: skip
    if provider:
        service["organization"] = organizations[provider]
    service["attributes"] = _service_attributes(row, service_id)
    return service


def _service_attributes(row: Mapping[str, str], service_id: str) -> list[dict[str, Any]]:
    office_id = row["id"]
    out = []
    for column in SERVICE_ATTRIBUTES:
        value = row.get(column, "")
        if column == "topics":
            values = _split(value, ";")
        elif column == "source_url":
            values = [v for v in value.split(SOURCE_URL_SEPARATOR) if v] if value else []
        elif column == "email":
            # Only needed when service.email (one address) cannot carry the whole cell.
            values = [value] if value and value != (_split(value, r"[;,]") or [""])[0] else []
        else:
            values = [value] if value else []
        out.extend(
            _attribute((service_id, "service"), office_id, column, i, item) for i, item in enumerate(values)
        )
    return out


def _schedules(row: Mapping[str, str], service_id: str) -> list[dict[str, Any]]:
    text = row.get("opening_hours", "")
    if not text:
        return []
    office_id = row["id"]
    rules = parse_opening_hours(text)
    schedules: list[dict[str, Any]] = []
    for i, rule in enumerate(rules or [{}]):
        schedule: dict[str, Any] = {"id": _id("schedule", office_id, i), "service_id": service_id}
        if i == 0:
            # The original text, always: the rules are only the part we could read safely.
            schedule["description"] = text
        if rule:
            schedule.update({"freq": "WEEKLY", "wkst": "MO", **rule})
        schedules.append(schedule)
    return schedules


def _location(row: Mapping[str, str]) -> dict[str, Any] | None:
    office_id = row["id"]
    location_id = _id("location", office_id)
    has_point = bool(row.get("lat") and row.get("lon"))
    has_address = any(row.get(c) for c in ("street", "postcode", "city"))
    if not has_point and not has_address:
        if not row.get("website"):
            return None
        return {
            "id": location_id,
            "location_type": "virtual",
            "url": row["website"],
            "name": row.get("name", ""),
        }
    location: dict[str, Any] = {"id": location_id, "location_type": "physical", "name": row.get("name", "")}
    if has_point:
        location["latitude"] = float(row["lat"])
        location["longitude"] = float(row["lon"])
    if has_address:
        postcode = row.get("postcode", "")
        in_saxony = (
            row.get("district") != vocab.STATEWIDE or not postcode or re.fullmatch(r"0[1-9]\d{3}", postcode)
        )
        address = {
            "id": _id("address", office_id),
            "location_id": location_id,
            "address_1": row.get("street", ""),
            "city": row.get("city", ""),
            "state_province": "Sachsen" if in_saxony else "",
            "postal_code": postcode,
            "country": "DE",
            "address_type": "physical",
        }
        if row.get("district") and row.get("district") != vocab.STATEWIDE:
            address["region"] = row["district"]
        location["addresses"] = [address]
    attributes = [
        _attribute((location_id, "location"), office_id, column, 0, row[column])
        for column in LOCATION_ATTRIBUTES
        if row.get(column)
    ]
    if attributes:
        location["attributes"] = attributes
    return location


def to_hsds(offices: Any) -> dict[str, list[dict[str, Any]]]:
    """The directory as HSDS 3 objects.

    Parameters
    ----------
    offices
        The directory: a DataFrame (:func:`finder.directory.load_offices`) or rows of strings
        (:func:`finder.corrections.read_rows`; preferred, it keeps coordinates exactly as written).

    Returns
    -------
    dict
        ``services`` (compiled services), ``organizations``, ``taxonomies``.
    """
    rows = _rows_of(offices)
    counts: dict[str, int] = {}
    for row in rows:
        if row.get("provider"):
            counts[row["provider"]] = counts.get(row["provider"], 0) + 1
    organizations = {name: _organization(name, n) for name, n in counts.items()}
    taxonomy = {
        "id": _id("taxonomy", TAXONOMY),
        "name": TAXONOMY,
        "description": "Fields of the Beratungsfinder Sachsen office directory that HSDS has no place for; "
        "the term code is the offices.csv column, the attribute value its value.",
    }
    return {
        "services": [_service(row, organizations) for row in rows],
        "organizations": list(organizations.values()),
        "taxonomies": [taxonomy],
    }


def _write_json(path: Path, data: object) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        Path(name).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise


def export_hsds(offices: Any, folder: str | os.PathLike[str]) -> list[Path]:
    """Write the directory as HSDS 3 JSON files into ``folder`` (created if needed).

    Returns
    -------
    list of pathlib.Path
        The files written: ``services.json``, ``organizations.json``, ``taxonomies.json``.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    data = to_hsds(offices)
    written = []
    for name, key in ((SERVICES_FILE, "services"), (ORGANIZATIONS_FILE, "organizations"),
                      (TAXONOMIES_FILE, "taxonomies")):  # fmt: skip
        path = target / name
        _write_json(path, data[key])
        written.append(path)
    return written


# --------------------------------------------------------------------------------------------------
# Import


def _read_json(path: Path) -> object:
    try:
        size = path.stat().st_size
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise HsdsError(msg) from exc
    if size > MAX_IMPORT_BYTES:
        msg = f"{path} is too large ({size} bytes; at most {MAX_IMPORT_BYTES})"
        raise HsdsError(msg)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{path} is not UTF-8 (byte {exc.start})"
        raise HsdsError(msg) from exc
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise HsdsError(msg) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise HsdsError(msg) from exc
    except RecursionError as exc:
        msg = f"{path}: nested too deeply"
        raise HsdsError(msg) from exc


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value
    msg = f"expected text, found {type(value).__name__}"
    raise HsdsError(msg)


def _list_of_dicts(obj: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        msg = f"{where}: {key} must be a list of objects"
        raise HsdsError(msg)
    return value


def _attributes(obj: Mapping[str, Any], where: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for attribute in _list_of_dicts(obj, "attributes", where):
        term = attribute.get("taxonomy_term") or {}
        if not isinstance(term, dict):
            continue
        # Only our own taxonomy: other publishers' attributes mean other things.
        if term.get("taxonomy") != TAXONOMY and term.get("taxonomy_id") != _id("taxonomy", TAXONOMY):
            continue
        code = term.get("code")
        if isinstance(code, str) and (code in SERVICE_ATTRIBUTES or code in LOCATION_ATTRIBUTES):
            out.setdefault(code, []).append(_str(attribute.get("value")))
    return out


def service_to_row(service: Mapping[str, Any], where: str = "service") -> dict[str, str]:
    """One compiled HSDS service (as :func:`to_hsds` writes it) back to a row of ``offices.csv``.

    Raises
    ------
    HsdsError
        If the service is not an object or lacks what a row needs (message names the service).
    """
    if not isinstance(service, dict):
        msg = f"{where}: not a JSON object"
        raise HsdsError(msg)
    context = where
    try:
        attributes = _attributes(service, where)
        name = _str(service.get("name"))
        where = f"{where} {name!r}" if name else where
        office_id = (attributes.get("id") or [""])[0]
        if not office_id:
            msg = f"{where}: no office id attribute (taxonomy {TAXONOMY}, code 'id'); is this our export?"
            raise HsdsError(msg)
        organization = service.get("organization") or {}
        if not isinstance(organization, dict):
            msg = f"{where}: organization must be an object"
            raise HsdsError(msg)
        row = dict.fromkeys(OFFICE_COLUMNS, "")
        row.update(
            id=office_id,
            name=name,
            provider=_str(organization.get("name")),
            kind=(attributes.get("kind") or [""])[0],
            district=(attributes.get("district") or [""])[0],
            website=_str(service.get("url")),
            target_group=(attributes.get("target_group") or [""])[0],
            target_group_original=_str(service.get("eligibility_description")),
            source_date=(attributes.get("source_date") or [""])[0],
            last_checked=_str(service.get("assured_date")),
            notes=(attributes.get("notes") or [""])[0],
            topics=";".join(attributes.get("topics", [])),
            source_url=SOURCE_URL_SEPARATOR.join(attributes.get("source_url", [])),
        )
        row["email"] = (attributes.get("email") or [_str(service.get("email"))])[0]
        row["phone"] = "; ".join(_str(p.get("number")) for p in _list_of_dicts(service, "phones", where))
        row["languages"] = ";".join(
            _str(lang.get("code")) for lang in _list_of_dicts(service, "languages", where) if lang.get("code")
        )
        for schedule in _list_of_dicts(service, "schedules", where):
            if schedule.get("description"):
                row["opening_hours"] = _str(schedule["description"])
                break
        for link in _list_of_dicts(service, "service_at_locations", where):
            location = link.get("location") or {}
            if not isinstance(location, dict):
                continue
            if location.get("latitude") is not None and location.get("longitude") is not None:
                row["lat"], row["lon"] = _str(location["latitude"]), _str(location["longitude"])
            for address in _list_of_dicts(location, "addresses", where)[:1]:
                row["street"] = _str(address.get("address_1"))
                row["postcode"] = _str(address.get("postal_code"))
                row["city"] = _str(address.get("city"))
            location_attributes = _attributes(location, where)
            for column in LOCATION_ATTRIBUTES:
                row[column] = (location_attributes.get(column) or [""])[0]
            break
    except HsdsError as exc:
        if str(exc).startswith(context):
            raise
        msg = f"{where}: {exc}"
        raise HsdsError(msg) from exc
    except (TypeError, AttributeError, ValueError) as exc:
        msg = f"{where}: unexpected structure ({exc})"
        raise HsdsError(msg) from exc
    return row


def read_hsds(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read an HSDS export (a folder with ``services.json``, or that file) as rows of ``offices.csv``.

    Raises
    ------
    HsdsError
        Unreadable files, invalid JSON or UTF-8, or services that are not ours (the message says which).
    """
    source = Path(path)
    file = source / SERVICES_FILE if source.is_dir() else source
    data = _read_json(file)
    if not isinstance(data, list):
        msg = f"{file}: expected a JSON array of services"
        raise HsdsError(msg)
    return [service_to_row(service, f"{file}: service {i + 1}") for i, service in enumerate(data)]


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read a CSV in the column layout of ``offices.csv`` (it must pass ``validate_file``).

    Raises
    ------
    HsdsError
        With the file's problems (``PATH:LINE: FIELD: message``).
    """
    from finder.corrections import read_rows  # noqa: PLC0415

    problems = validate_file(path)
    if problems:
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        msg = f"{path} has {len(problems)} problem(s):\n{shown}{more}"
        raise HsdsError(msg)
    _, rows = read_rows(path)
    return [{column: row.get(column, "") for column in OFFICE_COLUMNS} for row in rows]


def read_import(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read an import source: an HSDS folder or ``.json`` file, or a ``.csv`` file."""
    source = Path(path)
    if not source.exists():
        msg = f"{path} does not exist"
        raise HsdsError(msg)
    if source.is_file() and source.suffix.lower() == ".csv":
        return read_csv(source)
    return read_hsds(source)


def _number(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def same_value(column: str, old: str, new: str) -> bool:
    """Whether two values of ``column`` mean the same (coordinates as numbers, phone/e-mail lists)."""
    if old == new:
        return True
    if column in ("lat", "lon"):
        a, b = _number(old), _number(new)
        return a is not None and b is not None and abs(a - b) < 1e-9
    if column in ("phone", "email"):
        return _split(old, r"[;,]") == _split(new, r"[;,]")
    return False


@dataclass
class ImportPlan:
    """What an import would change.

    Attributes
    ----------
    updates
        Office id → column → (old, new) for offices that exist and differ.
    additions
        New offices (full rows).
    unchanged
        Ids of offices in the import that match the directory.
    not_in_import
        Ids of directory offices the import does not mention (left alone).
    problems
        Why the result would not be a valid directory (then nothing is applied).
    """

    updates: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    additions: list[dict[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_import: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing would change."""
        return not self.updates and not self.additions

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "updates": {
                office: {col: {"old": old, "new": new} for col, (old, new) in cols.items()}
                for office, cols in self.updates.items()
            },
            "additions": [row["id"] for row in self.additions],
            "unchanged": len(self.unchanged),
            "not_in_import": self.not_in_import,
            "problems": self.problems,
        }

    def lines(self) -> Iterable[str]:
        """A human-readable description, one line each."""
        from finder.corrections import printable  # noqa: PLC0415

        for office, cols in self.updates.items():
            yield printable(f"update {office}:")
            for col, (old, new) in cols.items():
                yield printable(f"    {col}: {old!r} → {new!r}")
        for row in self.additions:
            yield printable(f"add {row['id']}: {row.get('name', '')}")
        yield f"{len(self.unchanged)} office(s) unchanged"
        if self.not_in_import:
            count = len(self.not_in_import)
            yield f"{count} office(s) of the directory are not in the import (left unchanged)"
        for problem in self.problems:
            yield printable(f"problem: {problem}")


def plan_import(
    incoming: Sequence[Mapping[str, str]], header: Sequence[str], current: Sequence[Mapping[str, str]]
) -> ImportPlan:
    """Compare imported rows with the directory and check that the result would be valid.

    Parameters
    ----------
    incoming
        Rows read by :func:`read_import`.
    header, current
        The directory (:func:`finder.corrections.current_rows`).

    Returns
    -------
    ImportPlan
    """
    from finder.corrections import check_rows  # noqa: PLC0415

    plan = ImportPlan()
    by_id = {row["id"]: row for row in current}
    seen: set[str] = set()
    for row in incoming:
        office_id = row.get("id", "")
        if office_id in seen:
            plan.problems.append(f"office {office_id}: appears more than once in the import")
            continue
        seen.add(office_id)
        old = by_id.get(office_id)
        if old is None:
            plan.additions.append({column: row.get(column, "") for column in header})
            continue
        changes = {
            column: (old.get(column, ""), row.get(column, ""))
            for column in header
            if column != "id" and not same_value(column, old.get(column, ""), row.get(column, ""))
        }
        if changes:
            plan.updates[office_id] = changes
        else:
            plan.unchanged.append(office_id)
    plan.not_in_import = [row["id"] for row in current if row["id"] not in seen]
    if not plan.problems and not plan.empty:
        result = []
        for row in current:
            new = dict(row)
            new.update({col: value for col, (_, value) in plan.updates.get(row["id"], {}).items()})
            result.append(new)
        result.extend(plan.additions)
        plan.problems.extend(check_rows(header, result))
    return plan


def apply_import(plan: ImportPlan, editor: Any, *, by: str, reason: str) -> list[Any]:
    """Apply a plan through a :class:`finder.corrections.DirectoryEditor` (one atomic write).

    Raises
    ------
    finder.corrections.CorrectionError
        If the plan has problems or the directory changed in a way that makes it invalid.
    """
    from finder.corrections import CorrectionError  # noqa: PLC0415

    if plan.problems:
        msg = "the import has problems; nothing was changed: " + "; ".join(plan.problems[:5])
        raise CorrectionError(msg)
    updates = {office: {col: new for col, (_, new) in cols.items()} for office, cols in plan.updates.items()}
    return editor.apply_many(updates, plan.additions, by=by, reason=reason, action="import")


# --------------------------------------------------------------------------------------------------
# Command line: finder export, finder import


def _settings_for(args: argparse.Namespace) -> _settings.Settings:
    settings = _settings.load()
    if getattr(args, "data_dir", None):
        settings = settings.with_(data_dir=Path(args.data_dir))
    return settings


def _cmd_export(args: argparse.Namespace) -> int:
    from finder import corrections  # noqa: PLC0415

    settings = _settings_for(args)
    _, rows = corrections.current_rows(settings)
    output = Path(args.output)
    summary: dict[str, Any] = {"format": args.format, "offices": len(rows)}
    if args.format == "hsds":
        summary["written"] = [str(p) for p in export_hsds(rows, output)]
    else:
        from finder import gis_export  # noqa: PLC0415 - geopandas only when needed

        path, count = gis_export.export(rows, output, args.format)
        summary.update(written=[str(path)], features=count, without_location=len(rows) - count)
    sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from finder import corrections  # noqa: PLC0415

    try:
        incoming = read_import(args.path)
    except HsdsError as exc:
        sys.stderr.write(corrections.printable(f"error: {exc}") + "\n")
        return 1
    settings = _settings_for(args)
    store = None if args.dry_run else corrections.CorrectionStore(args.db)
    header, current = corrections.current_rows(settings, store)
    plan = plan_import(incoming, header, current)
    if args.json:
        sys.stdout.write(
            json.dumps({"dry_run": args.dry_run, **plan.to_json()}, ensure_ascii=False, indent=2)
        )
        sys.stdout.write("\n")
    else:
        for line in plan.lines():
            sys.stdout.write(line + "\n")
    if plan.problems:
        sys.stderr.write("nothing was changed: the result would not be a valid directory\n")
        return 1
    if args.dry_run or plan.empty:
        if not args.json:
            sys.stderr.write("dry run: nothing was changed\n" if args.dry_run else "nothing to change\n")
        return 0
    assert store is not None
    editor = corrections.DirectoryEditor(store, Path(settings.data_dir) / "offices.csv")
    by = args.by or getpass.getuser()
    changes = apply_import(plan, editor, by=by, reason=args.reason or f"import of {Path(args.path).name}")
    if not args.json:
        ids = ", ".join(f"#{c.id}" for c in changes)
        sys.stderr.write(
            f"applied: {len(changes)} office(s) changed (revert with finder review revert; {ids})\n"
        )
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``finder export`` (HSDS, GeoJSON, GeoPackage) and ``finder import``."""
    p = sub.add_parser("export", help="write the directory as HSDS 3 JSON, GeoJSON or GeoPackage")
    p.add_argument("--format", choices=("hsds", "geojson", "gpkg"), required=True)
    p.add_argument("--output", required=True, help="a folder (hsds) or a file (geojson, gpkg)")
    p.add_argument("--data-dir")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("import", help="import an HSDS export folder or an offices CSV (shows changes first)")
    p.add_argument(
        "path", help="a folder written by 'finder export --format hsds', its services.json, or a CSV"
    )
    p.add_argument("--dry-run", action="store_true", help="only print what would change")
    p.add_argument("--by", help="your name for the history (default: the login name)")
    p.add_argument("--reason", help="why (recorded with each change)")
    p.add_argument("--db", help="corrections database (for the change history)")
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_import)
