"""Benchmark of the nearest search against fair vectorised baselines (not run in CI; prints figures).

Run from the repository root: ``python benchmarks/bench_search.py``.

Task: 2,000 random origins in Saxony, topic ``asylum``, top 10 by distance. Every variant is timed in each
of 7 interleaved rounds and the median is printed.

- **ours** is :func:`finder.search.nearest_positions`: exact ellipsoidal distances (WGS84, Karney's algorithm
  through ``pyproj.Geod.inv``, the same numbers as ``geopy.distance.geodesic``), ties broken by office id,
  language tiers and radius supported. Timed with a warm filter cache (the filter masks are computed once
  per query and kept) and with a cold one (the cache cleared before every origin).
- **numpy haversine**: the filter done by hand, then a vectorised spherical distance and ``argsort`` over
  the candidate arrays. Faster arithmetic, but distances on a sphere (off by up to about 0.5 %).
- **numpy + pyproj**: the same, with the exact distances ours uses (``finder.distance.geodesic_km``).

Both baselines run in the same cache state as ours: "warm" = the filter done once before the timed loop,
"cold" = the filter done again for every origin. The answers are compared as top-10 lists of exact
distances (offices sharing one point tie, so ids may legitimately be ordered differently).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# The repository's own finder, never another installed clone.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _points import random_points

from finder.core import Finder
from finder.distance import geodesic_km
from finder.search import OfficeIndex, Query, nearest_positions

N_ORIGINS = 2_000
ROUNDS = 7
N_END_TO_END = 300
TOPIC = "asylum"
LIMIT = 10
QUERY = Query(topics=(TOPIC,), limit=LIMIT)
#: Mean earth radius (IUGG), for the spherical baseline.
EARTH_RADIUS_KM = 6371.0088

#: Top-10 positions (into the office index) and their distances, for one origin.
Answer = tuple[np.ndarray, np.ndarray]


def candidates(index: OfficeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The filter by hand: offices with the topic, a place, and not statewide (positions, lat, lon)."""
    n = len(index.ids)
    has_topic = np.fromiter((TOPIC in topics for topics in index.topic_sets), bool, n)
    positions = np.flatnonzero(has_topic & index.located & ~index.statewide)
    return positions, index.lat[positions], index.lon[positions]


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    phi1, phi2 = np.radians(lat), np.radians(lats)
    dphi, dlam = phi2 - phi1, np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def top(distance: Callable[..., np.ndarray], lat: float, lon: float, found) -> Answer:
    positions, lats, lons = found
    dist = distance(lat, lon, lats, lons)
    order = np.argsort(dist, kind="stable")[:LIMIT]
    return positions[order], dist[order]


def variants(index: OfficeIndex) -> dict[str, Callable[[list[tuple[float, float]]], list[Answer]]]:
    def ours_warm(origins):
        nearest_positions(index, *origins[0], QUERY)  # fills the filter cache before the clock starts
        return [nearest_positions(index, lat, lon, QUERY) for lat, lon in origins]

    def ours_cold(origins):
        out = []
        for lat, lon in origins:
            index._masks.clear()
            out.append(nearest_positions(index, lat, lon, QUERY))
        return out

    def baseline(distance, warm):
        def run(origins):
            if warm:
                found = candidates(index)
                return [top(distance, lat, lon, found) for lat, lon in origins]
            return [top(distance, lat, lon, candidates(index)) for lat, lon in origins]

        return run

    return {
        "ours, warm filter cache": ours_warm,
        "ours, cold (cache cleared per origin)": ours_cold,
        "numpy haversine, filter once": baseline(haversine_km, warm=True),
        "numpy haversine, filter per origin": baseline(haversine_km, warm=False),
        "numpy + pyproj, filter once": baseline(geodesic_km, warm=True),
        "numpy + pyproj, filter per origin": baseline(geodesic_km, warm=False),
    }


def exact_top(index: OfficeIndex, origin: tuple[float, float], answer: Answer) -> np.ndarray:
    """The exact (ellipsoidal) distances of an answer's offices, sorted."""
    positions, _ = answer
    return np.sort(geodesic_km(*origin, index.lat[positions], index.lon[positions]))


def bench_nearest(finder: Finder) -> None:
    index = finder.index
    origins = random_points(N_ORIGINS, seed=7)
    runs = variants(index)
    times: dict[str, list[float]] = {name: [] for name in runs}
    answers: dict[str, list[Answer]] = {}
    for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits every variant alike
        for name, run in runs.items():
            start = time.perf_counter()
            answers[name] = run(origins)
            times[name].append(time.perf_counter() - start)
    index._masks.clear()

    n_candidates = len(candidates(index)[0])
    print(
        f"nearest: {N_ORIGINS:,} origins, topic={TOPIC}, top {LIMIT}; {n_candidates} of {len(index.ids)}"
        f" offices match and have a place; median of {ROUNDS} rounds"
    )
    reference = statistics.median(times["ours, warm filter cache"])
    print(f"  {'variant':40} {'µs/origin':>10} {'vs ours warm':>13}")
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"  {name:40} {median / N_ORIGINS * 1e6:10.1f} {median / reference:12.2f}x")
    print("  (ours computes exact ellipsoidal distances, like geopy; haversine is spherical)")

    ours = answers["ours, warm filter cache"]
    for name in runs:
        if name.startswith("ours, warm"):
            continue
        differ = sum(
            not np.allclose(np.sort(mine[1]), exact_top(index, origin, theirs), rtol=0, atol=1e-9)
            for origin, mine, theirs in zip(origins, ours, answers[name], strict=True)
        )
        print(f"  different top-{LIMIT} (exact distances) from ours: {differ}/{N_ORIGINS}  {name}")
    spherical_error = max(
        float(np.max(np.abs(dist / geodesic_km(*origin, index.lat[pos], index.lon[pos]) - 1)))
        for origin, (pos, dist) in zip(origins, answers["numpy haversine, filter once"], strict=True)
    )
    print(f"  largest relative error of the haversine distances: {spherical_error:.2%}")

    sample = origins[:N_END_TO_END]
    end_to_end = []
    for _ in range(5):
        start = time.perf_counter()
        for lat, lon in sample:
            finder.nearest(finder.place_at(lat, lon), topics=(TOPIC,), limit=LIMIT)
        end_to_end.append((time.perf_counter() - start) / len(sample))
    print(
        f"  for scale: Finder.place_at + Finder.nearest (district look-up, table out):"
        f" {statistics.median(end_to_end) * 1e3:.2f} ms per origin (median of 5 rounds)"
    )


if __name__ == "__main__":
    start = time.perf_counter()
    finder = Finder()
    print(f"load Finder (directory + office index), once: {time.perf_counter() - start:.2f} s")
    bench_nearest(finder)
