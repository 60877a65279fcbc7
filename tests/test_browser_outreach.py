"""The verification round in a real browser: plan a round with the command line → the message is written →
the office opens its link → corrects its hours (weekly editor) and languages → a maintainer accepts the
whole answer → the public card shows the new hours and languages and "confirmed by the office". Also:
a used or tampered link gets one clear sentence, and the office page passes axe-core in German and Arabic.

One app on a copy of ``data/`` with its own corrections database; every request stays on 127.0.0.1.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import DESKTOP, PHONE, RecordingPage, running_app
from helpers import REPO

from finder import corrections, i18n

pytestmark = pytest.mark.browser

SECRET = "correct horse battery staple"


@pytest.fixture(scope="module")
def round_app(tmp_path_factory) -> Iterator[tuple[str, Path, dict[str, dict[str, str]]]]:
    """The app, and a round planned with ``finder outreach plan`` for its address: (url, data, messages)."""
    folder = tmp_path_factory.mktemp("outreach")
    data = folder / "data"
    shutil.copytree(REPO / "data", data)
    secrets = folder / "secrets.toml"
    secrets.write_text(f'review_password = "{SECRET}"\n', encoding="utf-8")
    env = {"FINDER_DATA_DIR": str(data), "FINDER_CORRECTIONS_DB": str(folder / "corrections.sqlite"),
           "FINDER_CORRECTIONS_TARGET": "csv"}  # fmt: skip
    with running_app(folder, env, ["--secrets.files", str(secrets)]) as url:
        out = folder / "round"
        done = subprocess.run(
            [sys.executable, "-m", "finder.cli", "outreach", "plan", "--kind", "PSZ", "--output", str(out)],
            env={**os.environ, **env, "FINDER_PUBLIC_URL": url}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        with (out / "messages.csv").open(encoding="utf-8") as handle:
            rows = {r["id"]: r for r in csv.DictReader(handle)}
        assert done.stdout.startswith(f"planned {len(rows)} offices") and len(rows) >= 3
        yield url, data, {**rows, "_folder": {"path": str(out)}}


def _ready(page) -> None:
    page.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"],'
        ' [data-testid="stStatusWidget"] button\')',
        timeout=60_000,
    )


def _change(page, field: str) -> None:
    """Choose "Ändern" for one field of the office page."""
    page.locator(f".st-key-verify-{field}-mode").get_by_text("Ändern", exact=True).click()


def test_office_corrects_hours_and_languages_maintainer_accepts_card_shows_it(browser, round_app, artifacts):
    url, data, rows = round_app
    office_rows = {r["id"]: r for r in corrections.read_rows(data / "offices.csv")[1]}
    office_id = next(i for i in rows if i != "_folder" and not office_rows[i]["languages"])
    link = rows[office_id]["link"]
    assert link.startswith(f"{url}/verify?token=")
    folder = Path(rows["_folder"]["path"])
    assert (folder / f"{office_id}.eml").exists() == bool(office_rows[office_id]["email"])
    assert f'data-office-id="{office_id}"' in (folder / "letters.html").read_text(encoding="utf-8")
    rp = RecordingPage(browser, DESKTOP)
    page = rp.page
    try:
        # 0. The letters print as one A4 page per office, and load nothing.
        page.goto((folder / "letters.html").as_uri())
        pdf = page.pdf(format="A4")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == len(rows) - 1
        assert rp.foreign_hosts() == set()
        # 1. The office opens its link: German first, its entry as we hold it.
        page.goto(link, wait_until="domcontentloaded")
        page.get_by_role("button", name="Alles stimmt noch").wait_for(timeout=60_000)
        main = page.locator("[data-testid='stMain']")
        assert office_rows[office_id]["name"] in main.inner_text()
        # 2. New opening hours in the weekly editor, and the languages it counsels in.
        _change(page, "opening_hours")
        typed = {"Montag": "9-12", "Mittwoch": "09:00-12:00", "Donnerstag": "13-18"}
        for day, hours in typed.items():
            field = page.get_by_label(day, exact=True)
            field.fill(hours)
            field.press("Enter")
            _ready(page)
        _change(page, "languages")
        box = page.get_by_role("combobox", name="Sprachen, in denen Sie beraten")
        for name in ("Arabisch", "Persisch"):
            box.click()
            box.fill(name)
            page.get_by_role("option", name=name, exact=True).click()
            page.locator(".st-key-verify-languages").get_by_text(name, exact=True).wait_for(timeout=30_000)
            _ready(page)
        page.keyboard.press("Escape")  # close the list of languages
        # The week survived the reruns of the language choice.
        assert {day: page.get_by_label(day, exact=True).input_value() for day in typed} == typed
        page.screenshot(path=str(artifacts / "verify-office-page.png"), full_page=True)
        page.get_by_role("button", name="Korrekturen senden").click()
        page.get_by_text("Vielen Dank! Ihre Korrekturen sind gespeichert").wait_for(timeout=30_000)
        assert corrections.read_rows(data / "offices.csv")[1] == list(office_rows.values())  # reviewed first

        # 3. The link is used now; a changed link is simply not valid (and names no office).
        page.goto(link, wait_until="domcontentloaded")
        page.get_by_text("Mit diesem Link wurde bereits geantwortet").wait_for(timeout=60_000)
        page.goto(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"), wait_until="domcontentloaded")
        page.get_by_text("Dieser Link ist nicht gültig").wait_for(timeout=60_000)
        assert office_id not in page.locator("[data-testid='stMain']").inner_text()

        # 4. A maintainer accepts the whole answer on the review page.
        page.goto(f"{url}/review?lang=en", wait_until="domcontentloaded")
        page.get_by_label("Your name (for the change history)").fill("Anna Maintainer")
        page.get_by_label("Password", exact=True).fill(SECRET)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Signed in as Anna Maintainer", timeout=30_000)
        page.get_by_role("tab", name="Verification round").click()
        page.get_by_role("button", name="Accept the whole answer").click()
        page.get_by_text("Answer #1 accepted").wait_for(timeout=30_000)
        row = {r["id"]: r for r in corrections.read_rows(data / "offices.csv")[1]}[office_id]
        assert row["languages"] == "ar;fa"
        assert row["opening_hours_osm"] == "Mo,We 09:00-12:00; Th 13:00-18:00; PH off"

        # 5. Anybody's card of the office shows the new facts and who confirmed them.
        public = RecordingPage(browser, DESKTOP)
        try:
            public.page.goto(f"{url}/?lang=en&office={office_id}", wait_until="domcontentloaded")
            card = public.page.locator(f".office-card[data-office-id='{office_id}']").first
            card.wait_for(timeout=45_000)
            text = card.inner_text()
            assert "Arabic" in text and "Persian" in text and "Mo 09:00-12:00" in text
            assert "confirmed by the office on" in text
            assert public.foreign_hosts() == set()
        finally:
            public.close()
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


@pytest.mark.parametrize(("lang", "viewport"), [("de", DESKTOP), ("ar", PHONE)])
def test_office_page_has_no_accessibility_violations(browser, round_app, lang, viewport):
    _, _, rows = round_app
    # Another office than the loop's: looking at the page does not use the link.
    office_id = sorted(i for i in rows if i != "_folder")[-1]
    rp = RecordingPage(browser, viewport)
    page = rp.page
    try:
        page.goto(f"{rows[office_id]['link']}&lang={lang}", wait_until="domcontentloaded")
        page.get_by_role("button", name=i18n.t("verify.all_correct", lang)).wait_for(timeout=60_000)
        page.locator(".st-key-verify-opening_hours-mode").get_by_role("radio").nth(1).check(force=True)
        page.locator(".st-key-verify-hours-Mo input").wait_for(timeout=30_000)
        _ready(page)
        time.sleep(1)
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
