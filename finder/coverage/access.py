"""The accessibility index: enhanced two-step floating catchment area (E2SFCA) with pysal's ``access``."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from finder.coverage.cost import CostFunction, as_cost, lonlat_array
from finder.errors import CoverageError

__all__ = ["E2SFCA_EXPLANATION", "E2SFCA_STEPS", "e2sfca"]

#: E2SFCA step weights (upper bound of the band in km → weight): Luo & Qi (2009), the ``access`` default.
E2SFCA_STEPS: dict[float, float] = {10.0: 1.0, 20.0: 0.68, 30.0: 0.22}
#: Two lines explaining the accessibility index and its limits (English; the page translates).
E2SFCA_EXPLANATION = (
    "Accessibility (E2SFCA): each office's capacity is shared among the residents within 30 km, weighted "
    "1 / 0.68 / 0.22 for 0–10 / 10–20 / 20–30 km; a place's score adds up its shares, as offices per 100,000 "
    "residents.",
    "Limits: straight-line distances, population from GeoNames places scaled to district totals, "
    "every office counts 1 (no capacity data), people and offices beyond Saxony's border are left out.",
)


def e2sfca(
    points: pd.DataFrame,
    supply: pd.DataFrame,
    cost: CostFunction | None = None,
    steps: Mapping[float, float] | None = None,
    cost_matrix: np.ndarray | None = None,
) -> pd.Series:
    """Enhanced two-step floating catchment area score per population point, with ``access.Access``.

    Step 1: each office's ratio R = capacity / Σ (residents × weight(distance)) over the residents within the
    largest step. Step 2: a point's score = Σ R × weight(distance) over the offices it reaches.

    Parameters
    ----------
    points
        Population points (``point_id``, ``lon``, ``lat``, ``residents``).
    supply
        :func:`supply_table` (``id``, ``lon``, ``lat``, ``capacity``).
    cost
        Cost function; default straight line in km.
    steps
        Upper bound of each band → weight; default :data:`E2SFCA_STEPS`.
    cost_matrix
        A precomputed ``(n_points, n_supply)`` matrix (skips ``cost``).

    Returns
    -------
    pandas.Series
        Offices (capacity) per 100,000 residents, indexed like ``points``; 0 where no office is in reach.
    """
    from access import Access, weights  # noqa: PLC0415 - importing access takes ~0.7 s

    steps = dict(steps or E2SFCA_STEPS)
    if not steps or any(w < 0 for w in steps.values()):
        msg = "E2SFCA steps must be a non-empty mapping of distance → non-negative weight."
        raise CoverageError(msg)
    if supply.empty or points.empty:
        return pd.Series(0.0, index=points.index, name="e2sfca_per_100k")
    matrix = (
        cost_matrix
        if cost_matrix is not None
        else as_cost(cost).matrix(lonlat_array(points), lonlat_array(supply))
    )
    max_cost = max(steps)
    oi, si = np.nonzero(matrix <= max_cost)
    demand_ids = points["point_id"].astype(str).to_numpy()
    supply_ids = supply["id"].astype(str).to_numpy()
    if oi.size == 0:
        return pd.Series(0.0, index=points.index, name="e2sfca_per_100k")
    cost_df = pd.DataFrame({"origin": demand_ids[oi], "dest": supply_ids[si], "cost": matrix[oi, si]})
    demand_df = pd.DataFrame(
        {"residents": points["residents"].to_numpy(dtype=float)}, index=pd.Index(demand_ids)
    )
    demand_df.index.name = "point_id"
    supply_df = pd.DataFrame(
        {"capacity": supply["capacity"].to_numpy(dtype=float)}, index=pd.Index(supply_ids)
    )
    supply_df.index.name = "id"
    acc = Access(
        demand_df=demand_df,
        demand_index=True,
        demand_value="residents",
        supply_df=supply_df,
        supply_index=True,
        supply_value="capacity",
        cost_df=cost_df,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    logging.getLogger("access").setLevel(logging.WARNING)  # access logs INFO lines to stderr by default
    result = acc.enhanced_two_stage_fca(
        name="e2sfca", weight_fn=weights.step_fn(steps), max_cost=max_cost, normalize=False
    )
    score = result["e2sfca_capacity"].reindex(demand_ids).fillna(0.0).to_numpy() * 100_000
    return pd.Series(score, index=points.index, name="e2sfca_per_100k")
