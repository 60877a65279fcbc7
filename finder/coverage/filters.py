"""Which offices count as help: the coverage filters, the matching offices and hypothetical (what-if) ones.

The filters follow :mod:`finder.rules` (the same topics, kinds, language codes and age bounds as the search);
:func:`supply_table` turns the matching offices, plus any what-if offices, into the table every distance is
measured to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from finder import geodata
from finder.errors import CoverageError, LocateError
from finder.rules import MAX_AGE, is_language_code, match_latlon, parse_int, valid_latlon
from finder.search import OfficeIndex, Query
from finder.vocab import KINDS, STATEWIDE, TOPICS

if TYPE_CHECKING:
    from finder.core import Finder

__all__ = [
    "MAX_WHAT_IF",
    "SUPPLY_COLUMNS",
    "CoverageFilter",
    "WhatIf",
    "matching_offices",
    "parse_what_if",
    "supply_table",
    "what_if_point",
]

#: Most hypothetical offices one analysis takes.
MAX_WHAT_IF = 20
#: Columns of the supply table (matching offices with a place, plus hypothetical ones).
SUPPLY_COLUMNS = (
    "id",
    "name",
    "kind",
    "district",
    "city",
    "lat",
    "lon",
    "capacity",
    "hypothetical",
    "precision",
)

# A whole number with an optional minus sign: an age that is a number, but out of range.
_SIGNED_INTEGER = re.compile(r"-?[0-9]+")


def _items(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """Stripped, non-empty items of a comma-separated text or a list, without repeats."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    out: list[str] = []
    for v in value:
        text = str(v).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _age(age: int | str | None) -> int | None:
    """The age as a whole number of years within ``0…MAX_AGE`` (ASCII digits only), or None if blank.

    Raises
    ------
    CoverageError
        For a text that is no whole number, or an age out of range.
    """
    if age is None:
        return None
    text = str(age).strip()
    if text == "":
        return None
    value = parse_int(text, 0, MAX_AGE)
    if value is not None:
        return value
    if _SIGNED_INTEGER.fullmatch(text):
        msg = f"The age must be between 0 and {MAX_AGE}, not {int(text)}."
        raise CoverageError(msg)
    msg = f"The age must be a whole number of years, not “{age}”."
    raise CoverageError(msg)


@dataclass(frozen=True)
class CoverageFilter:
    """Which offices count as "help": empty tuples mean any.

    Parameters
    ----------
    topics, kinds
        Codes of :data:`finder.vocab.TOPICS` / :data:`finder.vocab.KINDS`; an office matches any of them.
    languages
        ISO 639-1 codes; an office matches if it *states* any of them (see ``include_unstated_languages``).
    age
        A person's age; leaves out offices for another age band (JMD 12–27, MBE 27+).
    include_unstated_languages
        Also count offices that state no language (most do not) as possibly matching a language.
    """

    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    age: int | None = None
    include_unstated_languages: bool = False

    @classmethod
    def parse(
        cls,
        topics: Iterable[str] | str | None = (),
        languages: Iterable[str] | str | None = (),
        kinds: Iterable[str] | str | None = (),
        age: int | str | None = None,
        include_unstated_languages: bool = False,
    ) -> CoverageFilter:
        """Check and normalise filters from any front end.

        Raises
        ------
        CoverageError
            For an unknown topic or kind, a malformed language code or an impossible age.

        Examples
        --------
        >>> CoverageFilter.parse("asylum", "AR, fa", age=" 30 ").describe()
        'topic asylum, language ar or fa, age 30'
        """
        topic_t, kind_t = _items(topics), tuple(k.upper() for k in _items(kinds))
        lang_t = tuple(v.lower() for v in _items(languages))
        for code in topic_t:
            if code not in TOPICS:
                msg = f"Unknown topic “{code}”. Topics: {', '.join(TOPICS)}."
                raise CoverageError(msg)
        for code in kind_t:
            if code not in KINDS:
                msg = f"Unknown kind of office “{code}”. Kinds: {', '.join(KINDS)}."
                raise CoverageError(msg)
        for code in lang_t:
            if not is_language_code(code):
                msg = f"“{code}” is not a two-letter ISO 639-1 language code (e.g. ar, fa, uk)."
                raise CoverageError(msg)
        return cls(topic_t, lang_t, kind_t, _age(age), bool(include_unstated_languages))

    @property
    def query(self) -> Query:
        """The same filters as a :class:`finder.search.Query`."""
        return Query(topics=self.topics, languages=self.languages, kinds=self.kinds, age=self.age)

    def describe(self) -> str:
        """The filters in words, e.g. ``topic asylum, language ar``; ``all offices`` without filters."""
        parts = []
        if self.topics:
            parts.append("topic " + " or ".join(self.topics))
        if self.languages:
            extra = " (or not stated)" if self.include_unstated_languages else ""
            parts.append("language " + " or ".join(self.languages) + extra)
        if self.kinds:
            parts.append("kind " + " or ".join(self.kinds))
        if self.age is not None:
            parts.append(f"age {self.age}")
        return ", ".join(parts) if parts else "all offices"

    def to_json(self) -> dict[str, Any]:
        """The filters as a JSON object."""
        return {
            "topics": list(self.topics),
            "languages": list(self.languages),
            "kinds": list(self.kinds),
            "age": self.age,
            "include_unstated_languages": self.include_unstated_languages,
        }


def matching_offices(
    offices: pd.DataFrame, flt: CoverageFilter, index: OfficeIndex | None = None
) -> pd.DataFrame:
    """The offices matching the filters (statewide ones and ones without a location included).

    Parameters
    ----------
    offices
        The directory table (:func:`finder.directory.load_offices`).
    flt
        The filters. With a language, offices stating no language (and offices stating others but working
        with interpreters) count only if ``flt.include_unstated_languages``; closed offices never count.
    index
        A prebuilt :class:`finder.search.OfficeIndex` of ``offices`` (built when missing).
    """
    idx = index if index is not None else OfficeIndex.from_offices(offices)
    mask, stated = idx.filter_masks(flt.query)
    if flt.languages and not flt.include_unstated_languages:
        mask = mask & stated
    return idx.offices.iloc[np.flatnonzero(mask)].reset_index(drop=True)


@dataclass(frozen=True)
class WhatIf:
    """A hypothetical office: where it would be and what it is called."""

    label: str
    lat: float
    lon: float
    district: str | None

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "label": self.label,
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "district": self.district,
        }


def what_if_point(lat: float, lon: float, label: str = "", data_dir: Path | str | None = None) -> WhatIf:
    """A hypothetical office at a coordinate, checked to lie in Saxony.

    Raises
    ------
    CoverageError
        If the coordinates are invalid or outside Saxony.
    """
    if not valid_latlon(lat, lon):
        msg = f"{lat}, {lon} are not valid coordinates (latitude, longitude)."
        raise CoverageError(msg)
    district = geodata.district_at(lat, lon, data_dir)
    if district is None:
        msg = (
            f"The what-if office at {lat:.4f}, {lon:.4f} is outside Saxony; "
            "the analysis only covers Saxony. Choose a town or point in Saxony."
        )
        raise CoverageError(msg)
    return WhatIf(label or f"{lat:.4f}, {lon:.4f}", float(lat), float(lon), district)


def parse_what_if(text: str, finder: Finder | None = None, data_dir: Path | str | None = None) -> WhatIf:
    """A hypothetical office from ``"LAT,LON"`` or a place name (resolved with ``finder.locate``).

    Raises
    ------
    CoverageError
        If the text is empty, no place matches, or the place is outside Saxony.
    """
    text = (text or "").strip()
    if not text:
        msg = "A what-if office needs a town, a postcode or “LAT,LON”."
        raise CoverageError(msg)
    pair = match_latlon(text)
    if pair is not None:
        return what_if_point(*pair, data_dir=data_dir)
    if finder is None:
        msg = f"Cannot look up “{text}” without a Finder; give “LAT,LON” instead."
        raise CoverageError(msg)
    try:
        place = finder.locate(text)
    except LocateError as exc:
        raise CoverageError(f"What-if office: {exc}") from None
    if not place.in_saxony:
        msg = f"The what-if office “{place.label}” is outside Saxony; the analysis only covers Saxony."
        raise CoverageError(msg)
    return what_if_point(place.lat, place.lon, label=place.label, data_dir=data_dir)


def supply_table(matching: pd.DataFrame, what_if: Sequence[WhatIf] = ()) -> pd.DataFrame:
    """The offices that take part in distances: matching, with a place, not statewide; plus what-if ones.

    ``capacity`` is the office's ``capacity`` column where the directory has one (else 1).
    """
    located = matching[
        matching["lat"].notna() & matching["lon"].notna() & (matching["district"] != STATEWIDE)
    ].reset_index(drop=True)
    if "capacity" in located.columns:
        capacity = pd.to_numeric(located["capacity"], errors="coerce").fillna(1.0).clip(lower=0.0)
    else:
        capacity = pd.Series(1.0, index=located.index)
    real = pd.DataFrame(
        {
            "id": located["id"].astype(str),
            "name": located["name"].astype(str),
            "kind": located["kind"].astype(str),
            "district": located["district"].astype(str),
            "city": located.get("city", pd.Series("", index=located.index)).astype(str),
            "lat": located["lat"].astype(float),
            "lon": located["lon"].astype(float),
            "capacity": capacity.astype(float),
            "hypothetical": False,
            "precision": located.get("geocode_precision", pd.Series("", index=located.index)).astype(str),
        }
    )
    extra = pd.DataFrame(
        [
            {
                "id": f"what-if-{i}",
                "name": f"What-if office: {w.label}",
                "kind": "",
                "district": w.district or "",
                "city": w.label,
                "lat": w.lat,
                "lon": w.lon,
                "capacity": 1.0,
                "hypothetical": True,
                "precision": "point",
            }
            for i, w in enumerate(what_if, start=1)
        ],
        columns=list(SUPPLY_COLUMNS),
    )
    if extra.empty:
        return real.reset_index(drop=True)
    if real.empty:
        return extra.astype({"lat": float, "lon": float, "capacity": float, "hypothetical": bool})
    return pd.concat([real, extra], ignore_index=True)
