"""AppTest tests of the office page (``/verify``) and the review page's verification-round tab: bad links
get one sentence and no traceback, what an office types is stored and shown as text, "everything is still
correct" is one button, and the round works on PostgreSQL as on SQLite.
"""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import HOSTILE_MARKDOWN, REPO, make_offices_csv
from streamlit.testing.v1 import AppTest

from finder import corrections, i18n
from finder.outreach.store import OFFICE_BY, OutreachStore

VERIFY = str(REPO / "ui" / "pages" / "verify.py")
REVIEW = str(REPO / "ui" / "pages" / "review.py")
SECRET = "correct horse battery staple"


@pytest.fixture
def env(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    make_offices_csv(data / "offices.csv", [
        {"id": "a", "name": "Office A", "phone": "0351 1234", "city": "Dresden", "source_date": "2016"},
        {"id": "b", "name": "Office B", "source_date": "2026-01"},
    ])  # fmt: skip
    db = str(tmp_path / "corrections.sqlite")
    monkeypatch.setenv("FINDER_DATA_DIR", str(data))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", db)
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    monkeypatch.delenv("FINDER_OUTREACH_SECRET", raising=False)
    monkeypatch.syspath_prepend(str(REPO))
    return data / "offices.csv", db


def _link(db: str, office_id: str = "a") -> str:
    store = corrections.CorrectionStore(db)
    try:
        _, minted = OutreachStore(store).create_round(
            [(office_id, "", "")], expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=60), by="t", rule={}
        )
    finally:
        store.dispose()
    return minted[office_id]


def _verify(token: str | None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(VERIFY, default_timeout=30)
    if token is not None:
        at.query_params["token"] = token
    if lang is not None:
        at.query_params["lang"] = lang
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "error", "warning", "success", "info", "caption", "title")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("token", [None, "", "nonsense", "a" * 22 + "." + "b" * 22, "x" * 5000])
def test_bad_links_get_one_sentence(env, token):
    at = _verify(token)
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t("verify.problem.invalid", "de")]
    assert "Office A" not in _texts(at)


def test_office_page_in_german_first_and_arabic_on_request(env):
    _, db = env
    token = _link(db)
    at = _verify(token)
    assert not at.exception and at.title[0].value == i18n.t("verify.title", "de")
    assert "Office A" in _texts(at)
    arabic = _verify(token, "ar")
    assert arabic.title[0].value == i18n.t("verify.title", "ar")


def test_hostile_answer_is_stored_and_shown_as_text(env):
    csv_path, db = env
    token = _link(db)
    at = _verify(token)
    at.radio(key="verify-phone-mode").set_value("change").run()
    at.text_input(key="verify-phone").input(HOSTILE_MARKDOWN).run()
    at.button(key="verify-send").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [i18n.t("verify.thanks_changes", "de")]
    store = corrections.CorrectionStore(db)
    try:
        [answer] = OutreachStore(store).answers("open")
        assert answer.changes == {"phone": HOSTILE_MARKDOWN}
        assert corrections.read_rows(csv_path)[1][0]["phone"] == "0351 1234"  # reviewed first
    finally:
        store.dispose()
    # The maintainers' tab shows it only as text (a table, plain text), never as Markdown.
    review = AppTest.from_file(REVIEW, default_timeout=30)
    review.query_params["lang"] = "en"
    review.secrets["review_password"] = SECRET
    review.run()
    review.text_input(key="review-name").input("Anna")
    review.text_input(key="review-password").input(SECRET)
    next(b for b in review.button if b.label == "Sign in").click().run()
    assert not review.exception
    assert any(t.label == i18n.t("review.outreach.accept", "en") for t in review.button)
    assert HOSTILE_MARKDOWN not in _texts(review)
    # The same answer through the link again: used.
    again = _verify(token)
    assert [e.value for e in again.error] == [i18n.t("verify.problem.used", "de")]


def test_everything_still_correct_is_one_button(env):
    _, db = env
    at = _verify(_link(db))
    at.button(key="verify-all-correct").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [i18n.t("verify.thanks_confirm", "de")]
    store = corrections.CorrectionStore(db)
    try:
        [change] = store.history()
        assert (change.action, change.by, change.office_id) == ("confirm", OFFICE_BY, "a")
        assert set(OutreachStore(store).office_confirmations()) == {"a"}
    finally:
        store.dispose()


def test_round_on_both_databases(db_url, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    make_offices_csv(data / "offices.csv", [{"id": "a", "phone": "0351 1"}, {"id": "b"}])
    store = corrections.CorrectionStore(db_url)
    try:
        outreach = OutreachStore(store)
        editor = corrections.DirectoryEditor(store, data / "offices.csv", target="csv")
        _, minted = outreach.create_round([("a", "", "phone"), ("b", "", "")], by="t", rule={"all": True},
                                          expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))  # fmt: skip
        assert outreach.check(minted["a"], client_key="x").office_id == "a"
        answer = outreach.submit_changes(minted["a"], {"phone": "0351 2"}, {}, summary="s", client_key="x")
        outreach.accept(answer.id, editor, by="anna")
        outreach.confirm(minted["b"], editor, client_key="x")
        assert set(outreach.office_confirmations()) == {"a", "b"}
        assert editor.row("a")["phone"] == "0351 2"
    finally:
        store.dispose()
