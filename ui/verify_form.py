"""The office's page (``/verify?token=…``): its entry field by field, confirmed or corrected.

German first (the language of the letter), the seven other languages a click away. Nothing is shown before
the link is checked (:meth:`finder.outreach.store.OutreachStore.check`): an unknown, tampered, expired,
revoked or used link gets one sentence, and never learns whether an office exists. What the office types
goes through the corrections store (a suggestion, reviewed as a whole; "everything is still correct" a
confirmation at once) and is shown as text everywhere: values from the data and the form reach Markdown
only through :func:`ui.safe_text.md`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import streamlit as st
from babel.dates import get_day_names

from finder import corrections, i18n
from finder import settings as _settings
from finder.errors import RateLimitedError
from finder.outreach import hours_editor
from finder.outreach.store import LinkError, LinkView, OutreachStore
from ui import resources as res
from ui.report_form import client_key, get_store
from ui.safe_text import md

logger = logging.getLogger(__name__)

__all__ = ["LANGUAGE_CHOICES", "render_verify_page", "verify_lang"]

#: Languages an office can tick (ISO 639-1), besides those it already states.
LANGUAGE_CHOICES: tuple[str, ...] = (
    "de",
    "en",
    "ar",
    "fa",
    "ru",
    "uk",
    "tr",
    "vi",
    "fr",
    "es",
    "it",
    "pt",
    "pl",
    "ro",
    "bg",
    "hu",
    "cs",
    "sq",
    "sr",
    "hr",
    "bs",
    "mk",
    "el",
    "ku",
    "ps",
    "ti",
    "am",
    "so",
    "ur",
    "hi",
    "bn",
    "ta",
    "zh",
    "ka",
    "hy",
    "az",
    "ky",
    "uz",
    "tk",
    "sw",
    "ha",
    "yo",
    "ig",
    "ln",
    "wo",
)
_DONE_KEY = "_verify_done"
_LANG_KEY = "verify_lang"
#: Simple text fields of the form (column of offices.csv).
_TEXT_FIELDS = ("phone", "email", "website")


def verify_lang() -> str:
    """The page's language: ``?lang=`` if it is one of ours, else German (the letter's language)."""
    wanted = st.query_params.get("lang")
    return wanted if wanted in i18n.LANGUAGES else "de"


def _on_lang() -> None:
    st.query_params["lang"] = st.session_state.get(_LANG_KEY) or "de"


def _lang_selector(lang: str) -> None:
    st.session_state[_LANG_KEY] = lang
    st.selectbox(
        f"🌐 {i18n.t('app.page_language', lang)}" + ("" if lang == "en" else " · Language"),
        options=list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES.get(code, code),
        key=_LANG_KEY,
        on_change=_on_lang,
    )


@st.cache_resource(show_spinner=False)
def _outreach(url: str, secret: str) -> OutreachStore:
    return OutreachStore(get_store(), secret or None)


def get_outreach() -> OutreachStore:
    """The outreach store of this server (on the corrections store of :func:`ui.report_form.get_store`)."""
    return _outreach(corrections.database_url(), _settings.load().outreach_secret)


def _refresh_app() -> None:
    try:
        res.reload_directory()
    except Exception:  # the page works without the main app's resources
        logger.debug("no cached finder to clear", exc_info=True)


def _editor() -> corrections.DirectoryEditor:
    settings = _settings.load()
    return corrections.DirectoryEditor(get_store(), settings.data_dir / "offices.csv")


def _mode(field: str, lang: str, current: str) -> bool:
    """Show what we hold and ask "correct / change"; True when the office wants to change it."""
    t = i18n.t
    st.markdown(f"**{md(t(f'verify.field.{field}', lang))}**")
    shown = current.strip()
    st.markdown(md(t("verify.current", lang, value=shown)) if shown else md(t("verify.nothing_held", lang)))
    choice = st.radio(
        t(f"verify.field.{field}", lang),
        options=("keep", "change"),
        format_func=lambda o: t(f"verify.{o}", lang),
        horizontal=True,
        key=f"verify-{field}-mode",
        label_visibility="collapsed",
    )
    return choice == "change"


def _languages_text(codes: str, lang: str) -> str:
    return ", ".join(i18n.language_name(c, lang) for c in codes.split(";") if c)


def _hours(row: Mapping[str, str], lang: str, problems: list[str]) -> dict[str, str]:
    """The weekly editor; returns ``opening_hours`` / ``opening_hours_osm`` changes."""
    t = i18n.t
    current = row.get("opening_hours", "") or row.get("opening_hours_osm", "")
    if not _mode("opening_hours", lang, current):
        return {}
    st.caption(t("verify.hours_help", lang))
    week = hours_editor.osm_to_week(row.get("opening_hours_osm", "")) or {}
    names = get_day_names("wide", locale=i18n.resolve_language(lang))
    typed: dict[str, tuple[str, ...]] = {}
    columns = st.columns(2)
    for index, day in enumerate(hours_editor.DAYS):
        with columns[index % 2]:
            text = st.text_input(
                names[index],
                value=", ".join(week.get(day, ())),
                key=f"verify-hours-{day}",
                max_chars=60,
                placeholder="09:00-12:00, 13:00-16:00",
            )
        ranges = hours_editor.parse_day(text or "")
        if ranges is None:
            problems.append(t("verify.hours_invalid", lang, day=names[index]))
        else:
            typed[day] = ranges
    closed = st.checkbox(t("verify.holidays_closed", lang), value=True, key="verify-hours-ph")
    note = st.text_input(
        t("verify.hours_text", lang), value="", key="verify-hours-text", max_chars=corrections.MAX_VALUE_CHARS
    )
    osm = hours_editor.week_to_osm(typed, holidays_closed=closed)
    if any(typed.values()) and not osm:
        problems.append(t("verify.hours_invalid", lang, day="—"))
    text = "; ".join(x for x in (_german_week(typed), (note or "").strip()) if x)
    return {"opening_hours": text, "opening_hours_osm": osm}


def _german_week(week: Mapping[str, tuple[str, ...]]) -> str:
    """The week as the directory's German text (``Mo 09:00-12:00; Mi 13:00-16:00``)."""
    german = dict(zip(hours_editor.DAYS, ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"), strict=True))
    return "; ".join(f"{german[d]} {', '.join(r)}" for d in hours_editor.DAYS if (r := week.get(d)))


def _form(row: Mapping[str, str], lang: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Draw the fields; return the changes (columns), the extras and the problems found."""
    t = i18n.t
    changes: dict[str, str] = {}
    extra: dict[str, str] = {}
    problems: list[str] = []
    address = ", ".join(
        x
        for x in (
            row.get("street", ""),
            " ".join(y for y in (row.get("postcode", ""), row.get("city", "")) if y),
        )
        if x
    )
    if _mode("address", lang, address):
        for column in ("street", "postcode", "city"):
            changes[column] = st.text_input(
                t(f"verify.{column}", lang), value=row.get(column, ""), key=f"verify-{column}", max_chars=200
            ).strip()
    for column in _TEXT_FIELDS:
        if _mode(column, lang, row.get(column, "")):
            value = st.text_input(
                t("verify.new_value", lang, field=t(f"verify.field.{column}", lang)),
                value=row.get(column, ""),
                key=f"verify-{column}",
                max_chars=300,
            ).strip()
            if column == "website" and value and not value.lower().startswith(("https://", "http://")):
                problems.append(t("verify.website_invalid", lang))
            if column == "email" and value and ("@" not in value or " " in value.strip()):
                problems.append(t("verify.email_invalid", lang))
            changes[column] = value
    changes.update(_hours(row, lang, problems))
    stated = [c for c in (row.get("languages", "") or "").split(";") if c]
    if _mode("languages", lang, _languages_text(row.get("languages", ""), lang)):
        options = list(dict.fromkeys([*stated, *LANGUAGE_CHOICES]))
        picked = st.multiselect(
            t("verify.languages_pick", lang),
            options=options,
            default=stated,
            format_func=lambda c: i18n.language_name(c, lang),
            key="verify-languages",
        )
        changes["languages"] = ";".join(picked)
    answers = {"yes": t("verify.yes", lang), "no": t("verify.no", lang), "": t("verify.unknown", lang)}
    if _mode(
        "interpreting", lang, answers.get(row.get("interpreting", ""), "") if row.get("interpreting") else ""
    ):
        changes["interpreting"] = st.radio(
            t("verify.field.interpreting", lang),
            options=list(answers),
            format_func=answers.get,
            key="verify-interpreting",
        )
    access = {"yes": t("verify.yes", lang), "partly": t("verify.partly", lang), "no": t("verify.no", lang)}
    if _mode("step_free", lang, ""):
        extra["step_free"] = {"yes": "ja", "partly": "teilweise", "no": "nein"}[
            st.radio(
                t("verify.field.step_free", lang),
                options=list(access),
                format_func=access.get,
                key="verify-step-free",
            )
        ]
    if _mode("appointment_url", lang, ""):
        url = st.text_input(
            t("verify.new_value", lang, field=t("verify.field.appointment_url", lang)),
            key="verify-appointment",
            max_chars=300,
        ).strip()
        if url and not url.lower().startswith(("https://", "http://")):
            problems.append(t("verify.website_invalid", lang))
        extra["appointment_url"] = url
    status_labels = {s: t(f"verify.status.{s}", lang) for s in ("open", "moved", "closed")}
    if _mode("status", lang, status_labels["open"] if row.get("status", "") != "closed" else ""):
        status = st.radio(
            t("verify.field.status", lang),
            options=list(status_labels),
            format_func=status_labels.get,
            key="verify-status",
        )
        if status == "closed":
            changes["status"] = "closed"
        elif status == "moved" and "street" not in changes:
            problems.append(t("verify.moved_needs_address", lang))
    extra["note"] = st.text_area(
        t("verify.field.note", lang), key="verify-note", max_chars=corrections.MAX_NOTE_CHARS
    ).strip()
    changes = {c: v for c, v in changes.items() if v != (row.get(c, "") or "")}
    return changes, {k: v for k, v in extra.items() if v}, problems


def _summary(row: Mapping[str, str], changes: Mapping[str, str], extra: Mapping[str, str]) -> str:
    lines = [f"{c}: {row.get(c, '')!r} -> {v!r}" for c, v in changes.items()]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "Answer of the office through its verification link:\n" + "\n".join(lines)


def _check(outreach: OutreachStore, token: object, lang: str) -> LinkView | None:
    t = i18n.t
    try:
        return outreach.check(token, client_key=client_key())
    except LinkError as exc:
        st.error(t(f"verify.problem.{exc.problem}", lang))
    except RateLimitedError:
        st.warning(t("verify.rate_limited", lang))
    except Exception:  # a database outage must not show a traceback
        logger.exception("cannot check a verification link")
        st.error(t("verify.unavailable", lang))
    return None


def render_verify_page() -> None:
    """Draw the whole page."""
    lang = verify_lang()
    t = i18n.t
    res.page_style(lang)
    head = st.columns([3, 1], vertical_alignment="bottom")
    head[0].title(t("verify.title", lang))
    with head[1]:
        _lang_selector(lang)
    done = st.session_state.get(_DONE_KEY)
    if done:
        st.success(t(f"verify.thanks_{done}", lang))
        return
    try:
        outreach = get_outreach()
    except Exception:
        logger.exception("cannot open the outreach store")
        st.error(t("verify.unavailable", lang))
        return
    link = _check(outreach, st.query_params.get("token"), lang)
    if link is None:
        return
    try:
        row = _editor().row(link.office_id)
    except Exception:
        logger.exception("the office of a valid link is not in the directory")
        st.error(t("verify.unavailable", lang))
        return
    st.markdown(f"## {md(row.get('name', ''))}")
    st.write(t("verify.intro", lang))
    st.caption(t("verify.expires", lang, date=i18n.format_date(link.expires_at.date().isoformat(), lang)))
    if st.button(
        t("verify.all_correct", lang),
        type="primary",
        key="verify-all-correct",
        help=t("verify.all_correct_help", lang),
    ):
        _finish(
            lambda: outreach.confirm(st.query_params.get("token"), _editor(), client_key=client_key()),
            "confirm",
            lang,
        )
        return
    st.subheader(t("verify.or_correct", lang))
    changes, extra, problems = _form(row, lang)
    st.caption(t("verify.use_of_data", lang))
    if st.button(t("verify.send", lang), key="verify-send"):
        if problems:
            for problem in problems:
                st.warning(problem)
            return
        if not changes and not extra:
            st.info(t("verify.nothing_changed", lang))
            return
        _finish(
            lambda: outreach.submit_changes(
                st.query_params.get("token"),
                changes,
                extra,
                summary=_summary(row, changes, extra),
                client_key=client_key(),
            ),
            "changes",
            lang,
        )


def _finish(action: Any, kind: str, lang: str) -> None:
    t = i18n.t
    try:
        action()
    except LinkError as exc:
        st.error(t(f"verify.problem.{exc.problem}", lang))
        return
    except RateLimitedError:
        st.warning(t("verify.rate_limited", lang))
        return
    except corrections.CorrectionError as exc:
        st.error(t("verify.not_saved", lang))
        st.text(str(exc))
        return
    except Exception:
        logger.exception("cannot store an office's answer")
        st.error(t("verify.unavailable", lang))
        return
    if kind == "confirm":
        _refresh_app()
    st.session_state[_DONE_KEY] = kind
    st.rerun()
