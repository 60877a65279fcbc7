"""Benchmark of finder.coverage: distance surface (1 km and 250 m) and E2SFCA against numpy brute force.

Run from the repository root: ``python benchmarks/bench_coverage.py``. Prints times and ratios; not run in
CI. The baselines are what one would write with numpy but without a spatial index: the full distance
matrix between cells (or places) and offices, in chunks of cells so that memory stays small, then the
minimum (or the E2SFCA steps). Every figure is the median of several runs; the answers of fast and baseline
versions are compared on every cell (max difference printed), so a wrong fast version shows up here too.
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

#: Cells per chunk of the brute-force distance matrix (x 200 offices x 8 bytes: about 32 MB).
CHUNK = 20_000


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median wall time of ``repeat`` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def distance_matrix_km(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Straight-line distances (km) between every point a and every point b, projected metres in."""
    return np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :]) / 1000


def brute_force_surface(cx: np.ndarray, cy: np.ndarray, ox: np.ndarray, oy: np.ndarray) -> np.ndarray:
    """Distance in km from each cell to the nearest office: the whole matrix, chunk by chunk."""
    out = np.empty(cx.size)
    for lo in range(0, cx.size, CHUNK):
        out[lo : lo + CHUNK] = distance_matrix_km(cx[lo : lo + CHUNK], cy[lo : lo + CHUNK], ox, oy).min(
            axis=1
        )
    return out


def brute_force_e2sfca(
    px: np.ndarray, py: np.ndarray, residents: np.ndarray, ox: np.ndarray, oy: np.ndarray
) -> np.ndarray:
    """E2SFCA with the step weights of :data:`E2SFCA_STEPS` over the full matrix, per 100,000 residents."""
    d = distance_matrix_km(px, py, ox, oy)  # places x offices
    weight = np.zeros_like(d)
    for bound, w in sorted(E2SFCA_STEPS.items(), reverse=True):  # nearer bands overwrite farther ones
        weight[d <= bound] = w
    demand = residents @ weight  # per office
    ratio = np.divide(1.0, demand, out=np.zeros_like(demand), where=demand > 0)
    return 100_000 * (weight @ ratio)


def main() -> None:
    cov = Coverage()
    supply = cov.supply(CoverageFilter())  # every office with a place: the largest supply
    ox, oy = project(supply["lon"].to_numpy(), supply["lat"].to_numpy())
    print(f"offices with a place: {len(supply)}; population points: {len(cov.population)}")
    print(
        "medians of 5 runs (3 for the grid, the E2SFCA and the reports); ratio = numpy / ours (> 1: ours faster)"
    )
    print(f"{'task':46} {'ours (s)':>10} {'numpy (s)':>10} {'ratio':>7}  check")

    outline = projected_outline(cov.data_dir)
    for cell_m in (1000.0, 250.0):
        t_grid, grid = timed(lambda c=cell_m: grid_cells(outline, c), repeat=3)
        saxony_grid(cell_m, cov.data_dir)  # warm the cache the app uses
        t_fast, surface = timed(lambda g=grid: distance_surface(g, supply))
        cx, cy = grid["x"].to_numpy(), grid["y"].to_numpy()
        t_base, brute = timed(lambda x=cx, y=cy: brute_force_surface(x, y, ox, oy))
        diff = float(np.max(np.abs(surface.cells["distance"].to_numpy() - brute)))
        label = f"surface {cell_m:g} m, {len(grid):,} cells (k-d tree)"
        print(f"{label:46} {t_fast:10.4f} {t_base:10.4f} {t_base / t_fast:6.2f}x  max diff {diff:.1e} km")
        print(f"{'  grid build (cached after first use)':46} {t_grid:10.4f}")
        t_full, _ = timed(lambda c=cell_m: cov.surface(cell_m=c))
        print(f"{'  Coverage.surface() (filter + cached grid)':46} {t_full:10.4f}")

    pts = cov.population
    px, py = project(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    residents = pts["residents"].to_numpy(dtype=float)
    t_fast, score = timed(lambda: e2sfca(pts, supply), repeat=3)
    t_base, brute = timed(lambda: brute_force_e2sfca(px, py, residents, ox, oy), repeat=3)
    diff = float(np.max(np.abs(score.to_numpy() - brute)))
    label = f"E2SFCA (access), {len(pts)} places x {len(supply)} offices"
    print(f"{label:46} {t_fast:10.4f} {t_base:10.4f} {t_base / t_fast:6.2f}x  max diff {diff:.1e} per 100k")

    t_report, _ = timed(lambda: cov.report(topics=["asylum"]), repeat=3)
    print(f"{'Coverage.report(topics=asylum), whole analysis':46} {t_report:10.4f}")
    t_whatif, _ = timed(lambda: cov.report(topics=["asylum"], what_if=["51.56,13.0"]), repeat=3)
    print(f"{'  same with one what-if office (+ baseline)':46} {t_whatif:10.4f}")


if __name__ == "__main__":
    main()
