"""The directory as the app shows it: ``offices.csv`` with the maintainers' edits and confirmations.

:func:`directory_overlay` is what :class:`finder.core.Finder` is given (``Finder(overlay=…)``), so that the
search itself never imports the database code; :func:`load_directory` and :func:`current_rows` are for
the review page and the command line, which work with a store anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from finder import settings as _settings
from finder.corrections.csvio import read_rows
from finder.corrections.editor import DirectoryEditor
from finder.corrections.store import CorrectionStore, open_existing_store
from finder.directory import load_offices
from finder.errors import StoreUnavailableError
from finder.gazetteer import OfflineGazetteer

__all__ = [
    "current_rows",
    "directory_overlay",
    "directory_version",
    "load_confirmations",
    "load_directory",
    "offline_position",
    "position_after",
    "with_new_position",
]

#: Columns of the address: a change of one of them moves the office on the map.
ADDRESS_COLUMNS: tuple[str, ...] = ("street", "postcode", "city", "district")
#: Columns of the position.
POSITION_COLUMNS: tuple[str, ...] = ("lat", "lon", "geocode_precision", "geocode_source")

logger = logging.getLogger(__name__)


def load_confirmations(url: str | None = None) -> dict[str, dt.datetime]:
    """Maintainers' "still correct" confirmations per office.

    Empty when there is no database; never raises (the public pages must work without it).

    Parameters
    ----------
    url
        The corrections database (:func:`finder.corrections.store.database_url`); a SQLite file that does
        not exist is not created.
    """
    store = open_existing_store(url)
    if store is None:
        return {}
    try:
        return store.confirmations()
    except (SQLAlchemyError, StoreUnavailableError) as exc:
        logger.warning("cannot read confirmations: %s", type(exc).__name__)
        return {}
    finally:
        store.dispose()


def _directory_source(
    settings: _settings.Settings | None, store: CorrectionStore | None
) -> tuple[Path, DirectoryEditor | None]:
    """``offices.csv`` and the editor that overlays it (only with the ``database`` target and a store)."""
    settings = settings or _settings.load()
    path = Path(settings.data_dir) / "offices.csv"
    if settings.corrections_target == "csv":
        return path, None
    store = store or open_existing_store(settings.corrections_db)
    return path, (DirectoryEditor(store, path, target="database") if store is not None else None)


def current_rows(
    settings: _settings.Settings | None = None, store: CorrectionStore | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """The directory's header and rows as strings, with database edits when that target is configured.

    Raises
    ------
    CorrectionError
        If ``offices.csv`` has problems (:func:`finder.corrections.csvio.read_rows`).
    """
    path, editor = _directory_source(settings, store)
    return editor.rows() if editor else read_rows(path)


def load_directory(
    settings: _settings.Settings | None = None, store: CorrectionStore | None = None
) -> pd.DataFrame:
    """The directory the app should show: ``offices.csv``, plus database edits with the ``database`` target.

    Parameters
    ----------
    settings
        Library settings (``data_dir``, ``corrections_db``, ``corrections_target``); default
        :func:`finder.settings.load`.
    store
        The corrections store; default the one at ``settings.corrections_db``, only opened if it exists.

    Returns
    -------
    pandas.DataFrame
        As :func:`finder.directory.load_offices`, plus ``confirmed``: the ISO date a maintainer last said
        "still correct" ('' if never, or if there is no corrections database).
    """
    settings = settings or _settings.load()
    path, editor = _directory_source(settings, store)
    frame = editor.load() if editor else load_offices(path)
    confirmed = store.confirmations() if store is not None else load_confirmations(settings.corrections_db)
    return _with_confirmations(frame, confirmed, _office_confirmations(settings.corrections_db, store))


def directory_overlay(frame: pd.DataFrame, settings: _settings.Settings) -> pd.DataFrame:
    """The :data:`finder.directory.Overlay` of the corrections database (for ``Finder(overlay=…)``).

    With the ``database`` target, the table becomes the file plus the database's edits; in any case the
    ``confirmed`` column gets the maintainers' "still correct" dates. Without a database, ``frame`` as is.
    """
    if settings.corrections_target == "database":
        return load_directory(settings)
    confirmed = load_confirmations(settings.corrections_db)
    return _with_confirmations(frame, confirmed, _office_confirmations(settings.corrections_db))


def directory_version(settings: _settings.Settings) -> tuple[object, ...] | None:
    """What the shown directory depends on (``offices.csv``'s stat and the latest database change).

    Several app processes each hold the directory in memory; when this value differs from the one a process
    loaded with, another process (or the command line) changed it. ``None`` when the database exists but
    cannot be read now: the caller keeps what it has (the public pages must not lose the confirmations).
    """
    path = Path(settings.data_dir) / "offices.csv"
    try:
        stat = path.stat()
        file_part: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        file_part = None
    store = open_existing_store(settings.corrections_db)
    if store is None:
        return (file_part, 0)
    try:
        return (file_part, store.version())
    except (SQLAlchemyError, StoreUnavailableError):
        return None
    finally:
        store.dispose()


def _office_confirmations(url: str, store: CorrectionStore | None = None) -> dict[str, dt.datetime]:
    """When offices confirmed their entries themselves (verification round; never raises)."""
    from finder.outreach.store import load_office_confirmations  # noqa: PLC0415 - only with a database

    return load_office_confirmations(url, store=store)


def _with_confirmations(
    frame: pd.DataFrame,
    confirmed: Mapping[str, dt.datetime],
    by_office: Mapping[str, dt.datetime] | None = None,
) -> pd.DataFrame:
    """Add ``confirmed`` (the newest confirmation, ISO date) and ``confirmed_by`` (who gave it).

    ``confirmed_by`` is ``office`` when the office's own (through its verification link) is the newest,
    ``maintainer`` for a maintainer's "still correct", '' without any.
    """
    by_office = by_office or {}

    def newest(office_id: str) -> tuple[str, str]:
        ours, theirs = confirmed.get(office_id), by_office.get(office_id)
        if theirs is not None and (ours is None or theirs >= ours):
            return theirs.date().isoformat(), "office"
        return (ours.date().isoformat(), "maintainer") if ours is not None else ("", "")

    pairs = [newest(i) for i in frame["id"]]
    frame["confirmed"] = [p[0] for p in pairs]
    frame["confirmed_by"] = [p[1] for p in pairs]
    return frame


def offline_position(
    row: Mapping[str, str], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """Where the offline gazetteer puts an office: lat, lon, geocode_precision and geocode_source.

    Used after an address change so the map does not keep the old position; the same rule as the import
    (:meth:`finder.gazetteer.OfflineGazetteer.place_office`), so never a street position. Empty dict when
    the office cannot be placed.
    """
    placed, _ = OfflineGazetteer(data_dir).place_office(row)
    return placed if placed["lat"] else {}


def position_after(
    current: Mapping[str, str], changes: Mapping[str, str], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """The position columns to change with ``changes``: where the offline gazetteer puts the new address.

    Empty unless ``changes`` changes the address and sets no position itself; only values that differ from
    ``current`` are returned (so an unchanged place writes nothing), and an address that cannot be placed
    keeps the old point.

    Examples
    --------
    >>> moved = position_after({"city": "Dresden", "district": "Dresden"}, {"postcode": "01067"})
    >>> moved["lat"], moved["lon"], moved["geocode_precision"]
    ('51.05470', '13.72690', 'postcode')
    >>> position_after({"city": "Dresden"}, {"phone": "0351 1"})
    {}
    """
    moved = any(changes[c] != current.get(c, "") for c in ADDRESS_COLUMNS if c in changes)
    if not moved or any(c in changes for c in POSITION_COLUMNS):
        return {}
    placed = offline_position({**current, **changes}, data_dir)
    return {k: v for k, v in placed.items() if current.get(k, "") != v}


def with_new_position(
    current: Mapping[str, str], changes: Mapping[str, str], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """``changes`` plus the new map point of :func:`position_after`, for an edit a maintainer accepts.

    Without gazetteer data (or any other failure to place the address) the old point stays, which the
    maintainer can set by hand; the failure is logged.
    """
    try:
        return {**changes, **position_after(current, changes, data_dir)}
    except Exception:  # no gazetteer data: keep the old point
        logger.warning("cannot place the new address offline", exc_info=True)
        return dict(changes)
