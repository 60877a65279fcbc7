"""How fresh each directory entry is, and the maintainers' work list (shown by ``finder report``).

Two dates per office, kept apart because they mean different things:

- ``source_date``: the date the source page shows (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``); how old the
  facts are.
- ``last_checked``: when the team last checked the row against its source (or a maintainer changed it);
  it says the row matches its source, not that the source is still right.

An entry is *fresh as of* the newest of its source date and the last time a maintainer confirmed the
office itself ("still correct", kept in the corrections database; :func:`finder.corrections.load_directory`
puts it in the table's ``confirmed`` column). It is *stale* when that date is older
than ``settings.stale_after_days`` (default two years), or when there is no such date at all. A partial
source date counts from the end of the period it names (a page dated "2022" may be from December 2022),
so no entry is called stale earlier than it could be.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from finder import i18n, vocab
from finder import settings as _settings

#: Fields counted as "missing" in the report (column → report column).
MISSING_FIELDS: dict[str, str] = {
    "street": "missing_street",
    "postcode": "missing_postcode",
    "phone": "missing_phone",
    "email": "missing_email",
    "languages": "missing_languages",
    "opening_hours": "missing_opening_hours",
}
#: Status of an office as the work list orders it: possibly closed ones need a check most, closed ones least.
_STATUS_ORDER: dict[str, int] = {"possibly closed": 0, "": 1, "active": 1, "closed": 2}
#: Label of subtotal rows in the report.
ALL = "(all)"


def period_end(value: str) -> dt.date | None:
    """The last day of the period a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date names.

    Parameters
    ----------
    value
        The date text (blank or invalid gives ``None``).

    Returns
    -------
    datetime.date or None

    Examples
    --------
    >>> period_end("2018"), period_end("2020-02"), period_end("2021-03-04")
    (datetime.date(2018, 12, 31), datetime.date(2020, 2, 29), datetime.date(2021, 3, 4))
    """
    parts = (value or "").strip().split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 1:
            return dt.date(numbers[0], 12, 31)
        if len(numbers) == 2:
            year, month = numbers
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        if len(numbers) == 3:
            return dt.date(*numbers)
    except (ValueError, calendar.IllegalMonthError):
        return None
    return None


@dataclass(frozen=True)
class Freshness:
    """How fresh one office's entry is.

    Attributes
    ----------
    office_id
        The office.
    source_date, last_checked
        As in ``offices.csv`` (possibly blank).
    confirmed
        When a maintainer last confirmed the office ("still correct"), else ``None``.
    as_of
        The newest of the source date (end of its period) and ``confirmed``; ``None`` without either.
    age_days
        Days from ``as_of`` to today; ``None`` without ``as_of``.
    stale
        Older than the limit, or no date at all.
    reason
        ``"no-date"``, ``"old"`` or ``""`` (fresh).
    """

    office_id: str
    source_date: str
    last_checked: str
    confirmed: dt.date | None
    as_of: dt.date | None
    age_days: int | None
    stale: bool
    reason: str

    def parts(self) -> list[tuple[str, dict[str, str]]]:
        """The label as catalogue keys with their arguments (dates as ISO text).

        Keys: ``office.as_of`` (``date``: the source date), ``office.undated``, ``office.checked``
        (``date``), ``office.confirmed`` (``date``), ``office.may_be_outdated``.
        """
        out: list[tuple[str, dict[str, str]]] = []
        if self.source_date:
            out.append(("office.as_of", {"date": self.source_date}))
        else:
            out.append(("office.undated", {}))
        if self.last_checked:
            out.append(("office.checked", {"date": self.last_checked}))
        if self.confirmed is not None:
            out.append(("office.confirmed", {"date": self.confirmed.isoformat()}))
        if self.stale:
            out.append(("office.may_be_outdated", {}))
        return out

    def label(self, lang: str = "en") -> str:
        """The label in ``lang``, dates as written (``as of 2018 · checked 2026-11-28 · may be outdated``)."""
        return " · ".join(i18n.t(key, lang, **kwargs) for key, kwargs in self.parts())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO dates) with the English label."""
        return {
            "id": self.office_id,
            "source_date": self.source_date,
            "last_checked": self.last_checked,
            "confirmed": self.confirmed.isoformat() if self.confirmed else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "age_days": self.age_days,
            "stale": self.stale,
            "reason": self.reason,
            "label": self.label(),
        }


def _as_date(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return period_end(str(value))


def freshness_of(
    row: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    stale_after_days: int | None = None,
    confirmed: dt.date | dt.datetime | str | None = None,
) -> Freshness:
    """How fresh one office is.

    Parameters
    ----------
    row
        An office (a row of the directory; needs ``id``, ``source_date``, ``last_checked``).
    today
        The reference date; default today.
    stale_after_days
        The age limit; default ``settings.stale_after_days``.
    confirmed
        When a maintainer last confirmed the office; default the row's ``confirmed`` value (if any).

    Returns
    -------
    Freshness
    """
    today = today or dt.date.today()
    limit = _settings.load().stale_after_days if stale_after_days is None else stale_after_days
    source_date = str(row.get("source_date", "") or "")
    confirmed_date = _as_date(confirmed if confirmed is not None else row.get("confirmed"))
    dates = [d for d in (period_end(source_date), confirmed_date) if d is not None]
    as_of = max(dates) if dates else None
    if as_of is None:
        age, stale, reason = None, True, "no-date"
    else:
        age = (today - as_of).days
        stale = age > limit
        reason = "old" if stale else ""
    return Freshness(
        office_id=str(row.get("id", "")),
        source_date=source_date,
        last_checked=str(row.get("last_checked", "") or ""),
        confirmed=confirmed_date,
        as_of=as_of,
        age_days=age,
        stale=stale,
        reason=reason,
    )


def assess(
    offices: pd.DataFrame,
    *,
    today: dt.date | None = None,
    stale_after_days: int | None = None,
) -> pd.DataFrame:
    """Freshness of every office.

    Parameters
    ----------
    offices
        The directory (:func:`finder.corrections.load_directory`; its optional ``confirmed`` column holds
        maintainers' confirmations).
    today, stale_after_days
        As in :func:`freshness_of`.

    Returns
    -------
    pandas.DataFrame
        Same index as ``offices``; columns ``id``, ``source_date``, ``last_checked``, ``confirmed``,
        ``as_of`` (ISO text, blank when unknown), ``age_days`` (``Int64``), ``stale`` (bool), ``reason``,
        ``label`` (English).
    """
    records = []
    for row in offices.to_dict("records"):
        f = freshness_of(row, today=today, stale_after_days=stale_after_days)
        records.append(
            {
                "id": f.office_id,
                "source_date": f.source_date,
                "last_checked": f.last_checked,
                "confirmed": f.confirmed.isoformat() if f.confirmed else "",
                "as_of": f.as_of.isoformat() if f.as_of else "",
                "age_days": f.age_days,
                "stale": f.stale,
                "reason": f.reason,
                "label": f.label(),
            }
        )
    columns = [
        "id",
        "source_date",
        "last_checked",
        "confirmed",
        "as_of",
        "age_days",
        "stale",
        "reason",
        "label",
    ]
    out = pd.DataFrame(records, columns=columns, index=offices.index)
    out["age_days"] = out["age_days"].astype("Int64")
    out["stale"] = out["stale"].astype(bool)
    return out


def _order(values: pd.Series, order: tuple[str, ...]) -> pd.Series:
    rank = {name: i for i, name in enumerate(order)}
    return values.map(lambda v: rank.get(v, len(rank)))


def work_list(
    offices: pd.DataFrame,
    *,
    today: dt.date | None = None,
    stale_after_days: int | None = None,
) -> pd.DataFrame:
    """One row per office, the ones most in need of a check first.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``district``, ``kind``, ``status`` (blank = active), ``as_of``, ``age_days``,
        ``stale``, ``reason``, ``missing`` (``;``-separated fields from :data:`MISSING_FIELDS`); possibly
        closed offices first and closed ones last, and within each: stale first, then undated, then oldest
        first.
    """
    fresh = assess(offices, today=today, stale_after_days=stale_after_days)
    missing = offices.apply(
        lambda row: ";".join(col for col in MISSING_FIELDS if not str(row.get(col, "") or "").strip()), axis=1
    )
    out = pd.DataFrame(
        {
            "id": offices["id"],
            "name": offices["name"],
            "district": offices["district"],
            "kind": offices["kind"],
            "status": _column(offices, "status"),
            "as_of": fresh["as_of"],
            "age_days": fresh["age_days"],
            "stale": fresh["stale"],
            "reason": fresh["reason"],
            "missing": missing.astype(str) if len(offices) else pd.Series(dtype=str),
        }
    )
    # Undated entries sort before dated ones of any age: nobody knows how old they are.
    age_key = fresh["age_days"].astype("Float64").fillna(float("inf"))
    status_key = out["status"].map(lambda v: _STATUS_ORDER.get(v, 1))
    out = out.assign(_status=status_key, _stale=~out["stale"], _age=-age_key)
    out = out.sort_values(["_status", "_stale", "_age", "id"])
    return out.drop(columns=["_status", "_stale", "_age"]).reset_index(drop=True)


def _column(offices: pd.DataFrame, name: str) -> pd.Series:
    """A text column, blank where the table lacks it (a table from before the column existed)."""
    if name in offices:
        return offices[name].fillna("").astype(str)
    return pd.Series("", index=offices.index, dtype=object)


def report(
    offices: pd.DataFrame,
    *,
    today: dt.date | None = None,
    stale_after_days: int | None = None,
) -> pd.DataFrame:
    """Freshness and completeness of the directory per district and kind, with subtotals.

    Returns
    -------
    pandas.DataFrame
        One row per (district, kind) present, a subtotal row per district (``kind`` = ``"(all)"``) and a
        grand total (both ``"(all)"``). Columns: ``district``, ``kind``, ``offices``, ``stale``,
        ``no_source_date``, ``missing_street``, ``missing_postcode``, ``missing_phone``, ``missing_email``,
        ``missing_languages``, ``missing_opening_hours``, ``no_location``, ``structured_hours`` (offices
        with ``opening_hours_osm``), ``interpreting`` (``yes``), ``possibly_closed``, ``closed``,
        ``oldest_source`` (the oldest ``source_date`` text), ``oldest_check`` (the oldest ``last_checked``).
    """
    fresh = assess(offices, today=today, stale_after_days=stale_after_days)
    data = pd.DataFrame(
        {
            "district": offices["district"].astype(str),
            "kind": offices["kind"].astype(str),
            "stale": fresh["stale"],
            "no_source_date": offices["source_date"].astype(str).str.strip() == "",
            "source_end": offices["source_date"].astype(str).map(period_end),
            "source_date": offices["source_date"].astype(str),
            "last_checked": offices["last_checked"].astype(str),
        },
        index=offices.index,
    )
    for column, name in MISSING_FIELDS.items():
        data[name] = offices[column].astype(str).str.strip() == ""
    if "has_location" in offices:
        data["no_location"] = ~offices["has_location"].astype(bool)
    else:
        data["no_location"] = offices["lat"].astype(str).str.strip().isin(["", "nan"])
    data["structured_hours"] = _column(offices, "opening_hours_osm").str.strip() != ""
    data["interpreting"] = _column(offices, "interpreting") == "yes"
    data["possibly_closed"] = _column(offices, "status") == "possibly closed"
    data["closed"] = _column(offices, "status") == "closed"

    added = ["structured_hours", "interpreting", "possibly_closed", "closed"]
    count_columns = ["stale", "no_source_date", *MISSING_FIELDS.values(), "no_location", *added]

    def summarise(group: pd.DataFrame, district: str, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"district": district, "kind": kind, "offices": len(group)}
        for column in count_columns:
            out[column] = int(group[column].sum())
        dated = group[group["source_end"].notna()]
        out["oldest_source"] = dated.loc[dated["source_end"].idxmin(), "source_date"] if len(dated) else ""
        checks = group["last_checked"][group["last_checked"].str.strip() != ""]
        out["oldest_check"] = checks.min() if len(checks) else ""
        return out

    districts = [*vocab.DISTRICTS, vocab.STATEWIDE]
    rows = []
    present = sorted(set(data["district"]), key=lambda d: (districts.index(d) if d in districts else 99, d))
    for district in present:
        in_district = data[data["district"] == district]
        kinds = sorted(
            set(in_district["kind"]), key=lambda k: (vocab.KINDS.index(k) if k in vocab.KINDS else 99, k)
        )
        rows.extend(summarise(in_district[in_district["kind"] == kind], district, kind) for kind in kinds)
        rows.append(summarise(in_district, district, ALL))
    rows.append(summarise(data, ALL, ALL))
    columns = ["district", "kind", "offices", *count_columns, "oldest_source", "oldest_check"]
    return pd.DataFrame(rows, columns=columns)
