"""About the data: where each kind of fact comes from, how current it is, attribution, privacy."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from finder import i18n
from ui import resources as res


def t(key: str, **kwargs: object) -> str:
    """Translate into the session's interface language."""
    return i18n.t(key, res.current_lang(), **kwargs)


def _counts_by_year() -> list[tuple[str, int]]:
    """Directory entries per year of their source, newest first; undated entries last."""
    years = res.get_finder().offices["source_year"]
    counts = years.value_counts(dropna=True).sort_index(ascending=False)
    out = [(str(int(year)), int(n)) for year, n in counts.items()]
    undated = int(years.isna().sum())
    if undated:
        out.append((t("about.no_date"), undated))
    return out


def _counts_by_precision() -> list[tuple[str, int]]:
    lang = res.current_lang()
    counts = res.get_finder().offices["geocode_precision"].fillna("").value_counts()
    rows = []
    for code in ("street", "postcode", "place", "district", ""):
        n = int(counts.get(code, 0))
        if n:
            label = i18n.precision_label(code, lang) if code else i18n.t("office.online_only", lang)
            rows.append((label, n))
    return rows


def _bullets(rows: list[tuple[str, int]]) -> str:
    lang = res.current_lang()
    return "\n".join(f"- {res.esc(label)}: **{i18n.format_number(n, lang)}**" for label, n in rows)


def main() -> None:
    """Draw the page."""
    finder = res.get_finder()
    lang = res.current_lang()
    res.page_style(lang)
    res.page_heading(t("about.title"), lang)

    st.header(t("about.what_heading"))
    st.markdown(res.esc(t("about.what_text")))
    st.markdown(res.esc(t("about.no_advice")))

    offices = finder.offices
    st.header(t("about.sources_heading"))
    st.markdown(res.esc(t("about.sources_text")))
    st.markdown(f"**{res.esc(t('map.n_offices', n=i18n.format_number(len(offices), lang)))}**")
    if lang != "de":
        st.markdown(res.esc(t("results.german_notice")))

    st.header(t("about.current_heading"))
    st.markdown(res.esc(t("about.current_text")))
    checked = offices["last_checked"].dropna().astype(str)
    checked = checked[checked.str.fullmatch(r"\d{4}-\d{2}-\d{2}")]
    if not checked.empty:
        st.markdown(res.esc(t("about.compiled", date=i18n.format_date(checked.max(), lang))))
    # The verification round's reach: offices that confirmed or corrected their own entry within a year.
    from finder.outreach.plan import round_coverage  # noqa: PLC0415 - pandas only, loaded anyway

    reach = round_coverage(offices, today=finder.settings.instant().date())
    n, total = (
        i18n.format_number(reach["confirmed_by_office_12m"], lang),
        i18n.format_number(reach["offices"], lang),
    )
    st.markdown(res.esc(t("about.outreach", n=n, total=total)))
    st.markdown(res.esc(t("about.report_text", button=t("report.button"))))
    st.page_link("ui/pages/report.py", label=t("report.button"), icon="✏️", query_params={"lang": lang})
    cols = st.columns(2)
    with cols[0]:
        st.subheader(t("about.by_year"))
        st.markdown(_bullets(_counts_by_year()))
    with cols[1]:
        st.subheader(t("about.by_precision"))
        st.markdown(_bullets(_counts_by_precision()))

    st.header(t("about.maps_heading"))
    st.markdown(res.esc(t("about.maps_text")))
    st.markdown(f"*{res.esc(t('about.attribution'))}*")

    st.header(t("about.privacy_heading"))
    settings = finder.settings
    st.markdown(res.esc(t("about.privacy_text")))
    if settings.online:
        host = urlsplit(settings.geocoder_url).netloc or "nominatim.openstreetmap.org"
        st.markdown(f"- {res.esc(t('privacy.online', service=host))}")
    else:
        st.markdown(f"- {res.esc(t('privacy.offline'))}")
    st.markdown(f"- {res.esc(t('find.locate_help'))}\n- {res.esc(t('map.no_tiles_note'))}")
    st.page_link(
        "ui/pages/accessibility.py", label=t("accessibility.title"), icon="♿", query_params={"lang": lang}
    )
    res.write_url({"lang": lang})


main()
