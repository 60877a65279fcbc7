"""The directory as Open Referral HSDS 3.x JSON: writing it, and reading it back as rows of ``offices.csv``.

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
target group, source pages and date, notes, the structured opening hours, geocoding) travel as
``attributes`` whose ``taxonomy_term.code`` is the column name and whose ``value`` is the value, in the
taxonomy ``beratungsfinder-sachsen``. ``last_checked`` is the service's ``assured_date``. ``status`` and
``interpreting`` have homes in HSDS that cannot hold them exactly (``service.status`` has no "possibly
closed"; ``interpretation_services`` is free text): they are written there too, and travel exactly as
attributes; a service without our attribute gets its ``status`` from HSDS's (``defunct``/``inactive``: closed,
``temporarily closed``: possibly closed).

Reading (:func:`read_hsds`, :func:`service_to_row`) turns such a folder back into rows of ``offices.csv``;
:mod:`finder.import_plan` compares them with the directory and applies the differences, and export
followed by import changes nothing. The weekly rules come from :mod:`finder.opening_hours`; the commands
``finder export`` and ``finder import`` are in :mod:`finder.cli.exchange`.

Values are written exactly as the directory has them, also those a spreadsheet would read as a formula:
HSDS is JSON for programs, and changing values (a ``'`` in front) would break "export, then import, changes
nothing". A valid directory holds no such values anyway (only phone numbers starting with ``+``, which are
harmless), and an import of one is refused by validation. Exports that spreadsheets open (CSV, GeoJSON,
GeoPackage) neutralise them (:mod:`finder.csv_export`).

Nothing here reads or writes suggestions or their contacts: they never leave the corrections database.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale

from finder import i18n, vocab
from finder._files import MAX_INPUT_BYTES, read_regular_file, wide_encoding
from finder._values import cell_text, contact_items
from finder.directory import OFFICE_COLUMNS, SOURCE_URL_SEPARATOR
from finder.errors import HsdsError
from finder.opening_hours import parse_opening_hours

#: Namespace of all our HSDS identifiers (uuid5 of the project's name; never change it).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/beratungsfinder-sachsen/offices")
#: Name of the taxonomy of our attributes.
TAXONOMY = "beratungsfinder-sachsen"
#: Files of an export folder.
SERVICES_FILE, ORGANIZATIONS_FILE, TAXONOMIES_FILE = "services.json", "organizations.json", "taxonomies.json"
#: Largest JSON file read by the import (bytes).
MAX_IMPORT_BYTES = MAX_INPUT_BYTES

#: Columns carried as service attributes (one attribute each; topics and source URLs one per item).
SERVICE_ATTRIBUTES: tuple[str, ...] = (
    "id", "kind", "topics", "district", "target_group", "source_url", "source_date", "notes", "email",
    "interpreting", "status", "opening_hours_osm",
)  # fmt: skip
#: ``service.status`` of HSDS for our ``status`` (our exact value travels as an attribute): HSDS has no
#: "possibly closed", so such a service is still ``active`` there.
HSDS_STATUS: dict[str, str] = {
    "": "active", "active": "active", "possibly closed": "active", "closed": "defunct",
}  # fmt: skip
#: Our ``status`` for HSDS's, when a service has no ``status`` attribute of ours (another publisher's).
STATUS_OF_HSDS: dict[str, str] = {
    "inactive": "closed", "defunct": "closed", "temporarily closed": "possibly closed",
}  # fmt: skip
#: ``service.interpretation_services`` (free text in HSDS) for our ``interpreting``.
INTERPRETATION_TEXT: dict[str, str] = {
    "yes": "Works with interpreters or language mediators on request.",
    "no": "Says it does not work with interpreters.",
}
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
    "interpreting": "Whether the office says it works with interpreters or language mediators (yes or no).",
    "status": "Whether the office is active, possibly closed or closed (blank: active).",
    "opening_hours_osm": "The opening hours in OpenStreetMap opening_hours syntax, where the text allows.",
    "geocode_precision": "How precise the coordinates are: street, postcode, place or district.",
    "geocode_source": "What placed the office on the map (e.g. geonames-postcode).",
}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


# --------------------------------------------------------------------------------------------------
# Export


def _rows_of(offices: Any) -> list[dict[str, str]]:
    """Rows as dicts of strings from a DataFrame or a sequence of mappings."""
    records = offices.to_dict("records") if hasattr(offices, "to_dict") else list(offices)
    return [{column: cell_text(row.get(column, "")) for column in OFFICE_COLUMNS} for row in records]


def _items(value: str) -> list[str]:
    """The items of a ``;``-separated list cell (topics, languages)."""
    return [part.strip() for part in value.split(";") if part.strip()]


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
    topics = _items(row.get("topics", ""))
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
    emails = contact_items(row.get("email", ""))
    if emails:
        service["email"] = emails[0]
    service["status"] = HSDS_STATUS.get(row.get("status", ""), "active")
    if row.get("interpreting") in INTERPRETATION_TEXT:
        service["interpretation_services"] = INTERPRETATION_TEXT[row["interpreting"]]
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
        for i, number in enumerate(contact_items(row.get("phone", "")))
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
        for code in _items(row.get("languages", ""))
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
            values = _items(value)
        elif column == "source_url":
            values = [v for v in value.split(SOURCE_URL_SEPARATOR) if v] if value else []
        elif column == "email":
            # Only needed when service.email (one address) cannot carry the whole cell.
            values = [value] if value and value != (contact_items(value) or [""])[0] else []
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


def _printable(text: str) -> str:
    """Text for a message: lone surrogates and undecodable bytes as escapes (a terminal cannot show them)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _problem(path: Path, line: int, field: str, message: str) -> HsdsError:
    """An error in the form of every input problem: ``PATH:LINE: FIELD: problem``."""
    return HsdsError(f"{_printable(str(path))}:{line}: {field}: {message}")


def _read_text(path: Path) -> str:
    """The file's text: a regular file of at most :data:`MAX_IMPORT_BYTES`, UTF-8 (a BOM is dropped)."""
    try:
        data = read_regular_file(path, MAX_IMPORT_BYTES)
    except OSError as exc:
        raise _problem(path, 1, "file", f"cannot read the file ({exc.strerror or exc})") from exc
    # Like a CSV: editors on Windows like to prepend a byte order mark.
    data = data.removeprefix(codecs.BOM_UTF8)
    if (encoding := wide_encoding(data)) is not None:
        raise _problem(path, 1, "file", f"the file is {encoding}, not UTF-8 (save it as UTF-8)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise _problem(path, line, "file", f"not UTF-8 (byte 0x{byte:02x} at offset {exc.start})") from exc


_JSON_SPACE = re.compile(r"[ \t\n\r]+")
_TOO_LONG_NUMBER = f"not valid JSON: a number with more than {sys.get_int_max_str_digits()} digits"


def _skip_space(text: str, pos: int) -> int:
    match = _JSON_SPACE.match(text, pos)
    return match.end() if match else pos


def _invalid_json(path: Path, exc: json.JSONDecodeError) -> HsdsError:
    return _problem(path, exc.lineno, "file", f"not valid JSON (column {exc.colno}: {exc.msg})")


def _json_error(path: Path, text: str, line: int) -> HsdsError:
    """The error for text that is not a JSON array of services (the json module's words where it has any)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _invalid_json(path, exc)
    except RecursionError:
        return _problem(path, line, "file", "not valid JSON: nested too deeply")
    except ValueError:  # an integer longer than Python reads (sys.get_int_max_str_digits)
        return _problem(path, line, "file", _TOO_LONG_NUMBER)
    found = "an object" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
    return _problem(path, 1, "file", f"expected a JSON array of services, found {found}")


def _services(path: Path, text: str) -> list[tuple[int, object]]:
    """The elements of the top-level JSON array, each with the line it starts on (for messages).

    The array is walked element by element (:meth:`json.JSONDecoder.raw_decode`), in one pass.
    """
    decoder = json.JSONDecoder()
    items: list[tuple[int, object]] = []
    pos = _skip_space(text, 0)
    if not text.startswith("[", pos):
        raise _json_error(path, text, 1)
    pos = _skip_space(text, pos + 1)
    line, counted = 1, 0
    closed = text.startswith("]", pos)
    while not closed:
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _invalid_json(path, exc) from exc
        except RecursionError as exc:
            raise _problem(path, line, "file", "not valid JSON: nested too deeply") from exc
        except ValueError as exc:
            raise _problem(path, line, "file", _TOO_LONG_NUMBER) from exc
        items.append((line, item))
        pos = _skip_space(text, pos)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
        elif text.startswith("]", pos):
            closed = True
        else:
            raise _json_error(path, text, line)
    if _skip_space(text, pos + 1) != len(text):
        raise _json_error(path, text, line)
    return items


# Lone surrogates: JSON may write "\ud800", but that is no character, and no file can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _as_text(value: object, field: str) -> str:
    """A JSON scalar as the text ``offices.csv`` would hold; objects and arrays are not ours to guess."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if (match := _SURROGATE.search(value)) is not None:
            code, shown = f"U+{ord(match.group()):04X}", _printable(value)[:60]
            msg = f"{field}: contains a lone surrogate ({code}), which is not text: '{shown}'"
            raise HsdsError(msg)
        return value
    msg = f"{field}: expected text, found {type(value).__name__}"
    raise HsdsError(msg)


def _list_of_dicts(obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        msg = f"{key}: must be a list of objects"
        raise HsdsError(msg)
    return value


def _attributes(obj: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for attribute in _list_of_dicts(obj, "attributes"):
        term = attribute.get("taxonomy_term") or {}
        if not isinstance(term, dict):
            continue
        # Only our own taxonomy: other publishers' attributes mean other things.
        if term.get("taxonomy") != TAXONOMY and term.get("taxonomy_id") != _id("taxonomy", TAXONOMY):
            continue
        code = term.get("code")
        if isinstance(code, str) and (code in SERVICE_ATTRIBUTES or code in LOCATION_ATTRIBUTES):
            out.setdefault(code, []).append(_as_text(attribute.get("value"), f"{prefix}attributes ({code})"))
    return out


def service_to_row(service: Mapping[str, Any], where: str = "service") -> dict[str, str]:
    """One compiled HSDS service (as :func:`to_hsds` writes it) back to a row of ``offices.csv``.

    Raises
    ------
    HsdsError
        If the service is not an object or lacks what a row needs: ``WHERE 'name': FIELD: problem``,
        FIELD being the service's field (``phones``, ``service_at_locations.location.addresses``, …).
    """
    if not isinstance(service, dict):
        msg = f"{where}: service: not a JSON object"
        raise HsdsError(msg)
    context = where
    try:
        name = _as_text(service.get("name"), "name")
        where = f"{where} {_printable(name)!r}" if name else where
        attributes = _attributes(service)
        office_id = (attributes.get("id") or [""])[0]
        if not office_id:
            msg = f"attributes: no office id attribute (taxonomy {TAXONOMY}, code 'id'); is this our export?"
            raise HsdsError(msg)
        organization = service.get("organization") or {}
        if not isinstance(organization, dict):
            msg = "organization: must be an object"
            raise HsdsError(msg)
        row = dict.fromkeys(OFFICE_COLUMNS, "")
        row.update(
            id=office_id,
            name=name,
            provider=_as_text(organization.get("name"), "organization.name"),
            kind=(attributes.get("kind") or [""])[0],
            district=(attributes.get("district") or [""])[0],
            website=_as_text(service.get("url"), "url"),
            target_group=(attributes.get("target_group") or [""])[0],
            target_group_original=_as_text(service.get("eligibility_description"), "eligibility_description"),
            source_date=(attributes.get("source_date") or [""])[0],
            last_checked=_as_text(service.get("assured_date"), "assured_date"),
            notes=(attributes.get("notes") or [""])[0],
            interpreting=(attributes.get("interpreting") or [""])[0],
            opening_hours_osm=(attributes.get("opening_hours_osm") or [""])[0],
            topics=";".join(attributes.get("topics", [])),
            source_url=SOURCE_URL_SEPARATOR.join(attributes.get("source_url", [])),
        )
        row["email"] = (attributes.get("email") or [_as_text(service.get("email"), "email")])[0]
        hsds_status = STATUS_OF_HSDS.get(_as_text(service.get("status"), "status"), "")
        row["status"] = (attributes.get("status") or [hsds_status])[0]
        row["phone"] = "; ".join(
            _as_text(p.get("number"), "phones.number") for p in _list_of_dicts(service, "phones")
        )
        row["languages"] = ";".join(
            _as_text(lang.get("code"), "languages.code")
            for lang in _list_of_dicts(service, "languages")
            if lang.get("code")
        )
        for schedule in _list_of_dicts(service, "schedules"):
            if schedule.get("description"):
                row["opening_hours"] = _as_text(schedule["description"], "schedules.description")
                break
        for link in _list_of_dicts(service, "service_at_locations"):
            location = link.get("location") or {}
            if not isinstance(location, dict):
                continue
            if location.get("latitude") is not None and location.get("longitude") is not None:
                row["lat"] = _as_text(location["latitude"], "service_at_locations.location.latitude")
                row["lon"] = _as_text(location["longitude"], "service_at_locations.location.longitude")
            try:
                addresses = _list_of_dicts(location, "addresses")
            except HsdsError as exc:
                raise HsdsError(f"service_at_locations.location.{exc}") from exc
            for address in addresses[:1]:
                prefix = "service_at_locations.location.addresses"
                row["street"] = _as_text(address.get("address_1"), f"{prefix}.address_1")
                row["postcode"] = _as_text(address.get("postal_code"), f"{prefix}.postal_code")
                row["city"] = _as_text(address.get("city"), f"{prefix}.city")
            location_attributes = _attributes(location, "service_at_locations.location.")
            for column in LOCATION_ATTRIBUTES:
                row[column] = (location_attributes.get(column) or [""])[0]
            break
    except HsdsError as exc:
        if str(exc).startswith(context):
            raise
        msg = f"{where}: {exc}"
        raise HsdsError(msg) from exc
    except (TypeError, AttributeError, ValueError) as exc:
        msg = f"{where}: service: unexpected structure ({exc})"
        raise HsdsError(msg) from exc
    return row


def read_services(path: str | os.PathLike[str]) -> list[tuple[str, dict[str, str]]]:
    """Read an HSDS export as rows of ``offices.csv``, each with where it came from.

    Only a regular file of at most :data:`MAX_IMPORT_BYTES` is read (no FIFO, device or folder, also not
    behind a link), in UTF-8 with or without a byte order mark.

    Parameters
    ----------
    path
        A folder with ``services.json``, or that file.

    Returns
    -------
    list of (str, dict)
        ``PATH:LINE: service N 'name'`` (for messages about the row) and the row.

    Raises
    ------
    HsdsError
        Unreadable files, invalid JSON or UTF-8, services that are not ours or an office twice, as
        ``PATH:LINE: FIELD: problem`` (for a service: ``PATH:LINE: service N 'name': FIELD: problem``).
    """
    source = Path(path)
    file = source / SERVICES_FILE if source.is_dir() else source
    services = _services(file, _read_text(file))
    rows = []
    first_line: dict[str, int] = {}
    for number, (line, service) in enumerate(services, start=1):
        where = f"{_printable(str(file))}:{line}: service {number}"
        row = service_to_row(service, where)
        where = f"{where} {_printable(row['name'])!r}" if row["name"] else where
        office_id = row["id"]
        if office_id in first_line:
            msg = (
                f"{where}: attributes (id): office {_printable(office_id)!r} appears more than once "
                f"(first on line {first_line[office_id]})"
            )
            raise HsdsError(msg)
        first_line[office_id] = line
        rows.append((where, row))
    return rows


def read_hsds(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read an HSDS export (a folder with ``services.json``, or that file) as rows of ``offices.csv``.

    Raises
    ------
    HsdsError
        As :func:`read_services`.
    """
    return [row for _, row in read_services(path)]
