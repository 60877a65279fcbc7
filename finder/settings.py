"""One documented settings object for the whole library (after osmnx's ``settings``).

Every value can be set from the environment (``FINDER_*``) so that the app, the command line and the
notebooks share one configuration. Nothing here makes a network request; the defaults keep the app
offline and private.

Attributes
----------
data_dir
    Folder with the embedded data (``offices.csv``, geodata). ``FINDER_DATA_DIR``; default ``data/`` of
    the repository.
cache_dir
    Folder for the on-disk geocoder cache. ``FINDER_CACHE_DIR``; default ``~/.cache/beratungsfinder``.
geocoder
    Which geocoder answers user input: ``"offline"`` (default, embedded gazetteer only), ``"nominatim"``
    (public OpenStreetMap Nominatim or a self-hosted one at ``geocoder_url``) or ``"photon"``
    (a Photon server at ``geocoder_url``). ``FINDER_GEOCODER``.
geocoder_url
    Base URL of a self-hosted Nominatim or Photon server. ``FINDER_GEOCODER_URL``; empty = the public
    Nominatim at ``nominatim.openstreetmap.org`` (only used when ``geocoder == "nominatim"``).
user_agent
    HTTP User-Agent sent to online geocoders (Nominatim's usage policy requires a specific one).
    ``FINDER_USER_AGENT``.
geocoder_timeout
    Seconds to wait for an online geocoder. ``FINDER_GEOCODER_TIMEOUT``.
geocoder_min_delay
    Minimum seconds between two calls to an online geocoder (Nominatim policy: at least 1).
    ``FINDER_GEOCODER_MIN_DELAY``.
tile_url
    Tile server URL template for the base map, e.g. a self-hosted one. Empty = no tiles (the map is drawn
    from our own vector data). ``FINDER_TILE_URL``.
tile_attribution
    Attribution shown with ``tile_url``. ``FINDER_TILE_ATTRIBUTION``.
stale_after_days
    Entries whose last check or source is older than this are marked as possibly outdated.
    ``FINDER_STALE_AFTER_DAYS``; default 730 (two years).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_USER_AGENT = "beratungsfinder-sachsen/0.1 (+https://github.com/beratungsfinder-sachsen)"
GEOCODERS = ("offline", "nominatim", "photon")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FINDER_{name.upper()}", default)


@dataclass(frozen=True)
class Settings:
    """Library-wide configuration; see the module docstring for each field."""

    data_dir: Path = field(default_factory=lambda: Path(_env("data_dir", str(REPO_DIR / "data"))))
    cache_dir: Path = field(
        default_factory=lambda: Path(_env("cache_dir", str(Path.home() / ".cache" / "beratungsfinder")))
    )
    geocoder: str = field(default_factory=lambda: _env("geocoder", "offline"))
    geocoder_url: str = field(default_factory=lambda: _env("geocoder_url", ""))
    user_agent: str = field(default_factory=lambda: _env("user_agent", DEFAULT_USER_AGENT))
    geocoder_timeout: float = field(default_factory=lambda: float(_env("geocoder_timeout", "5")))
    geocoder_min_delay: float = field(default_factory=lambda: float(_env("geocoder_min_delay", "1")))
    tile_url: str = field(default_factory=lambda: _env("tile_url", ""))
    tile_attribution: str = field(default_factory=lambda: _env("tile_attribution", ""))
    stale_after_days: int = field(default_factory=lambda: int(_env("stale_after_days", "730")))

    def __post_init__(self) -> None:
        if self.geocoder not in GEOCODERS:
            msg = f"FINDER_GEOCODER must be one of {', '.join(GEOCODERS)}, not {self.geocoder!r}"
            raise ValueError(msg)

    @property
    def online(self) -> bool:
        """Whether user input may be sent to an online geocoder."""
        return self.geocoder != "offline"

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (``settings.with_(geocoder="photon")``)."""
        return replace(self, **changes)


def names() -> list[str]:
    """Names of all settings fields, for documentation and the CLI."""
    return [f.name for f in fields(Settings)]


def load() -> Settings:
    """Read the settings from the environment (call again after changing ``FINDER_*`` variables)."""
    return Settings()
