"""Population-weighted gaps: residents beyond each distance, and where a new office would help most."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from finder.coverage.cost import (
    DEFAULT_GAP_THRESHOLD_KM,
    DEFAULT_THRESHOLDS_KM,
    CostFunction,
    as_cost,
    lonlat_array,
    threshold_key,
)

__all__ = ["district_gaps", "gap_places"]


def district_gaps(
    points: pd.DataFrame,
    distance: np.ndarray,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    unit: str = "km",
) -> pd.DataFrame:
    """Per district: residents beyond each threshold of a matching office, and their share.

    Parameters
    ----------
    points
        Population points (``district``, ``residents``).
    distance
        Distance (cost) from each point to the nearest matching office.
    thresholds
        In the cost's unit.

    Returns
    -------
    pandas.DataFrame
        Indexed by district: ``residents``, ``places``, ``mean_distance_<unit>`` (population-weighted),
        ``residents_beyond_<t><unit>`` and ``share_beyond_<t><unit>`` per threshold.
    """
    w = points["residents"].to_numpy(dtype=float)
    d = np.asarray(distance, dtype=float)
    frame = pd.DataFrame(
        {"district": points["district"].to_numpy(), "w": w, "wd": w * np.where(np.isinf(d), 0, d)}
    )
    cols: dict[str, str] = {}
    for t in thresholds:
        key = threshold_key(t, unit)
        frame[f"residents_beyond_{key}"] = w * (d > t)
        cols[f"residents_beyond_{key}"] = f"share_beyond_{key}"
    grouped = frame.groupby("district", sort=False)
    out = grouped[["w", *cols]].sum()
    out.insert(1, "places", grouped.size())
    mean = grouped["wd"].sum() / out["w"]
    out.insert(2, f"mean_distance_{unit}", mean.where(out["w"] > 0))
    for res_col, share_col in cols.items():
        out[share_col] = (out[res_col] / out["w"]).where(out["w"] > 0)
    return out.rename(columns={"w": "residents"})


def gap_places(
    points: pd.DataFrame,
    distance: np.ndarray,
    nearest_name: Sequence[str],
    *,
    threshold: float = DEFAULT_GAP_THRESHOLD_KM,
    cost: CostFunction | None = None,
    limit: int | None = 20,
) -> pd.DataFrame:
    """Places beyond ``threshold`` of a matching office, ordered by where a new office would help most.

    For each such place, ``gain_residents`` counts the residents now beyond the threshold who would be within
    it if an office opened there (its own residents included). Because neighbouring places share most of their
    gain, the places are also picked one after another, greedily (maximal covering): each pick is the place
    that reaches most residents not yet reached by the earlier picks (``pick``, ``added_residents``). The list
    starts with the picks in order, then the other gap places by ``gain_residents``.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``district``, ``lat``, ``lon``, ``residents``, ``geonames_population``, ``distance``,
        ``nearest_office``, ``gain_residents``, ``pick`` (1, 2, …; 0 = not picked), ``added_residents``.
    """
    cost = as_cost(cost)
    d = np.asarray(distance, dtype=float)
    beyond = d > threshold
    columns = [
        "name", "district", "lat", "lon", "residents", "geonames_population", "distance", "nearest_office",
        "gain_residents", "pick", "added_residents",
    ]  # fmt: skip
    if not beyond.any():
        return pd.DataFrame(columns=columns)
    out = points.loc[beyond, ["name", "district", "lat", "lon", "residents", "geonames_population"]].copy()
    out = out.reset_index(drop=True)
    out["distance"] = d[beyond]
    out["nearest_office"] = np.asarray(nearest_name, dtype=object)[beyond]
    gap_pts = lonlat_array(points.loc[beyond])
    reach = (cost.matrix(gap_pts, gap_pts) <= threshold).astype(float)
    w = out["residents"].to_numpy(dtype=float)
    out["gain_residents"] = reach @ w
    picks = np.zeros(len(out), dtype=int)
    added = np.zeros(len(out))
    uncovered = w.copy()
    for rank in range(1, (limit if limit is not None else len(out)) + 1):
        gains = reach @ uncovered
        gains[picks > 0] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        picks[best], added[best] = rank, gains[best]
        uncovered = uncovered * (reach[best] == 0)
    out["pick"] = picks
    out["added_residents"] = added
    order = np.lexsort(
        (-out["residents"].to_numpy(), -out["gain_residents"].to_numpy(), np.where(picks > 0, picks, 10**9))
    )
    out = out.iloc[order]
    return (out.head(limit) if limit is not None else out).reset_index(drop=True)[columns]
