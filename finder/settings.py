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
tile_providers
    Tile servers a person may switch on for a detailed background (off until they do; see
    :mod:`finder.tiles`): comma-separated built-in keys (``basemap.de``, ``osm``) or a JSON list of
    ``{key, name, url, attribution, max_zoom}``; empty = no tile option. ``FINDER_TILE_PROVIDERS``;
    default ``basemap.de,osm``.
stale_after_days
    Entries whose last check or source is older than this are marked as possibly outdated.
    ``FINDER_STALE_AFTER_DAYS``; default 730 (two years).
corrections_db
    Where reports, reviews and the change history are kept: a SQLAlchemy URL
    (``postgresql+psycopg://user@host/db``) or a file path for SQLite. ``FINDER_CORRECTIONS_DB``; empty =
    ``$XDG_DATA_HOME/beratungsfinder/corrections.sqlite`` (``~/.local/share`` when unset), deliberately
    outside the repository.
corrections_target
    Where accepted changes go: ``"csv"`` (``data/offices.csv``, default) or ``"database"`` (kept in the
    corrections database and laid over the file when the directory is loaded). ``FINDER_CORRECTIONS_TARGET``.
trusted_proxies
    Which reverse proxies may name the client in ``X-Forwarded-For``, for the sign-in and report limits
    (:mod:`finder.client_address`): empty or ``0`` (default) = none, the connection's address counts; a
    number ``N`` = the app is reachable only through ``N`` proxies; or comma-separated addresses or
    networks of the proxies (``10.0.0.5, 172.17.0.0/16``). ``FINDER_TRUSTED_PROXIES``.
now
    A fixed moment for the app's "open now", ``YYYY-MM-DDTHH:MM`` in Europe/Berlin (for demonstrations and
    browser tests, which cannot set the app's clock); empty (default) = the clock. ``FINDER_NOW``.
measure
    Record the size of each map sent to the browser in the session state (for the payload measurements
    of the benchmarks). ``FINDER_MEASURE``; any non-empty value switches it on.
accessibility_contact
    How people reach the operator about accessibility (an e-mail address, a phone number or a web
    address), shown on the accessibility statement (``/accessibility``). ``FINDER_ACCESSIBILITY_CONTACT``;
    empty (default) = the statement says that none is set up (we never make one up).
public_url
    The app's address as offices reach it, for the personal links of a verification round
    (``<public_url>/verify?token=…``, :mod:`finder.outreach`). ``FINDER_PUBLIC_URL``; default
    ``http://localhost:8501``.
outreach_secret
    Key of the HMAC that signs verification links. ``FINDER_OUTREACH_SECRET``; empty (default) = a random
    secret kept in the corrections database (created on first use). Set it in the environment, never in
    the repository; changing it makes every link already sent invalid.
smtp_host, smtp_port, smtp_user, smtp_password, smtp_from, smtp_starttls
    The mail server that ``finder outreach send`` hands the round's e-mails to. ``FINDER_SMTP_HOST``
    (empty, the default, = nothing is ever sent), ``FINDER_SMTP_PORT`` (587), ``FINDER_SMTP_USER`` and
    ``FINDER_SMTP_PASSWORD`` (empty = no login; the password is never printed), ``FINDER_SMTP_FROM`` (the
    sender address, also written into the ``.eml`` files), ``FINDER_SMTP_STARTTLS`` (``1``, default:
    upgrade the connection with STARTTLS; ``0`` for a local relay).
smtp_per_minute
    At most this many e-mails per minute to the mail server. ``FINDER_SMTP_PER_MINUTE``; default 20.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from finder.client_address import TrustedProxies, parse_trusted_proxies
from finder.errors import SettingsError
from finder.rules import BERLIN, parse_local_minute
from finder.tiles import DEFAULT_PROVIDERS, TileProvider, parse_tile_providers

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_USER_AGENT = "beratungsfinder-sachsen/0.1 (+https://github.com/beratungsfinder-sachsen)"
GEOCODERS = ("offline", "nominatim", "photon")
CORRECTIONS_TARGETS = ("csv", "database")


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
    # A str (the environment's) is parsed in __post_init__ into TileProvider objects.
    tile_providers: tuple[TileProvider, ...] = field(
        default_factory=lambda: _env("tile_providers", DEFAULT_PROVIDERS)  # type: ignore[arg-type,return-value]
    )
    stale_after_days: int = field(default_factory=lambda: int(_env("stale_after_days", "730")))
    corrections_db: str = field(default_factory=lambda: _env("corrections_db", ""))
    corrections_target: str = field(default_factory=lambda: _env("corrections_target", "csv"))
    measure: bool = field(default_factory=lambda: bool(_env("measure", "")))
    accessibility_contact: str = field(default_factory=lambda: _env("accessibility_contact", "").strip())
    # A str (the environment's) is parsed in __post_init__: '' → None (the clock), else an aware moment.
    now: dt.datetime | None = field(default_factory=lambda: _env("now", ""))  # type: ignore[assignment]
    # A str (the environment's, or one given to ``Settings``/``with_``) is parsed in __post_init__.
    trusted_proxies: TrustedProxies = field(default_factory=lambda: _env("trusted_proxies", ""))
    public_url: str = field(default_factory=lambda: _env("public_url", "http://localhost:8501"))
    outreach_secret: str = field(default_factory=lambda: _env("outreach_secret", ""), repr=False)
    smtp_host: str = field(default_factory=lambda: _env("smtp_host", ""))
    smtp_port: int = field(default_factory=lambda: int(_env("smtp_port", "587")))
    smtp_user: str = field(default_factory=lambda: _env("smtp_user", ""))
    smtp_password: str = field(default_factory=lambda: _env("smtp_password", ""), repr=False)
    smtp_from: str = field(default_factory=lambda: _env("smtp_from", ""))
    smtp_starttls: bool = field(default_factory=lambda: _env("smtp_starttls", "1").strip() not in ("0", ""))
    smtp_per_minute: float = field(default_factory=lambda: float(_env("smtp_per_minute", "20")))

    def __post_init__(self) -> None:
        if self.geocoder not in GEOCODERS:
            msg = f"FINDER_GEOCODER must be one of {', '.join(GEOCODERS)}, not {self.geocoder!r}"
            raise SettingsError(msg)
        target = self.corrections_target.strip().lower() or "csv"
        if target not in CORRECTIONS_TARGETS:
            msg = f"FINDER_CORRECTIONS_TARGET must be one of {', '.join(CORRECTIONS_TARGETS)}, not {target!r}"
            raise SettingsError(msg)
        object.__setattr__(self, "corrections_target", target)
        if isinstance(self.now, str):
            moment = parse_local_minute(self.now) if self.now.strip() else None
            if self.now.strip() and moment is None:
                msg = f"FINDER_NOW must be a local time YYYY-MM-DDTHH:MM (Europe/Berlin), not {self.now!r}"
                raise SettingsError(msg)
            object.__setattr__(self, "now", moment)
        if self.smtp_per_minute <= 0:
            msg = f"FINDER_SMTP_PER_MINUTE must be above 0, not {self.smtp_per_minute!r}"
            raise SettingsError(msg)
        if isinstance(self.tile_providers, str):
            object.__setattr__(self, "tile_providers", parse_tile_providers(self.tile_providers))
        if isinstance(self.trusted_proxies, str):
            try:
                object.__setattr__(self, "trusted_proxies", parse_trusted_proxies(self.trusted_proxies))
            except ValueError as exc:
                raise SettingsError(str(exc)) from None

    @property
    def smtp_configured(self) -> bool:
        """Whether a mail server is configured (only then does ``finder outreach send`` send anything)."""
        return bool(self.smtp_host.strip())

    @property
    def online(self) -> bool:
        """Whether user input may be sent to an online geocoder."""
        return self.geocoder != "offline"

    def instant(self) -> dt.datetime:
        """The moment "open now" refers to: :attr:`now` if fixed, else the clock (Europe/Berlin).

        The one place the clock is read; the app and the command line call it once per page run or command,
        and pass the instant down, so every card and filter agree.
        """
        return self.now if self.now is not None else dt.datetime.now(BERLIN)

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (``settings.with_(geocoder="photon")``)."""
        return replace(self, **changes)


def names() -> list[str]:
    """Names of all settings fields, for documentation and the CLI."""
    return [f.name for f in fields(Settings)]


def load() -> Settings:
    """Read the settings from the environment (call again after changing ``FINDER_*`` variables)."""
    return Settings()
