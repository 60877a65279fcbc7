"""The office cards in a real browser: distances in words, route links, and the read-aloud button.

The read-aloud button uses the browser's own ``speechSynthesis``. Headless Chromium has no voices, so each
test installs a fake one before the page loads (``page.add_init_script``): with voices for some languages
(announced late, through ``voiceschanged``, as real browsers do), recording what it is asked to speak.
"""

from __future__ import annotations

import json

import pytest
from browser_helpers import DESKTOP, PHONE, RecordingPage

from finder.share import spoken_digits

pytestmark = pytest.mark.browser

#: The run has finished when Streamlit shows neither its spinner nor its "stop" button.
RUN_DONE = (
    '() => !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"],'
    ' [data-testid="stStatusWidget"] button\')'
)


def fake_speech(voice_langs: list[str]) -> str:
    """A script replacing ``speechSynthesis``: voices for ``voice_langs`` appear 300 ms after load."""
    voices = [
        {"lang": code, "name": f"Fake {code}", "voiceURI": code, "default": False} for code in voice_langs
    ]
    return (
        "(() => {"
        f"  const voices = {json.dumps(voices)};"
        "  let ready = false; const listeners = [];"
        "  window.__spoken = [];"
        "  const fake = {"
        "    speaking: false, pending: false, paused: false, onvoiceschanged: null,"
        "    getVoices() { return ready ? voices : []; },"
        "    speak(u) { window.__spoken.push({ text: u.text, lang: u.lang, voice: u.voice && u.voice.name }); },"
        "    cancel() {}, pause() {}, resume() {},"
        "    addEventListener(type, fn) { if (type === 'voiceschanged') { listeners.push(fn); } },"
        "    removeEventListener() {},"
        "  };"
        "  Object.defineProperty(window, 'speechSynthesis', { value: fake, configurable: true });"
        "  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ''; this.voice = null; };"
        "  setTimeout(() => { ready = true; listeners.forEach((fn) => fn(new Event('voiceschanged'))); }, 300);"
        "})();"
    )


def open_page(browser, url: str, viewport=DESKTOP, init_script: str | None = None) -> RecordingPage:
    """A page at ``url`` with its office cards drawn and the script run finished."""
    rp = RecordingPage(browser, viewport)
    if init_script:
        rp.page.add_init_script(init_script)
    rp.page.goto(url, wait_until="domcontentloaded")
    rp.page.wait_for_selector(".office-card", timeout=60_000)
    rp.page.wait_for_function(RUN_DONE, timeout=60_000)
    return rp


def test_chemnitz_distances_are_words_not_zero_km(browser, app_url):
    rp = open_page(browser, f"{app_url}/?lang=en&q=Chemnitz&language=ar", PHONE)
    try:
        page = rp.page
        page.wait_for_selector(".office-card .office-distance")
        html = page.content()
        texts = [
            frame.evaluate("() => document.body ? document.body.innerText : ''") for frame in page.frames
        ]
        for text in (html, *texts):
            assert "0.0 km" not in text
        distances = page.locator("[data-section='result'] .office-distance").all_inner_texts()
        assert distances, "the result cards say how far each office is"
        # Offices placed at the town's point are in Chemnitz, not 0.0 km away.
        assert "in Chemnitz" in distances
        notice = page.locator("[data-testid='stAlert']").all_inner_texts()
        assert not any(" km)" in n and "0.0" in n for n in notice)
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


def test_route_links_hand_the_address_to_the_maps_app(browser, app_url):
    rp = open_page(browser, f"{app_url}/?lang=de&q=01067")
    try:
        page = rp.page
        app_link = page.locator("[data-section='result'] a.route-app").first
        href = app_link.get_attribute("href")
        assert href.startswith("geo:") and "?q=" in href
        web = page.locator("[data-section='result'] a.route-web").first
        assert web.get_attribute("href").startswith("https://www.openstreetmap.org/directions?to=")
        assert web.get_attribute("target") == "_blank"
        assert "openstreetmap.org" in web.inner_text()  # says it opens another website
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


def test_no_voice_for_the_language_no_button(browser, app_url):
    # Voices for English and Arabic only: a German page shows no read-aloud button.
    rp = open_page(browser, f"{app_url}/?lang=de&q=Leipzig", init_script=fake_speech(["en-GB", "ar-SA"]))
    try:
        page = rp.page
        page.wait_for_function("() => (document.documentElement.dataset.readAloud || '').includes('en')")
        buttons = page.locator("button.read-aloud")
        assert buttons.count() > 0  # each card has one, hidden
        assert all(not b.is_visible() for b in buttons.all())
    finally:
        rp.close()


def test_read_aloud_speaks_the_card_with_the_phone_digit_by_digit(browser, app_url):
    rp = open_page(browser, f"{app_url}/?lang=de&q=Leipzig", PHONE, init_script=fake_speech(["de-DE"]))
    try:
        page = rp.page
        card = page.locator(".office-card:has(a[href^='tel:'])").first
        button = card.locator("button.read-aloud")
        button.wait_for(state="visible", timeout=10_000)  # after the late voiceschanged
        phone = card.locator("a[href^='tel:']").first.inner_text()
        name = card.locator("h3").inner_text().split(". ", 1)[-1]
        button.click()
        page.wait_for_function("() => window.__spoken.length > 0", timeout=10_000)
        spoken = page.evaluate("() => window.__spoken")
        assert len(spoken) == 1
        assert spoken[0]["lang"] == "de-DE" and spoken[0]["voice"] == "Fake de-DE"
        text = spoken[0]["text"]
        assert name in text
        digits = spoken_digits(phone)
        assert digits and " " in digits
        assert digits in text  # the number as separated digits, not as one big number
        assert phone not in text or phone == digits
        assert button.get_attribute("aria-pressed") == "true"
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


def test_read_aloud_hidden_without_speech_synthesis(browser, app_url):
    # A browser without speechSynthesis at all (or with no voices: headless Chromium has none).
    no_speech = "Object.defineProperty(window, 'speechSynthesis', { value: undefined, configurable: true });"
    rp = open_page(browser, f"{app_url}/?lang=en&q=Dresden", init_script=no_speech)
    try:
        page = rp.page
        page.wait_for_function("() => 'readAloud' in document.documentElement.dataset")
        assert page.locator("button.read-aloud").count() > 0
        assert not any(b.is_visible() for b in page.locator("button.read-aloud").all())
        assert rp.errors == []
    finally:
        rp.close()
