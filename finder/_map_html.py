"""The HTML of the map's markers, popups, tooltips and legend; every data value escaped.

:func:`finder.map.build_map` groups the offices into :class:`Location` s and hands them here; what is
drawn where (layers, clustering, bounds) stays in :mod:`finder.map`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

from finder._values import contact_items
from finder._values import tel_href as _tel_href
from finder._values import text as _text
from finder.vocab import KINDS

#: Marker colour per office kind. Paul Tol's "muted" qualitative scheme (designed to stay distinguishable
#: with colour-vision deficiencies) plus two greys: mid grey for the immigration authority (not a
#: counselling service) and light grey for "other". With eleven kinds colour cannot be the only cue, so
#: the kind is also named in every popup and in the legend.
KIND_COLOURS: dict[str, str] = {
    "KAIB": "#332288",  # indigo
    "ABH": "#777777",  # mid grey
    "MBE": "#44AA99",  # teal
    "JMD": "#DDCC77",  # sand
    "FSA": "#CC6677",  # rose
    "RECHT": "#882255",  # wine
    "IQ": "#117733",  # green
    "ADB": "#AA4499",  # purple
    "PSZ": "#88CCEE",  # cyan
    "RUECK": "#999933",  # olive
    "OTHER": "#BBBBBB",  # light grey
}


def _esc(value: object) -> str:
    """Escape text for HTML that folium later puts inside a JavaScript template literal.

    ``html.escape`` handles the HTML side. folium's ``Popup`` and ``Tooltip`` embed their HTML in
    backtick strings, where a backtick, a backslash or ``${`` would end the string or run code, so those
    three characters become numeric character references, which display the same.
    """
    text = html.escape(_text(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _fill_in(template: str, **values: str) -> str:
    """Fill ``{name}`` placeholders without ``str.format`` (a broken translation must not raise)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


@dataclass
class Office:
    id: str
    name: str
    kind: str
    street: str
    postcode: str
    city: str
    phone: str
    approximate: bool
    distance_km: float | None
    lat: float
    lon: float
    #: The distance as people read it (:func:`finder.distance_text.distance_label`): "in Chemnitz",
    #: "about 12 km"; empty without a search place.
    distance_text: str = ""
    #: How far (m) the real place may be from the position (``finder.distance.PRECISION_KM``).
    precision_m: float = 0.0


@dataclass
class Location:
    lat: float
    lon: float
    offices: list[Office] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [o.id for o in self.offices]

    @property
    def kinds(self) -> list[str]:
        """Distinct kinds in vocabulary order (unknown kinds last)."""
        present = {o.kind for o in self.offices}
        return [k for k in KINDS if k in present] + sorted(present - set(KINDS))

    @property
    def approximate(self) -> bool:
        return all(o.approximate for o in self.offices)

    @property
    def area_m(self) -> float:
        """Radius (m) of the area an approximate position stands for; 0 for an exact one."""
        return max(o.precision_m for o in self.offices) if self.approximate else 0.0

    @property
    def colour(self) -> str:
        """The kind colour of a single kind, else neutral grey (an area cannot be drawn as a pie)."""
        kinds = self.kinds
        return KIND_COLOURS.get(kinds[0], KIND_COLOURS["OTHER"]) if len(kinds) == 1 else "#888888"


def _fill(kinds: list[str]) -> str:
    """CSS background: the kind's colour, or equal pie slices for several kinds."""
    colours = [KIND_COLOURS.get(k, KIND_COLOURS["OTHER"]) for k in kinds] or [KIND_COLOURS["OTHER"]]
    if len(colours) == 1:
        return colours[0]
    step = 360 / len(colours)
    stops = ", ".join(f"{c} {i * step:.0f}deg {(i + 1) * step:.0f}deg" for i, c in enumerate(colours))
    return f"conic-gradient({stops})"


def _swatch(fill: str, *, approximate: bool = False, size: int = 18, text: str = "") -> str:
    """Return the round marker symbol; approximate positions are hollow with a dashed outline.

    The shared look is in the ``fm-dot`` CSS class (see :class:`finder._map_templates.MapStyle`); only
    size and fill are inline.
    """
    if approximate:
        return (
            f'<span aria-hidden="true" class="fm-dot fm-approx" style="width:{size}px;height:{size}px;'
            f'background:radial-gradient(circle,#fff 0 36%,transparent 38%),{fill}">{text}</span>'
        )
    return (
        f'<span aria-hidden="true" class="fm-dot" style="width:{size}px;height:{size}px;background:{fill}">'
        f"{text}</span>"
    )


def _origin_symbol(size: int = 26) -> str:
    """Return the 'you are here' symbol: a black ring with a centre dot, open so markers below show."""
    return (
        f'<span aria-hidden="true" class="fm-origin" style="width:{size}px;height:{size}px">'
        f"<span></span></span>"
    )


def _office_html(office: Office, labels: Mapping[str, str]) -> str:
    """Return the essentials of one office as HTML, every data value escaped."""
    colour = KIND_COLOURS.get(office.kind, KIND_COLOURS["OTHER"])
    parts = [
        f'<div class="finder-office" data-office-id="{_esc(office.id)}">',
        f"<strong><bdi>{_esc(office.name)}</bdi></strong>",
        f"<div>{_swatch(colour, size=10)} {_esc(labels.get(office.kind, office.kind))}</div>",
    ]
    place = " ".join(p for p in (office.postcode, office.city) if p)
    # <bdi>: German names and addresses keep their own direction inside a right-to-left popup.
    address = "<br>".join(f"<bdi>{_esc(p)}</bdi>" for p in (office.street, place) if p)
    if address:
        parts.append(f"<div>{address}</div>")
    phones = contact_items(office.phone)
    links = []
    for phone in phones:
        href = _tel_href(phone)
        text = f'<span dir="ltr">{_esc(phone)}</span>'  # digits would be reordered in right-to-left text
        links.append(f'<a href="{_esc(href)}">{text}</a>' if href else text)
    if links:
        parts.append(f"<div>{'<br>'.join(links)}</div>")
    if office.distance_text:
        parts.append(f"<div>{_esc(office.distance_text)}</div>")
    if office.approximate:
        parts.append(f"<div><em>{_esc(labels['approximate'])}</em></div>")
    parts.append("</div>")
    return "".join(parts)


def _popup_html(location: Location, labels: Mapping[str, str], direction: str) -> str:
    ids = _esc(" ".join(location.ids))
    opening = f'<div class="finder-popup" dir="{direction}" data-office-ids="{ids}">'
    if len(location.offices) == 1:
        return opening + _office_html(location.offices[0], labels) + "</div>"
    title = _fill_in(labels["n_offices"], n=str(len(location.offices)))
    blocks = '<hr style="margin:6px 0">'.join(_office_html(o, labels) for o in location.offices)
    return (
        f"{opening}<strong>{_esc(title)}</strong>"
        f'<div style="max-height:16em;overflow-y:auto;margin-top:4px">{blocks}</div></div>'
    )


def _tooltip_html(location: Location, labels: Mapping[str, str], direction: str) -> str:
    if len(location.offices) == 1:
        return f'<span dir="{direction}"><bdi>{_esc(location.offices[0].name)}</bdi></span>'
    text = _fill_in(labels["n_offices"], n=str(len(location.offices)))
    return f'<span dir="{direction}">{_esc(text)}</span>'


def _legend_html(
    locations: list[Location], labels: Mapping[str, str], direction: str, origin_text: str | None
) -> str:
    kinds_present = {o.kind for loc in locations for o in loc.offices}
    kinds = [k for k in KINDS if k in kinds_present] + sorted(kinds_present - set(KINDS))
    rows = [(_swatch(KIND_COLOURS.get(k, KIND_COLOURS["OTHER"]), size=14), labels.get(k, k)) for k in kinds]
    if any(o.approximate for loc in locations for o in loc.offices):
        area = (
            '<span aria-hidden="true" style="display:inline-block;width:16px;height:16px;border-radius:50%;'
            'border:1.5px dashed #222;background:rgba(136,136,136,.25);box-sizing:border-box"></span>'
        )
        rows.append((area, labels["approximate_legend"]))
    several = [loc for loc in locations if len(loc.offices) > 1]
    if several:
        rows.append((_swatch(_fill(several[0].kinds), size=18, text="2"), labels["several"]))
    if origin_text is not None:
        rows.append((_origin_symbol(18), origin_text))
    item = '<li style="display:flex;align-items:center;gap:6px;margin:2px 0">{}<bdi>{}</bdi></li>'
    items = "".join(item.format(symbol, _esc(text)) for symbol, text in rows)
    return (
        f'<details open dir="{direction}" style="background:rgba(255,255,255,.92);padding:4px 8px;'
        f'border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.4);font:12px/1.3 sans-serif;max-width:16em">'
        f'<summary style="cursor:pointer;font-weight:bold">{_esc(labels["legend"])}</summary>'
        f'<ul style="list-style:none;margin:4px 0 0;padding:0">{items}</ul></details>'
    )
