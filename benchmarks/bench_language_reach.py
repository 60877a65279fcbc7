"""How far the first office is for someone who asks for counselling in a language, before and after issue 9.

Run from the repository root: ``python benchmarks/bench_language_reach.py [--language ar] [--points 200]``.
Not part of CI; prints figures for the closing note of issue 9.

- **before**: the rule until issue 9, written out here: offices that state the language first (by
  distance), then offices that state no language; offices stating other languages left out; the columns
  ``interpreting`` and ``status`` did not exist.
- **after**: :func:`finder.search.nearest_positions` (distance over every eligible office: stating the
  language, stating none, or working with interpreters; closed offices never).

Both run on the same directory (``data/offices.csv`` as it is now), at the same seeded random points inside
the outline of Saxony, so the figures differ only by the rule. Also printed: how many offices' opening
hours parse to structured hours (``opening_hours_osm``), and how far the nearest office that states the
language is when the first result does not (:func:`finder.search.nearest_stated`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

# The repository's own finder, never another installed clone.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _points import random_points

from finder import hours
from finder.directory import load_offices
from finder.distance import geodesic_km
from finder.search import OfficeIndex, Query, nearest_positions, nearest_stated

SEED = 9


def first_before(index: OfficeIndex, lat: float, lon: float, language: str) -> tuple[float, bool]:
    """Distance of the first result under the rule before issue 9, and whether it states the language."""
    n = len(index.ids)
    states = np.fromiter((language in s for s in index.language_sets), bool, n)
    silent = np.fromiter((not s for s in index.language_sets), bool, n)
    candidates = np.flatnonzero((states | silent) & index.located & ~index.statewide)
    dist = geodesic_km(lat, lon, index.lat[candidates], index.lon[candidates])
    order = np.lexsort((index.ids[candidates].astype(str), dist, ~states[candidates]))
    return float(dist[order[0]]), bool(states[candidates[order[0]]])


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return (
        f"median {statistics.median(values):6.1f} km   mean {statistics.fmean(values):6.1f} km   "
        f"90th percentile {p90:6.1f} km   max {max(values):6.1f} km"
    )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="ar")
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()

    offices = load_offices()
    texts = offices["opening_hours"].str.strip() != ""
    structured = offices["opening_hours_osm"].str.strip() != ""
    readable = sum(hours.to_osm(text) is not None for text in offices.loc[texts, "opening_hours"])
    print(f"Directory: {len(offices)} offices, {int(texts.sum())} with opening hours as text")
    print(
        f"  structured hours (opening_hours_osm): {int(structured.sum())} (to_osm reads {readable} texts now)"
    )
    print(f"  by appointment in words: {sum(hours.by_appointment(t) for t in offices['opening_hours'])}")

    index = OfficeIndex.from_offices(offices)
    points = random_points(args.points, seed=SEED)
    query = Query(languages=(args.language,), limit=1)
    before, before_states, after, after_states, stated_far = [], 0, [], 0, []
    for lat, lon in points:
        distance, states = first_before(index, lat, lon, args.language)
        before.append(distance)
        before_states += states
        positions, dist = nearest_positions(index, lat, lon, query)
        after.append(float(dist[0]))
        after_states += args.language in index.language_sets[positions[0]]
        stated = nearest_stated(index, lat, lon, query)
        if len(stated):
            stated_far.append(float(stated["distance_km"].iloc[0]))
    print(
        f"\nFirst result for --language {args.language} at {len(points)} random points in Saxony (seed {SEED}):"
    )
    print(f"  before: {summary(before)}   (states the language: {before_states}/{len(points)})")
    print(f"  after:  {summary(after)}   (states the language: {after_states}/{len(points)})")
    if stated_far:
        print(f"  after, the nearest office that states it, where the first does not: {summary(stated_far)}")


if __name__ == "__main__":
    main()
