"""Several app processes, one directory: a change made elsewhere reaches a process without a restart.

Each process behind the proxy (``deploy/``) holds the directory in memory. A maintainer's edit in one
process, or the command line, changes ``offices.csv`` or the corrections database; the others see it at
their next check (:data:`ui.resources.DIRECTORY_CHECK_SECONDS`, simulated here by clearing that check's
cache, never by waiting).
"""

import pytest
from helpers import REPO, make_offices_csv
from streamlit.testing.v1 import AppTest

import ui.resources
from finder import settings as _settings
from finder.corrections import CorrectionStore, DirectoryEditor, directory_version
from finder.errors import StoreUnavailableError

ROWS = [
    {
        "id": "first",
        "name": "First office",
        "lat": "51.0600",
        "lon": "13.7300",
        "geocode_precision": "street",
    },
    {
        "id": "second",
        "name": "Second office",
        "lat": "51.0610",
        "lon": "13.7310",
        "geocode_precision": "street",
    },
]


@pytest.fixture
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("districts.geojson", "saxony.geojson", "municipalities.csv", "postcodes.csv", "places.csv"):
        (folder / name).symlink_to(REPO / "data" / name)
    make_offices_csv(folder, ROWS)
    monkeypatch.setenv("FINDER_DATA_DIR", str(folder))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "corrections.sqlite"))
    ui.resources.reload_directory()
    yield folder
    ui.resources.reload_directory()


def test_version_follows_the_file_and_the_database(data):
    settings = _settings.load()
    before = directory_version(settings)
    assert before is not None and before[1] == 0  # no database yet: none is created by asking
    assert not (data.parent / "corrections.sqlite").exists()
    editor = DirectoryEditor(CorrectionStore(settings.corrections_db), data / "offices.csv")
    editor.confirm("first", by="maintainer")
    after_confirm = directory_version(settings)
    assert after_confirm != before and after_confirm[1] > 0
    make_offices_csv(data, [*ROWS, {"id": "third", "name": "Third office"}])
    assert directory_version(settings)[0] != after_confirm[0]


def test_an_unreachable_database_gives_no_version(data, monkeypatch):
    CorrectionStore(_settings.load().corrections_db)  # the database exists

    def down(self):
        raise StoreUnavailableError("the corrections database is not available")

    monkeypatch.setattr(CorrectionStore, "version", down)
    assert directory_version(_settings.load()) is None


def _card_names(at: AppTest) -> list[str]:
    return [md.value for md in at.markdown if "office-card" in md.value]


def test_a_page_sees_an_edit_made_by_another_process(data, monkeypatch):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["q"] = "01067"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert any("Second office" in c for c in _card_names(at))

    # Another process renames the office in the file; this process has not been told.
    make_offices_csv(data, [ROWS[0], {**ROWS[1], "name": "Renamed office"}])
    at.run()
    assert any("Second office" in c for c in _card_names(at))  # until the next check, the loaded one

    ui.resources._directory_version.clear()  # the check's time has come
    at.run()
    names = _card_names(at)
    assert any("Renamed office" in c for c in names) and not any("Second office" in c for c in names)


def test_a_database_that_cannot_be_asked_keeps_the_loaded_directory(data, monkeypatch):
    CorrectionStore(_settings.load().corrections_db)
    first = ui.resources.get_finder()
    monkeypatch.setattr(ui.resources.corrections, "directory_version", lambda settings: None)
    ui.resources._directory_version.clear()
    assert ui.resources.get_finder() is first
