"""Faults that must lose nothing: PostgreSQL restarting during a review, and a full disk while writing.

PostgreSQL: a throwaway server of this module's own (``tests/postgres_server.py``), stopped and started
again by the tests (the session's shared server is not touched). While it is down, the public pages work
(the directory is a file; the maintainers' confirmations are simply not shown), a report says "try again
later", and a maintainer's action gets a clear message while ``offices.csv`` and the history stay as they
were; once it is back, the same action works, on the same pooled engine (``pool_pre_ping``). A stop in the
middle of an edit, after the file was replaced and before the change was marked applied, leaves a
*pending* record that the next edit marks applied.

Full disk: the directory writer's file write raises ``ENOSPC`` (raw writes past a few KiB fail, as on a
full file system; or the final ``fsync`` fails, as with delayed allocation): the maintainer and the CLI
get the reason in words, ``offices.csv`` stays byte-identical, no temporary file is left, and nothing is
recorded (the change is not in the history, the suggestion stays open).
"""

from __future__ import annotations

import errno
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO, make_offices_csv, run_cli
from streamlit.testing.v1 import AppTest

import ui.report_form
import ui.resources
from finder import corrections
from finder.corrections import CorrectionStore, DirectoryEditor, StoreUnavailableError, csvio

REVIEW = str(REPO / "ui" / "pages" / "review.py")
APP = str(REPO / "app.py")
SECRET = "correct horse battery staple"
GEODATA = ("places.csv", "postcodes.csv", "municipalities.csv", "districts.geojson", "saxony.geojson")
#: Two offices in Dresden near the postcode 01067 of the embedded gazetteer.
OFFICES = [
    {"id": "a", "name": "Office A", "phone": "0351 1234", "lat": "51.0550", "lon": "13.7270",
     "geocode_precision": "street", "source_date": "2026-01", "last_checked": "2026-11-28"},
    {"id": "b", "name": "Office B", "lat": "51.0600", "lon": "13.7300", "geocode_precision": "street",
     "source_date": "2026-01", "last_checked": "2026-11-28"},
]  # fmt: skip

_databases = iter(range(1, 1000))


def _geodata_folder(tmp_path: Path) -> Path:
    """``tmp_path / "data"`` with the embedded geodata linked in (offices.csv is the caller's)."""
    data = tmp_path / "data"
    data.mkdir()
    for name in GEODATA:
        (data / name).symlink_to(REPO / "data" / name)
    return data


@pytest.fixture(scope="module")
def pg() -> Iterator:
    """This module's own PostgreSQL server (the tests stop and start it)."""
    from postgres_server import controlled_server

    try:
        with controlled_server() as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A data folder with a small ``offices.csv`` and the embedded geodata; settings point at it."""
    data = _geodata_folder(tmp_path)
    make_offices_csv(data, OFFICES)
    monkeypatch.setenv("FINDER_DATA_DIR", str(data))
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    monkeypatch.setenv("FINDER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(REPO))
    ui.resources.reload_directory()  # the cached directory may be another test's
    ui.resources.get_districts.clear()
    yield data
    ui.resources.reload_directory()
    ui.resources.get_districts.clear()


@pytest.fixture
def on_postgres(pg, data_dir, monkeypatch) -> Iterator[str]:
    """A fresh corrections database on the module's server; the server is up again after the test."""
    from postgres_server import fresh_database

    url = fresh_database(pg.url, f"faults_{next(_databases)}")
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", url)
    yield url
    if not pg.running():
        pg.start()
    ui.report_form._store.clear()


def review_page() -> AppTest:
    at = AppTest.from_file(REVIEW, default_timeout=60)
    at.query_params["lang"] = "en"
    at.secrets["review_password"] = SECRET
    return at.run()


def sign_in(at: AppTest) -> AppTest:
    at.text_input(key="review-name").input("Anna")
    at.text_input(key="review-password").input(SECRET)
    return next(b for b in at.button if b.label == "Sign in").click().run()


def click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def texts(at: AppTest) -> list[str]:
    return [str(e.value) for e in [*at.error, *at.warning, *at.success, *at.text]]


def temp_files(data: Path) -> list[str]:
    return sorted(p.name for p in data.glob(".offices.csv.*.tmp"))


def assert_consistent(store: CorrectionStore, csv_path: Path) -> None:
    """The history and the file agree: nothing pending, and each office has its last applied values."""
    changes = store.history()
    assert all(c.state != "pending" for c in changes), [(c.id, c.state) for c in changes]
    rows = {r["id"]: r for r in corrections.read_rows(csv_path)[1]}
    seen: set[str] = set()
    for change in changes:  # newest first: only the newest applied change per office decides
        if change.state != "applied" or change.office_id in seen:
            continue
        seen.add(change.office_id)
        for column, (_, new) in change.changed.items():
            assert rows[change.office_id][column] == new, (change.id, column)
    for suggestion in store.suggestions(status=None):
        if suggestion.status == "accepted":
            assert store.change(suggestion.change_set_id).state == "applied"


# --- PostgreSQL restarts during a review -------------------------------------------------------------


def test_postgresql_down_during_a_review_loses_nothing(pg, on_postgres, data_dir, capsys, monkeypatch):
    csv_path = data_dir / "offices.csv"
    store = CorrectionStore(on_postgres)
    number = store.submit("a", "phone", "0351 99999", client_key="k")
    at = sign_in(review_page())
    assert not at.exception and at.session_state["review_user"] == "Anna"
    assert at.text_input(key=f"review-{number}-phone").value == "0351 99999"
    before = csv_path.read_bytes()

    pg.stop()  # as a restart does: every connection is ended

    # The public page is built while the database is down (no cached directory) and shows the offices.
    find = AppTest.from_file(APP, default_timeout=60)
    find.query_params.update({"lang": "en", "q": "01067"})
    find.run()
    assert not find.exception, [e.value for e in find.exception]
    assert any("Office A" in str(m.value) for m in find.markdown)
    # A report cannot be stored: the person is told to try later, the page goes on.
    report = AppTest.from_function(_report_app, default_timeout=30).run()
    report.text_area(key="report-a-proposed").input("new phone 0351 5555")
    report = report.button[0].click().run()
    assert not report.exception
    assert [e.value for e in report.error] == [
        "Reports cannot be saved at the moment. Please try again later."
    ]

    # A store opened before the stop: reading the confirmations gives none instead of an error.
    with monkeypatch.context() as opened:
        opened.setattr("finder.corrections.overlay.open_existing_store", lambda url=None: store)
        assert corrections.load_confirmations(on_postgres) == {}

    # The maintainer's action: a clear message instead of a traceback, and nothing written.
    at = click(at, "Accept")
    assert not at.exception, [e.value for e in at.exception]
    assert "The corrections database cannot be opened." in texts(at)
    assert any("is not available" in t and "nothing was saved" in t for t in texts(at))
    # Signing in needs the lock state from the database: refused with the same message, not let through.
    other = sign_in(review_page())
    assert not other.exception and "review_user" not in other.session_state
    assert "The corrections database cannot be opened." in texts(other)
    editor = DirectoryEditor(store, csv_path, target="csv")
    with pytest.raises(StoreUnavailableError, match="nothing was saved"):
        editor.accept(number, {"phone": "0351 99999"}, by="Anna")
    code, out, err = run_cli(
        ["review", "--data-dir", str(data_dir), "accept", str(number), "--set", "phone=0351 99999"], capsys
    )
    # A new process cannot even open the store: it says so, with the URL (no password) and exit 1.
    assert code == 1 and "cannot open the corrections database" in err and "Traceback" not in out + err
    assert csv_path.read_bytes() == before
    assert temp_files(data_dir) == []

    pg.start()

    # Back: the same session, the same pooled engine (its dead connections are replaced), the same action.
    at = click(at.run(), "Accept")
    assert not at.exception, [e.value for e in at.exception]
    assert f"Suggestion #{number} accepted" in at.success[0].value
    assert {r["id"]: r for r in corrections.read_rows(csv_path)[1]}["a"]["phone"] == "0351 99999"
    [change] = store.history()
    assert (change.state, change.suggestion_id, change.changed["phone"]) == (
        "applied", number, ("0351 1234", "0351 99999"),
    )  # fmt: skip
    assert store.suggestion(number).status == "accepted"
    assert_consistent(store, csv_path)


def _report_app() -> None:
    from ui.report_form import render_report_form

    render_report_form({"id": "a", "name": "Office A"}, "en")


def test_postgresql_stopping_between_file_and_record_is_resolved_by_the_next_edit(
    pg, on_postgres, data_dir, monkeypatch
):
    csv_path = data_dir / "offices.csv"
    store = CorrectionStore(on_postgres)
    number = store.submit("a", "phone", "0351 99999", client_key="k")
    editor = DirectoryEditor(store, csv_path, target="csv")
    real_fsync_dir = csvio.fsync_dir

    def then_the_database_stops(folder: Path) -> None:
        real_fsync_dir(folder)
        pg.stop()

    # The file is in place; the database stops before the change is marked applied.
    monkeypatch.setattr("finder.corrections.editor.fsync_dir", then_the_database_stops)
    change = editor.accept(number, {"phone": "0351 99999"}, by="Anna")
    monkeypatch.setattr("finder.corrections.editor.fsync_dir", real_fsync_dir)
    assert change.state == "pending"
    assert {r["id"]: r for r in corrections.read_rows(csv_path)[1]}["a"]["phone"] == "0351 99999"
    with pytest.raises(StoreUnavailableError):
        editor.confirm("b", by="Anna")
    assert temp_files(data_dir) == []

    pg.start()
    assert store.change(change.id).state == "pending"
    editor.confirm("b", by="Anna")  # the next edit finds the file has the change
    assert store.change(change.id).state == "applied"
    assert store.suggestion(number).status == "accepted"
    assert_consistent(store, csv_path)


# --- A full disk while writing offices.csv ----------------------------------------------------------


class _FullDisk(io.FileIO):
    """A file on a disk with only ``room`` bytes left: raw writes past it fail with ENOSPC."""

    room = 4096

    def write(self, data) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = super().write(bytes(data)[: self.room])
        self.room -= written
        return written


def _full_disk_fdopen(fd: int, mode: str = "r", *, encoding=None, errors=None, newline=None, **_):
    raw = _FullDisk(fd, "w")
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding, errors=errors, newline=newline)


def _fsync_full(fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def full_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the real ``data/`` (offices.csv a file of its own), the corrections in SQLite elsewhere."""
    data = _geodata_folder(tmp_path)
    shutil.copyfile(REPO / "data" / "offices.csv", data / "offices.csv")
    monkeypatch.setenv("FINDER_DATA_DIR", str(data))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "db" / "corrections.sqlite"))
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    monkeypatch.syspath_prepend(str(REPO))
    return data


@pytest.mark.parametrize(
    "fault", ["write", "fsync"], ids=["a write past the free space", "the final fsync (delayed allocation)"]
)
def test_a_full_disk_leaves_the_directory_and_the_history_as_they_were(full_copy, fault, monkeypatch, capsys):
    csv_path = full_copy / "offices.csv"
    store = CorrectionStore(os.environ["FINDER_CORRECTIONS_DB"])
    office = corrections.read_rows(csv_path)[1][0]
    number = store.submit(office["id"], "phone", "0351 4242 42", client_key="k")
    before = csv_path.read_bytes()
    assert len(before) > _FullDisk.room  # the disk fills up in the middle of the file
    editor = DirectoryEditor(store, csv_path, target="csv")

    with monkeypatch.context() as full:
        if fault == "write":
            full.setattr(csvio.os, "fdopen", _full_disk_fdopen)
        else:
            full.setattr(csvio.os, "fsync", _fsync_full)
        with pytest.raises(corrections.CorrectionError) as refused:
            editor.accept(number, {"phone": "0351 4242 42"}, by="Anna")
        code, out, err = run_cli(
            ["review", "accept", str(number), "--set", "phone=0351 4242 42", "--by", "Anna"], capsys
        )
    message = str(refused.value)
    assert "No space left on device" in message and "nothing was changed" in message
    assert "read-only" not in message  # the hint for a read-only folder would mislead here
    assert code == 1 and "No space left on device" in err and "Traceback" not in out + err
    assert csv_path.read_bytes() == before
    assert temp_files(full_copy) == []
    assert store.history() == []  # not recorded at all, so nothing to reconcile
    assert store.suggestion(number).status == "open"

    # Space again: the same suggestion is accepted as usual.
    change = editor.accept(number, {"phone": "0351 4242 42"}, by="Anna")
    assert change.state == "applied"
    assert {r["id"]: r for r in corrections.read_rows(csv_path)[1]}[office["id"]]["phone"] == "0351 4242 42"
    assert_consistent(store, csv_path)


def test_a_full_disk_on_the_review_page_says_so(full_copy, monkeypatch):
    csv_path = full_copy / "offices.csv"
    store = CorrectionStore(os.environ["FINDER_CORRECTIONS_DB"])
    office = corrections.read_rows(csv_path)[1][0]
    number = store.submit(office["id"], "phone", "0351 4242 42", client_key="k")
    at = sign_in(review_page())
    before = csv_path.read_bytes()
    with monkeypatch.context() as full:
        full.setattr(csvio.os, "fdopen", _full_disk_fdopen)
        at = click(at, "Accept")
    assert not at.exception, [e.value for e in at.exception]
    assert "The change was not saved." in texts(at)
    assert any("No space left on device" in t for t in texts(at))
    assert csv_path.read_bytes() == before and temp_files(full_copy) == []
    assert store.history() == [] and store.suggestion(number).status == "open"
