"""AppTest tests of the maintainer page (ui/pages/review.py) and the "Report a change" form (ui/report_form.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import REPO, make_offices_csv
from streamlit.testing.v1 import AppTest

from finder import auth, corrections, i18n
from finder.corrections import CorrectionStore

PAGE = str(REPO / "ui" / "pages" / "review.py")
SECRET = "correct horse battery staple"
HOSTILE = "<script>alert('x')</script> **bold** [link](javascript:alert(1))"


@pytest.fixture
def env(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    make_offices_csv(
        data / "offices.csv",
        [
            {
                "id": "a",
                "name": "Office A",
                "phone": "0351 1234",
                "source_date": "2016",
                "last_checked": "2026-11-28",
            },
            {"id": "b", "name": "Office B", "source_date": "2026-01", "last_checked": "2026-11-28"},
        ],
    )
    db = tmp_path / "corrections.sqlite"
    monkeypatch.setenv("FINDER_DATA_DIR", str(data))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(db))
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    monkeypatch.syspath_prepend(str(REPO))
    return data / "offices.csv", str(db)


def page(lang: str = "en", **secrets) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["lang"] = lang
    for key, value in secrets.items():
        at.secrets[key] = value
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def sign_in(at: AppTest, password: str = SECRET, name: str = "Anna") -> AppTest:
    if name is not None:
        at.text_input(key="review-name").input(name)
    at.text_input(key="review-password").input(password)
    return button(at, i18n.t("review.sign_in", at.query_params.get("lang", "en"))).click().run()


def phone_of(csv_path: Path, office: str) -> str:
    return {r["id"]: r for r in corrections.read_rows(csv_path)[1]}[office]["phone"]


def no_markdown_contains(at: AppTest, text: str) -> bool:
    return all(
        text not in str(m.value) for m in [*at.markdown, *at.caption, *at.success, *at.error, *at.warning]
    )


# --- closed by default ---------------------------------------------------------------------------------


def test_closed_without_a_configured_password(env):
    at = page()
    assert not at.exception
    assert "no usable maintainer password" in at.error[0].value
    assert len(at.text_input) == 0


def test_closed_with_a_too_short_password(env):
    at = page(review_password="admin")
    assert "no usable maintainer password" in at.error[0].value
    assert len(at.text_input) == 0


def test_wrong_password_and_lockout(env):
    at = page(review_password=SECRET)
    at = sign_in(at, "wrong")
    assert at.error[0].value == f"Wrong password. Attempts left: {auth.MAX_FAILURES - 1}"
    for _ in range(4):
        at = sign_in(at, "still wrong")
    assert "Too many failed attempts" in at.error[0].value
    at = sign_in(at, SECRET)  # the right password while locked out
    assert "Too many failed attempts" in at.error[0].value
    assert "review_user" not in at.session_state


def at_address(monkeypatch, address: str | None, forwarded: str | None = None) -> None:
    """Make the next runs come from ``address`` (AppTest cannot set st.context.ip_address or headers)."""
    from ui import report_form

    monkeypatch.setattr(report_form, "connection", lambda: (address, [forwarded] if forwarded else []))


def test_a_reload_a_new_browser_or_a_restart_does_not_reset_the_lock(env, monkeypatch):
    from ui import report_form

    at_address(monkeypatch, "198.51.100.7")
    at = page(review_password=SECRET)
    for _ in range(auth.MAX_FAILURES):
        at = sign_in(at, "wrong")
    assert "Too many failed attempts" in at.error[0].value
    # A reload or a new browser context is a new Streamlit session from the same address.
    at = sign_in(page(review_password=SECRET))
    assert "Too many failed attempts" in at.error[0].value and "review_user" not in at.session_state
    report_form._store.clear()  # a restart: the lock is in the database
    at = sign_in(page(review_password=SECRET))
    assert "Too many failed attempts" in at.error[0].value and "review_user" not in at.session_state
    # A forged X-Forwarded-For header does not move the address (no proxy is trusted by default).
    at_address(monkeypatch, "198.51.100.7", "203.0.113.5")
    at = sign_in(page(review_password=SECRET))
    assert "Too many failed attempts" in at.error[0].value and "review_user" not in at.session_state


def test_an_attack_from_other_addresses_does_not_lock_out_the_maintainer(env, monkeypatch):
    _, db = env
    # Sixty wrong guesses from thirty addresses: the old global limit locked everybody out with 26.
    guard = auth.LoginGuard(CorrectionStore(db))
    for i in range(60):
        guard.attempt(f"198.51.100.{i % 30}", f"guess-{i}", password=SECRET)
    at_address(monkeypatch, "198.51.100.200")
    at = sign_in(page(review_password=SECRET), "one more guess")
    assert "Too many failed attempts" in at.error[0].value  # during the attack one failure locks an address
    at_address(monkeypatch, "203.0.113.5")
    at = sign_in(page(review_password=SECRET))
    assert not at.exception and at.session_state["review_user"] == "Anna"


def test_behind_a_trusted_proxy_each_client_has_its_own_lock(env, monkeypatch):
    monkeypatch.setenv("FINDER_TRUSTED_PROXIES", "1")
    at_address(monkeypatch, "10.0.0.5", "198.51.100.7")  # every connection comes from the proxy
    at = page(review_password=SECRET)
    for _ in range(auth.MAX_FAILURES):
        at = sign_in(at, "wrong")
    assert "Too many failed attempts" in at.error[0].value
    at_address(monkeypatch, "10.0.0.5", "203.0.113.5")
    at = sign_in(page(review_password=SECRET))
    assert at.session_state["review_user"] == "Anna"


def test_password_field_is_emptied_after_a_refused_sign_in(env):
    # D10: on a shared computer the refused password must not stay in the page (as the field's value).
    at = sign_in(page(review_password=SECRET), "wrong-but-secret")
    assert "Wrong password" in at.error[0].value
    assert at.text_input(key="review-password").value == ""
    assert at.text_input(key="review-name").value == "Anna"  # the name may stay
    for _ in range(auth.MAX_FAILURES):
        at = sign_in(at, "wrong-but-secret")
    at = sign_in(at, SECRET)  # locked: refused although right
    assert "review_user" not in at.session_state
    assert at.text_input(key="review-password").value == ""


def test_the_page_speaks_the_sessions_language(env):
    # Without ?lang= the page follows the browser (German when it says nothing), like the public pages.
    at = page(lang="de", review_password=SECRET)
    assert at.title[0].value == "Korrekturen prüfen"
    at = sign_in(at, "falsch")
    assert at.error[0].value == f"Falsches Passwort. Verbleibende Versuche: {auth.MAX_FAILURES - 1}"
    at = sign_in(page(lang="ar", review_password=SECRET))
    assert at.tabs[0].label == i18n.t("review.tab_suggestions", "ar")


def test_name_is_required_with_a_shared_password(env):
    at = sign_in(page(review_password=SECRET), SECRET, name="")
    assert "Please enter your name" in at.warning[0].value
    assert "review_user" not in at.session_state


# --- report → review → accept ------------------------------------------------------------------------


def report_app():
    from ui.report_form import render_report_form

    render_report_form({"id": "a", "name": "Office A"}, "en")


def send_report(kind: str, text: str, contact: str = "") -> AppTest:
    at = AppTest.from_function(report_app, default_timeout=30).run()
    at.selectbox(key="report-a-kind").select(kind)
    at.text_area(key="report-a-proposed").input(text)
    at.text_input(key="report-a-contact").input(contact)
    return at.button[0].click().run()


def test_report_review_accept_revert(env):
    csv_path, db = env
    at = send_report("phone", "0351 99999", "me@example.org")
    assert not at.exception and "Thank you" in at.success[0].value
    [suggestion] = CorrectionStore(db).suggestions()
    assert (suggestion.office_id, suggestion.kind, suggestion.contact) == ("a", "phone", "me@example.org")

    at = sign_in(page(review_password=SECRET))
    assert not at.exception and at.session_state["review_user"] == "Anna"
    # Side by side: the current entry and the suggestion, the proposed phone prefilled.
    assert "Contact: me@example.org" in [t.value for t in at.text]
    assert at.code[0].value == "0351 99999"
    assert at.text_input(key=f"review-{suggestion.id}-phone").value == "0351 99999"
    at = button(at, "Accept").click().run()
    assert not at.exception
    assert f"Suggestion #{suggestion.id} accepted" in at.success[0].value
    assert phone_of(csv_path, "a") == "0351 99999"
    store = CorrectionStore(db)
    assert store.suggestion(suggestion.id).status == "accepted"
    [change] = store.history()
    assert (change.by, change.action, change.changed["phone"]) == (
        "Anna",
        "accept",
        ("0351 1234", "0351 99999"),
    )

    # History tab: revert it.
    assert at.selectbox(key="review-change").value == change.id
    at = button(at, "Revert this change").click().run()
    assert not at.exception and f"Change #{change.id} reverted" in at.success[0].value
    assert phone_of(csv_path, "a") == "0351 1234"


def test_invalid_accept_is_refused_with_a_message(env):
    csv_path, db = env
    CorrectionStore(db).submit("a", "phone", "ring us", client_key="k")
    at = sign_in(page(review_password=SECRET))
    before = csv_path.read_bytes()
    at = button(at, "Accept").click().run()
    assert not at.exception and at.error[0].value == "The change was not saved."
    assert any("not a phone number" in t.value for t in at.text)
    assert csv_path.read_bytes() == before


def test_reject(env):
    _, db = env
    number = CorrectionStore(db).submit("a", "other", "spam", "x@y.de", client_key="k")
    at = sign_in(page(review_password=SECRET))
    at = button(at, "Reject").click().run()
    assert f"Suggestion #{number} rejected" in at.success[0].value
    s = CorrectionStore(db).suggestion(number)
    assert (s.status, s.contact, s.decided_by) == ("rejected", "", "Anna")
    assert "No open suggestions." in [i.value for i in at.info]


def test_hostile_text_is_shown_as_plain_text(env):
    _, db = env
    CorrectionStore(db).submit("a", "other", HOSTILE, HOSTILE[:100], client_key="k")
    at = sign_in(page(review_password=SECRET), name="<b>Mallory</b>")
    assert not at.exception
    assert at.code[0].value == HOSTILE
    assert no_markdown_contains(at, "<script>")
    assert no_markdown_contains(at, "Mallory")  # the typed name only appears via st.text


def test_still_correct(env):
    csv_path, db = env
    at = sign_in(page(review_password=SECRET))
    at.selectbox(key="review-office").select("a")
    at = at.run()
    assert "as of 2016 · checked 2026-11-28 · may be outdated" in [t.value for t in at.text]
    at = button(at, "Still correct").click().run()
    assert not at.exception and "a confirmed as still correct" in at.success[0].value
    today = dt.date.today().isoformat()
    label = f"as of 2016 · checked {today} · confirmed as still correct {today}"
    assert label in [t.value for t in at.text]
    assert set(CorrectionStore(db).confirmations()) == {"a"}
    row = {r["id"]: r for r in corrections.read_rows(csv_path)[1]}["a"]
    assert row["last_checked"] == dt.date.today().isoformat()
    [change] = CorrectionStore(db).history()
    assert (change.action, change.by, change.office_id) == ("confirm", "Anna", "a")
    assert "last_checked" in change.fields


def test_direct_edit_needs_a_reason(env):
    csv_path, _ = env
    at = sign_in(page(review_password=SECRET))
    at.selectbox(key="review-office").select("b")
    at.selectbox(key="review-edit-column").select("phone")
    at = at.run()
    at.text_input(key="review-edit-b-phone").input("0351 5555")
    at = button(at, "Save change").click().run()
    assert "Please give a reason" in at.warning[0].value
    at.text_input(key="review-edit-reason-b-phone").input("called the office")
    at = button(at, "Save change").click().run()
    assert not at.exception and "b changed" in at.success[0].value
    assert phone_of(csv_path, "b") == "0351 5555"


def test_personal_passwords(env):
    _, db = env
    at = page(review_users={"ben": "ben-has-a-long-secret"})
    assert len(at.text_input) == 1  # no name field: the password says who it is
    at = sign_in(at, "ben-has-a-long-secret", name=None)
    assert at.session_state["review_user"] == "ben"
    at = button(at, "Still correct").click().run()
    assert CorrectionStore(db).history()[0].by == "ben"


# --- the report form on its own ----------------------------------------------------------------------


def test_report_form_refuses_empty_text(env):
    _, db = env
    at = send_report("hours", "   ")
    assert "Please describe" in at.warning[0].value
    assert CorrectionStore(db).suggestions() == []


def test_report_form_never_stores_overlong_text(env):
    _, db = env
    at = send_report("other", "x" * (corrections.MAX_PROPOSED_CHARS + 5))
    # The widget refuses text over max_chars (the store would refuse it too: see test_corrections).
    assert not at.exception and "Please describe" in at.warning[0].value
    assert CorrectionStore(db).suggestions() == []


def test_report_form_rate_limit_message(env, monkeypatch):
    _, db = env
    from ui import report_form

    store = CorrectionStore(db, client_limits=[(1, dt.timedelta(minutes=10))])
    monkeypatch.setattr(report_form, "get_store", lambda: store)
    at = AppTest.from_function(report_app, default_timeout=30).run()
    for text in ("Mo 9-12", "Di 9-12"):
        at.text_area(key="report-a-proposed").input(text)
        at = at.button[0].click().run()
    assert at.warning[0].value == i18n.t("report.rate_limited", "en")
    assert [s.proposed for s in CorrectionStore(db).suggestions()] == ["Mo 9-12"]


def test_report_limit_holds_across_sessions_of_one_address(env, monkeypatch):
    _, db = env
    from ui import report_form

    store = CorrectionStore(db, client_limits=[(2, dt.timedelta(minutes=10))])
    monkeypatch.setattr(report_form, "get_store", lambda: store)
    at_address(monkeypatch, "198.51.100.7")
    for text in ("Mo 9-12", "Di 9-12"):
        assert "Thank you" in send_report("hours", text).success[0].value  # each a new session
    assert send_report("hours", "Mi 9-12").warning[0].value == i18n.t("report.rate_limited", "en")
    at_address(monkeypatch, "203.0.113.5")
    assert "Thank you" in send_report("hours", "Do 9-12").success[0].value
    assert [s.proposed for s in store.suggestions()] == ["Mo 9-12", "Di 9-12", "Do 9-12"]


def test_one_address_cannot_block_everyone_elses_reports(env, monkeypatch):
    _, db = env
    from ui import report_form

    store = CorrectionStore(
        db, client_limits=[(3, dt.timedelta(hours=1))], global_limit=(5, dt.timedelta(hours=1))
    )
    monkeypatch.setattr(report_form, "get_store", lambda: store)
    at_address(monkeypatch, "198.51.100.7")
    sent = [send_report("other", f"flood {i}") for i in range(6)]  # a script, a new session each time
    assert [len(at.success) for at in sent] == [1, 1, 1, 0, 0, 0]
    at_address(monkeypatch, "203.0.113.5")
    assert "Thank you" in send_report("other", "real report").success[0].value
    # The safety cap of all senders together still holds, and says so without blaming the sender.
    at_address(monkeypatch, "192.0.2.1")
    assert "Thank you" in send_report("other", "second real report").success[0].value
    at_address(monkeypatch, "192.0.2.2")
    assert send_report("other", "one too many").warning[0].value == i18n.t("report.busy", "en")
    assert len(store.suggestions()) == 5


def test_an_address_edit_moves_the_map_point_offline(env):
    # The page leaves the rule to corrections.position_after; here with the embedded gazetteer.
    csv_path, _ = env
    for name in ("places.csv", "postcodes.csv", "municipalities.csv", "districts.geojson"):
        (csv_path.parent / name).symlink_to(REPO / "data" / name)
    before = {r["id"]: r for r in corrections.read_rows(csv_path)[1]}["b"]
    at = sign_in(page(review_password=SECRET))
    at.selectbox(key="review-office").select("b")
    at.selectbox(key="review-edit-column").select("postcode")
    at = at.run()
    at.text_input(key="review-edit-b-postcode").input("01067")
    at.text_input(key="review-edit-reason-b-postcode").input("moved")
    at = button(at, "Save change").click().run()
    assert not at.exception and "b changed" in at.success[0].value
    after = {r["id"]: r for r in corrections.read_rows(csv_path)[1]}["b"]
    expected = corrections.position_after(before, {"postcode": "01067"}, csv_path.parent)
    assert expected and all(after[k] == v for k, v in expected.items())
    assert (after["lat"], after["lon"]) != (before["lat"], before["lon"])
