"""The Coverage page (ui/pages/coverage.py) run headless with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "ui" / "pages" / "coverage.py"


@pytest.fixture
def app(monkeypatch) -> AppTest:
    # Streamlit puts the page's own folder on sys.path; the app's root (for `ui`) comes from app.py.
    monkeypatch.syspath_prepend(str(REPO))
    return AppTest.from_file(str(PAGE), default_timeout=60)


def _district_table(at: AppTest):
    tables = [df.value for df in at.dataframe if len(df.value.columns) > 10]
    assert len(tables) == 1
    return tables[0]


def test_page_with_filters_shows_13_districts(app):
    app.query_params.update({"lang": "en", "topic": "asylum", "language": "ar", "unstated": "1", "km": "30"})
    app.run()
    assert not app.exception
    table = _district_table(app)
    assert len(table) == 13
    assert table["District"].is_unique
    assert app.metric[0].label == "Residents beyond 30 km"
    # The filters stay in the URL, so the view can be shared.
    assert app.query_params["topic"] == "asylum"
    assert app.query_params["km"] == "30"


def test_what_if_changes_figures_and_bad_input_is_a_message(app):
    app.query_params.update({"lang": "de", "kind": "JMD", "whatif": "Plauen;52.52,13.40", "age": "200"})
    app.run()
    assert not app.exception
    assert len(_district_table(app)) == 13
    warnings = " ".join(w.value for w in app.warning)
    assert "outside Saxony" in warnings  # Berlin is left out, Plauen is used
    assert "age" in " ".join(i.value for i in app.info)  # the invalid age from the link is named
    beyond = app.metric[0]
    assert beyond.delta is not None and beyond.delta.startswith("-")


def test_no_matching_office_gives_a_clear_message(app):
    app.query_params.update({"lang": "en", "kind": "PSZ", "language": "ti"})
    app.run()
    assert not app.exception
    assert any("No office" in w.value for w in app.warning)
    assert not app.dataframe


def test_geopackage_for_qgis_is_prepared_on_request(app):
    def download_labels() -> list[str]:
        return [b.proto.label for b in app.get("download_button")]

    app.query_params.update({"lang": "en", "topic": "asylum", "km": "25"})
    app.run()
    assert "Download the GeoPackage" not in download_labels()  # built only when asked for
    next(b for b in app.button if b.label == "Prepare a GeoPackage for QGIS").click().run()
    assert not app.exception
    assert "Download the GeoPackage" in download_labels()
