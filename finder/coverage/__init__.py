"""Coverage for planners: where is help out of reach, per district and per head.

Answers "which places are far from an office that offers topic X in language Y", "which districts have few
offices per resident" and "what would one more office in town Z change" for the app's *Coverage* page, the
``finder coverage`` command and ``notebooks/coverage.ipynb``, all from the functions here.

Design (after pysal/access): pure functions over plain tables and arrays do the work; the small facade
:class:`Coverage` loads the data once and wires them together. The cost between two points is pluggable:
everything goes through a :class:`CostFunction` (default :class:`StraightLine`, distances in km in the
projected CRS EPSG:25833); a routing engine's cost matrix can be plugged in with :class:`CostMatrix`.

Modules
-------
``cost``
    Cost functions, the projection, default thresholds.
``filters``
    :class:`CoverageFilter`, the matching offices, what-if offices, the supply table.
``population``
    Population points.
``surface``
    The grid over Saxony and the :class:`DistanceSurface`.
``gaps``
    Population-weighted gaps and gap places.
``access``
    The E2SFCA accessibility index.
``report``
    The district table, :func:`analyse`, :class:`CoverageReport` and the :class:`Coverage` facade.
``export``
    The layers for a GIS (GeoPackage, GeoJSON, CSV); import it as ``finder.coverage.export``.

What is computed
----------------
* **District table** (:func:`district_offices`): matching offices by kind and topic, per 100,000 residents
  and per 10,000 foreign residents (with the year of each figure), share stating languages, share with a
  street address, oldest source date.
* **Distance surface** (:func:`distance_surface`): a regular grid over Saxony (1 km cells in EPSG:25833,
  cells whose centre lies inside the state outline) with the distance to the nearest matching office,
  found with a k-d tree (:class:`scipy.spatial.cKDTree`).
* **Population-weighted gaps** (:func:`district_gaps`, :func:`gap_places`): GeoNames places of Saxony,
  their populations scaled per district to the district totals of ``districts_facts.csv``; the share of
  residents beyond 10 / 20 / 30 km of a matching office and the places where a new office would bring the
  most residents within reach.
* **Accessibility index** (:func:`e2sfca`): the enhanced two-step floating catchment area of the PyPI package
  ``access`` (pysal/access) with its default step weights (1 / 0.68 / 0.22 for 0–10 / 10–20 / 20–30 km).
* **What-if** (:class:`WhatIf`): hypothetical offices added to the matching ones.

Statewide and online services have no place, so they are counted in the summary but not in distances.
"""

from finder.coverage.access import E2SFCA_EXPLANATION, E2SFCA_STEPS, e2sfca
from finder.coverage.cost import (
    CRS,
    DEFAULT_GAP_THRESHOLD_KM,
    DEFAULT_THRESHOLDS_KM,
    DISTANCE_LABEL,
    CostFunction,
    CostMatrix,
    StraightLine,
    as_cost,
    lonlat_array,
    nearest_xy,
    project,
    threshold_key,
    unproject,
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
from finder.coverage.report import ATTRIBUTION, Coverage, CoverageReport, analyse, district_offices
from finder.coverage.surface import (
    DEFAULT_CELL_M,
    MAX_GRID_CELLS,
    DistanceSurface,
    distance_surface,
    grid_cells,
    projected_outline,
    saxony_grid,
)
from finder.errors import CoverageError

__all__ = [
    "ATTRIBUTION",
    "CRS",
    "DEFAULT_CELL_M",
    "DEFAULT_GAP_THRESHOLD_KM",
    "DEFAULT_THRESHOLDS_KM",
    "DISTANCE_LABEL",
    "E2SFCA_EXPLANATION",
    "E2SFCA_STEPS",
    "MAX_GRID_CELLS",
    "MAX_WHAT_IF",
    "CostFunction",
    "CostMatrix",
    "Coverage",
    "CoverageError",
    "CoverageFilter",
    "CoverageReport",
    "DistanceSurface",
    "StraightLine",
    "WhatIf",
    "analyse",
    "as_cost",
    "distance_surface",
    "district_gaps",
    "district_offices",
    "e2sfca",
    "gap_places",
    "grid_cells",
    "lonlat_array",
    "matching_offices",
    "nearest_xy",
    "parse_what_if",
    "population_note",
    "population_points",
    "project",
    "projected_outline",
    "saxony_grid",
    "supply_table",
    "threshold_key",
    "unproject",
    "what_if_point",
]
