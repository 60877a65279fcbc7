"""How a distance is said to people: the one wording the lists, the map, the handout and the CLI text use.

A distance between two approximate positions (a town or postcode point) is not printed as a number below
what the positions can tell apart (:func:`finder.distance.same_place`): the office is "in Chemnitz" or "in
your postcode area". Above it, the number is rounded to what the positions support and says "about"
(:func:`finder.distance.rounded_km`); only between exact positions is it printed to 0.1 km.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from finder import i18n
from finder._values import finite_float
from finder.distance import EXACT_WITHIN_KM, rounded_km

__all__ = ["distance_label"]

_POSTCODE = re.compile(r"\b(\d{5})\b")


def _origin_postcode(origin_precision: str, origin_label: str) -> str | None:
    if origin_precision != "postcode":
        return None
    found = _POSTCODE.search(origin_label)
    return found.group(1) if found else None


def distance_label(
    office: Mapping[str, object], lang: str | None, *, origin_precision: str = "", origin_label: str = ""
) -> str:
    """The distance to ``office`` as words for people (``""`` when it has none).

    Parameters
    ----------
    office
        A result row: ``distance_km``, and where present ``distance_precision_km``, ``same_place``,
        ``postcode``, ``city`` (rows without the two precision columns are taken as exact).
    lang
        UI language.
    origin_precision, origin_label
        The search place's ``precision`` and ``label`` (to say "in your postcode area").

    Examples
    --------
    >>> row = {"distance_km": 0.0, "distance_precision_km": 6.0, "same_place": True, "city": "Chemnitz"}
    >>> distance_label(row, "en")
    'in Chemnitz'
    >>> distance_label({"distance_km": 12.34, "distance_precision_km": 5.0, "same_place": False}, "de")
    'etwa 12 km'
    >>> distance_label({"distance_km": 12.34, "distance_precision_km": 0.1, "same_place": False}, "de")
    '12,3 km'
    """
    km = finite_float(office.get("distance_km"))
    if km is None:
        return ""
    uncertainty = finite_float(office.get("distance_precision_km")) or 0.0
    # Only a real boolean counts: a row without the column (NaN after a concat) is not "the same place".
    if isinstance(office.get("same_place"), bool | np.bool_) and bool(office.get("same_place")):
        postcode = str(office.get("postcode") or "").strip()
        if postcode and postcode == _origin_postcode(origin_precision, origin_label):
            return i18n.t("distance.in_postcode_area", lang)
        city = str(office.get("city") or "").strip()
        return i18n.t("distance.in_place", lang, place=city) if city else i18n.t("distance.close_by", lang)
    if uncertainty <= EXACT_WITHIN_KM:
        return i18n.t("units.km", lang, km=i18n.format_km(km, lang))
    shown = rounded_km(km, uncertainty)
    return i18n.t("distance.about_km", lang, km=i18n.format_number(shown, lang, 0))
