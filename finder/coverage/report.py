"""The district table, the whole analysis (:func:`analyse`) and the :class:`Coverage` facade.

The facade loads the directory, the population points and the district figures once and wires the pure
functions of :mod:`finder.coverage` together; everything it computes can also be computed by calling them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from finder import geodata
from finder.core import Finder
from finder.coverage.access import E2SFCA_EXPLANATION, E2SFCA_STEPS, e2sfca
from finder.coverage.cost import (
    CRS,
    DEFAULT_GAP_THRESHOLD_KM,
    DEFAULT_THRESHOLDS_KM,
    DISTANCE_LABEL,
    CostFunction,
    as_cost,
    lonlat_array,
    threshold_key,
)
from finder.coverage.filters import (
    MAX_WHAT_IF,
    CoverageFilter,
    WhatIf,
    matching_offices,
    parse_what_if,
    supply_table,
    what_if_point,
)
from finder.coverage.gaps import district_gaps, gap_places
from finder.coverage.population import population_note, population_points
from finder.coverage.surface import DEFAULT_CELL_M, DistanceSurface, distance_surface, saxony_grid
from finder.errors import CoverageError
from finder.search import OfficeIndex
from finder.vocab import KINDS, STATEWIDE, TOPICS

__all__ = [
    "ATTRIBUTION",
    "Coverage",
    "CoverageReport",
    "analyse",
    "district_offices",
]

#: Attribution of everything derived from the embedded data.
ATTRIBUTION = (
    f"{geodata.ATTRIBUTION}; district figures: public statistics (data/districts_facts.csv); "
    "offices: Beratungsfinder Sachsen (data/offices.csv)"
)


def district_offices(
    matching: pd.DataFrame, facts: pd.DataFrame, what_if: Sequence[WhatIf] = ()
) -> pd.DataFrame:
    """Per district: matching offices by kind and topic, per head, and the quality of their entries.

    Offices count for the district of their ``district`` column; statewide services are not in any district.
    Hypothetical offices count for the district they lie in (``what_if_offices``) and in the per-head ratios.

    Returns
    -------
    pandas.DataFrame
        One row per district of ``facts`` (in its order): ``district``, ``ags``, ``population``,
        ``population_year``, ``foreign_population``, ``foreign_population_year``, ``offices``,
        ``what_if_offices``, ``offices_per_100k``, ``offices_per_10k_foreign``, ``share_languages_stated``,
        ``share_street_address``, ``oldest_source_date``, ``undated_offices``, ``kind_<KIND>``,
        ``topic_<TOPIC>``. Shares are ``NaN`` for districts without matching offices.
    """
    hyp = pd.Series([w.district for w in what_if if w.district], dtype=object).value_counts()
    rows = []
    for fact in facts.to_dict("records"):
        name = fact["name"]
        sub = matching[matching["district"] == name]
        n_real = len(sub)
        n_hyp = int(hyp.get(name, 0))
        n = n_real + n_hyp
        dates = [d for d in sub["source_date"] if d]
        row: dict[str, Any] = {
            "district": name,
            "ags": fact["ags"],
            "population": int(fact["population"]),
            "population_year": int(fact["population_year"]),
            "foreign_population": int(fact["foreign_population"]),
            "foreign_population_year": int(fact["foreign_population_year"]),
            "offices": n,
            "what_if_offices": n_hyp,
            "offices_per_100k": n / fact["population"] * 100_000 if fact["population"] else math.nan,
            "offices_per_10k_foreign": (
                n / fact["foreign_population"] * 10_000 if fact["foreign_population"] else math.nan
            ),
            "share_languages_stated": (sub["languages"] != "").mean() if n_real else math.nan,
            "share_street_address": (sub["street"] != "").mean() if n_real else math.nan,
            # Dates are YYYY, YYYY-MM or YYYY-MM-DD, so the text order is the time order.
            "oldest_source_date": min(dates) if dates else "",
            "undated_offices": n_real - len(dates),
        }
        kinds = sub["kind"].value_counts()
        for k in KINDS:
            row[f"kind_{k}"] = int(kinds.get(k, 0))
        topic_counts = pd.Series(
            [t for s in sub["topics"] for t in s.split(";") if t], dtype=object
        ).value_counts()
        for t in TOPICS:
            row[f"topic_{t}"] = int(topic_counts.get(t, 0))
        rows.append(row)
    return pd.DataFrame(rows)


def _clean(value: Any, digits: int = 4) -> Any:
    """A JSON-safe value: NaN/inf → None, numpy scalars → Python, floats rounded."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else round(v, digits)
    if value is pd.NA or value is None:
        return None
    return value


@dataclass
class CoverageReport:
    """Everything the coverage analysis found for one set of filters (and what-if offices).

    Attributes
    ----------
    filter
        The filters.
    districts
        One row per district: :func:`district_offices` joined with :func:`district_gaps` and the
        population-weighted mean E2SFCA score (``e2sfca_per_100k``).
    points
        The population points with ``distance``, ``nearest_id`` and ``e2sfca_per_100k``.
    supply
        The offices measured to (:func:`supply_table`).
    matching
        All matching offices, statewide ones included.
    gap_places
        :func:`gap_places` for ``gap_threshold``.
    summary
        Statewide figures (JSON-ready).
    thresholds, gap_threshold
        In ``unit``.
    what_if
        The hypothetical offices.
    baseline
        The same analysis without the what-if offices (``None`` without them).
    notes
        Sentences a reader needs (how distances are measured, where the population comes from, …).
    """

    filter: CoverageFilter
    districts: pd.DataFrame
    points: pd.DataFrame
    supply: pd.DataFrame
    matching: pd.DataFrame
    gap_places: pd.DataFrame
    summary: dict[str, Any]
    thresholds: tuple[float, ...]
    gap_threshold: float
    unit: str = "km"
    cost_label: str = DISTANCE_LABEL
    cost_name: str = "straight-line"
    what_if: tuple[WhatIf, ...] = ()
    baseline: CoverageReport | None = None
    notes: list[str] = field(default_factory=list)

    def share_columns(self) -> list[str]:
        """Names of the ``share_beyond_…`` columns, in threshold order."""
        return [f"share_beyond_{threshold_key(t, self.unit)}" for t in self.thresholds]

    def changes(self) -> pd.DataFrame:
        """Per district, the shares beyond each threshold before and after the what-if offices.

        Empty without what-if offices.
        """
        if self.baseline is None:
            return pd.DataFrame()
        cols = ["district", *self.share_columns(), "e2sfca_per_100k", "offices_per_100k"]
        before = self.baseline.districts[cols].set_index("district")
        after = self.districts[cols].set_index("district")
        out = before.add_suffix("_before").join(after.add_suffix("_after"))
        return out.reset_index()

    def to_json(self, gap_limit: int | None = None) -> dict[str, Any]:
        """The report as a JSON object (the ``finder coverage --json`` contract)."""
        districts = []
        for row in self.districts.to_dict("records"):
            item = {k: _clean(v) for k, v in row.items() if not k.startswith(("kind_", "topic_"))}
            item["by_kind"] = {k: int(row[f"kind_{k}"]) for k in KINDS}
            item["by_topic"] = {t: int(row[f"topic_{t}"]) for t in TOPICS}
            districts.append(item)
        gaps = self.gap_places if gap_limit is None else self.gap_places.head(gap_limit)
        out: dict[str, Any] = {
            "filters": self.filter.to_json(),
            "cost": {"method": self.cost_name, "unit": self.unit, "crs": CRS, "label": self.cost_label},
            "summary": self.summary,
            "districts": districts,
            "gap_threshold": self.gap_threshold,
            "gap_places": [
                {k: _clean(v, 6 if k in ("lat", "lon") else 2) for k, v in r.items()}
                for r in gaps.to_dict("records")
            ],
            "method": {
                "e2sfca": " ".join(E2SFCA_EXPLANATION),
                "e2sfca_steps": {f"{k:g}": v for k, v in E2SFCA_STEPS.items()},
            },
            "notes": self.notes,
            "attribution": ATTRIBUTION,
        }
        if self.what_if:
            out["what_if"] = {
                "offices": [w.to_json() for w in self.what_if],
                "summary_before": self.baseline.summary if self.baseline else None,
                "districts": [
                    {k: _clean(v) for k, v in r.items()} for r in self.changes().to_dict("records")
                ],
            }
        return out


def _summary(
    points: pd.DataFrame,
    supply: pd.DataFrame,
    matching: pd.DataFrame,
    thresholds: Sequence[float],
    unit: str,
) -> dict[str, Any]:
    w = points["residents"].to_numpy(dtype=float)
    d = points["distance"].to_numpy(dtype=float)
    total = float(w.sum())
    real = supply[~supply["hypothetical"].astype(bool)]
    return {
        "matching_offices": len(matching),
        "offices_with_place": len(real),
        "offices_at_district_point": int((real["precision"] == "district").sum()),
        "statewide_services": int((matching["district"] == STATEWIDE).sum()),
        "offices_without_location": int(
            ((matching["district"] != STATEWIDE) & (matching["lat"].isna() | matching["lon"].isna())).sum()
        ),
        "what_if_offices": int(supply["hypothetical"].astype(bool).sum()),
        "residents": round(total),
        "places": len(points),
        f"mean_distance_{unit}": _clean(float((w * d).sum() / total) if total else math.nan, 2),
        f"max_distance_{unit}": _clean(float(d.max()) if len(d) else math.nan, 2),
        "share_beyond": {
            threshold_key(t, unit): _clean(float(w[d > t].sum() / total) if total else math.nan)
            for t in thresholds
        },
        "residents_beyond": {threshold_key(t, unit): round(float(w[d > t].sum())) for t in thresholds},
        "e2sfca_per_100k": _clean(
            float((w * points["e2sfca_per_100k"].to_numpy()).sum() / total) if total else math.nan, 3
        ),
    }


def analyse(
    offices: pd.DataFrame,
    points: pd.DataFrame,
    facts: pd.DataFrame,
    flt: CoverageFilter,
    *,
    what_if: Sequence[WhatIf] = (),
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    gap_threshold: float = DEFAULT_GAP_THRESHOLD_KM,
    gap_limit: int | None = 20,
    cost: CostFunction | None = None,
    steps: Mapping[float, float] | None = None,
    index: OfficeIndex | None = None,
    _baseline: bool = True,
) -> CoverageReport:
    """The whole analysis for one set of filters; see :class:`CoverageReport`.

    Raises
    ------
    CoverageError
        If no office with a place matches the filters (and no what-if office is given).
    """
    cost = as_cost(cost)
    thresholds = tuple(sorted({float(t) for t in thresholds} | {float(gap_threshold)}))
    if any(not (t > 0 and math.isfinite(t)) for t in thresholds):
        msg = "Thresholds must be positive numbers."
        raise CoverageError(msg)
    matching = matching_offices(offices, flt, index)
    supply = supply_table(matching, what_if)
    if supply.empty:
        if matching.empty:
            msg = f"No office in the directory matches {flt.describe()}. Try fewer or other filters."
        else:
            msg = (
                f"{len(matching)} service(s) match {flt.describe()}, but none has a place (statewide or "
                "online services only), so there are no distances to measure."
            )
        raise CoverageError(msg)

    matrix = cost.matrix(lonlat_array(points), lonlat_array(supply))
    nearest = np.argmin(matrix, axis=1)
    pts = points.copy()
    pts["distance"] = matrix[np.arange(len(pts)), nearest]
    pts["nearest_id"] = supply["id"].to_numpy(dtype=object)[nearest]
    pts["nearest_office"] = supply["name"].to_numpy(dtype=object)[nearest]
    pts["e2sfca_per_100k"] = e2sfca(pts, supply, cost, steps, cost_matrix=matrix)

    table = district_offices(matching, facts, what_if)
    gaps = district_gaps(pts, pts["distance"].to_numpy(), thresholds, cost.unit)
    w = pts["residents"] * pts["e2sfca_per_100k"]
    access_mean = w.groupby(pts["district"]).sum() / pts.groupby("district")["residents"].sum()
    gaps["e2sfca_per_100k"] = access_mean
    gaps = gaps.rename(columns={"residents": "residents_model"})
    table = table.join(gaps, on="district")
    places = gap_places(
        pts, pts["distance"].to_numpy(), pts["nearest_office"].tolist(),
        threshold=gap_threshold, cost=cost, limit=gap_limit,
    )  # fmt: skip

    notes = [
        f"Distances: {cost.label}.",
        population_note(points, facts) + ".",
        " ".join(E2SFCA_EXPLANATION),
    ]
    summary = _summary(pts, supply, matching, thresholds, cost.unit)
    if summary["statewide_services"]:
        notes.append(
            f"{summary['statewide_services']} statewide or online service(s) also match; they have no place "
            "and are not part of the distances."
        )
    if summary["offices_at_district_point"]:
        notes.append(
            f"{summary['offices_at_district_point']} matching office(s) are placed only at a district's "
            "representative point (no address in the data); their distances are rough."
        )
    if flt.languages and not flt.include_unstated_languages:
        notes.append("Only offices that state the language count; most offices state no language at all.")
    baseline = None
    if what_if and _baseline:
        try:
            baseline = analyse(
                offices, points, facts, flt, thresholds=thresholds, gap_threshold=gap_threshold,
                gap_limit=gap_limit, cost=cost, steps=steps, index=index, _baseline=False,
            )  # fmt: skip
        except CoverageError:
            baseline = None  # nothing matched before: every figure is new
    return CoverageReport(
        filter=flt,
        districts=table,
        points=pts,
        supply=supply,
        matching=matching,
        gap_places=places,
        summary=summary,
        thresholds=thresholds,
        gap_threshold=float(gap_threshold),
        unit=cost.unit,
        cost_label=cost.label,
        cost_name=cost.name,
        what_if=tuple(what_if),
        baseline=baseline,
        notes=notes,
    )


class Coverage:
    """Coverage analysis over a :class:`finder.core.Finder`'s directory (the facade of this module).

    Parameters
    ----------
    finder
        The loaded directory and gazetteer; default ``Finder()``.
    cost
        A :class:`CostFunction`, or a callable returning a cost matrix; default straight line in km.
    population
        Population points (:func:`population_points` columns); default GeoNames places scaled to the district
        totals.
    facts
        District statistics; default :func:`finder.geodata.district_facts`.

    Examples
    --------
    >>> cov = Coverage()
    >>> report = cov.report(topics=["asylum"])
    >>> len(report.districts)
    13
    >>> 0 <= report.summary["share_beyond"]["20km"] <= 1
    True
    """

    def __init__(
        self,
        finder: Finder | None = None,
        *,
        cost: CostFunction | Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        population: pd.DataFrame | None = None,
        facts: pd.DataFrame | None = None,
    ) -> None:
        self.finder = finder if finder is not None else Finder()
        self.data_dir = Path(self.finder.settings.data_dir)
        self.cost = as_cost(cost)
        self.facts = facts if facts is not None else geodata.district_facts(self.data_dir)
        self.population = (
            population
            if population is not None
            else population_points(geodata.places(self.data_dir), self.facts)
        )

    @property
    def offices(self) -> pd.DataFrame:
        """The directory table."""
        return self.finder.offices  # type: ignore[return-value]

    def filter(self, **filters: Any) -> CoverageFilter:
        """Checked filters (:meth:`CoverageFilter.parse`)."""
        return CoverageFilter.parse(**filters)

    def what_if(self, items: Iterable[str | WhatIf | tuple[float, float]]) -> tuple[WhatIf, ...]:
        """Hypothetical offices from place names, ``"LAT,LON"``, ``(lat, lon)`` pairs or :class:`WhatIf`."""
        out = []
        for item in items:
            if isinstance(item, WhatIf):
                out.append(item)
            elif isinstance(item, tuple):
                out.append(what_if_point(float(item[0]), float(item[1]), data_dir=self.data_dir))
            else:
                out.append(parse_what_if(str(item), self.finder, self.data_dir))
        if len(out) > MAX_WHAT_IF:
            msg = f"At most {MAX_WHAT_IF} what-if offices at a time."
            raise CoverageError(msg)
        return tuple(out)

    def supply(self, flt: CoverageFilter, what_if: Sequence[WhatIf] = ()) -> pd.DataFrame:
        """The offices distances are measured to (:func:`supply_table`)."""
        return supply_table(matching_offices(self.offices, flt, self.finder.index), what_if)

    def report(
        self,
        topics: Iterable[str] | str | None = (),
        languages: Iterable[str] | str | None = (),
        kinds: Iterable[str] | str | None = (),
        age: int | str | None = None,
        *,
        include_unstated_languages: bool = False,
        what_if: Iterable[str | WhatIf | tuple[float, float]] = (),
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS_KM,
        gap_threshold: float = DEFAULT_GAP_THRESHOLD_KM,
        gap_limit: int | None = 20,
        steps: Mapping[float, float] | None = None,
    ) -> CoverageReport:
        """The district table, gaps, accessibility and gap places for the filters (see :func:`analyse`).

        Raises
        ------
        CoverageError
            For bad filters, an empty filter result or a what-if office outside Saxony.
        """
        flt = CoverageFilter.parse(topics, languages, kinds, age, include_unstated_languages)
        return analyse(
            self.offices, self.population, self.facts, flt,
            what_if=self.what_if(what_if), thresholds=thresholds, gap_threshold=gap_threshold,
            gap_limit=gap_limit, cost=self.cost, steps=steps, index=self.finder.index,
        )  # fmt: skip

    def surface(
        self,
        topics: Iterable[str] | str | None = (),
        languages: Iterable[str] | str | None = (),
        kinds: Iterable[str] | str | None = (),
        age: int | str | None = None,
        *,
        include_unstated_languages: bool = False,
        what_if: Iterable[str | WhatIf | tuple[float, float]] = (),
        cell_m: float = DEFAULT_CELL_M,
    ) -> DistanceSurface:
        """The distance surface over Saxony for the filters (see :func:`distance_surface`).

        Raises
        ------
        CoverageError
            As :meth:`report`, or for a bad cell size.
        """
        flt = CoverageFilter.parse(topics, languages, kinds, age, include_unstated_languages)
        supply = self.supply(flt, self.what_if(what_if))
        if supply.empty:
            msg = f"No office with a place matches {flt.describe()}. Try fewer or other filters."
            raise CoverageError(msg)
        return distance_surface(saxony_grid(cell_m, self.data_dir), supply, self.cost)

    def districts_geo(self) -> gpd.GeoDataFrame:
        """The district polygons (EPSG:4326) with ``name`` and ``ags``."""
        return geodata.districts(self.data_dir)
