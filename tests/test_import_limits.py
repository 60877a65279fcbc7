"""Big and hostile import inputs: bounded reads, malformed files, linear rewrites, crash leftovers.

The regression tests of the review's bad inputs (``/work/shared/research/reliability-2026-11.md``, D4-D7
and D12): every malformed input of ``finder import`` ends with exit 1 and a ``PATH:LINE: FIELD: problem``
message; non-regular files are refused without reading them; the rewrites that used to be quadratic give
the same results as before. Speed itself is measured in ``benchmarks/bench_import.py``, not here.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO, make_offices_csv, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from finder import corrections, hsds, import_plan
from finder._files import read_regular_file
from finder.corrections import CorrectionStore, DirectoryEditor
from finder.corrections.csvio import serialise_rows
from finder.corrections.editor import merge_overrides
from finder.directory import OFFICE_COLUMNS, validate_file
from finder.errors import HsdsError
from finder.import_plan import load_import, plan_import, read_import

ROWS = [
    {"id": "mbe-x", "name": "Migrationsberatung X", "district": "Leipzig", "postcode": "04109",
     "phone": "0341 1", "lat": "51.34000", "lon": "12.37500", "geocode_precision": "postcode"},
    {"id": "online", "name": "Online-Beratung", "district": "Sachsen", "website": "https://online.example.org"},
    {"id": "jmd-y", "name": "Jugendmigrationsdienst Y", "kind": "JMD", "city": "Bautzen", "district": "Bautzen"},
]  # fmt: skip


@pytest.fixture
def directory(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    make_offices_csv(folder / "offices.csv", ROWS)
    return folder


@pytest.fixture
def services(directory, tmp_path) -> list[dict]:
    """The directory as compiled HSDS services (as ``finder export --format hsds`` writes them)."""
    _, rows = corrections.read_rows(directory / "offices.csv")
    hsds.export_hsds(rows, tmp_path / "out")
    return json.loads((tmp_path / "out" / "services.json").read_text(encoding="utf-8"))


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: a blocking open() or read() is interrupted by SIGALRM (PEP 475)."""

    def expired(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def import_problem(capsys, path: Path, directory: Path) -> str:
    """Run ``finder import PATH --dry-run``: it must exit 1; return its problem line(s)."""
    code, out, err = run_cli(["import", str(path), "--dry-run", "--data-dir", str(directory)], capsys)
    assert code == 1, (out, err)
    return err + out


def assert_problem_at(text: str, path: Path, line: int, field: str) -> None:
    """``text`` has a ``PATH:LINE: … FIELD: problem`` line (the field may follow the service's name)."""
    where = f"{path}:{line}: "
    for row in text.splitlines():
        rest = row.partition(where)[2]
        if rest and (rest.startswith(f"{field}: ") or f" {field}: " in rest or f".{field}: " in rest):
            return
    raise AssertionError(f"no {where}{field}: problem in {text!r}")


# --- D5: bounded reads, regular files only ------------------------------------------------------------


def test_a_regular_file_is_read_up_to_the_cap(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, limit=100) == b"x" * 100
    with pytest.raises(OSError, match="too large: 100 bytes, at most 99"):
        read_regular_file(path, limit=99)
    link = tmp_path / "link"
    link.symlink_to(path)
    assert read_regular_file(link, limit=100) == b"x" * 100  # a link to a regular file is fine


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "link-to-device"])
def test_anything_but_a_regular_file_is_refused_without_reading(tmp_path, kind):
    path = tmp_path / "services.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path.symlink_to("/dev/zero")
    with deadline(20), pytest.raises(OSError, match="not a regular file"):
        read_regular_file(path)


def test_a_fifo_swapped_in_after_the_check_is_refused_without_blocking(tmp_path, monkeypatch):
    """The file is checked again once open; opening does not wait for a writer (O_NONBLOCK)."""
    regular = tmp_path / "regular"
    regular.write_bytes(b"[]")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real_stat = Path.stat
    # What the check saw a moment before the swap: a regular file.
    monkeypatch.setattr(Path, "stat", lambda self, **kw: real_stat(regular if self == fifo else self, **kw))
    with deadline(20), pytest.raises(OSError, match="not a regular file but a FIFO"):
        read_regular_file(fifo)


def test_a_file_that_grows_beyond_the_cap_after_the_check_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "growing.csv"
    path.write_bytes(b"x" * 50)
    real_stat = Path.stat

    def stat_then_grow(self, **kw):
        result = real_stat(self, **kw)
        if self == path:
            path.write_bytes(b"x" * 500)  # after the size check, before the read
        return result

    monkeypatch.setattr(Path, "stat", stat_then_grow)
    with pytest.raises(OSError, match="more than 100 bytes"):
        read_regular_file(path, limit=100)


CHILD = """
import contextlib, io, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # an unbounded read fails fast instead
from finder.cli import main
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    print(json.dumps([code, out.getvalue() + err.getvalue()]), flush=True)
"""


def test_import_and_validate_refuse_links_to_devices_and_fifos(tmp_path, directory):
    """The review's h21/h22: ``services.json`` → /dev/zero filled memory, a FIFO hung forever.

    In a child process with a time limit, so that a regression fails instead of hanging the test run.
    """
    (tmp_path / "zero").mkdir()
    (tmp_path / "zero" / "services.json").symlink_to("/dev/zero")
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "services.json")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.csv")
    data = ["--data-dir", str(directory)]
    runs = [
        (["import", str(tmp_path / "zero"), "--dry-run", *data], "zero/services.json", "a device"),
        (["import", str(tmp_path / "fifo"), "--dry-run", *data], "fifo/services.json", "a FIFO"),
        (["import", str(tmp_path / "zero.csv"), "--dry-run", *data], "zero.csv", "a device"),
        (["import", str(tmp_path / "fifo.csv"), "--dry-run", *data], "fifo.csv", "a FIFO"),
        (["validate", str(tmp_path / "fifo.csv")], "fifo.csv", "a FIFO"),
        (["validate", str(tmp_path / "zero.csv")], "zero.csv", "a device"),
    ]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([argv for argv, _, _ in runs])],
        capture_output=True, text=True, timeout=240, cwd=REPO, check=False,
    )  # fmt: skip
    answers = [json.loads(line) for line in child.stdout.splitlines()]
    assert len(answers) == len(runs), child.stderr
    for (argv, name, kind), (code, err) in zip(runs, answers, strict=True):
        assert code == 1, (argv, err)
        assert f"{name}:1: file: cannot read the file (not a regular file but {kind})" in err, (argv, err)


def test_import_refuses_a_file_over_the_cap(tmp_path, directory, capsys, monkeypatch, services):
    path = tmp_path / "services.json"
    path.write_text(json.dumps(services), encoding="utf-8")
    monkeypatch.setattr(hsds, "MAX_IMPORT_BYTES", path.stat().st_size - 1)
    text = import_problem(capsys, path, directory)
    assert_problem_at(text, path, 1, "file")
    assert f"too large: {path.stat().st_size} bytes" in text


def test_an_import_csv_over_the_cap_is_refused_though_the_directory_may_grow_larger(
    tmp_path, directory, capsys, monkeypatch
):
    path = make_offices_csv(tmp_path / "in.csv", [{"id": f"n{i}"} for i in range(20)])
    monkeypatch.setattr(import_plan, "MAX_INPUT_BYTES", path.stat().st_size - 1)
    text = import_problem(capsys, path, directory)
    assert_problem_at(text, path, 1, "file")
    assert f"too large: {path.stat().st_size} bytes" in text
    # The same file as a directory (what an import may grow it to) is read under the directory's cap.
    assert validate_file(path) == []


# --- D6 and D12: every malformed input ends with exit 1 and PATH:LINE: FIELD: problem -------------------


def hsds_cases(services: list[dict]) -> dict[str, tuple[bytes, int, str]]:
    """Name → (content of services.json, line of the problem, field named)."""
    text = json.dumps(services, indent=1)
    third = json.dumps(services[:2], indent=1).count("\n") + 1  # where "]" was, the third service starts
    latin = text.replace("Beratung", "Beratüng")

    def changed(index: int, change) -> bytes:
        copy = json.loads(text)
        change(copy[index])
        return json.dumps(copy, indent=1).encode()

    def set_address(service, key, value):
        service["service_at_locations"][0]["location"]["addresses"][0][key] = value

    def district(service):
        return next(a for a in service["attributes"] if a["taxonomy_term"]["code"] == "district")

    return {
        "truncated": (text.encode()[: len(text) // 2], text[: len(text) // 2].count("\n") + 1, "file"),
        "empty": (b"", 1, "file"),
        "only-spaces": (b"  \n ", 2, "file"),
        "object": (b'{"services": []}', 1, "file"),
        "array-of-numbers": (b"[1, 2]", 1, "service"),
        "data-after-the-array": (b"[]\n[]", 2, "file"),
        "deep-arrays": (b"[" * 200_000 + b"]" * 200_000, 1, "file"),
        "deep-objects": (b"[" + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]", 1, "file"),
        "huge-number": (b'[{"name": "x"},\n {"n": ' + b"1" * 5000 + b"}]", 2, "file"),
        "huge-number-not-in-an-array": (b'{"n": ' + b"1" * 5000 + b"}", 1, "file"),
        "nested-name": (b'[{"name": ' + b"[" * 900 + b"]" * 900 + b"}]", 1, "name"),
        "utf-16": (text.encode("utf-16"), 1, "file"),
        "utf-16-no-bom": (text.encode("utf-16-le"), 1, "file"),
        "utf-32": (text.encode("utf-32"), 1, "file"),
        "latin-1": (latin.encode("latin-1"), latin[: latin.index("ü")].count("\n") + 1, "file"),
        "phones-not-a-list": (changed(2, lambda s: s.update(phones="0341")), third, "phones"),
        "organization-list": (changed(0, lambda s: s.update(organization=[1])), 2, "organization"),
        "address-a-number": (
            changed(0, lambda s: set_address(s, "postal_code", {"x": 1})),
            2,
            "addresses.postal_code",
        ),
        "surrogate-in-name": (changed(0, lambda s: s.update(name="Amt \ud800 Bautzen")), 2, "name"),
        "surrogate-in-address": (
            changed(0, lambda s: set_address(s, "city", "Leip\udcffzig")),
            2,
            "addresses.city",
        ),
        "surrogate-in-attribute": (
            changed(2, lambda s: district(s).update(value="\udfff")),
            third,
            "attributes (district)",
        ),
        "not-ours": (b'[{"name": "x", "attributes": []}]', 1, "attributes"),
        "duplicate": (
            json.dumps([*services, services[1]], indent=1).encode(),
            text.count("\n") + 1,
            "attributes (id)",
        ),
    }


HSDS_CASES = [
    "truncated", "empty", "only-spaces", "object", "array-of-numbers", "data-after-the-array", "deep-arrays",
    "deep-objects", "huge-number", "huge-number-not-in-an-array", "nested-name", "utf-16", "utf-16-no-bom",
    "utf-32", "latin-1", "phones-not-a-list", "organization-list", "address-a-number", "surrogate-in-name",
    "surrogate-in-address", "surrogate-in-attribute", "not-ours", "duplicate",
]  # fmt: skip


@pytest.mark.parametrize("case", HSDS_CASES)
def test_malformed_hsds_ends_with_exit_1_and_a_located_problem(tmp_path, directory, services, capsys, case):
    content, line, field = hsds_cases(services)[case]
    path = tmp_path / "services.json"
    path.write_bytes(content)
    before = (directory / "offices.csv").read_bytes()
    text = import_problem(capsys, path, directory)
    assert_problem_at(text, path, line, field)
    text.encode("utf-8")  # printable: no lone surrogates reach the terminal
    assert (directory / "offices.csv").read_bytes() == before


def test_malformed_hsds_gives_json_with_json(tmp_path, directory, services, capsys):
    content, _, _ = hsds_cases(services)["surrogate-in-name"]
    path = tmp_path / "services.json"
    path.write_bytes(content)
    code, out, _ = run_cli(["import", str(path), "--dry-run", "--data-dir", str(directory), "--json"], capsys)
    assert code == 1
    error = json.loads(out)["error"]
    assert "service 1: name: contains a lone surrogate (U+D800)" in error
    assert "\\ud800" in error


def test_invalid_values_in_hsds_are_named_by_line_service_and_field(tmp_path, directory, services, capsys):
    services[1]["service_at_locations"] = []
    services[1]["url"] = "javascript:alert(1)"
    services[2]["languages"] = [{"code": "xx"}]
    services[2]["name"] = "=HYPERLINK(1)"
    path = tmp_path / "services.json"
    path.write_text(json.dumps(services, indent=1), encoding="utf-8")
    text = import_problem(capsys, path, directory)
    second = json.dumps(services[:1], indent=1).count("\n") + 1
    third = json.dumps(services[:2], indent=1).count("\n") + 1
    assert_problem_at(text, path, second, "website")
    assert_problem_at(text, path, third, "languages")
    assert "service 2 'Online-Beratung': website:" in text


def test_hsds_with_a_byte_order_mark_is_read_like_without(tmp_path, services):
    plain, marked = tmp_path / "plain.json", tmp_path / "marked.json"
    plain.write_text(json.dumps(services), encoding="utf-8")
    marked.write_bytes(codecs.BOM_UTF8 + plain.read_bytes())
    assert read_import(marked) == read_import(plain) and len(read_import(plain)) == len(ROWS)


def test_load_import_says_where_each_service_starts(tmp_path, services):
    path = tmp_path / "services.json"
    path.write_text(json.dumps(services, indent=1), encoding="utf-8")
    source = load_import(path)
    starts = [number for number, text in enumerate(path.read_text().splitlines(), start=1) if text == " {"]
    assert [source.origins[row["id"]] for row in source.rows] == [
        f"{path}:{line}: service {number} '{row['name']}'"
        for number, (line, row) in enumerate(zip(starts, source.rows, strict=True), start=1)
    ]


@pytest.mark.parametrize(
    ("case", "line", "field", "message"),
    [
        ("utf-16", 1, "file", "the file is UTF-16, not UTF-8"),
        ("utf-32", 1, "file", "the file is UTF-32, not UTF-8"),
        ("huge-field", 3, "notes", "field too large (200000 characters; at most 131072)"),
        ("huge-quoted-field", 2, "name", "field too large (150000 characters; at most 131072)"),
        ("missing-column", 1, "notes", "missing column"),
        ("duplicate-id", 4, "id", "duplicate id"),
        ("unterminated-quote", 3, "row", "never closed"),
        ("empty", 1, "file", "empty"),
    ],
)
def test_malformed_csv_ends_with_exit_1_and_one_located_problem(tmp_path, directory, capsys, case, line,
                                                                field, message):  # fmt: skip
    path = tmp_path / "in.csv"
    if case == "huge-field":
        make_offices_csv(path, [{}, {"notes": "x" * 200_000}, {}])
    elif case == "huge-quoted-field":
        make_offices_csv(path, [{"name": '"q"' * 50_000}])  # 150,000 characters, written with 250,002
    elif case == "missing-column":
        make_offices_csv(path, [{}], columns=[c for c in OFFICE_COLUMNS if c != "notes"])
    elif case == "duplicate-id":
        make_offices_csv(path, [{"id": "a"}, {"id": "b"}, {"id": "a"}])
    elif case == "unterminated-quote":
        make_offices_csv(path, [{}, {}])
        path.write_text(path.read_text(encoding="utf-8").replace("Office 2", '"Office 2'), encoding="utf-8")
    elif case == "empty":
        path.write_bytes(b"")
    else:
        text = make_offices_csv(path, ROWS).read_text(encoding="utf-8")
        path.write_bytes(text.encode(case))
    problems = validate_file(path)
    assert len(problems) == 1, problems
    assert (problems[0].line, problems[0].field) == (line, field) and message in problems[0].message
    assert_problem_at(import_problem(capsys, path, directory), path, line, field)


def test_a_utf16_file_without_bom_is_one_problem(tmp_path):
    path = make_offices_csv(tmp_path / "o.csv", ROWS)
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    assert [(p.line, p.field) for p in validate_file(path)] == [(1, "file")]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
SERVICE_KEYS = ["name", "url", "email", "phones", "languages", "schedules", "service_at_locations",
                "organization", "attributes", "assured_date", "eligibility_description"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(SERVICE_KEYS), JSON, max_size=6) | JSON, max_size=3))
def test_any_json_gives_rows_or_a_located_problem(tmp_path_factory, services):
    path = tmp_path_factory.mktemp("fuzz") / "services.json"
    path.write_text(json.dumps(services), encoding="utf-8")
    try:
        read_import(path)
    except HsdsError as exc:
        assert re.match(rf"{re.escape(str(path))}:[0-9]+: \S", str(exc)), str(exc)
        str(exc).encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_rows_or_a_located_problem(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("services.json", "offices.csv"):
        (folder / name).write_bytes(content)
        try:
            read_import(folder / name)
        except HsdsError as exc:
            assert f"{folder / name}:" in str(exc) and re.search(r":[0-9]+: \S", str(exc)), str(exc)
            str(exc).encode("utf-8")


# --- D4: the rewrites that used to be quadratic give the same results ----------------------------------

# Any text but NUL and CR (the directory refuses both; the csv module writes a lone CR unquoted).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({"id": TEXT, "notes": TEXT}), max_size=12))
def test_serialise_rows_gives_each_rows_starting_line(rows):
    text, lines = serialise_rows(["id", "notes"], rows)
    # Read back the way the validator reads (lines end at LF only): where each record starts.
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)
    read, starts = [], []
    while True:
        start = reader.line_num + 1
        try:
            read.append(next(reader))
        except StopIteration:
            break
        starts.append(start)
    assert read == [["id", "notes"]] + [[r["id"], r["notes"]] for r in rows]
    assert lines == starts[1:]


def merge_by_inserting(base, overrides):
    """The former merge: one ``list.insert`` per added office (quadratic), as the reference."""
    rows = [dict(overrides[r["id"]][0]) if r["id"] in overrides else dict(r) for r in base
            if r["id"] not in overrides or overrides[r["id"]][0] is not None]  # fmt: skip
    seen = {r["id"] for r in base}
    added = sorted(((p, i, r) for i, (r, p) in overrides.items() if i not in seen and r is not None),
                   key=lambda item: item[0])  # fmt: skip
    for position, _, row in added:
        rows.insert(min(position, len(rows)), dict(row))
    return rows


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 8),
    st.dictionaries(st.sampled_from([f"b{i}" for i in range(8)]), st.booleans()),
    st.lists(st.tuples(st.integers(0, 12), st.booleans()), max_size=6),
)
def test_merge_overrides_puts_added_offices_where_inserting_them_would(n, replaced, added):
    base = [{"id": f"b{i}", "v": "base"} for i in range(n)]
    overrides = {oid: (({"id": oid, "v": "new"} if keep else None), 0) for oid, keep in replaced.items()}
    for number, (position, keep) in enumerate(added):
        overrides[f"a{number}"] = ({"id": f"a{number}", "v": "added"} if keep else None, position)
    assert merge_overrides(base, overrides) == merge_by_inserting(base, overrides)


@pytest.mark.parametrize("target", ["csv", "database"])
def test_a_large_import_is_one_write_with_one_change_per_office(tmp_path, directory, target):
    """Hundreds of additions and updates: every value written, every change recorded and readable."""
    store = CorrectionStore(str(tmp_path / "c.sqlite"))
    editor = DirectoryEditor(store, directory / "offices.csv", target=target)
    header, current = editor.rows()
    incoming = [dict(row, phone="0341 999") for row in current]
    incoming += [{**dict.fromkeys(header, ""), "id": f"new-{i}", "name": f"Neu {i}", "kind": "MBE",
                  "district": "Dresden", "topics": "work", "source_url": "https://example.org/n",
                  "target_group": "all"} for i in range(600)]  # fmt: skip
    plan = plan_import(incoming, header, current)
    assert not plan.problems and len(plan.additions) == 600 and len(plan.updates) == len(ROWS)
    updates = {office: {c: new for c, (_, new) in cols.items()} for office, cols in plan.updates.items()}
    changes = editor.apply_many(updates, plan.additions, by="anna", reason="big import")
    _, after = editor.rows()
    assert [r["id"] for r in after] == [r["id"] for r in current] + [f"new-{i}" for i in range(600)]
    assert all(r["phone"] == "0341 999" for r in after[: len(ROWS)])
    assert len(changes) == 600 + len(ROWS)
    # What the editor returns is what the history holds.
    assert [store.change(c.id) for c in changes] == changes
    assert changes[-1].fields["name"] == (None, "Neu 599") and changes[0].changed["phone"][1] == "0341 999"
    store.dispose()


def test_the_plan_names_problems_of_changed_rows_by_their_origin(directory):
    """Changed and new rows are checked (the unchanged rest of the valid directory need not be)."""
    header, current = corrections.read_rows(directory / "offices.csv")
    incoming = [dict(current[0], postcode="99999"), {**current[1]}, dict(current[2], id="neu", name="")]
    plan = plan_import(incoming, header, current, {"neu": "in.csv:4"})
    assert sorted(plan.problems) == [
        "in.csv:4: name: empty (every office needs a name)",
        "office mbe-x: postcode: not a Saxon postcode (0 and 4 digits, 01000-09999): '99999'",
    ]


def test_a_lone_surrogate_in_a_would_be_row_is_a_problem_not_a_crash(directory):
    header, current = corrections.read_rows(directory / "offices.csv")
    problems = corrections.check_rows(header, [dict(current[0], name="Amt \ud800")])
    assert len(problems) == 1 and problems[0].startswith(
        "office mbe-x: name: contains bytes that are not UTF-8"
    )


def test_a_large_import_prints_a_few_change_numbers_only(tmp_path, directory, capsys):
    rows = [{"id": f"n{i}", "name": f"N {i}"} for i in range(30)]
    path = make_offices_csv(tmp_path / "in.csv", rows)
    code, _, err = run_cli(["import", str(path), "--data-dir", str(directory), "--db",
                            str(tmp_path / "c.sqlite"), "--by", "anna"], capsys)  # fmt: skip
    assert code == 0
    assert "applied: 30 office(s) changed" in err and "and 20 more (finder review history)" in err
    assert len(re.findall("#[0-9]+", err)) == 10


# --- D7: leftovers of killed edits ----------------------------------------------------------------------


def test_the_next_write_removes_temp_files_of_killed_edits_only(tmp_path, directory):
    csv_path = directory / "offices.csv"
    stale = directory / ".offices.csv.k1ll3d.tmp"
    stale.write_bytes(csv_path.read_bytes())
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    # Newer than the write (another program's file being written now): left alone.
    live = directory / ".offices.csv.l1ve.tmp"
    live.write_bytes(b"partial")
    soon = time.time() + 3600
    os.utime(live, (soon, soon))
    other = directory / ".other.csv.x.tmp"
    other.write_bytes(b"")
    os.utime(other, (hour_ago, hour_ago))
    editor = DirectoryEditor(CorrectionStore(str(tmp_path / "c.sqlite")), csv_path, target="csv")
    editor.apply("mbe-x", {"phone": "0341 5"}, by="anna", reason="call")
    assert not stale.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp")) == [
        ".offices.csv.l1ve.tmp", ".other.csv.x.tmp"
    ]  # fmt: skip
    editor.store.dispose()


def test_temp_files_of_edits_are_ignored_by_git():
    names = ["data/.offices.csv.e7ezjd_r.tmp", "elsewhere/.offices.csv.abc.tmp"]
    answer = subprocess.run(["git", "check-ignore", *names], capture_output=True, text=True, cwd=REPO,
                            check=False)  # fmt: skip
    assert answer.stdout.split() == names
    assert subprocess.run(["git", "check-ignore", "data/offices.csv"], cwd=REPO, check=False).returncode == 1
