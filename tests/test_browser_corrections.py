"""Real-browser test of the corrections loop: a person reports a change, a maintainer accepts it, the
public page shows it, and the change can be reverted; every request stays on 127.0.0.1.

The app runs on a copy of ``data/`` with its own corrections database and a secrets file that sets the
maintainers' password, so the repository's files are never touched.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import DESKTOP, RecordingPage, running_app
from helpers import REPO, make_offices_csv

from finder import corrections
from finder.corrections import CorrectionStore

pytestmark = pytest.mark.browser

SECRET = "correct horse battery staple"
NEW_PHONE = "0351 4999991"
HOSTILE_CONTACT = "<b>anna</b>@example.org"


@pytest.fixture(scope="module")
def maintained_app(tmp_path_factory) -> Iterator[tuple[str, Path, str]]:
    """The app on a copy of the data, with a corrections database and a review password."""
    folder = tmp_path_factory.mktemp("maintained")
    data = folder / "data"
    shutil.copytree(REPO / "data", data)
    # An older check date than today, so the test sees accepting set last_checked to today.
    _, rows = corrections.read_rows(data / "offices.csv")
    make_offices_csv(data / "offices.csv", [{**row, "last_checked": "2025-01-15"} for row in rows])
    secrets = folder / "secrets.toml"
    secrets.write_text(f'review_password = "{SECRET}"\n', encoding="utf-8")
    db = folder / "corrections.sqlite"
    env = {
        "FINDER_DATA_DIR": str(data),
        "FINDER_CORRECTIONS_DB": str(db),
        "FINDER_CORRECTIONS_TARGET": "csv",
    }
    with running_app(folder, env, ["--secrets.files", str(secrets)]) as url:
        yield url, data / "offices.csv", str(db)


def office_row(csv_path: Path, office_id: str) -> dict[str, str]:
    return {r["id"]: r for r in corrections.read_rows(csv_path)[1]}[office_id]


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit select box labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)  # filters the (virtualised) list
    page.get_by_role("option", name=option, exact=True).click()


def public_card(browser, url: str, office_id: str) -> str:
    """The office's card as somebody else sees it, from the office's link in a fresh browser session."""
    public = RecordingPage(browser, DESKTOP)
    try:
        public.page.goto(f"{url}/?lang=en&office={office_id}", wait_until="domcontentloaded")
        card = public.page.locator(f".office-card[data-office-id='{office_id}']").first
        card.wait_for(timeout=45_000)
        assert public.foreign_hosts() == set()
        return card.inner_text()
    finally:
        public.close()


def test_report_review_accept_and_revert(browser, maintained_app, artifacts):
    url, csv_path, db = maintained_app
    _, rows = corrections.read_rows(csv_path)
    office = next(r for r in rows if r["phone"] and r["city"])
    office_id, old_phone = office["id"], office["phone"]
    rp = RecordingPage(browser, DESKTOP)
    page = rp.page
    try:
        # 1. A social worker reports a new phone number from the office's report link.
        page.goto(f"{url}/report?office={office_id}&lang=en", wait_until="domcontentloaded")
        page.wait_for_selector("text=What is wrong?", timeout=45_000)
        assert office["name"] in main_text(page)
        choose(page, "What is wrong?", "Phone")
        page.get_by_label("What is correct?").fill(NEW_PHONE)
        page.get_by_label("Your e-mail or phone (optional, only for questions)").fill(HOSTILE_CONTACT)
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector("text=Thank you! Your report was saved and will be checked.", timeout=30_000)
        [suggestion] = CorrectionStore(db).suggestions("open")
        assert (suggestion.office_id, suggestion.kind, suggestion.proposed) == (office_id, "phone", NEW_PHONE)
        assert office_row(csv_path, office_id)["phone"] == old_phone  # nothing changes before a review

        # 2. A maintainer signs in and sees the suggestion beside the current entry.
        page.goto(f"{url}/review", wait_until="domcontentloaded")
        page.get_by_label("Your name (for the change history)").fill("Anna Maintainer")
        page.get_by_label("Password", exact=True).fill(SECRET)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Signed in as Anna Maintainer", timeout=30_000)
        page.wait_for_selector("text=What is wrong: phone", timeout=30_000)
        # The sender's text is shown as text: no <b> element came from it.
        assert f"Contact: {HOSTILE_CONTACT}" in main_text(page)
        assert page.locator("[data-testid='stMain'] b", has_text="anna").count() == 0
        page.locator("[data-testid='stCode']", has_text=NEW_PHONE).wait_for(timeout=30_000)
        page.locator("[data-testid='stDataFrame'] canvas").first.wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts / "review-suggestion.png"), full_page=True)

        # 3. Accept: the file changes, with last_checked and a history entry.
        page.get_by_role("button", name="Accept").click()
        page.wait_for_selector("text=Suggestion #1 accepted", timeout=30_000)
        row = office_row(csv_path, office_id)
        assert (row["phone"], row["last_checked"]) == (NEW_PHONE, dt.date.today().isoformat())
        [change] = CorrectionStore(db).history()
        assert (change.action, change.by, change.changed["phone"]) == (
            "accept",
            "Anna Maintainer",
            (old_phone, NEW_PHONE),
        )

        # 4. Somebody else opens the office's link: the public page shows the new number at once
        #    (accepting refreshed the app's cached directory).
        assert NEW_PHONE in public_card(browser, url, office_id)

        # 5. The maintainer reverts the change from the history: the old number is back.
        page.get_by_role("tab", name="History").click()
        page.get_by_role("button", name="Revert this change").click()
        page.wait_for_selector(f"text=Change #{change.id} reverted", timeout=30_000)
        assert page.get_by_role("tab", name="History").get_attribute("aria-selected") == "true"
        assert office_row(csv_path, office_id)["phone"] == old_phone

        # 6. "Still correct" after a phone call: the public card says so and no longer warns.
        page.get_by_role("tab", name="Freshness").click()
        choose(page, "Office", f"{office_id} — {office['name']}")
        page.get_by_role("button", name="Still correct").click()
        page.wait_for_selector(f"text={office_id} confirmed as still correct", timeout=30_000)
        # The maintainer stays where they were (the message must not reset the tabs).
        assert page.get_by_role("tab", name="Freshness").get_attribute("aria-selected") == "true"
        assert office_row(csv_path, office_id)["last_checked"] == dt.date.today().isoformat()
        text = public_card(browser, url, office_id)
        assert "confirmed as still correct" in text and old_phone in text
        assert "older than" not in text
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
