"""A small JSON-on-disk key → value cache that several processes can share.

One file per entry under ``folder/<2 hex>/<sha256>.json``. Writes go to a temporary file in the same
folder and are moved into place with :func:`os.replace`, which is atomic on POSIX and Windows, so a
reader sees either the old complete entry or the new complete entry, never a half-written one, and
concurrent writers of the same key simply last-write-win. No lock is needed for that, which keeps the
cache usable from Streamlit's threads, the command line and notebooks at the same time.

A damaged entry (truncated, not JSON, wrong layout) is treated as a miss and never raises. Stored
``None`` / ``[]`` values are real answers ("asked, nothing found") and are told apart from a miss by the
:data:`MISS` sentinel.

Only hashes of the keys are written to disk, not the keys themselves, so the folder does not list what
was looked up (the values may of course still contain addresses).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

#: Layout version of an entry file; entries of another version are misses.
FORMAT_VERSION: Final = 1
_SEPARATOR: Final = "\x1f"  # ASCII unit separator: cannot appear in a normalised text part


class _Miss:
    """Type of :data:`MISS`; falsy, with a readable repr."""

    _instance: _Miss | None = None

    def __new__(cls) -> _Miss:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISS"


#: Returned by :meth:`DiskCache.get` when the key is not cached (or the entry is unusable).
MISS: Final = _Miss()

Key = str | tuple[object, ...]


def normalise_key(key: Key) -> str:
    """Return the canonical text form of a cache key.

    Parameters
    ----------
    key
        A string or a tuple of parts (e.g. ``("nominatim", "https://host/search", "geocode", query)``).
        Text parts are Unicode-NFC-normalised, case-folded and whitespace-collapsed, so
        ``"Ostra-Allee  11"`` and ``"ostra-allee 11"`` share an entry; other parts use their JSON form
        (dicts with sorted keys).

    Returns
    -------
    str
        The parts joined by an ASCII unit separator.

    Examples
    --------
    >>> normalise_key(("Nominatim", "  Ostra-Allee   11 ")) == normalise_key(("nominatim", "ostra-allee 11"))
    True
    """
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(" ".join(unicodedata.normalize("NFC", part).casefold().split()))
        else:
            out.append(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str))
    return _SEPARATOR.join(out)


def hash_key(key: Key) -> str:
    """Return the SHA-256 hex digest of :func:`normalise_key` of ``key`` (the entry's file name)."""
    return hashlib.sha256(normalise_key(key).encode("utf-8")).hexdigest()


class DiskCache:
    """JSON-on-disk key → value cache; survives restarts and is safe for several processes.

    Parameters
    ----------
    folder
        Where the entries live; created (mode ``0o700``) on the first write, never on a read.
    max_age
        Entries older than this many seconds are misses (``None``: entries never expire).

    Examples
    --------
    >>> import tempfile
    >>> cache = DiskCache(tempfile.mkdtemp())
    >>> cache.get(("nominatim", "Leipzig")) is MISS
    True
    >>> cache.set(("nominatim", "Nowhere"), [])  # a negative answer
    >>> cache.get(("nominatim", "nowhere"))
    []
    """

    def __init__(self, folder: Path | str, *, max_age: float | None = None) -> None:
        self.folder = Path(folder)
        self.max_age = max_age

    def __repr__(self) -> str:
        return f"DiskCache({str(self.folder)!r}, max_age={self.max_age!r})"

    def path_for(self, key: Key) -> Path:
        """Return the file that holds (or would hold) the entry for ``key``."""
        digest = hash_key(key)
        return self.folder / digest[:2] / f"{digest}.json"

    def get(self, key: Key, default: Any = MISS) -> Any:
        """Return the stored value for ``key``, or ``default`` (:data:`MISS`) if there is none.

        A missing, expired, unreadable or damaged entry is a miss; this never raises for such entries.
        """
        path = self.path_for(key)
        try:
            text = path.read_text(encoding="utf-8")
            entry = json.loads(text)
        except FileNotFoundError:
            return default
        except (OSError, ValueError) as error:  # ValueError covers JSON and UTF-8 decoding errors
            logger.warning("ignoring unreadable cache entry %s: %s", path, error)
            return default
        if not (
            isinstance(entry, dict)
            and entry.get("v") == FORMAT_VERSION
            and entry.get("key") == path.stem
            and isinstance(entry.get("stored"), int | float)
            and "value" in entry
        ):
            logger.warning("ignoring cache entry %s of unexpected layout", path)
            return default
        if self.max_age is not None and time.time() - entry["stored"] > self.max_age:
            return default
        return entry["value"]

    def __contains__(self, key: Key) -> bool:
        return self.get(key) is not MISS

    def set(self, key: Key, value: Any) -> None:
        """Store ``value`` (anything JSON can hold; ``None`` and ``[]`` count as answers) under ``key``.

        Raises
        ------
        TypeError, ValueError
            If ``value`` cannot be written as strict JSON (e.g. a set or ``float("nan")``).

        Notes
        -----
        A failing disk (full, read-only, no permission) is logged and otherwise ignored: losing a
        cache entry must not break the lookup that produced it.
        """
        path = self.path_for(key)
        # Serialise first so that a bad value raises before anything touches the disk.
        text = json.dumps(
            {"v": FORMAT_VERSION, "key": path.stem, "stored": time.time(), "value": value},
            ensure_ascii=False,
            allow_nan=False,
        )
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp gives a unique name (no clash between writers) and mode 0o600 (entries may hold
            # addresses); same folder as the target so that os.replace is a rename, not a copy.
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        except OSError as error:
            logger.warning("cannot write cache entry %s: %s", path, error)
            return
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            # No fsync: after a power cut a lost or empty entry is just a miss.
            tmp.replace(path)
        except OSError as error:
            logger.warning("cannot write cache entry %s: %s", path, error)
            with contextlib.suppress(OSError):
                tmp.unlink()

    def delete(self, key: Key) -> None:
        """Forget ``key`` (no error if it is not cached)."""
        with contextlib.suppress(FileNotFoundError):
            self.path_for(key).unlink()

    def _entry_files(self) -> Iterator[Path]:
        if self.folder.is_dir():
            yield from self.folder.glob("??/*.json")

    def __len__(self) -> int:
        """Return the number of entry files (including expired or damaged ones, excluding temporary files)."""
        return sum(1 for p in self._entry_files() if not p.name.startswith(".tmp-"))

    def clear(self) -> None:
        """Delete every entry, and temporary files that crashed writers may have left behind."""
        for path in self._entry_files():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
