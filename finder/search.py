"""Nearest offices by geodesic distance, filtered by topic, language, kind and age.

Pure functions over an :class:`OfficeIndex` (numpy arrays built once from the directory table), so a
query costs one vectorised geodesic computation over the matching offices (pyproj's ``Geod.inv``, the
same Karney algorithm as ``geopy.distance.geodesic``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from finder.distance import geodesic_km
from finder.vocab import KIND_AGE_RANGE, STATEWIDE

#: Age bands that a target group restricts an office to (otherwise the kind's band applies).
TARGET_GROUP_AGE_RANGE: dict[str, tuple[int, int]] = {"12-27": (12, 27), "27+": (27, 200)}
#: Kinds responsible for a district by law rather than by distance, in the order shown.
RESPONSIBLE_KINDS: tuple[str, ...] = ("ABH", "KAIB")


@dataclass(frozen=True)
class Query:
    """What a person is looking for. Empty tuples mean "any".

    Parameters
    ----------
    topics
        Topic codes; an office matches if it offers any of them.
    languages
        ISO 639-1 codes; offices stating any of them match, offices stating none come after them,
        flagged ``language_stated = False``; offices stating only other languages are left out.
    kinds
        Office kinds; an office matches if it is of any of them.
    age
        The person's age; leaves out offices for another age band (JMD 12–27, MBE 27+).
    limit
        At most this many results.
    radius_km
        Leave out offices farther than this (``None``: no limit).
    """

    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    age: int | None = None
    limit: int = 10
    radius_km: float | None = None


@dataclass(frozen=True, eq=False)
class OfficeIndex:
    """The directory as arrays, for fast filtering and distances (build with :meth:`from_offices`)."""

    offices: pd.DataFrame
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    located: np.ndarray  # has coordinates
    statewide: np.ndarray
    kind: np.ndarray
    age_low: np.ndarray
    age_high: np.ndarray
    topic_sets: tuple[frozenset[str], ...]
    language_sets: tuple[frozenset[str], ...]
    _masks: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_offices(cls, offices: pd.DataFrame) -> OfficeIndex:
        """Build the index from the table returned by :func:`finder.directory.load_offices`."""
        offices = offices.reset_index(drop=True)
        lat = pd.to_numeric(offices["lat"], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(offices["lon"], errors="coerce").to_numpy(dtype=float)
        bands = [
            TARGET_GROUP_AGE_RANGE.get(tg) or KIND_AGE_RANGE.get(kind) or (0, 200)
            for tg, kind in zip(offices["target_group"], offices["kind"], strict=True)
        ]
        return cls(
            offices=offices,
            ids=offices["id"].to_numpy(dtype=object),
            lat=lat,
            lon=lon,
            located=np.isfinite(lat) & np.isfinite(lon),
            statewide=(offices["district"] == STATEWIDE).to_numpy(),
            kind=offices["kind"].to_numpy(dtype=object),
            age_low=np.array([b[0] for b in bands]),
            age_high=np.array([b[1] for b in bands]),
            topic_sets=tuple(frozenset(t for t in s.split(";") if t) for s in offices["topics"]),
            language_sets=tuple(frozenset(t for t in s.split(";") if t) for s in offices["languages"]),
        )

    def filter_masks(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks ``(matches, language_stated)`` of the offices matching ``query``'s filters.

        ``matches`` includes offices whose languages are not stated when a language filter is set;
        ``language_stated`` tells them apart. Distance and limit are not applied here.
        """
        key = (query.topics, query.languages, query.kinds, query.age)
        cached = self._masks.get(key)
        if cached is not None:
            return cached
        n = len(self.ids)
        mask = np.ones(n, dtype=bool)
        if query.topics:
            wanted = set(query.topics)
            mask &= np.fromiter((bool(s & wanted) for s in self.topic_sets), bool, n)
        if query.kinds:
            mask &= np.isin(self.kind, list(query.kinds))
        if query.age is not None:
            mask &= (self.age_low <= query.age) & (query.age <= self.age_high)
        stated = np.fromiter((bool(s) for s in self.language_sets), bool, n)
        if query.languages:
            wanted = set(query.languages)
            speaks = np.fromiter((bool(s & wanted) for s in self.language_sets), bool, n)
            mask &= speaks | ~stated
        result = (mask, stated)
        self._masks[key] = result
        return result


def nearest_positions(
    index: OfficeIndex, lat: float, lon: float, query: Query
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the nearest matching offices and their distances in km, in result order.

    Offices stating a wanted language come first (by distance), then offices that state no language.
    Statewide services and offices without coordinates are not part of a distance search.
    """
    mask, stated = index.filter_masks(query)
    candidates = np.flatnonzero(mask & index.located & ~index.statewide)
    if candidates.size == 0:
        return candidates, np.empty(0)
    dist = geodesic_km(lat, lon, index.lat[candidates], index.lon[candidates])
    if query.radius_km is not None:
        inside = dist <= query.radius_km
        candidates, dist = candidates[inside], dist[inside]
    # lexsort: last key is primary. Language-stated matches first, then by distance, then by id.
    tier = ~stated[candidates] if query.languages else np.zeros(candidates.size, dtype=bool)
    order = np.lexsort((index.ids[candidates].astype(str), dist, tier))[: max(query.limit, 0)]
    return candidates[order], dist[order]


def nearest(index: OfficeIndex, lat: float, lon: float, query: Query) -> pd.DataFrame:
    """The nearest matching offices as a table with ``distance_km`` and ``language_stated`` added."""
    positions, dist = nearest_positions(index, lat, lon, query)
    table = index.offices.iloc[positions].copy()
    table["distance_km"] = np.round(dist, 2)
    table["language_stated"] = [bool(index.language_sets[p]) for p in positions]
    return table.reset_index(drop=True)


def responsible(index: OfficeIndex, district: str | None) -> pd.DataFrame:
    """The district's immigration authority (ABH) and commissioner(s) (KAIB).

    Responsibility goes by district, not by distance.
    """
    offices = index.offices
    if not district:
        return offices.iloc[0:0].copy()
    rows = offices[(offices["district"] == district) & offices["kind"].isin(RESPONSIBLE_KINDS)].copy()
    rows["_order"] = rows["kind"].map({k: i for i, k in enumerate(RESPONSIBLE_KINDS)})
    return rows.sort_values(["_order", "name"]).drop(columns="_order").reset_index(drop=True)


def statewide(index: OfficeIndex, query: Query) -> pd.DataFrame:
    """Statewide and online services matching the filters (no distance), language-stated first."""
    mask, stated = index.filter_masks(query)
    positions = np.flatnonzero(mask & index.statewide)
    table = index.offices.iloc[positions].copy()
    table["language_stated"] = stated[positions]
    if query.languages:
        table = table.sort_values(["language_stated", "name"], ascending=[False, True])
    return table.reset_index(drop=True)
