"""Random places in Saxony for the benchmarks: uniform in its bounding box, kept if inside its outline."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import shapely

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the repository's finder, never another clone

from finder import geodata


def random_points(n: int, seed: int) -> list[tuple[float, float]]:
    """``n`` seeded ``(lat, lon)`` points inside Saxony."""
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
