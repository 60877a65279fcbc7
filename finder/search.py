"""Nearest offices by geodesic distance, filtered by topic, language, kind, age and opening hours.

Pure functions over an :class:`OfficeIndex` (numpy arrays built once from the directory table), so a
query costs one vectorised geodesic computation over the matching offices (pyproj's ``Geod.inv``, the
same Karney algorithm as ``geopy.distance.geodesic``).

The language rule (:meth:`OfficeIndex.filter_masks`): with a language filter, an office is eligible if it
states one of the languages, states no language at all, or says it works with interpreters
(``interpreting = yes``); only an office that states other languages and no interpreting is left out.
Only about one office in ten states its languages, so the eligible ones are ranked by distance alone
(``language_match`` tells them apart), and :func:`nearest_stated` names the nearest office that does
state the languages when none of the listed ones does. Offices whose ``status`` is ``closed`` are never
found; ``possibly closed`` ones are, and carry their status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from finder import hours
from finder.distance import distance_uncertainty_km, geodesic_km, same_place
from finder.vocab import KIND_AGE_RANGE, OPEN_FILTERS, STATEWIDE

#: Age bands that a target group restricts an office to (otherwise the kind's band applies).
TARGET_GROUP_AGE_RANGE: dict[str, tuple[int, int]] = {"12-27": (12, 27), "27+": (27, 200)}
#: Kinds responsible for a district by law rather than by distance, in the order shown.
RESPONSIBLE_KINDS: tuple[str, ...] = ("ABH", "KAIB")
#: ``language_match`` of an office that states a requested language, and of one that does not.
STATED, NOT_STATED = "stated", "not_stated"


@dataclass(frozen=True)
class Query:
    """What a person is looking for. Empty tuples mean "any".

    Parameters
    ----------
    topics
        Topic codes; an office matches if it offers any of them.
    languages
        ISO 639-1 codes; offices stating any of them, offices stating no language and offices working
        with interpreters match (``language_match`` says which); offices stating only other languages
        are left out.
    kinds
        Office kinds; an office matches if it is of any of them.
    age
        The person's age; leaves out offices for another age band (JMD 12–27, MBE 27+).
    limit
        At most this many results.
    radius_km
        Leave out offices farther than this (``None``: no limit).
    open
        ``"now"``: only offices whose structured hours (``opening_hours_osm``) say open at ``at``;
        ``"today"``: open at some time on ``at``'s day (Europe/Berlin); ``None``: no hours filter.
    at
        The instant for ``open`` (aware, or naive in Europe/Berlin). The library never reads the clock: the
        caller passes "now".

    Raises
    ------
    ValueError
        For an ``open`` value not in :data:`OPEN_FILTERS`, or ``open`` without ``at``.
    """

    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    age: int | None = None
    limit: int = 10
    radius_km: float | None = None
    open: str | None = None
    at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.open is not None and self.open not in OPEN_FILTERS:
            msg = f"open must be one of {', '.join(OPEN_FILTERS)}, not {self.open!r}"
            raise ValueError(msg)
        if self.open is not None and self.at is None:
            msg = "the open filter needs the instant (at)"
            raise ValueError(msg)


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
    active: np.ndarray  # status is not "closed"
    interpreting: np.ndarray  # interpreting = yes
    osm: np.ndarray  # opening_hours_osm ('' = none)
    _masks: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_offices(cls, offices: pd.DataFrame) -> OfficeIndex:
        """Build the index from the table returned by :func:`finder.directory.load_offices`."""
        offices = offices.reset_index(drop=True)

        def column(name: str) -> pd.Series:
            # Tables built before a column existed (tests, older files) read as blank.
            if name in offices:
                return offices[name].fillna("").astype(str)
            return pd.Series("", index=offices.index, dtype=object)

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
            active=(column("status") != "closed").to_numpy(),
            interpreting=(column("interpreting") == "yes").to_numpy(),
            osm=column("opening_hours_osm").to_numpy(dtype=object),
        )

    def filter_masks(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks ``(matches, stated)`` of the offices matching ``query``'s filters.

        ``matches``: not closed, and the topic, kind, age and language filters hold (with a language
        filter: the office states one of the languages, states none, or works with interpreters).
        ``stated``: with a language filter, the office states one of the languages (``language_match``
        ``stated``); without one, it states any language. Opening hours, distance and limit are not
        applied here (see :meth:`matching`).
        """
        key = (query.topics, query.languages, query.kinds, query.age)
        cached = self._masks.get(key)
        if cached is not None:
            return cached
        n = len(self.ids)
        mask = self.active.copy()
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
            mask &= speaks | ~stated | self.interpreting
            stated = speaks
        result = (mask, stated)
        self._masks[key] = result
        return result

    def open_mask(self, query: Query, among: np.ndarray | None = None) -> np.ndarray:
        """Which offices pass ``query.open`` at ``query.at`` (all, without an hours filter).

        Only structured hours count: an office without them, or with hours saying "by appointment" only
        in words, is not "open now". Appointment-only offices whose structured hours say open do pass
        (their card says "by appointment").

        Parameters
        ----------
        query
            The filters; only ``open`` and ``at`` are used.
        among
            Row positions to evaluate (the others are False); default all. Evaluating hours costs more than
            the other filters, so callers pass the offices that pass those.
        """
        n = len(self.ids)
        if query.open is None:
            return np.ones(n, dtype=bool)
        assert query.at is not None  # Query checks this
        positions = np.arange(n) if among is None else among
        out = np.zeros(n, dtype=bool)
        for p in positions:
            osm = self.osm[p]
            if not osm:
                continue
            if query.open == "now":
                # No text: the state of the structured hours alone, not the card's "by appointment".
                out[p] = hours.open_state(osm, None, query.at).state == "open"
            else:
                out[p] = hours.open_today(osm, query.at)
        return out

    def matching(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`filter_masks` with the opening-hours filter applied to ``matches``."""
        mask, stated = self.filter_masks(query)
        if query.open is not None:
            mask = mask & self.open_mask(query, np.flatnonzero(mask))
        return mask, stated


def nearest_positions(
    index: OfficeIndex, lat: float, lon: float, query: Query
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the nearest matching offices and their distances in km, in result order.

    Ranked by distance (ties by id) over all matching offices, whether they state the language or not.
    Statewide services and offices without coordinates are not part of a distance search.
    """
    mask, _ = index.matching(query)
    candidates = np.flatnonzero(mask & index.located & ~index.statewide)
    if candidates.size == 0:
        return candidates, np.empty(0)
    dist = geodesic_km(lat, lon, index.lat[candidates], index.lon[candidates])
    if query.radius_km is not None:
        inside = dist <= query.radius_km
        candidates, dist = candidates[inside], dist[inside]
    # lexsort: last key is primary. By distance, then by id.
    order = np.lexsort((index.ids[candidates].astype(str), dist))[: max(query.limit, 0)]
    return candidates[order], dist[order]


def _language_match(stated: np.ndarray, positions: np.ndarray, query: Query) -> list[str | None]:
    if not query.languages:
        return [None] * len(positions)
    return [STATED if stated[p] else NOT_STATED for p in positions]


def _with_distance(table: pd.DataFrame, dist: np.ndarray, origin_precision: str | None) -> pd.DataFrame:
    """Add ``distance_km``, ``distance_precision_km`` and ``same_place`` (see :mod:`finder.distance`)."""
    uncertainty = distance_uncertainty_km(origin_precision, table["geocode_precision"].tolist())
    table["distance_km"] = np.round(dist, 2)
    table["distance_precision_km"] = uncertainty
    table["same_place"] = same_place(dist, uncertainty)
    return table


def nearest(
    index: OfficeIndex, lat: float, lon: float, query: Query, origin_precision: str | None = "point"
) -> pd.DataFrame:
    """The nearest matching offices as a table.

    ``origin_precision`` is how exact ``lat, lon`` are (``Place.precision``: ``point``, ``postcode``, …).

    Returns
    -------
    pandas.DataFrame
        The directory's columns plus ``distance_km``, ``distance_precision_km`` (how far off the distance may
        be: the two positions' uncertainties added), ``same_place`` (the distance is below that, so it is
        not a real distance), ``language_match`` (``stated`` | ``not_stated``;
        None without a language filter) and ``language_stated`` (the office states any language).
    """
    positions, dist = nearest_positions(index, lat, lon, query)
    _, stated = index.filter_masks(query)
    table = _with_distance(index.offices.iloc[positions].copy(), dist, origin_precision)
    table["language_match"] = _language_match(stated, positions, query)
    table["language_stated"] = [bool(index.language_sets[p]) for p in positions]
    return table.reset_index(drop=True)


def _states_all(index: OfficeIndex, languages: tuple[str, ...]) -> np.ndarray:
    wanted = set(languages)
    return np.fromiter((wanted <= s for s in index.language_sets), bool, len(index.ids))


def nearest_stated(
    index: OfficeIndex, lat: float, lon: float, query: Query, origin_precision: str | None = "point"
) -> pd.DataFrame:
    """The nearest office that states every requested language, when none of the listed ones does.

    The listed ones are :func:`nearest` for ``query``. The office is looked for with the same filters but
    without the radius and the limit: the point is to say how far the nearest such office is.

    Returns
    -------
    pandas.DataFrame
        One row (as :func:`nearest`, ``language_match`` ``stated``), or none: without a language filter,
        when a listed office states every requested language, or when no office does.
    """
    empty = index.offices.iloc[0:0].assign(
        distance_km=[], distance_precision_km=[], same_place=[], language_match=[], language_stated=[]
    )
    if not query.languages:
        return empty
    every = _states_all(index, query.languages)
    listed, _ = nearest_positions(index, lat, lon, query)
    if every[listed].any():
        return empty
    mask, _ = index.matching(query)
    candidates = np.flatnonzero(mask & every & index.located & ~index.statewide)
    if candidates.size == 0:
        return empty
    dist = geodesic_km(lat, lon, index.lat[candidates], index.lon[candidates])
    best = np.lexsort((index.ids[candidates].astype(str), dist))[:1]
    table = _with_distance(index.offices.iloc[candidates[best]].copy(), dist[best], origin_precision)
    table["language_match"] = STATED
    table["language_stated"] = True
    return table.reset_index(drop=True)


def responsible(index: OfficeIndex, district: str | None) -> pd.DataFrame:
    """The district's immigration authority (ABH) and commissioner(s) (KAIB), closed ones left out.

    Responsibility goes by district, not by distance.
    """
    offices = index.offices
    if not district:
        return offices.iloc[0:0].copy()
    chosen = (offices["district"] == district).to_numpy() & offices["kind"].isin(RESPONSIBLE_KINDS).to_numpy()
    rows = offices[chosen & index.active].copy()
    rows["_order"] = rows["kind"].map({k: i for i, k in enumerate(RESPONSIBLE_KINDS)})
    return rows.sort_values(["_order", "name"]).drop(columns="_order").reset_index(drop=True)


def statewide(index: OfficeIndex, query: Query) -> pd.DataFrame:
    """Statewide and online services matching the filters (no distance), language-stated first.

    Returns
    -------
    pandas.DataFrame
        The directory's columns plus ``language_match`` and ``language_stated`` (as :func:`nearest`).
    """
    mask, stated = index.matching(query)
    positions = np.flatnonzero(mask & index.statewide)
    table = index.offices.iloc[positions].copy()
    table["language_match"] = _language_match(stated, positions, query)
    table["language_stated"] = [bool(index.language_sets[p]) for p in positions]
    if query.languages:
        first = table["language_match"] == STATED
        table = table.assign(_first=first).sort_values(["_first", "name"], ascending=[False, True])
        table = table.drop(columns="_first")
    return table.reset_index(drop=True)


def online_in_language(index: OfficeIndex, query: Query) -> pd.DataFrame:
    """The statewide and online services (of :func:`statewide`) that state a requested language.

    Empty without a language filter.
    """
    table = statewide(index, query)
    if not query.languages:
        return table.iloc[0:0]
    return table[table["language_match"] == STATED].reset_index(drop=True)
