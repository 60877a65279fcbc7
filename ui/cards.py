"""Office cards as HTML: the result lists, the selected office and the report page show the same card."""

from __future__ import annotations

from urllib.parse import urlsplit

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
    if card.distance_km is not None:
        km = i18n.t("units.km", lang, km=i18n.format_km(card.distance_km, lang))
        rows.append((i18n.t("office.distance", lang), f'<span class="ltr">{e(km)}</span>'))
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
    if card.osm_url:
        links.append(
            f'<a href="{e(card.osm_url)}" target="_blank" rel="noopener noreferrer">'
            f"🗺️ {e(i18n.t('office.open_osm', lang))}</a>"
        )
    if card.directions_url:
        links.append(
            f'<a href="{e(card.directions_url)}" target="_blank" rel="noopener noreferrer">'
            f"🧭 {e(i18n.t('office.directions', lang))}</a>"
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
    return (
        f'<div class="office-card" data-section="{e(section)}" data-office-id="{e(card.id)}">'
        f'<h3>{prefix}<span lang="de">{e(card.name)}</span></h3>'
        f'<p class="office-kind">{kind}</p>{status}{match}{hours}<dl>{body}</dl>{precision}{notes}'
        f"{link_line}</div>"
    )
