"""Where people live: GeoNames places of Saxony as population points, scaled to the district totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from finder.errors import CoverageError

__all__ = ["population_note", "population_points"]


def population_points(places: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """GeoNames places of Saxony as population points, scaled per district to the district totals.

    GeoNames populations do not add up to the district populations (suburbs are listed besides their city,
    villages under 500 inhabitants are missing), so each district's places share its total population in
    proportion to their GeoNames population; a district whose places all have population 0 shares it equally.

    Parameters
    ----------
    places
        :func:`finder.geodata.places` (columns ``geonameid``, ``name``, ``lat``, ``lon``, ``population``,
        ``state``, ``district_ags``).
    facts
        :func:`finder.geodata.district_facts`.

    Returns
    -------
    pandas.DataFrame
        ``point_id``, ``name``, ``district``, ``ags``, ``lat``, ``lon``, ``geonames_population``,
        ``residents`` (float), ``population_year``; one row per place, districts without places get none.
    """
    sn = places[(places["state"] == "SN") & places["district_ags"].isin(set(facts["ags"]))]
    by_ags = facts.set_index("ags")
    rows = []
    for ags, group in sn.groupby("district_ags", sort=False):
        total = float(by_ags.at[ags, "population"])
        pop = group["population"].to_numpy(dtype=float)
        weights = pop / pop.sum() if pop.sum() > 0 else np.full(len(pop), 1.0 / len(pop))
        rows.append(
            pd.DataFrame(
                {
                    "point_id": group["geonameid"].astype(str).to_numpy(),
                    "name": group["name"].astype(str).to_numpy(),
                    "district": by_ags.at[ags, "name"],
                    "ags": ags,
                    "lat": group["lat"].to_numpy(dtype=float),
                    "lon": group["lon"].to_numpy(dtype=float),
                    "geonames_population": pop.astype(int),
                    "residents": weights * total,
                    "population_year": int(by_ags.at[ags, "population_year"]),
                }
            )
        )
    if not rows:
        msg = "No GeoNames places with a district in Saxony; the population points are missing."
        raise CoverageError(msg)
    return pd.concat(rows, ignore_index=True)


def population_note(points: pd.DataFrame, facts: pd.DataFrame) -> str:
    """How the population points were made, with the years of the district totals."""
    years = sorted({int(y) for y in facts["population_year"]})
    year_text = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]} (per district: see the table)"
    per_district = points.groupby("district").size()
    return (
        f"population distributed over {len(points)} GeoNames places "
        f"({per_district.min()}–{per_district.max()} per district), "
        f"scaled to the district totals of {year_text}"
    )
