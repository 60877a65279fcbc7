"""Re-geocode the office directory (``finder geocode``): resumable, never downgrading a position.

Offline, each office gets its postcode's, town's or district's point (as on import). With an online
geocoder configured, offices with a street are looked up as ``"street, postcode town"``; an answer is
taken only if it is more precise than what the row has and lies in the row's district. Progress is saved
after every row, so an interrupted run (Ctrl-C, network loss) continues where it stopped.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from finder import geodata
from finder import settings as _settings
from finder._build_data import write_csv
from finder.directory import OFFICE_COLUMNS, validate_file
from finder.errors import DirectoryError
from finder.gazetteer import OfflineGazetteer

#: Higher is better; a row's position is only ever replaced by a strictly better one.
PRECISION_RANK = {"": 0, "district": 1, "place": 2, "postcode": 3, "street": 4}


def _progress_path(path: Path, settings: _settings.Settings) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return Path(settings.cache_dir) / "regeocode" / f"{digest}.json"


def _online_position(geocoder: Any, row: dict[str, str]) -> dict[str, str] | None:
    """An online street-level position for ``row``, or ``None`` (no street, no answer, wrong district)."""
    if not row["street"] or not (row["postcode"] or row["city"]):
        return None
    query = f"{row['street']}, {row['postcode']} {row['city']}".replace("  ", " ").strip()
    result = geocoder.geocode(query)
    if result is None or not result.online:
        return None
    if row["district"] != "Sachsen" and geodata.district_at(result.lat, result.lon) != row["district"]:
        return None  # an answer in another district is a wrong match, not a better one
    return {
        "lat": f"{result.lat:.5f}",
        "lon": f"{result.lon:.5f}",
        "geocode_precision": result.precision if result.precision in PRECISION_RANK else "",
        "geocode_source": result.source,
    }


def regeocode(
    path: Path,
    settings: _settings.Settings | None = None,
    *,
    restart: bool = False,
    geocoder: Any = None,
    progress: Callable[[list[dict[str, str]]], Iterable[dict[str, str]]] = iter,
) -> dict[str, int]:
    """Re-geocode ``path`` in place; return counts (``rows``, ``improved``, ``kept``, ``resumed_from``).

    Parameters
    ----------
    path
        A directory CSV (``data/offices.csv``); it must be valid before and stays valid after.
    settings
        Settings (online geocoder, cache folder for the progress file); default :func:`settings.load`.
    restart
        Ignore saved progress of an interrupted run.
    geocoder
        A :class:`finder.geocoding.FallbackGeocoder` to use (default: built from ``settings`` when online).
    progress
        Wraps the rows to show progress (the command line passes a ``tqdm`` bar); default: nothing shown.

    Raises
    ------
    DirectoryError
        If ``path`` is not a valid directory file.
    """
    settings = settings or _settings.load()
    problems = validate_file(path)
    if problems:
        raise DirectoryError(problems)
    gazetteer = OfflineGazetteer(settings.data_dir)
    if geocoder is None and settings.online:
        from finder.geocoding import build_geocoder  # noqa: PLC0415

        geocoder = build_geocoder(settings, offline=gazetteer)

    progress_file = _progress_path(path, settings)
    done: set[str] = set()
    if progress_file.exists() and not restart:
        done = set(json.loads(progress_file.read_text(encoding="utf-8")).get("done", []))
    resumed_from = len(done)

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    improved = kept = 0
    progress_file.parent.mkdir(parents=True, exist_ok=True)
    for row in progress(rows):
        if row["id"] in done:
            continue
        candidates = [gazetteer.place_office(row)[0]]
        if geocoder is not None:
            online = _online_position(geocoder, row)
            if online:
                candidates.append(online)
        best = max(candidates, key=lambda c: PRECISION_RANK[c["geocode_precision"]])
        if PRECISION_RANK[best["geocode_precision"]] > PRECISION_RANK.get(row["geocode_precision"], 0):
            row.update(best)
            improved += 1
            write_csv(path, [{c: r.get(c, "") for c in OFFICE_COLUMNS} for r in rows])
        else:
            kept += 1
        done.add(row["id"])
        tmp = progress_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"done": sorted(done)}), encoding="utf-8")
        tmp.replace(progress_file)
    progress_file.unlink(missing_ok=True)
    return {"rows": len(rows), "improved": improved, "kept": kept, "resumed_from": resumed_from}
