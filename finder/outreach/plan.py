"""Which offices a verification round asks, and how far the rounds have come (status and coverage).

The rule (:class:`Rule`): offices of the chosen districts and kinds (all if none are chosen) that are
*never confirmed*, or whose source and last confirmation are *older than N months*, or that *miss* one of
the chosen fields; several reasons are alternatives, and without any reason every office of the chosen
districts and kinds is asked. Closed offices are never asked, nor offices that hold a link that can still
be used (revoke it first to ask again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from finder import freshness, vocab
from finder.outreach.store import AnswerView, LinkView, OutreachStore

__all__ = [
    "CONFIRMED_WITHIN_DAYS",
    "MISSING_CHOICES",
    "STATES",
    "Rule",
    "coverage",
    "missing_fields",
    "office_states",
    "round_coverage",
    "select_offices",
    "status_tables",
]

#: Fields a rule can ask about (``--missing``), and what the letters list as missing.
MISSING_CHOICES: tuple[str, ...] = ("street", "postcode", "phone", "email", "website", "languages",
                                    "opening_hours")  # fmt: skip
#: An office counts as confirmed in the coverage when it was within this many days (12 months).
CONFIRMED_WITHIN_DAYS = 365
#: The states of an office in a round, in order.
STATES: tuple[str, ...] = ("planned", "sent", "opened", "answered", "confirmed", "changed", "rejected",
                           "revoked", "expired")  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """Which offices to ask (see the module docstring)."""

    districts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    older_than_months: int | None = None
    missing: tuple[str, ...] = ()
    never_confirmed: bool = False
    everything: bool = False

    @property
    def has_reason(self) -> bool:
        """Whether the rule names a reason to ask (else every office of its districts and kinds)."""
        return self.older_than_months is not None or bool(self.missing) or self.never_confirmed

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (kept with the round)."""
        return asdict(self)


def missing_fields(row: Mapping[str, Any], fields: Sequence[str] = MISSING_CHOICES) -> list[str]:
    """The ``fields`` an office leaves blank.

    Examples
    --------
    >>> missing_fields({"phone": "0351 1", "email": "", "languages": " "}, ("phone", "email", "languages"))
    ['email', 'languages']
    """
    return [f for f in fields if not str(row.get(f, "") or "").strip()]


def _months_before(today: dt.date, months: int) -> dt.date:
    month = today.month - 1 - months
    year, month = today.year + month // 12, month % 12 + 1
    day = min(today.day, 28)
    return dt.date(year, month, day)


def _latest(row: Mapping[str, Any]) -> dt.date | None:
    dates = [freshness.period_end(str(row.get(c, "") or "")) for c in ("source_date", "confirmed")]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def select_offices(
    offices: pd.DataFrame, rule: Rule, *, today: dt.date, exclude: set[str] | frozenset[str] = frozenset()
) -> pd.DataFrame:
    """The offices ``rule`` asks, in directory order, with a ``missing`` column (``;``-separated).

    Parameters
    ----------
    offices
        The directory with maintainers' and offices' confirmations (``confirmed``; as
        :func:`finder.corrections.load_directory` gives it).
    rule
        The selection.
    today
        Reference date for "older than N months".
    exclude
        Offices not to ask (they hold a live link).
    """
    frame = offices.copy()
    keep = (
        ~frame["status"].fillna("").astype(str).eq("closed")
        if "status" in frame
        else pd.Series(True, frame.index)
    )
    keep &= ~frame["id"].isin(exclude)
    if rule.districts:
        keep &= frame["district"].isin(rule.districts)
    if rule.kinds:
        keep &= frame["kind"].isin(rule.kinds)
    records = frame.to_dict("records")
    if not rule.everything and rule.has_reason:
        reasons = pd.Series(False, index=frame.index)
        if rule.never_confirmed:
            reasons |= frame.get("confirmed", pd.Series("", index=frame.index)).fillna("").astype(str).eq("")
        if rule.older_than_months is not None:
            limit = _months_before(today, rule.older_than_months)
            reasons |= pd.Series([(d := _latest(r)) is None or d < limit for r in records], index=frame.index)
        if rule.missing:
            reasons |= pd.Series([bool(missing_fields(r, rule.missing)) for r in records], index=frame.index)
        keep &= reasons
    chosen = frame[keep].copy()
    chosen["missing"] = [";".join(missing_fields(r)) for r in chosen.to_dict("records")]
    return chosen


def _state(link: LinkView, answer: AnswerView | None, now: dt.datetime) -> str:
    if answer is not None:
        if answer.kind == "confirm":
            return "confirmed"
        return {"accepted": "changed", "rejected": "rejected"}.get(answer.status, "answered")
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if link.opened_at is not None:
        return "opened"
    if link.sent_at is not None:
        return "sent"
    return "planned"


def office_states(
    links: Sequence[LinkView],
    answers: Sequence[AnswerView],
    now: dt.datetime,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The state of each office in its newest round.

    Returns
    -------
    list of dict
        ``id``, ``name``, ``round``, ``state`` (:data:`STATES`), ``sent``, ``opened``, ``answered``,
        ``confirmed`` (ISO dates or ``None``), ``expires``, ``email`` (whether it has one).
    """
    by_link = {a.id: a for a in answers}
    answer_of = {}
    for a in by_link.values():
        answer_of[(a.round_id, a.office_id)] = a
    newest: dict[str, LinkView] = {}
    for link in links:
        newest[link.office_id] = link
    out = []
    for office_id, link in newest.items():
        answer = answer_of.get((link.round_id, office_id))
        state = _state(link, answer, now)
        confirmed = answer.created_at if answer is not None and state in ("confirmed", "changed") else None
        out.append({
            "id": office_id,
            "name": (names or {}).get(office_id, ""),
            "round": link.round_id,
            "state": state,
            "sent": _day(link.sent_at),
            "opened": _day(link.opened_at),
            "answered": _day(answer.created_at if answer is not None else None),
            "confirmed": _day(confirmed),
            "expires": _day(link.expires_at),
            "email": bool(link.email),
        })  # fmt: skip
    return out


def _day(value: dt.datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None


def coverage(offices: pd.DataFrame, *, today: dt.date) -> pd.DataFrame:
    """Per district and kind (with subtotals): offices, confirmed in the last 12 months, languages stated.

    ``offices`` carries ``confirmed`` (the newest confirmation by a maintainer or the office itself) and
    ``confirmed_by`` (``office`` when the office's own is the newest). Closed offices are left out.

    Returns
    -------
    pandas.DataFrame
        ``district``, ``kind``, ``offices``, ``confirmed_12m``, ``confirmed_by_office_12m``,
        ``languages_stated``, ``share_confirmed_12m``, ``share_languages_stated`` (0–1, rounded to 3 places).
    """
    frame = offices[~offices.get("status", pd.Series("", index=offices.index)).fillna("").eq("closed")]
    limit = today - dt.timedelta(days=CONFIRMED_WITHIN_DAYS)
    confirmed = frame.get("confirmed", pd.Series("", index=frame.index)).fillna("").astype(str)
    by = frame.get("confirmed_by", pd.Series("", index=frame.index)).fillna("").astype(str)
    recent = confirmed.map(lambda d: (p := freshness.period_end(d)) is not None and p >= limit)
    data = pd.DataFrame({
        "district": frame["district"].astype(str),
        "kind": frame["kind"].astype(str),
        "confirmed_12m": recent,
        "confirmed_by_office_12m": recent & by.eq("office"),
        "languages_stated": frame["languages"].fillna("").astype(str).str.strip().ne(""),
    })  # fmt: skip

    def row(group: pd.DataFrame, district: str, kind: str) -> dict[str, Any]:
        n = len(group)
        out: dict[str, Any] = {"district": district, "kind": kind, "offices": n}
        for column in ("confirmed_12m", "confirmed_by_office_12m", "languages_stated"):
            out[column] = int(group[column].sum())
        out["share_confirmed_12m"] = round(out["confirmed_12m"] / n, 3) if n else 0.0
        out["share_languages_stated"] = round(out["languages_stated"] / n, 3) if n else 0.0
        return out

    order = [*vocab.DISTRICTS, vocab.STATEWIDE]
    rows = []
    for district in sorted(set(data["district"]), key=lambda d: (order.index(d) if d in order else 99, d)):
        part = data[data["district"] == district]
        for kind in sorted(
            set(part["kind"]), key=lambda k: (vocab.KINDS.index(k) if k in vocab.KINDS else 99, k)
        ):
            rows.append(row(part[part["kind"] == kind], district, kind))
        rows.append(row(part, district, freshness.ALL))
    rows.append(row(data, freshness.ALL, freshness.ALL))
    return pd.DataFrame(rows)


def round_coverage(offices: pd.DataFrame, *, today: dt.date) -> dict[str, Any]:
    """The whole directory's line of :func:`coverage` (for ``finder report`` and the about page)."""
    total = coverage(offices, today=today).iloc[-1].to_dict()
    return {
        k: (v.item() if hasattr(v, "item") else v) for k, v in total.items() if k not in ("district", "kind")
    }


def status_tables(
    offices: pd.DataFrame, outreach: OutreachStore, round_id: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The state of each office asked (:func:`office_states`) and the :func:`coverage`, as tables.

    ``offices`` is the directory with confirmations (:func:`finder.corrections.load_directory`); used by
    ``finder outreach status`` and the review page.
    """
    now = outreach.store.clock()
    names = dict(zip(offices["id"].astype(str), offices["name"].astype(str), strict=True))
    states = office_states(outreach.links(round_id), outreach.answers(round_id=round_id), now, names)
    columns = ["id", "name", "round", "state", "sent", "opened", "answered", "confirmed", "expires", "email"]
    return pd.DataFrame(states, columns=columns), coverage(offices, today=now.date())
