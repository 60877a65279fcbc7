"""Benchmark of finder.coverage: distance surface (1 km and 250 m) and E2SFCA against naive loops.

Run from the repository root: ``python benchmarks/bench_coverage.py``. Prints times and ratios; not run in
CI. The naive versions are plain Python loops over cells (or places) and offices, as one would write them
without a spatial index; for the 250 m grid the naive loop runs on a sample of cells and is extrapolated.
The results of fast and naive versions are compared, so a wrong fast version shows up here too.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finder.coverage import (
    E2SFCA_STEPS,
    Coverage,
    CoverageFilter,
    distance_surface,
    e2sfca,
    grid_cells,
    project,
    projected_outline,
    saxony_grid,
)

NAIVE_SAMPLE = 20_000


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median wall time of ``repeat`` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_surface(cells_xy: list[tuple[float, float]], offices_xy: list[tuple[float, float]]) -> list[float]:
    """Distance in km from each cell to the nearest office, two plain loops."""
    out = []
    for cx, cy in cells_xy:
        best = math.inf
        for ox, oy in offices_xy:
            d = math.hypot(cx - ox, cy - oy)
            if d < best:
                best = d
        out.append(best / 1000)
    return out


def naive_e2sfca(
    points_xy: list[tuple[float, float]], residents: list[float], offices_xy: list[tuple[float, float]]
) -> list[float]:
    """E2SFCA written out as loops (step weights of :data:`E2SFCA_STEPS`), offices per 100,000 residents."""
    steps = sorted(E2SFCA_STEPS.items())

    def weight(km: float) -> float:
        for bound, w in steps:
            if km <= bound:
                return w
        return 0.0

    ratios = []
    for ox, oy in offices_xy:
        demand = sum(
            r * weight(math.hypot(px - ox, py - oy) / 1000)
            for (px, py), r in zip(points_xy, residents, strict=True)
        )
        ratios.append(1.0 / demand if demand > 0 else 0.0)
    scores = []
    for px, py in points_xy:
        scores.append(
            100_000
            * sum(
                ratio * weight(math.hypot(px - ox, py - oy) / 1000)
                for (ox, oy), ratio in zip(offices_xy, ratios, strict=True)
                if ratio
            )
        )
    return scores


def main() -> None:
    cov = Coverage()
    supply = cov.supply(CoverageFilter())  # every office with a place: the largest supply
    sx, sy = project(supply["lon"].to_numpy(), supply["lat"].to_numpy())
    offices_xy = list(zip(sx.tolist(), sy.tolist(), strict=True))
    print(f"offices with a place: {len(supply)}; population points: {len(cov.population)}")
    print(f"{'task':44} {'fast (s)':>10} {'naive (s)':>11} {'ratio':>8}  check")

    outline = projected_outline(cov.data_dir)
    for cell_m in (1000.0, 250.0):
        t_grid, grid = timed(lambda c=cell_m: grid_cells(outline, c), repeat=3)
        saxony_grid(cell_m, cov.data_dir)  # warm the cache the app uses
        t_fast, surface = timed(lambda g=grid: distance_surface(g, supply))
        cells_xy = list(zip(grid["x"].tolist(), grid["y"].tolist(), strict=True))
        sample = cells_xy if len(cells_xy) <= NAIVE_SAMPLE else cells_xy[:: len(cells_xy) // NAIVE_SAMPLE]
        start = time.perf_counter()
        naive = naive_surface(sample, offices_xy)
        t_naive = (time.perf_counter() - start) * len(cells_xy) / len(sample)
        step = 1 if len(sample) == len(cells_xy) else len(cells_xy) // NAIVE_SAMPLE
        fast = surface.cells["distance"].to_numpy()[::step][: len(naive)]
        diff = float(np.max(np.abs(fast - np.array(naive))))
        note = "" if len(sample) == len(cells_xy) else f" (naive extrapolated from {len(sample):,} cells)"
        label = f"surface {cell_m:g} m, {len(grid):,} cells"
        print(
            f"{label:44} {t_fast:10.4f} {t_naive:11.2f} {t_naive / t_fast:7.0f}x  max diff {diff:.1e} km{note}"
        )
        print(f"{'  grid build (cached after first use)':44} {t_grid:10.4f}")
        t_full, _ = timed(lambda c=cell_m: cov.surface(cell_m=c))
        print(f"{'  Coverage.surface() (filter + cached grid)':44} {t_full:10.4f}")

    pts = cov.population
    t_fast, score = timed(lambda: e2sfca(pts, supply), repeat=3)
    px, py = project(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    start = time.perf_counter()
    naive = naive_e2sfca(
        list(zip(px.tolist(), py.tolist(), strict=True)), pts["residents"].tolist(), offices_xy
    )
    t_naive = time.perf_counter() - start
    diff = float(np.max(np.abs(score.to_numpy() - np.array(naive))))
    label = f"E2SFCA (access), {len(pts)} places x {len(supply)} offices"
    print(f"{label:44} {t_fast:10.4f} {t_naive:11.2f} {t_naive / t_fast:7.1f}x  max diff {diff:.1e} per 100k")

    t_report, _ = timed(lambda: cov.report(topics=["asylum"]), repeat=3)
    print(f"{'Coverage.report(topics=asylum), whole analysis':44} {t_report:10.4f}")
    t_whatif, _ = timed(lambda: cov.report(topics=["asylum"], what_if=["51.56,13.0"]), repeat=3)
    print(f"{'  same with one what-if office (+ baseline)':44} {t_whatif:10.4f}")


if __name__ == "__main__":
    main()
