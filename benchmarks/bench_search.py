"""Benchmarks for nearest search and offline geocoding (not run in CI; prints figures and ratios).

Run: ``python benchmarks/bench_search.py``.

- nearest: 10,000 random origins in Saxony, topic filter, top 10; ours vs a naive per-office
  ``geopy.distance.geodesic`` loop (timed on a sample of origins, answers compared on that sample).
- locate: 1,000 mixed queries (postcodes, names with typos, other scripts, addresses, nonsense); p50/p95.
"""

from __future__ import annotations

import random
import statistics
import time

import numpy as np
import shapely
from geopy.distance import geodesic

from finder import geodata
from finder.core import Finder
from finder.gazetteer import OfflineGazetteer
from finder.search import Query, nearest_positions

N_ORIGINS = 10_000
NAIVE_SAMPLE = 300
N_QUERIES = 1_000


def random_origins(n: int, seed: int = 7) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    outline = geodata.outline()
    minx, miny, maxx, maxy = outline.bounds
    shapely.prepare(outline)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(outline, lon, lat):
            out.append((lat, lon))
    return out


def naive_nearest(offices, lat: float, lon: float, topic: str, limit: int) -> list[str]:
    """The obvious way: loop over every office, filter, geopy geodesic, sort."""
    scored = []
    for row in offices.itertuples():
        if topic not in row.topics.split(";") or row.district == "Sachsen" or row.lat != row.lat:
            continue
        scored.append((geodesic((lat, lon), (row.lat, row.lon)).km, row.id))
    scored.sort()
    return [i for _, i in scored[:limit]]


def bench_nearest(finder: Finder) -> None:
    origins = random_origins(N_ORIGINS)
    query = Query(topics=("asylum",), limit=10)
    nearest_positions(finder.index, *origins[0], query)  # warm the filter cache
    t0 = time.perf_counter()
    ours = [nearest_positions(finder.index, lat, lon, query) for lat, lon in origins]
    ours_s = time.perf_counter() - t0

    sample = origins[:NAIVE_SAMPLE]
    t0 = time.perf_counter()
    naive = [naive_nearest(finder.offices, lat, lon, "asylum", 10) for lat, lon in sample]
    naive_per_origin = (time.perf_counter() - t0) / len(sample)

    mismatches = 0
    for origin, (_positions, dist), expected in zip(sample, ours[:NAIVE_SAMPLE], naive, strict=True):
        # Offices sharing one point tie; ties may order differently, so compare the sets and distances.
        naive_d = sorted(
            geodesic(
                (lat, lon),
                (finder.index.lat[finder.index.ids == i][0], finder.index.lon[finder.index.ids == i][0]),
            ).km
            for i in expected
            for lat, lon in [origin]
        )
        mismatches += int(not np.allclose(sorted(dist), naive_d, atol=1e-6))
    t0 = time.perf_counter()
    for lat, lon in origins[:1000]:
        finder.nearest(finder.place_at(lat, lon), topics=("asylum",), limit=10)
    full_ms = (time.perf_counter() - t0) / 1000 * 1000

    ours_per_origin = ours_s / N_ORIGINS
    print(f"nearest: {N_ORIGINS} origins, topic=asylum, top 10 of {len(finder.offices)} offices")
    print(
        f"  ours (vectorised pyproj geodesic): {ours_s:.3f} s total, {ours_per_origin * 1e6:.1f} µs per origin"
    )
    print(
        f"  naive geopy loop: {naive_per_origin * 1e6:.1f} µs per origin (sample of {NAIVE_SAMPLE}),"
        f" ~{naive_per_origin * N_ORIGINS:.1f} s for {N_ORIGINS}"
    )
    print(
        f"  ratio: {naive_per_origin / ours_per_origin:.0f}x faster; different answers (distance lists): {mismatches}/{NAIVE_SAMPLE}"
    )
    print(f"  full Finder.place_at + Finder.nearest (table out): {full_ms:.2f} ms per origin")


def mixed_queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    places = geodata.places()
    saxon = places[places["state"] == "SN"]
    codes = geodata.postcodes()["postcode"].tolist()
    queries: list[str] = []
    while len(queries) < n:
        kind = rng.randrange(6)
        name = saxon["name"].iloc[rng.randrange(len(saxon))]
        if kind == 0:
            queries.append(rng.choice(codes))
        elif kind == 1:
            queries.append(name)
        elif kind == 2 and len(name) > 4:  # a typo: drop one letter
            i = rng.randrange(1, len(name) - 1)
            queries.append(name[:i] + name[i + 1 :])
        elif kind == 3:
            alts = [a for a in saxon["alt_names"].iloc[rng.randrange(len(saxon))].split("|") if a]
            queries.append(rng.choice(alts) if alts else name)
        elif kind == 4:
            queries.append(f"Hauptstraße {rng.randrange(1, 99)}, {rng.choice(codes)} {name}")
        else:
            queries.append(
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(rng.randrange(3, 20)))
            )
    return queries


def bench_locate() -> None:
    gaz = OfflineGazetteer()
    queries = mixed_queries(N_QUERIES)
    times = []
    found = 0
    for q in queries:
        t0 = time.perf_counter()
        r = gaz.geocode(q, exactly_one=False)
        times.append((time.perf_counter() - t0) * 1000)
        found += r is not None
    arr = np.array(times)
    print(f"locate (offline gazetteer): {N_QUERIES} mixed queries, {found} found")
    print(
        f"  p50 {np.percentile(arr, 50):.3f} ms, p95 {np.percentile(arr, 95):.3f} ms,"
        f" max {arr.max():.2f} ms, mean {statistics.fmean(times):.3f} ms"
    )


if __name__ == "__main__":
    t0 = time.perf_counter()
    finder = Finder()
    print(f"load Finder (directory + gazetteer index): {time.perf_counter() - t0:.2f} s")
    bench_nearest(finder)
    bench_locate()
