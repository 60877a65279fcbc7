"""Office cards as HTML: the result lists, the selected office and the report page show the same card.

Each card carries a read-aloud button, hidden until :data:`READ_ALOUD` (one small script per page, mounted
with :func:`read_aloud_script`) has found a voice for its language in the browser's own speech synthesis
(``speechSynthesis``: no third-party service, nothing leaves the device).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import streamlit.components.v2 as components_v2

from finder import i18n, share
from ui import resources as res


def _domain(url: str) -> str:
    """``example.org`` for ``https://www.example.org/page`` (short link texts)."""
    return urlsplit(url).netloc.removeprefix("www.") or url


def card_html(card: share.OfficeCard, lang: str, number: int | None = None, section: str = "") -> str:
    """One office as HTML for ``st.markdown(unsafe_allow_html=True)``; every data value escaped.

    Data values are marked ``lang="de"`` (they are as published, mostly German) so that screen readers
    pronounce them correctly; numbers, addresses and links are isolated left-to-right on RTL pages. Under
    the kind: the warning for a possibly closed office, whether it counsels in the requested language
    (``data-match``) and whether it is open (``data-hours``); the hours text itself stays as published.
    """
    e = res.esc
    rows: list[tuple[str, str]] = []
    if card.distance_text:
        # In words ("in Chemnitz", "about 12 km"): it holds a place name, so it is isolated, not forced ltr.
        rows.append(
            (i18n.t("office.distance", lang), f'<bdi class="office-distance">{e(card.distance_text)}</bdi>')
        )
    address = "<br>".join(e(p) for p in (card.street, card.place) if p)
    rows.append(
        (
            i18n.t("office.address", lang),
            f'<span class="ltr" lang="de">{address}</span>'
            if address
            else e(i18n.t("office.online_only", lang)),
        )
    )
    if card.phones:
        links = [f'<a href="{e(href)}">{e(text)}</a>' if href else e(text) for text, href in card.phones]
        rows.append((i18n.t("office.phone", lang), "<br>".join(links)))
    if card.emails:
        links = [f'<a href="{e(href)}">{e(text)}</a>' for text, href in card.emails]
        rows.append((i18n.t("office.email", lang), "<br>".join(links)))
    if card.website:
        link = (
            f'<a href="{e(card.website)}" target="_blank" rel="noopener noreferrer">'
            f"{e(_domain(card.website))}</a>"
        )
        rows.append((i18n.t("office.website", lang), link))
    if card.opening_hours:
        rows.append((i18n.t("office.opening_hours", lang), f'<span lang="de">{e(card.opening_hours)}</span>'))
    languages = ", ".join(card.languages) if card.languages else i18n.t("office.languages_unknown", lang)
    if card.interpreting_text:
        languages += f" · {card.interpreting_text}"
    rows.append((i18n.t("office.languages", lang), e(languages)))
    sources = " · ".join(
        f'<a href="{e(u)}" target="_blank" rel="noopener noreferrer">{e(_domain(u))}</a>'
        for u in card.source_urls
    )
    rows.append((i18n.t("office.source", lang), e(card.dates_text) + (f" · {sources}" if sources else "")))
    body = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    links = []
    if card.route_url:
        # geo: hands only the destination to the phone's own maps app; this page sends nothing.
        links.append(
            f'<a class="route-app" href="{e(card.route_url)}">🧭 {e(i18n.t("office.route_app", lang))}</a>'
        )
    if card.directions_url:
        links.append(
            f'<a class="route-web" href="{e(card.directions_url)}" target="_blank" rel="noopener noreferrer">'
            f"{e(i18n.t('office.route_web', lang))}</a>"
        )
    if card.osm_url:
        links.append(
            f'<a href="{e(card.osm_url)}" target="_blank" rel="noopener noreferrer">'
            f"🗺️ {e(i18n.t('office.open_osm', lang))}</a>"
        )
    prefix = f"{number}. " if number is not None else ""
    kind = e(card.kind_label) + (f' · <span lang="de">{e(card.provider)}</span>' if card.provider else "")
    notes = "".join(f'<p class="office-warn">⚠️ {e(n)}</p>' for n in card.notes)
    # What decides whether to go there comes first: gone or not, the language, open or not.
    status = f'<p class="office-status" role="note">⚠️ {e(card.status_text)}</p>' if card.status_text else ""
    match = (
        f'<p class="office-match" data-match="{e(card.language_match)}">'
        f"{'✅' if card.language_match == 'stated' else '💬'} {e(card.match_text)}</p>"
        if card.match_text
        else ""
    )
    hours = (
        f'<p class="office-hours" data-hours="{e(card.hours_state)}">🕒 {e(card.hours_text)}</p>'
        if card.hours_text
        else ""
    )
    precision = f'<p class="office-note">📍 {e(card.precision_text)}</p>' if card.precision_text else ""
    link_line = f'<p class="office-links">{" · ".join(links)}</p>' if links else ""
    # Hidden until the page's script finds a voice for the language (read_aloud_script).
    read_aloud = (
        f'<button type="button" class="read-aloud" hidden aria-pressed="false" data-speak-lang="{e(lang)}" '
        f'data-speak="{e(share.speech_text(card, lang))}">'
        f'<span aria-hidden="true">🔊</span> {e(i18n.t("office.read_aloud", lang))}</button>'
    )
    return (
        f'<div class="office-card" data-section="{e(section)}" data-office-id="{e(card.id)}">'
        f'<h3>{prefix}<span lang="de">{e(card.name)}</span></h3>'
        f'<p class="office-kind">{kind}</p>{status}{match}{hours}<dl>{body}</dl>{precision}{notes}'
        f"{link_line}{read_aloud}</div>"
    )


# --------------------------------------------------------------------------------------------------
# Read aloud: one script per page (a Streamlit components-v2 component runs in the page itself, no
# iframe, so it reaches every card). It keeps its own <style> in <head>, outside what Streamlit redraws,
# so a card's button shows as soon as the card does; clicks are handled once, on the document.
# (The buttons carry `hidden`, which Streamlit's own CSS enforces with !important, hence !important.)

#: The buttons' look, and the rule that shows a card's button when the browser has a voice for its
#: language (``<html data-read-aloud="de en …">``, the primary language subtags of the voices).
READ_ALOUD_CSS = (
    "button.read-aloud { font: inherit; font-size: .95rem; margin: .35rem 0 0; padding: .3rem .7rem;"
    " min-height: 2.5rem; cursor: pointer; border-radius: .5rem; border: 1px solid #1b62d6;"
    " background: #fff; color: #1b62d6; align-items: center; gap: .3rem; }\n"
    "button.read-aloud[aria-pressed='true'] { background: #1b62d6; color: #fff; }\n"
    "button.read-aloud:focus-visible { outline: 3px solid #1b62d6; outline-offset: 2px; }\n"
    + "".join(
        f'html[data-read-aloud~="{code}"] button.read-aloud[data-speak-lang="{code}"] '
        "{ display: inline-flex !important; }\n"
        for code in i18n.LANGUAGES
    )
)

_READ_ALOUD_JS = """
export default function () {
  if (window.__beratungsfinderReadAloud) { window.__beratungsfinderReadAloud(); return; }
  const synth = window.speechSynthesis;
  const root = document.documentElement;
  const style = document.createElement("style");
  style.id = "read-aloud-style";
  style.textContent = __READ_ALOUD_CSS__;
  document.head.appendChild(style);
  const primary = (tag) => String(tag || "").toLowerCase().replace("_", "-").split("-")[0];
  const voices = () => {
    try { return synth ? Array.from(synth.getVoices() || []) : []; } catch (e) { return []; }
  };
  const voiceFor = (lang) => voices().find((v) => primary(v.lang) === lang) || null;
  // Which languages the browser can speak; voices may arrive later (voiceschanged).
  const update = () => {
    root.dataset.readAloud = Array.from(new Set(voices().map((v) => primary(v.lang)))).join(" ");
  };
  window.__beratungsfinderReadAloud = update;
  update();
  if (synth && synth.addEventListener) { synth.addEventListener("voiceschanged", update); }
  const release = () => document.querySelectorAll('button.read-aloud[aria-pressed="true"]')
    .forEach((b) => b.setAttribute("aria-pressed", "false"));
  document.addEventListener("click", (event) => {
    const button = event.target && event.target.closest ? event.target.closest("button.read-aloud") : null;
    if (!button || !synth) { return; }
    const voice = voiceFor(button.dataset.speakLang);
    const again = button.getAttribute("aria-pressed") === "true";
    synth.cancel();
    release();
    if (!voice || again) { return; }  // a second press stops reading
    const utterance = new SpeechSynthesisUtterance(button.dataset.speak || "");
    utterance.lang = voice.lang || button.dataset.speakLang;
    try { utterance.voice = voice; } catch (e) { /* the language alone picks a voice */ }
    utterance.onend = release;
    utterance.onerror = release;
    button.setAttribute("aria-pressed", "true");
    synth.speak(utterance);
  });
}
""".replace("__READ_ALOUD_CSS__", json.dumps(READ_ALOUD_CSS))

READ_ALOUD = components_v2.component("beratungsfinder.read_aloud", js=_READ_ALOUD_JS)


def read_aloud_script() -> None:
    """Mount the read-aloud script once on a page that shows cards (it draws nothing itself)."""
    READ_ALOUD(key="read_aloud", height=0)
