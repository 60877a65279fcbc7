"""Controlled vocabularies of the office directory: kinds, topics, districts, target groups, statuses.

The codes are the ones used in ``data/offices.csv``; human labels live in the i18n catalogues.
"""

from __future__ import annotations

import re

from babel import Locale

#: Office kinds (column ``kind``), in the order the UI lists them.
KINDS: tuple[str, ...] = (
    "KAIB",  # commissioner for foreigners/integration (district, city or state)
    "ABH",  # Ausländerbehörde: immigration authority (permits, not counselling)
    "MBE",  # Migrationsberatung für erwachsene Zuwanderer (27+)
    "JMD",  # Jugendmigrationsdienst (12–27)
    "FSA",  # Flüchtlings-/Migrationssozialarbeit
    "RECHT",  # legal / asylum counselling
    "IQ",  # recognition of foreign qualifications, Welcome Center, work
    "ADB",  # anti-discrimination and victim counselling
    "PSZ",  # psychosocial support for refugees
    "RUECK",  # return counselling
    "OTHER",  # other migrant-specific help
)

#: Topics (column ``topics``, ``;``-separated).
TOPICS: tuple[str, ...] = (
    "residence",
    "asylum",
    "work",
    "recognition",
    "language",
    "education",
    "family",
    "housing",
    "health",
    "benefits",
    "discrimination",
    "return",
    "youth",
    "women",
    "psychosocial",
    "legal",
    "naturalisation",
)

#: The 13 districts (Kreise and kreisfreie Städte) with their 5-digit AGS (Kreisschlüssel).
DISTRICT_AGS: dict[str, str] = {
    "Chemnitz": "14511",
    "Erzgebirgskreis": "14521",
    "Mittelsachsen": "14522",
    "Vogtlandkreis": "14523",
    "Zwickau": "14524",
    "Dresden": "14612",
    "Bautzen": "14625",
    "Görlitz": "14626",
    "Meißen": "14627",
    "Sächsische Schweiz-Osterzgebirge": "14628",
    "Leipzig": "14713",
    "Landkreis Leipzig": "14729",
    "Nordsachsen": "14730",
}
DISTRICTS: tuple[str, ...] = tuple(DISTRICT_AGS)
AGS_DISTRICT: dict[str, str] = {ags: name for name, ags in DISTRICT_AGS.items()}

#: ISO 639-1 codes (column ``languages``): the two-letter codes of CLDR's language names.
ISO_639_1: frozenset[str] = frozenset(
    code for code in Locale("en").languages if len(code) == 2 and code.isascii() and code.isalpha()
)

#: ``district`` value of statewide or online services.
STATEWIDE = "Sachsen"

#: Normalised target groups (column ``target_group``); the original text is kept in ``target_group_original``.
TARGET_GROUPS: tuple[str, ...] = ("all", "12-27", "27+", "refugees", "migrants", "women", "other")

#: Values of ``status`` (blank = ``active``): a possibly closed office is shown with a warning, a closed one
#: is kept in the file (its history, links to it) but never shown in a search.
STATUSES: tuple[str, ...] = ("active", "possibly closed", "closed")
#: Values of ``interpreting`` (blank = not stated): whether the office says it works with interpreters or
#: language mediators.
INTERPRETING: tuple[str, ...] = ("yes", "no")

#: Opening-hours filters (``finder nearest --open``, link parameter ``open``): open at the instant, or open at
#: some time on its calendar day (Europe/Berlin).
OPEN_FILTERS: tuple[str, ...] = ("now", "today")

#: Age bands served by kinds that are age-specific.
KIND_AGE_RANGE: dict[str, tuple[int, int]] = {"JMD": (12, 27), "MBE": (27, 200)}

_REFUGEE_WORDS = re.compile(r"refugee|geflüchtet|flücht|asyl|geduldet|duldung", re.IGNORECASE)
_WOMEN_WORDS = re.compile(r"^women$|\bfrauen|^migrantinnen$", re.IGNORECASE)
_MIGRANT_WORDS = re.compile(
    r"migrant|zugewandert|migrationsh|migrationsg|aussiedler|ausländer|eu-bürger", re.IGNORECASE
)


def normalise_target_group(text: str) -> str:
    """Map a free-text target group to one of :data:`TARGET_GROUPS`.

    Parameters
    ----------
    text
        The ``target_group`` cell as compiled (``12-27``, ``refugees``, or German free text).

    Returns
    -------
    str
        A controlled value; ``"all"`` for blank input, ``"other"`` when nothing specific is recognised.

    Examples
    --------
    >>> normalise_target_group("refugees (Ukraine)")
    'refugees'
    >>> normalise_target_group("27+; EU-Bürger, Familiennachzug")
    '27+'
    """
    value = text.strip()
    if not value or value.casefold() == "all":
        return "all"
    head = value.split(";")[0].split("(")[0].strip()
    if head in ("12-27", "27+", "refugees"):
        return head
    if re.search(r"junge Menschen", value, re.IGNORECASE):
        return "12-27"
    if _WOMEN_WORDS.search(value):
        return "women"
    # "Migrant*innen und Geflüchtete" addresses all migrants, so the broader group wins.
    if _MIGRANT_WORDS.search(value):
        return "migrants"
    if _REFUGEE_WORDS.search(value):
        return "refugees"
    return "other"
