"""The offline gazetteer: a geopy ``Geocoder`` that answers from the embedded data, with no network.

What it understands, best first:

- coordinates ``"51.05, 13.74"`` (precision ``point``);
- a German postcode anywhere in the text (``"Ostra-Allee 11, 01067 Dresden"``) → the postcode's point
  (precision ``postcode``; never a street position, which it cannot know);
- a district name (``"Erzgebirgskreis"``) → a point inside the district (precision ``district``);
- a place name in any script GeoNames knows (``"Дрезден"``, ``"لايبزيغ"``, ``"Budyšin"``), with typos
  and missing umlauts (``"Görliz"``, ``"Goerlitz"``) and with or without the town-name suffix
  (``"Auerbach/Vogtl."``, ``"Reichenbach im Vogtland"``) → the place's point (precision ``place``).

Ambiguous names (``"Oelsnitz"``) give every candidate, best first (``exactly_one=False``). Places and
postcodes elsewhere in Germany are recognised and answered with ``in_saxony = False``.
Every answer's ``raw`` dict holds ``source``, ``precision``, ``district``, ``in_saxony``, ``state``,
``name`` and ``score``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location
from geopy.point import Point
from rapidfuzz import fuzz, process

from finder import _geodata_rows as geodata
from finder import rules
from finder import settings as _settings
from finder.distance import geodesic_km
from finder.vocab import AGS_DISTRICT, DISTRICTS

FUZZY_CUTOFF = 84.0
MAX_CANDIDATES = 8
SAME_PLACE_KM = 4.0
#: Municipalities merged after the BKG data (2016): new name → the town whose centre stands for it.
MERGED_MUNICIPALITIES = {"Aue-Bad Schlema": "Aue"}
#: A GeoNames place and a BKG municipality with one name, this close (km), are one place.
TWIN_KM = 12.0
#: The three districts that are cities (kreisfreie Städte): found as places, labelled "Stadt …".
CITY_DISTRICTS = ("Dresden", "Leipzig", "Chemnitz")

STATE_NAMES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}

_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
# Town-name qualifiers: "Auerbach/Vogtl.", "Reichenbach im Vogtland", "Neustadt i.Sa.", "Bad Düben (Mulde)".
_QUALIFIER = re.compile(r"\s*(?:/|\(|,|\bi\.\s?|\b(?:im|in|an der|am|bei|b\.)\s).*$", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_GERMAN_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Arabic-script letters that Arabic, Persian and Urdu spell differently.
_ARABIC_FOLD = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ـ": None}
)


def normalise(text: str) -> str:
    """Fold a name into a lookup key: case, German umlauts, other diacritics, punctuation, scripts.

    Examples
    --------
    >>> normalise("Görlitz") == normalise("GOERLITZ")
    True
    >>> normalise("  Meißen ")
    'meissen'
    """
    folded = unicodedata.normalize("NFC", text).casefold().translate(_GERMAN_FOLD).translate(_ARABIC_FOLD)
    decomposed = unicodedata.normalize("NFKD", folded)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = _NON_WORD.sub(" ", kept)
    return " ".join(kept.split())


def district_label(name: str) -> str:
    """``"Görlitz"`` → ``"Landkreis Görlitz"``, ``"Dresden"`` → ``"Stadt Dresden"``.

    The four Landkreise named after their seat town need the prefix to be told apart from the town.
    """
    if name in CITY_DISTRICTS:
        return f"Stadt {name}"
    if "kreis" in name.casefold() or name.startswith("Landkreis"):
        return name
    return f"Landkreis {name}"


def base_name(name: str) -> str:
    """A town name without its qualifier: ``"Auerbach/Vogtl."`` → ``"Auerbach"``."""
    return _QUALIFIER.sub("", name).strip() or name


@dataclass(frozen=True)
class Entry:
    """One thing the gazetteer can find."""

    name: str
    lat: float
    lon: float
    kind: str  # place | municipality | quarter | district | postcode
    state: str  # two-letter state code; "SN" for Saxony
    district: str | None
    population: int = 0

    @property
    def in_saxony(self) -> bool:
        """Whether the entry lies in Saxony."""
        return self.state == "SN"

    @property
    def precision(self) -> str:
        """How precise a point this entry gives."""
        return {"district": "district", "postcode": "postcode"}.get(self.kind, "place")

    def label(self) -> str:
        """A human label: the name, with district or state for context."""
        if self.kind == "district":
            return district_label(self.name)
        context = self.district if self.in_saxony else STATE_NAMES.get(self.state, "Deutschland")
        return f"{self.name} ({context})" if context and context not in self.name else self.name


@dataclass
class _Index:
    entries: list[Entry] = field(default_factory=list)
    exact: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    base: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    fuzzy_keys: list[str] = field(default_factory=list)
    fuzzy_ids: list[set[int]] = field(default_factory=list)
    postcodes: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    saxon_lat: np.ndarray = field(default_factory=lambda: np.empty(0))
    saxon_lon: np.ndarray = field(default_factory=lambda: np.empty(0))
    saxon_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))

    def add(self, entry: Entry, names: list[str], *, fuzzy: bool) -> None:
        idx = len(self.entries)
        self.entries.append(entry)
        for i, name in enumerate(names):
            key = normalise(name)
            if not key:
                continue
            self.exact[key].add(idx)
            base = base_name(name)
            self.base[key if base == name else normalise(base)].add(idx)
            # Fuzzy matching over the primary (Latin) name only keeps a query well under a millisecond.
            if fuzzy and i == 0:
                self.fuzzy_keys.append(key)
                self.fuzzy_ids.append({idx})


@cache
def _build_index(data_dir: Path) -> _Index:
    index = _Index()
    district_name = AGS_DISTRICT.get
    placed: dict[str, list[int]] = defaultdict(list)  # base key -> GeoNames entry ids, to merge BKG names
    for row in geodata.places(data_dir):
        entry = Entry(
            name=row["name"],
            lat=row["lat"],
            lon=row["lon"],
            kind="place",
            state=row["state"],
            district=district_name(row["district_ags"]),
            population=row["population"],
        )
        alt = [a for a in row["alt_names"].split("|") if a]
        placed[normalise(base_name(row["name"]))].append(len(index.entries))
        index.add(entry, [row["name"], *alt], fuzzy=True)
    for row in geodata.municipalities(data_dir):
        name, district = row["name"], district_name(row["district_ags"])
        namesakes = [
            i for i in placed.get(normalise(base_name(name)), []) if index.entries[i].district == district
        ]
        near = geodesic_km(row["lat"], row["lon"], [index.entries[i].lat for i in namesakes],
                           [index.entries[i].lon for i in namesakes])  # fmt: skip
        twin_ids = [i for i, km in zip(namesakes, near, strict=True) if km < TWIN_KM]
        if twin_ids:
            # The official name ("Auerbach/Vogtl.") becomes another name of the GeoNames place,
            # whose point is the town centre rather than an arbitrary point of the municipality.
            twin_id = twin_ids[0]
            # Show the official German name ("Meißen", not GeoNames' "Meissen").
            index.entries[twin_id] = replace(index.entries[twin_id], name=name)
            key = normalise(name)
            index.exact[key].add(twin_id)
            index.fuzzy_keys.append(key)
            index.fuzzy_ids.append({twin_id})
            continue
        entry = Entry(name, row["lat"], row["lon"], "municipality", "SN", district)
        index.add(entry, [name], fuzzy=True)
    for name in DISTRICTS:
        lat, lon = geodata.district_point(name, data_dir)
        names = [name]
        if name in CITY_DISTRICTS:
            names = []  # the cities are found as places; "Landkreis Leipzig" stays distinct
        entry = Entry(name, lat, lon, "district", "SN", name)
        if names:
            index.add(entry, names, fuzzy=True)
    for row in geodata.postcodes(data_dir):
        place = row["place"]
        entry = Entry(
            name=f"{row['postcode']} {place}",
            lat=row["lat"],
            lon=row["lon"],
            kind="postcode",
            state=row["state"],
            district=district_name(row["district_ags"]),
        )
        index.postcodes[row["postcode"]].append(entry)
        if row["state"] == "SN" and " " in place and normalise(place) not in index.exact:
            # GeoNames postal places such as "Dresden Friedrichstadt" name quarters.
            quarter = Entry(place, row["lat"], row["lon"], "quarter", "SN", entry.district)
            index.add(quarter, [place], fuzzy=True)
    saxon = [i for i, e in enumerate(index.entries) if e.in_saxony and e.kind in ("place", "municipality")]
    index.saxon_ids = np.array(saxon, dtype=int)
    index.saxon_lat = np.array([index.entries[i].lat for i in saxon])
    index.saxon_lon = np.array([index.entries[i].lon for i in saxon])
    return index


class _NoNetworkAdapter(BaseSyncAdapter):
    """A geopy adapter that refuses every request: the gazetteer never touches the network."""

    def get_json(self, url: str, *, timeout: float, headers: dict) -> None:
        msg = "the offline gazetteer makes no network requests"
        raise GeocoderServiceError(msg)

    def get_text(self, url: str, *, timeout: float, headers: dict) -> None:
        msg = "the offline gazetteer makes no network requests"
        raise GeocoderServiceError(msg)


#: ``geocode_source`` of an office placed at a gazetteer entry of each kind (see data/README.md).
_SOURCE_OF_KIND = {
    "postcode": "geonames-postcode",
    "place": "geonames-place",
    "quarter": "geonames-postcode",
    "municipality": "bkg-municipality",
    "district": "bkg-district",
}


@dataclass(frozen=True)
class _Match:
    entry: Entry
    score: float


class OfflineGazetteer(Geocoder):
    """Geocode Saxon places, postcodes and districts from the embedded data, without any network.

    Parameters
    ----------
    data_dir
        Folder with ``places.csv``, ``postcodes.csv``, ``municipalities.csv``, ``districts.geojson``;
        default ``settings.data_dir``.

    Examples
    --------
    >>> g = OfflineGazetteer()
    >>> g.geocode("01067").raw["precision"]
    'postcode'
    >>> g.geocode("Goerlitz").raw["district"]
    'Görlitz'
    """

    name = "offline"

    def __init__(self, data_dir: Path | str | None = None) -> None:
        super().__init__(adapter_factory=_NoNetworkAdapter)
        self.data_dir = Path(data_dir) if data_dir is not None else _settings.load().data_dir
        self._index = _build_index(self.data_dir)

    # -- geopy interface ---------------------------------------------------------------------
    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        timeout: float | object = DEFAULT_SENTINEL,
    ) -> Location | list[Location] | None:
        """Find ``query``; ``None`` when nothing matches, a list of candidates with ``exactly_one=False``."""
        matches = self.search(query)
        if not matches:
            return None
        locations = [self._location(m) for m in matches]
        return locations[0] if exactly_one else locations

    def reverse(
        self,
        query: Point | tuple[float, float] | str,
        *,
        exactly_one: bool = True,
        timeout: float | object = DEFAULT_SENTINEL,
    ) -> Location | list[Location] | None:
        """Name the district and nearest Saxon place of a point (e.g. a map click)."""
        try:
            point = Point(query)
        except (ValueError, TypeError):
            return None
        lat, lon = point.latitude, point.longitude
        district = geodata.district_at(lat, lon, self.data_dir)
        index = self._index
        dist = geodesic_km(lat, lon, index.saxon_lat, index.saxon_lon)
        order = np.argsort(dist)[:MAX_CANDIDATES]
        nearest = [index.entries[index.saxon_ids[i]] for i in order]
        label = replace(nearest[0], district=district).label() if district else "außerhalb Sachsens"
        raw = {
            "source": self.name,
            "precision": "point",
            "district": district,
            "in_saxony": district is not None,
            "state": "SN" if district else None,
            "name": nearest[0].name if district else None,
            "nearest_place_km": round(float(dist[order[0]]), 2),
            "score": 100.0,
        }
        location = Location(label, (lat, lon, 0), raw)
        return location if exactly_one else [location]

    # -- placing an office ---------------------------------------------------------------------
    def place_office(self, row: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
        """Offline coordinates for one office row, and a warning when the place contradicts the district.

        The one placement rule of the project (import, ``finder geocode``, an address change in review):
        the postcode's point if the row has a Saxon postcode, else the Saxon town's point, else a point
        inside its district; online-only services (district ``Sachsen`` without a town) stay unplaced. Never a
        street position.

        Returns
        -------
        dict
            ``lat``, ``lon``, ``geocode_precision``, ``geocode_source`` (all '' when unplaced).
        str or None
            ``"ID: placed in X (place) but listed under Y"`` when the found place lies in another district.

        Examples
        --------
        >>> OfflineGazetteer().place_office({"postcode": "01067", "city": "Dresden", "district": "Dresden"})
        ({'lat': '51.05470', 'lon': '13.72690', 'geocode_precision': 'postcode', \
'geocode_source': 'geonames-postcode'}, None)
        """
        district, postcode, city = (
            str(row.get(k, "") or "").strip() for k in ("district", "postcode", "city")
        )
        entry: Entry | None = None
        if postcode:
            found = [m.entry for m in self._by_postcode(postcode, city) if m.entry.in_saxony]
            entry = found[0] if found else None
        if entry is None and city:
            matches = [m.entry for m in self.search(city) if m.entry.in_saxony]
            same_district = [e for e in matches if e.district == district]
            entry = (same_district or matches or [None])[0]
        if entry is None and district in AGS_DISTRICT.values():
            lat, lon = geodata.district_point(district, self.data_dir)
            entry = Entry(district, lat, lon, "district", "SN", district)
        if entry is None:
            return {"lat": "", "lon": "", "geocode_precision": "", "geocode_source": ""}, None
        warning = None
        if district in AGS_DISTRICT.values() and entry.district != district:
            warning = (
                f"{row.get('id', '')}: placed in {entry.district} ({entry.name}) but listed under {district}"
            )
        return {
            "lat": f"{entry.lat:.5f}",
            "lon": f"{entry.lon:.5f}",
            "geocode_precision": entry.precision,
            "geocode_source": _SOURCE_OF_KIND.get(entry.kind, "geonames-place"),
        }, warning

    # -- matching ----------------------------------------------------------------------------
    def search(self, query: str) -> list[_Match]:
        """All candidates for ``query``, best first (at most :data:`MAX_CANDIDATES`)."""
        if not isinstance(query, str):
            return []
        text = unicodedata.normalize("NFC", query).strip()
        if not text or len(text) > rules.MAX_QUERY_LENGTH:
            return []
        coords = self._coordinates(text)
        if coords:
            return coords
        postcode = _POSTCODE.search(text)
        if postcode:
            rest = (text[: postcode.start()] + " " + text[postcode.end() :]).strip(" ,;")
            found = self._by_postcode(postcode.group(1), rest)
            if found:
                return found
            text = rest  # unknown postcode: the town name may still be known
        for part in self._parts(text):
            found = self._by_name(part)
            if found:
                return found[:MAX_CANDIDATES]
        return []

    def _coordinates(self, text: str) -> list[_Match]:
        pair = rules.parse_latlon(text)
        if pair is None:
            return []
        lat, lon = pair
        district = geodata.district_at(lat, lon, self.data_dir)
        entry = Entry(f"{lat:.5f}, {lon:.5f}", lat, lon, "point", "SN" if district else "", district)
        return [_Match(entry, 100.0)]

    def _by_postcode(self, code: str, rest: str) -> list[_Match]:
        rows = self._index.postcodes.get(code, [])
        if not rows:
            return []
        if rest and len(rows) > 1:
            # "01067 Dresden Friedrichstadt" → the row naming that place part, if any matches well.
            key = normalise(rest)
            scored = sorted(rows, key=lambda e: -fuzz.token_set_ratio(key, normalise(e.name[6:])))
            rows = scored
        first = rows[0]
        return [_Match(first, 100.0)]

    @staticmethod
    def _parts(text: str) -> list[str]:
        """The whole text, then its comma-separated parts from the right (street first, town last)."""
        parts = [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]
        out = [text]
        out += [p for p in reversed(parts) if p != text]
        # "Dresden Neustadt" or "Hauptstraße 5 Plauen": also try the trailing and leading words.
        words = text.split()
        if len(words) > 1:
            out += [" ".join(words[-n:]) for n in range(len(words) - 1, 0, -1)]
            out += [" ".join(words[:n]) for n in range(len(words) - 1, 0, -1)]
        return out

    def _by_name(self, text: str) -> list[_Match]:
        text = MERGED_MUNICIPALITIES.get(text, text)
        key = normalise(text)
        if len(key) < 2:
            return []
        index = self._index
        ids: dict[int, float] = {}
        for i in index.exact.get(key, ()):
            ids[i] = 100.0
        for i in index.base.get(normalise(base_name(text)), ()):
            ids.setdefault(i, 97.0)
        if not ids and len(key) >= 4:
            hits = process.extract(
                key, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=MAX_CANDIDATES * 2
            )
            for _, score, pos in hits:
                for i in index.fuzzy_ids[pos]:
                    ids[i] = max(ids.get(i, 0.0), float(score))
        matches = [_Match(index.entries[i], s) for i, s in ids.items()]
        return self._rank(matches)

    @staticmethod
    def _rank(matches: list[_Match]) -> list[_Match]:
        # Saxony first (a Saxon service: "Neustadt" means Neustadt i. Sa., not an der Weinstraße),
        # then the best score, then bigger places.
        kind_order = {"place": 0, "quarter": 1, "municipality": 2, "district": 3}
        matches.sort(
            key=lambda m: (
                not m.entry.in_saxony,
                -m.score,
                -m.entry.population,
                kind_order.get(m.entry.kind, 4),
            )
        )
        kept: list[_Match] = []
        for m in matches:
            duplicate = any(
                k.entry.district == m.entry.district
                and k.entry.state == m.entry.state
                and geodesic_km(k.entry.lat, k.entry.lon, [m.entry.lat], [m.entry.lon])[0] < SAME_PLACE_KM
                for k in kept
            )
            if not duplicate:
                kept.append(m)
        return kept

    def _location(self, match: _Match) -> Location:
        e = match.entry
        raw = {
            "source": self.name,
            "precision": e.precision if e.kind != "point" else "point",
            "district": e.district,
            "in_saxony": e.in_saxony,
            "state": e.state or None,
            "name": e.name,
            "kind": e.kind,
            "population": e.population,
            "score": round(match.score, 1),
        }
        return Location(e.label(), (e.lat, e.lon, 0), raw)
