"""The Coverage page (ui/pages/coverage.py) run headless with Streamlit's AppTest."""

from __future__ import annotations

import pytest
from helpers import HOSTILE_MARKDOWN, REPO, active_markdown
from streamlit.testing.v1 import AppTest

from finder import i18n
from ui.safe_text import md_unescape

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


def test_markdown_in_a_what_if_link_is_shown_as_text(app):
    # D1: the message about a what-if place that is not found quotes the link's text.
    app.query_params.update({"lang": "en", "whatif": HOSTILE_MARKDOWN})
    app.run()
    assert not app.exception
    assert any(HOSTILE_MARKDOWN in md_unescape(w.value) for w in app.warning)
    elements = [*app.title, *app.header, *app.markdown, *app.caption, *app.error, *app.warning, *app.info]
    texts = [str(e.value) for e in elements] + [b.label for b in app.button]
    assert [piece for text in texts for piece in active_markdown(text)] == []


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


def test_invalid_link_values_are_named_and_dropped(app):
    # km=inf crashed the page once (OverflowError); language=xx made the analysis fail; age=٣٠ was read
    # as 30. All three are now left out, named in one notice, and the page works with the defaults.
    app.query_params.update({"lang": "en", "km": "inf", "language": "xx", "age": "٣٠", "topic": "asylum"})
    app.run()
    assert not app.exception
    notice = " ".join(i.value for i in app.info)
    assert notice == i18n.t("coverage.bad_params", "en", names="language, age, km")
    assert not app.error
    assert len(_district_table(app)) == 13
    assert app.metric[0].label == "Residents beyond 20 km"  # the default threshold
    assert app.query_params["topic"] == "asylum"  # the valid filter stays
    assert not {"km", "language", "age"} & set(app.query_params)


@pytest.mark.parametrize("km", ["1e400", "NaN", "-20", "20.5"])
def test_numbers_that_are_no_threshold_do_not_break_the_page(app, km):
    app.query_params.update({"lang": "de", "km": km})
    app.run()
    assert not app.exception
    assert "km" in " ".join(i.value for i in app.info)
    assert app.metric[0].label == i18n.t("coverage.m_beyond", "de", km="20")


def test_page_follows_the_interface_language(app):
    app.query_params.update({"lang": "ar", "topic": "asylum"})
    app.run()
    assert not app.exception
    assert app.title[0].value == i18n.t("coverage.title", "ar")
    assert app.metric[0].label == i18n.t("coverage.m_beyond", "ar", km="20")
    assert i18n.t("coverage.col_district", "ar") in _district_table(app).columns
    assert "direction: rtl" in "".join(h.value for h in app.html)
    assert app.query_params["lang"] == "ar"
    # No German or English text of the page is left.
    texts = [app.title[0].value, *(c.value for c in app.caption), *(h.value for h in app.header)]
    for key in ("coverage.intro", "coverage.map_caption", "coverage.table"):
        assert i18n.t(key, "ar") in texts
        assert i18n.t(key, "en") not in texts and i18n.t(key, "de") not in texts
