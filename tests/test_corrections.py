"""Tests of finder.corrections: suggestions, rate limits, concurrent writers, edits, history, revert, CLI."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import shutil
import socket
import sqlite3
import sys
import tempfile
import types
from pathlib import Path

import pytest
import sqlalchemy
from helpers import REPO, FakeClock, make_offices_csv, run_cli
from hypothesis import given
from hypothesis import strategies as st

from finder import corrections, directory, settings
from finder.corrections import (
    ConflictError,
    CorrectionError,
    CorrectionStore,
    DirectoryEditor,
    RateLimitedError,
)
from finder.directory import load_offices, validate_file
from finder.rules import has_bidi_controls, has_controls, is_office_id

TODAY = dt.date(2027, 3, 1)
HOSTILE = [
    "<script>alert('x')</script>",
    "'); DROP TABLE suggestions; --",
    "Robert'); DELETE FROM change_sets WHERE ('1'='1",
    "\u202eevil\u202c",
    "ص" * 50 + " مرحبا",
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def store(db_url, clock) -> CorrectionStore:
    s = CorrectionStore(db_url, clock=clock)
    yield s
    s.dispose()


@pytest.fixture
def csv_path(tmp_path) -> Path:
    return make_offices_csv(
        tmp_path / "offices.csv",
        [
            {
                "id": "a",
                "name": "Office A",
                "phone": "0351 1234",
                "source_date": "2016",
                "last_checked": "2026-11-28",
            },
            {"id": "b", "name": "Office B", "languages": "de;ar", "last_checked": "2026-11-28"},
            {"id": "c", "name": "Office C", "notes": "multi\nline", "last_checked": "2026-11-28"},
        ],
    )


@pytest.fixture
def editor(store, csv_path) -> DirectoryEditor:
    return DirectoryEditor(store, csv_path, target="csv", today=lambda: TODAY)


def rows_of(path: Path) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in corrections.read_rows(path)[1]}


# --- configuration ---------------------------------------------------------------------------------


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "x.sqlite"))
    assert corrections.database_url() == f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", "postgresql+psycopg://u:secret@db/finder")
    assert corrections.database_url() == "postgresql+psycopg://u:secret@db/finder"
    assert "secret" not in corrections.safe_url(corrections.database_url())


def test_default_database_is_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("FINDER_CORRECTIONS_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    path = corrections.default_database_path()
    assert path == tmp_path / "beratungsfinder" / "corrections.sqlite"
    assert REPO not in path.parents


def test_directory_target_is_checked(monkeypatch):
    assert corrections.directory_target(None) in corrections.TARGETS
    assert corrections.directory_target("DATABASE") == "database"
    with pytest.raises(ValueError, match="FINDER_CORRECTIONS_TARGET"):
        corrections.directory_target("ftp")


def test_store_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "c.sqlite"
    CorrectionStore(str(path)).dispose()
    assert path.stat().st_mode & 0o077 == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unopenable_database_gives_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CorrectionError, match="cannot open the corrections database"):
        CorrectionStore(str(blocker / "sub" / "c.sqlite"))


def test_open_existing_store_never_creates_a_file(tmp_path):
    path = tmp_path / "none.sqlite"
    assert corrections.open_existing_store(str(path)) is None
    assert not path.exists()
    assert corrections.load_confirmations(str(path)) == {}


# --- suggestions -------------------------------------------------------------------------------------


def test_submit_and_list(store):
    number = store.submit("a", "phone", "0351 99999", "me@example.org", client_key="k1")
    items = store.suggestions()
    assert [(s.id, s.office_id, s.kind, s.proposed, s.contact, s.status) for s in items] == [
        (number, "a", "phone", "0351 99999", "me@example.org", "open")
    ]
    assert store.suggestion(number).created_at.tzinfo is not None
    assert store.counts()["open"] == 1


@pytest.mark.parametrize(
    ("office", "kind", "text", "contact", "message"),
    [
        ("a", "colour", "x", "", "unknown kind"),
        ("A B", "phone", "x", "", "unknown office"),
        ("a" * 200, "phone", "x", "", "unknown office"),
        ("a", "phone", "   ", "", "describe"),
        ("a", "phone", "x" * (corrections.MAX_PROPOSED_CHARS + 1), "", "too long"),
        ("a", "phone", "x" * 10_000_000, "", "too long"),
        ("a", "phone", "x", "c" * (corrections.MAX_CONTACT_CHARS + 1), "too long"),
        ("a", "phone", 42, "", "must be text"),
    ],
)
def test_invalid_suggestions_are_refused(store, office, kind, text, contact, message):
    with pytest.raises(CorrectionError, match=message):
        store.submit(office, kind, text, contact, client_key="k")
    assert store.suggestions(status=None) == []


def test_known_ids_are_enforced(store):
    with pytest.raises(CorrectionError, match="unknown office"):
        store.submit("zzz", "phone", "x", client_key="k", known_ids={"a", "b"})


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_verbatim_and_harmlessly(store, text):
    number = store.submit("a", "other", text, text[:100], client_key="k")
    # Verbatim but for bidi controls, which could make the text read backwards on the review page.
    assert store.suggestion(number).proposed == text.replace("\u202e", "").replace("\u202c", "")
    # The SQL-looking text did nothing to the database.
    tables = set(sqlalchemy.inspect(store.engine).get_table_names())
    assert {"suggestions", "change_sets", "field_changes", "login_failures"} <= tables
    assert [s.id for s in store.suggestions()] == [number]


def test_control_characters_and_bad_unicode_are_cleaned(store):
    number = store.submit("a", "other", "line1\r\nline2\x1b[31m\x00 \udcff end", "x\ny", client_key="k")
    s = store.suggestion(number)
    assert s.proposed == "line1\nline2[31m \ufffd end"
    assert s.contact == "x y"
    number = store.submit("a", "other", b"caf\xe9 \xff".decode("latin-1"), client_key="k")
    assert store.suggestion(number).proposed == "café ÿ"
    assert corrections.clean_text(b"ok \xff", max_chars=10) == "ok \ufffd"


def test_bidi_controls_are_removed_from_reports_and_marks_kept(store):
    # The review's report: opening hours with U+202E; and Persian text whose RLM keeps the bracket in place.
    number = store.submit("a", "hours", "Mo-Fr 9-12\u202e (21-9 aS)", client_key="k")
    assert store.suggestion(number).proposed == "Mo-Fr 9-12 (21-9 aS)"
    persian = "\u2067دوشنبه تا جمعه ۹-۱۲\u2069 (MBE)\u200f"
    number = store.submit("a", "hours", persian, "\u202bمریم\u202c", client_key="k")
    assert store.suggestion(number).proposed == "دوشنبه تا جمعه ۹-۱۲ (MBE)\u200f"
    assert store.suggestion(number).contact == "مریم"
    # Imports keep them (light), so that validation names them instead of the import changing them quietly.
    assert corrections.clean_text("A\u202eb", max_chars=10, light=True) == "A\u202eb"


def test_an_edit_cannot_put_bidi_controls_into_the_directory(editor, csv_path):
    editor.apply("a", {"name": "Office\u202e A"}, by="m", reason="r")
    assert rows_of(csv_path)["a"]["name"] == "Office A"


@given(st.text(max_size=300))
def test_clean_text_property(text):
    try:
        out = corrections.clean_text(text, max_chars=200, multiline=True)
    except CorrectionError:
        return
    assert len(out) <= 200
    assert not has_controls(out, multiline=True)
    assert not has_bidi_controls(out)
    assert "\r" not in out  # line breaks are LF only
    out.encode("utf-8")  # always encodable: no lone surrogates
    assert corrections.clean_text(out, max_chars=200, multiline=True) == out


def test_rate_limit_per_client(db_url, clock):
    limits = [(3, dt.timedelta(minutes=10)), (4, dt.timedelta(days=1))]
    store = CorrectionStore(db_url, client_limits=limits, clock=clock)
    for _ in range(3):
        store.submit("a", "phone", "x", client_key="198.51.100.7")
    with pytest.raises(RateLimitedError) as info:
        store.submit("a", "phone", "x", client_key="198.51.100.7")
    assert info.value.retry_after == dt.timedelta(minutes=10) and info.value.scope == "client"
    store.submit("a", "phone", "x", client_key="203.0.113.5")  # not limited
    clock.advance(minutes=11)
    store.submit("a", "phone", "x", client_key="198.51.100.7")
    clock.advance(minutes=11)
    with pytest.raises(RateLimitedError, match="from this address") as info:  # the daily limit
        store.submit("a", "phone", "x", client_key="198.51.100.7")
    assert info.value.retry_after == dt.timedelta(days=1) - dt.timedelta(minutes=22)
    assert len(store.suggestions()) == 5


def test_rate_limit_survives_a_restart(db_url, clock):
    limits = [(2, dt.timedelta(minutes=10))]
    CorrectionStore(db_url, client_limits=limits, clock=clock).submit("a", "phone", "x", client_key="k")
    CorrectionStore(db_url, client_limits=limits, clock=clock).submit("a", "phone", "x", client_key="k")
    with pytest.raises(RateLimitedError):
        CorrectionStore(db_url, client_limits=limits, clock=clock).submit("a", "phone", "x", client_key="k")


def test_global_rate_limit(db_url, clock):
    store = CorrectionStore(db_url, global_limit=(4, dt.timedelta(hours=1)), clock=clock)
    for i in range(4):
        store.submit("a", "phone", "x", client_key=f"198.51.100.{i}")
    with pytest.raises(RateLimitedError, match="everybody") as info:
        store.submit("a", "phone", "x", client_key="203.0.113.5")
    assert info.value.scope == "everybody"


def test_one_client_cannot_reach_the_global_cap(store, clock):
    # With the default limits: a sender that sends whenever it may, for a whole day, is stopped by its own
    # limits long before the safety cap of everybody together, so others can still report.
    start, sent = clock(), 0
    while clock() < start + dt.timedelta(days=1):
        try:
            store.submit("a", "other", "flood", client_key="198.51.100.7")
            sent += 1
        except RateLimitedError as exc:
            assert exc.scope == "client" and exc.retry_after > dt.timedelta(0)
            clock.now += exc.retry_after
    assert sent < corrections.GLOBAL_LIMIT[0]
    store.submit("a", "other", "a real report", client_key="203.0.113.5")


def test_rate_records_are_kept_for_a_day_only(db_url, clock):
    store = CorrectionStore(db_url, clock=clock)
    for i in range(3):
        store.submit("a", "phone", "x", client_key=f"198.51.100.{i}")
    clock.advance(days=1, minutes=1)
    store.submit("a", "phone", "x", client_key="203.0.113.5")
    with sqlalchemy.orm.Session(store.engine) as session:
        assert (
            session.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(corrections.ReportEvent))
            == 1
        )
    assert len(store.suggestions()) == 4  # the reports themselves stay


def test_client_hashes_are_keyed_per_database(tmp_path):
    one = CorrectionStore(str(tmp_path / "one.sqlite"))
    two = CorrectionStore(str(tmp_path / "two.sqlite"))
    again = CorrectionStore(str(tmp_path / "one.sqlite"))
    assert one._hash("198.51.100.7") == again._hash("198.51.100.7") != two._hash("198.51.100.7")


def test_a_database_from_before_the_limits_is_upgraded(tmp_path, clock):
    path = tmp_path / "old.sqlite"
    CorrectionStore(str(path)).submit("a", "phone", "x", client_key="old-session-token")
    with sqlite3.connect(path) as conn:  # as an older version left it
        conn.execute("DROP TABLE report_events")
        conn.execute("DROP TABLE store_secrets")
    store = CorrectionStore(str(path), client_limits=[(1, dt.timedelta(minutes=10))], clock=clock)
    store.submit("a", "phone", "y", client_key="198.51.100.7")
    with pytest.raises(RateLimitedError):
        store.submit("a", "phone", "z", client_key="198.51.100.7")
    assert [s.proposed for s in store.suggestions()] == ["x", "y"]


def test_concurrent_threads_lose_nothing(db_url):
    store = CorrectionStore(db_url)

    def writer(n: int) -> list[int]:
        return [store.submit("a", "other", f"w{n}-{i}", client_key=f"client-{n}") for i in range(8)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        ids = [i for chunk in pool.map(writer, range(12)) for i in chunk]
    assert len(ids) == len(set(ids)) == 96
    texts = {s.proposed for s in store.suggestions(limit=1000)}
    assert texts == {f"w{n}-{i}" for n in range(12) for i in range(8)}


def _process_writer(args: tuple[str, int]) -> int:
    url, n = args
    store = CorrectionStore(url)
    for i in range(10):
        store.submit("a", "other", f"p{n}-{i}", client_key=f"proc-{n}")
    store.dispose()
    return n


def test_concurrent_processes_lose_nothing(db_url, monkeypatch):
    url = db_url
    CorrectionStore(url).dispose()
    # Spawned children re-run the parent's __main__; after an AppTest run that is Streamlit's temporary
    # script, so give them a plain one.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    # spawn: a fresh interpreter per writer, like separate app processes (and safe with threads around).
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        assert sorted(pool.map(_process_writer, [(url, n) for n in range(4)])) == [0, 1, 2, 3]
    texts = [s.proposed for s in CorrectionStore(url).suggestions(limit=1000)]
    assert sorted(texts) == sorted(f"p{n}-{i}" for n in range(4) for i in range(10))
    if "://" not in url:  # SQLite: the file is intact
        with sqlite3.connect(url) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_rate_limit_holds_under_concurrency(db_url):
    store = CorrectionStore(db_url, client_limits=[(5, dt.timedelta(hours=1))])

    def attempt(_: int) -> bool:
        try:
            store.submit("a", "other", "x", client_key="198.51.100.7")
        except RateLimitedError:
            return False
        return True

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(20)))
    assert results.count(True) == 5
    assert len(store.suggestions()) == 5


def test_reject_deletes_contact_and_cannot_repeat(store):
    number = store.submit("a", "phone", "x", "me@example.org", client_key="k")
    s = store.reject(number, by="anna", note="not an office phone")
    assert (s.status, s.contact, s.decided_by, s.decision_note) == (
        "rejected",
        "",
        "anna",
        "not an office phone",
    )
    with pytest.raises(ConflictError, match="already rejected"):
        store.reject(number, by="anna")
    with pytest.raises(CorrectionError, match="no suggestion #999"):
        store.reject(999, by="anna")


# --- editing the directory ---------------------------------------------------------------------------


def test_accept_writes_the_change_with_history(store, editor, csv_path):
    number = store.submit("a", "phone", "0351 99999", "me@example.org", client_key="k")
    change = editor.accept(number, {"phone": "0351 99999"}, by="anna")
    row = rows_of(csv_path)["a"]
    assert row["phone"] == "0351 99999" and row["last_checked"] == TODAY.isoformat()
    assert change.changed == {
        "phone": ("0351 1234", "0351 99999"),
        "last_checked": ("2026-11-28", "2027-03-01"),
    }
    assert (change.by, change.action, change.state, change.suggestion_id) == (
        "anna",
        "accept",
        "applied",
        number,
    )
    s = store.suggestion(number)
    assert (s.status, s.contact, s.change_set_id) == ("accepted", "", change.id)
    assert validate_file(csv_path) == []
    with pytest.raises(ConflictError, match="already accepted"):
        editor.accept(number, {"phone": "0351 1"}, by="anna")


def test_only_the_edited_line_changes(tmp_path, store):
    data = tmp_path / "offices.csv"
    shutil.copy(REPO / "data" / "offices.csv", data)
    before = data.read_text(encoding="utf-8").splitlines()
    editor = DirectoryEditor(store, data, target="csv", today=lambda: TODAY)
    office = rows_of(data)
    office_id = next(iter(office))
    change = editor.apply(office_id, {"phone": "0351 4711"}, by="anna", reason="phone call")
    after = data.read_text(encoding="utf-8").splitlines()
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    editor.revert(change.id, by="anna")
    assert data.read_text(encoding="utf-8").splitlines() == before


def test_revert_restores_the_exact_file(editor, csv_path):
    original = csv_path.read_bytes()
    change = editor.apply("b", {"languages": "de;ar;fa", "notes": "neu"}, by="anna", reason="call")
    assert csv_path.read_bytes() != original
    revert = editor.revert(change.id, by="ben", reason="wrong office")
    assert csv_path.read_bytes() == original
    assert (revert.action, revert.reverts_id, revert.by) == ("revert", change.id, "ben")
    assert editor.store.change(change.id).reverted_by_id == revert.id
    with pytest.raises(ConflictError, match="already reverted"):
        editor.revert(change.id, by="ben")
    # Reverting the revert re-applies the change.
    editor.revert(revert.id, by="ben")
    assert rows_of(csv_path)["b"]["languages"] == "de;ar;fa"


def test_revert_refuses_when_changed_since(editor, csv_path):
    first = editor.apply("a", {"phone": "0351 1111"}, by="anna", reason="1")
    editor.apply("a", {"phone": "0351 2222"}, by="anna", reason="2")
    before = csv_path.read_bytes()
    with pytest.raises(ConflictError, match="has changed since"):
        editor.revert(first.id, by="anna")
    assert csv_path.read_bytes() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "<b>0351 1</b>"}, "HTML markup"),
        ({"phone": "call us"}, "not a phone number"),
        ({"languages": "Arabisch"}, "ISO 639-1"),
        ({"kind": "XYZ"}, "unknown kind"),
        ({"postcode": "99999"}, "Saxon postcode"),
        ({"name": "'); DROP TABLE suggestions; --"}, None),
        ({"website": "javascript:alert(1)"}, "not an http"),
        ({"colour": "red"}, "unknown column"),
        ({"id": "x"}, "cannot be changed"),
        ({"notes": "x" * (corrections.MAX_VALUE_CHARS + 1)}, "too long"),
    ],
)
def test_invalid_changes_leave_the_file_untouched(editor, csv_path, store, changes, message):
    before = csv_path.read_bytes()
    if message is None:  # SQL-looking text is just text: stored, valid, harmless
        editor.apply("a", changes, by="anna", reason="test")
        assert rows_of(csv_path)["a"]["name"] == changes["name"]
        return
    with pytest.raises(CorrectionError, match=message):
        editor.apply("a", changes, by="anna", reason="test")
    assert csv_path.read_bytes() == before
    assert [c for c in store.history() if c.state == "applied"] == []
    assert not list(csv_path.parent.glob(".offices.csv.*.tmp"))


def test_unknown_office_and_invalid_base_file(editor, csv_path, store):
    with pytest.raises(CorrectionError, match="no office with id 'zzz'"):
        editor.apply("zzz", {"phone": "0351 1"}, by="anna")
    csv_path.write_bytes(csv_path.read_bytes() + b"broken,\xff\n")
    with pytest.raises(CorrectionError, match="fix them first"):
        editor.apply("a", {"phone": "0351 1"}, by="anna")


def test_confirm_records_a_person_confirmed_it(editor, store, csv_path):
    change = editor.confirm("a", by="anna")
    assert rows_of(csv_path)["a"]["last_checked"] == TODAY.isoformat()
    assert change.action == "confirm" and "last_checked" in change.fields
    assert set(store.confirmations()) == {"a"}
    # Confirming twice on one day is recorded too (nothing changes in the file).
    second = editor.confirm("a", by="ben")
    assert second.changed == {}
    # A reverted confirmation no longer counts.
    editor.revert(second.id, by="anna")
    editor.revert(change.id, by="anna")
    assert store.confirmations() == {}
    assert rows_of(csv_path)["a"]["last_checked"] == "2026-11-28"


def test_remove_and_add_are_revertible(editor, csv_path):
    original = csv_path.read_bytes()
    removed = editor.remove("b", by="anna", reason="closed")
    assert "b" not in rows_of(csv_path)
    assert removed.fields["name"] == ("Office B", None)
    editor.revert(removed.id, by="anna")
    assert csv_path.read_bytes() == original  # back at its old position
    new = {"id": "d", "name": "Office D", "kind": "JMD", "district": "Leipzig", "topics": "youth",
           "source_url": "https://example.org/d", "target_group": "12-27"}  # fmt: skip
    added = editor.add(new, by="anna", reason="new office")
    assert rows_of(csv_path)["d"]["last_checked"] == TODAY.isoformat()
    with pytest.raises(CorrectionError, match="exists already"):
        editor.add(new, by="anna", reason="again")
    editor.revert(added.id, by="anna")
    assert csv_path.read_bytes() == original


def test_accept_closed_office_removes_it(store, editor, csv_path):
    number = store.submit("c", "closed", "Die Stelle wurde 2025 geschlossen.", client_key="k")
    change = editor.accept(number, remove=True, by="anna")
    assert "c" not in rows_of(csv_path)
    assert change.fields["notes"] == ("multi\nline", None)
    editor.revert(change.id, by="anna")
    assert rows_of(csv_path)["c"]["notes"] == "multi\nline"


def test_concurrent_editors_keep_every_change(tmp_path, store):
    path = make_offices_csv(tmp_path / "offices.csv", [{"id": f"o{i}"} for i in range(12)])

    def edit(i: int) -> int:
        editor = DirectoryEditor(store, path, target="csv", today=lambda: TODAY)
        return editor.apply(f"o{i}", {"phone": f"0351 {1000 + i}"}, by=f"m{i}", reason="parallel").id

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(edit, range(12)))
    rows = rows_of(path)
    assert all(rows[f"o{i}"]["phone"] == f"0351 {1000 + i}" for i in range(12))
    assert len(set(ids)) == 12 and all(store.change(i).state == "applied" for i in ids)
    assert validate_file(path) == []


def test_crash_before_the_file_is_replaced(monkeypatch, store, editor, csv_path):
    number = store.submit("a", "phone", "0351 5", client_key="k")
    before = csv_path.read_bytes()
    real_replace = Path.replace

    def crash(self, target):
        if Path(target) == csv_path:
            raise OSError("disk full")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(CorrectionError, match="disk full"):
        editor.accept(number, {"phone": "0351 5"}, by="anna")
    monkeypatch.setattr(Path, "replace", real_replace)
    assert csv_path.read_bytes() == before
    assert [c.state for c in store.history()] == ["abandoned"]
    assert store.suggestion(number).status == "open"  # can be accepted again
    editor.accept(number, {"phone": "0351 5"}, by="anna")
    assert rows_of(csv_path)["a"]["phone"] == "0351 5"


def test_read_only_data_folder_gives_a_clear_message(store, editor, csv_path, monkeypatch):
    def deny(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    before = csv_path.read_bytes()
    with pytest.raises(CorrectionError, match=r"Permission denied.*FINDER_CORRECTIONS_TARGET=database"):
        editor.apply("a", {"phone": "0351 7"}, by="anna", reason="x")
    assert csv_path.read_bytes() == before


def test_crash_after_the_file_is_replaced(monkeypatch, store, editor, csv_path):
    def crash(_folder):
        raise KeyboardInterrupt

    monkeypatch.setattr("finder.corrections.editor.fsync_dir", crash)
    with pytest.raises(KeyboardInterrupt):
        editor.apply("a", {"phone": "0351 6"}, by="anna", reason="x")
    monkeypatch.undo()
    assert rows_of(csv_path)["a"]["phone"] == "0351 6"
    assert [c.state for c in store.history()] == ["pending"]
    # The next edit (or reconcile) finds the file has the new values: the change counts as applied.
    assert editor.reconcile() != []
    assert [c.state for c in store.history()] == ["applied"]


def test_database_target_keeps_the_csv_untouched(store, csv_path, monkeypatch, tmp_path):
    before = csv_path.read_bytes()
    editor = DirectoryEditor(store, csv_path, target="database", today=lambda: TODAY)
    change = editor.apply("a", {"phone": "0351 777"}, by="anna", reason="db")
    removed = editor.remove("b", by="anna", reason="closed")
    assert csv_path.read_bytes() == before
    assert set(store.overrides()) == {"a", "b"}
    frame = editor.load()
    assert frame.set_index("id").loc["a", "phone"] == "0351 777"
    assert "b" not in set(frame["id"])
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "database")
    monkeypatch.setenv("FINDER_DATA_DIR", str(tmp_path))
    assert set(corrections.load_directory(settings.load(), store)["id"]) == {"a", "c"}
    with pytest.raises(CorrectionError, match="not a phone number"):
        editor.apply("a", {"phone": "nope"}, by="anna")
    editor.revert(removed.id, by="anna")
    editor.revert(change.id, by="anna")
    assert store.overrides() == {}
    assert list(editor.load()["id"]) == list(load_offices(csv_path)["id"])


def test_overlay_follows_the_settings_it_is_given(tmp_path, monkeypatch, csv_path, clock):
    db = tmp_path / "given.sqlite"
    store = CorrectionStore(str(db), clock=clock)
    editor = DirectoryEditor(store, csv_path, target="database", today=lambda: TODAY)
    editor.apply("a", {"phone": "0351 777"}, by="anna", reason="db")
    editor.confirm("b", by="anna")
    store.dispose()
    # The environment says otherwise: the Settings passed in win (as for every other setting).
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "elsewhere.sqlite"))
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    given = settings.Settings(data_dir=tmp_path, corrections_db=str(db), corrections_target="database")
    frame = directory.load_directory(given, overlay=corrections.directory_overlay).set_index("id")
    assert frame.loc["a", "phone"] == "0351 777"
    assert frame.loc["b", "confirmed"] == clock().date().isoformat()
    assert corrections.current_rows(given)[1][0]["phone"] == "0351 777"
    assert not (tmp_path / "elsewhere.sqlite").exists()


def test_apply_many_is_one_atomic_write(editor, csv_path, store):
    before = csv_path.read_bytes()
    with pytest.raises(CorrectionError):
        editor.apply_many({"a": {"phone": "0351 1"}, "b": {"phone": "bad phone"}}, by="anna", reason="import")
    assert csv_path.read_bytes() == before
    changes = editor.apply_many(
        {"a": {"phone": "0351 1"}, "b": {"phone": "0351 2"}}, by="anna", reason="import"
    )
    assert [c.action for c in changes] == ["import", "import"]
    rows = rows_of(csv_path)
    assert rows["a"]["last_checked"] == "2026-11-28"  # an import keeps its own last_checked
    editor.apply_many({"a": {"phone": "0351 3"}}, by="anna", reason="import", touch_last_checked=True)
    assert rows_of(csv_path)["a"]["last_checked"] == TODAY.isoformat()
    editor.apply_many({"b": {"last_checked": "2026-12-01"}}, by="anna", reason="import")
    assert rows_of(csv_path)["b"]["last_checked"] == "2026-12-01"


def test_printable_escapes_terminal_controls():
    assert corrections.printable("a\x1b[2Jb\x9bc\nd") == "a\\x1b[2Jb\\x9bc\nd"
    # A carriage return would move back and overwrite what came before it on the terminal.
    assert corrections.printable("ok\rEVIL\tx") == "ok\\x0dEVIL\tx"


@pytest.mark.parametrize("office_id", ["mbe-dresden", "-abc", "a" * 100, "a" * 101, "Abc", "a b", "ä"])
def test_store_accepts_exactly_the_office_ids_of_the_rules(store, office_id):
    if is_office_id(office_id):
        assert store.submit(office_id, "phone", "x", client_key="k") > 0
    else:
        with pytest.raises(CorrectionError, match="unknown office"):
            store.submit(office_id, "phone", "x", client_key="k")


def test_parse_languages():
    assert corrections.parse_languages("Arabisch, Farsi und Englisch") == (["ar", "fa", "en"], [])
    assert corrections.parse_languages("ru; uk; RU") == (["ru", "uk"], [])
    assert corrections.parse_languages("Klingonisch") == ([], ["Klingonisch"])


# --- command line ------------------------------------------------------------------------------------


def test_cli_review_flow(tmp_path, csv_path, capsys):
    db = str(tmp_path / "cli.sqlite")
    store = CorrectionStore(db)
    number = store.submit("a", "phone", "0351 424242\x1b[2J", "me@example.org", client_key="k")
    base = ["review", "--db", db, "--data-dir", str(tmp_path)]
    code, out, _ = run_cli([*base, "list"], capsys)
    assert code == 0 and f"#{number}" in out and "\x1b" not in out
    code, out, _ = run_cli([*base, "show", str(number)], capsys)
    assert code == 0 and "phone: 0351 1234" in out and "me@example.org" in out
    code, out, _ = run_cli(
        [*base, "accept", str(number), "--set", "phone=0351 424242", "--by", "anna"], capsys
    )
    assert code == 0 and "0351 424242" in out
    assert rows_of(csv_path)["a"]["phone"] == "0351 424242"
    code, out, _ = run_cli([*base, "history", "a", "--json"], capsys)
    change_id = __import__("json").loads(out)[0]["id"]
    code, out, _ = run_cli([*base, "revert", str(change_id), "--by", "anna"], capsys)
    assert code == 0 and rows_of(csv_path)["a"]["phone"] == "0351 1234"
    code, out, err = run_cli([*base, "revert", str(change_id)], capsys)
    assert code == 1 and "already reverted" in err
    code, _, _ = run_cli([*base, "confirm", "b", "--by", "anna"], capsys)
    assert code == 0 and set(CorrectionStore(db).confirmations()) == {"b"}
    code, _, err = run_cli([*base, "edit", "b", "--set", "phone", "--reason", "x"], capsys)
    assert code == 1 and "COLUMN=VALUE" in err


def test_cli_accept_as_proposed(tmp_path, csv_path, capsys):
    db = str(tmp_path / "cli.sqlite")
    store = CorrectionStore(db)
    langs = store.submit("b", "languages", "Arabisch, Persisch", client_key="k")
    addr = store.submit("a", "address", "Neue Straße 1", client_key="k")
    base = ["review", "--db", db, "--data-dir", str(tmp_path)]
    code, _, _ = run_cli([*base, "accept", str(langs), "--as-proposed", "--by", "anna"], capsys)
    assert code == 0 and rows_of(csv_path)["b"]["languages"] == "ar;fa"
    code, _, err = run_cli([*base, "accept", str(addr), "--as-proposed"], capsys)
    assert code == 1 and "--set" in err
    code, out, _ = run_cli([*base, "reject", str(addr), "--reason", "duplicate"], capsys)
    assert code == 0 and "rejected" in out
    code, out, _ = run_cli([*base, "list", "--status", "all", "--json"], capsys)
    assert {s["status"] for s in __import__("json").loads(out)} == {"accepted", "rejected"}


def test_schema_and_locking_compile_for_postgresql():
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    dialect = postgresql.dialect()
    for table in corrections.Base.metadata.sorted_tables:
        assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=dialect))
    lock = select(corrections.StoreLock).where(corrections.StoreLock.name == "write").with_for_update()
    assert "FOR UPDATE" in str(lock.compile(dialect=dialect))


def test_sql_parameters_never_reach_logs_or_errors(store):
    # Suggestion texts must not leak into log files through SQLAlchemy's messages.
    assert store.engine.hide_parameters


def test_offline_position_after_an_address_change():
    assert corrections.offline_position({"postcode": "01067", "city": "Dresden"}) == {
        "lat": "51.05470",
        "lon": "13.72690",
        "geocode_precision": "postcode",
        "geocode_source": "geonames-postcode",
    }
    assert corrections.offline_position({"postcode": "10115", "city": "Berlin"}) == {}  # not in Saxony
    assert corrections.offline_position({"postcode": "", "city": ""}) == {}


def test_an_unreachable_postgresql_server_never_breaks_the_public_pages(monkeypatch):
    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://finder:secret-password@127.0.0.1:{port}/finder"
    assert corrections.load_confirmations(url) == {}
    with pytest.raises(CorrectionError) as info:
        CorrectionStore(url)
    assert "secret-password" not in str(info.value) and "***" in str(info.value)
