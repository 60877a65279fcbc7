"""Benchmark of the offline place look-up: accuracy first, then time (not run in CI; prints figures).

Run from the repository root: ``python benchmarks/bench_locate.py``.

Accuracy: every Saxon place of ``data/places.csv`` by its exact name, the same names with one-letter typos
(a letter dropped, or replaced by a neighbour on the keyboard), and every Saxon postcode of
``data/postcodes.csv``. A query counts as resolved if the first answer is the intended entry: in the place's district and
within 5 km of its point (the answer may carry the municipality's official name, "Schwarzenberg/Erzgeb." for
"Schwarzenberg"); for a postcode, that postcode in its district. "In the list": the intended entry is among
the candidates (what the app offers as "did you mean"). "Wrong first": an answer that is not the intended
place (worse than none: the person may not notice). Names that several Saxon places share can be right
first for only one of them, so their count is printed too.

Baseline: the plain way, an exact look-up of postcodes and names plus ``rapidfuzz.process.extractOne``
(WRatio) over all Saxon names and alternative names, on the same queries.

Time: 1,000 mixed queries (postcodes, names, typos, other scripts, addresses, nonsense); each query is timed
in 5 rounds and its median taken; p50/p95 over the queries.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process, utils

# The repository's own finder, never another installed clone.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finder import geodata
from finder.distance import geodesic_km
from finder.gazetteer import OfflineGazetteer
from finder.vocab import AGS_DISTRICT

N_MIXED = 1_000
ROUNDS = 5
#: Neighbours on a German keyboard, for substitution typos.
KEYBOARD_ROWS = ("qwertzuiopü", "asdfghjklöä", "yxcvbnm")

#: An answer within this distance (km) of the intended place, in its district, is that place.
SAME_PLACE_KM = 5.0

#: (query, intended name or postcode, its district, lat, lon)
Case = tuple[str, str, str, float, float]
#: One candidate: (name, district, lat, lon).
Answer = tuple[str, str, float, float]


def saxon_places():
    places = geodata.places()
    saxon = places[places["state"] == "SN"].copy()
    saxon["district"] = [AGS_DISTRICT[str(a)] for a in saxon["district_ags"]]
    return saxon


def neighbour(letter: str, rng: random.Random) -> str:
    for row in KEYBOARD_ROWS:
        i = row.find(letter.lower())
        if i >= 0:
            choices = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            return rng.choice(choices)
    return letter


def typo(name: str, rng: random.Random) -> str:
    """One letter dropped or replaced by a keyboard neighbour (never the first letter)."""
    letters = [i for i in range(1, len(name)) if name[i].isalpha()]
    i = rng.choice(letters)
    if rng.random() < 0.5:
        return name[:i] + name[i + 1 :]
    return name[:i] + neighbour(name[i], rng) + name[i + 1 :]


def accuracy_cases(seed: int = 3) -> dict[str, list[Case]]:
    rng = random.Random(seed)
    saxon = saxon_places()
    places = list(zip(saxon["name"], saxon["district"], saxon["lat"], saxon["lon"], strict=True))
    codes = geodata.postcodes()
    codes = codes[codes["state"] == "SN"].drop_duplicates("postcode")
    return {
        "exact name": [(name, name, district, lat, lon) for name, district, lat, lon in places],
        "one-letter typo": [
            (typo(name, rng), name, district, lat, lon)
            for name, district, lat, lon in places
            if len(name) >= 5
        ],
        "postcode": [
            (code, code, AGS_DISTRICT[str(ags)], lat, lon)
            for code, ags, lat, lon in zip(
                codes["postcode"], codes["district_ags"], codes["lat"], codes["lon"], strict=True
            )
        ],
    }


LookUp = Callable[[str], list[Answer]]


def ours(gaz: OfflineGazetteer) -> LookUp:
    """Our look-up: every candidate, best first."""

    def candidates(query: str) -> list[Answer]:
        found = gaz.geocode(query, exactly_one=False) or []
        return [(loc.raw["name"], loc.raw["district"] or "", loc.latitude, loc.longitude) for loc in found]

    return candidates


def plain_baseline() -> LookUp:
    """Exact postcode/name look-up, else rapidfuzz's best match over every Saxon name and alternative name."""
    saxon = saxon_places()
    choices: list[str] = []
    owners: list[Answer] = []
    for name, district, lat, lon, alts in zip(
        saxon["name"], saxon["district"], saxon["lat"], saxon["lon"], saxon["alt_names"], strict=True
    ):
        for text in [name, *(a for a in str(alts).split("|") if a)]:
            choices.append(text)
            owners.append((name, district, lat, lon))
    processed = [utils.default_process(c) for c in choices]
    exact: dict[str, Answer] = {}
    for key, owner in zip(processed, owners, strict=True):
        exact.setdefault(key, owner)  # places.csv is sorted by population: the larger namesake wins
    codes = geodata.postcodes()
    codes = codes[codes["state"] == "SN"].drop_duplicates("postcode")
    postcode = {
        code: (code, AGS_DISTRICT[str(ags)], lat, lon)
        for code, ags, lat, lon in zip(
            codes["postcode"], codes["district_ags"], codes["lat"], codes["lon"], strict=True
        )
    }

    def candidates(query: str) -> list[Answer]:
        text = query.strip()
        if text in postcode:
            return [postcode[text]]
        key = utils.default_process(text)
        if key in exact:
            return [exact[key]]
        best = process.extractOne(key, processed, scorer=fuzz.WRatio, processor=None, score_cutoff=80)
        return [owners[best[2]]] if best else []

    return candidates


def resolved(kind: str, got: Answer, case: Case) -> bool:
    _, intended, district, lat, lon = case
    if got[1] != district:
        return False
    if kind == "postcode":
        return got[0].split(" ", 1)[0] == intended
    return float(geodesic_km(lat, lon, [got[2]], [got[3]])[0]) <= SAME_PLACE_KM


def bench_accuracy(look_ups: dict[str, LookUp]) -> None:
    cases = accuracy_cases()
    saxon = saxon_places()
    shared = int(saxon["name"].duplicated(keep=False).sum())
    print("accuracy (does the query resolve to the intended entry?)")
    print(f"  {len(saxon)} Saxon places, {shared} of them share their name with another Saxon place")
    print(f"  {'queries':26} {'look-up':16} {'first answer':>13} {'in the list':>12} {'wrong first':>12}")
    for kind, items in cases.items():
        for label, look_up in look_ups.items():
            first = listed = wrong = 0
            for case in items:
                found = look_up(case[0])
                right = bool(found) and resolved(kind, found[0], case)
                first += right
                wrong += bool(found) and not right
                listed += any(resolved(kind, got, case) for got in found)
            n = len(items)
            title = f"{kind} ({n})" if label == "ours" else ""
            print(f"  {title:26} {label:16} {first / n:13.1%} {listed / n:12.1%} {wrong / n:12.1%}")
    print("  (wrong first: an answer, but not the intended place; the rest got no answer at all)")


def mixed_queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    saxon = saxon_places()
    codes = geodata.postcodes()["postcode"].tolist()
    queries: list[str] = []
    while len(queries) < n:
        kind = rng.randrange(6)
        name = saxon["name"].iloc[rng.randrange(len(saxon))]
        if kind == 0:
            queries.append(rng.choice(codes))
        elif kind == 1:
            queries.append(name)
        elif kind == 2 and len(name) >= 5:
            queries.append(typo(name, rng))
        elif kind == 3:
            alts = [a for a in str(saxon["alt_names"].iloc[rng.randrange(len(saxon))]).split("|") if a]
            queries.append(rng.choice(alts) if alts else name)
        elif kind == 4:
            queries.append(f"Hauptstraße {rng.randrange(1, 99)}, {rng.choice(codes)} {name}")
        else:
            queries.append(
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(rng.randrange(3, 20)))
            )
    return queries


def bench_time(look_ups: dict[str, LookUp]) -> None:
    queries = mixed_queries(N_MIXED)
    print(f"time: {N_MIXED} mixed queries, median of {ROUNDS} rounds per query")
    for label, look_up in look_ups.items():
        rounds = np.empty((ROUNDS, len(queries)))
        for r in range(ROUNDS):
            for i, query in enumerate(queries):
                start = time.perf_counter()
                look_up(query)
                rounds[r, i] = (time.perf_counter() - start) * 1000
        per_query = np.median(rounds, axis=0)
        found = sum(bool(look_up(q)) for q in queries)
        print(
            f"  {label:16} p50 {np.percentile(per_query, 50):.3f} ms, p95 {np.percentile(per_query, 95):.3f} ms,"
            f" max {per_query.max():.2f} ms, mean {statistics.fmean(per_query):.3f} ms; {found} answered"
        )


def main() -> None:
    start = time.perf_counter()
    gaz = OfflineGazetteer()
    gaz.geocode("Dresden")  # build the index
    print(f"load the offline gazetteer (index): {time.perf_counter() - start:.2f} s")
    look_ups = {"ours": ours(gaz), "plain rapidfuzz": plain_baseline()}
    bench_accuracy(look_ups)
    bench_time(look_ups)


if __name__ == "__main__":
    main()
