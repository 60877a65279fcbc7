"""The pages' state in the URL (finder.urlstate): the Find page's view and the Coverage page's filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finder import i18n
from finder.urlstate import (
    COVERAGE_PARAM_NAMES,
    DEFAULT_KM,
    DEFAULT_LIMIT,
    KM_OPTIONS,
    MAP_SHOWS,
    MAX_WHATIF_LENGTH,
    PARAM_NAMES,
    RATIOS,
    CoverageState,
    ViewState,
    coverage_to_params,
    format_at,
    parse_at,
    parse_coverage_params,
    parse_params,
    share_url,
    to_params,
)
from finder.vocab import ISO_639_1, KINDS, OPEN_FILTERS, TOPICS

# ------------------------------------------------------------------------------------------ the Find page


def test_empty_mapping_gives_defaults() -> None:
    assert parse_params({}) == (ViewState(), [])
    assert to_params(ViewState()) == {}


def test_full_set_of_parameters() -> None:
    state, invalid = parse_params(
        {
            "lang": "uk",
            "q": "  Дрезден  ",
            "at": "51.050891,13.738320",
            "topic": "asylum, work",
            "language": "AR;fa",
            "kind": "mbe,jmd",
            "age": "19",
            "radius": "7.5",
            "limit": "5",
            "open": "now",
            "office": "mbe-caritas-dresden",
        }
    )
    assert invalid == []
    assert state == ViewState(
        lang="uk",
        q="Дрезден",
        at=(51.05089, 13.73832),
        topics=("asylum", "work"),
        languages=("ar", "fa"),
        kinds=("MBE", "JMD"),
        age=19,
        radius=7.5,
        limit=5,
        open="now",
        office="mbe-caritas-dresden",
    )


def test_invalid_values_fall_back_and_are_named_in_order() -> None:
    state, invalid = parse_params(
        {
            "office": "<script>",
            "age": "-3",
            "lang": "klingon",
            "radius": "0",
            "limit": "500",
            "at": "91,13",
            "topic": "asylum,nonsense",
            "q": "x" * 201,
        }
    )
    assert invalid == ["lang", "q", "at", "topic", "age", "radius", "limit", "office"]
    assert state == ViewState(topics=("asylum",))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("age", "1e3"),
        ("age", "٣٠"),  # Arabic-Indic digits are not accepted as a number
        ("age", "121"),
        ("radius", "nan"),
        ("radius", "inf"),
        ("radius", "501"),
        ("limit", "0"),
        ("at", "51.0"),
        ("at", "nan,13"),
        ("at", "51,13,1"),
        ("q", "Dres\x00den"),
        ("office", "Mbe Dresden"),
        ("language", "xx"),
        ("kind", "FOO"),
        ("open", "soon"),
        ("open", "NOW"),
    ],
)
def test_single_invalid_values(name: str, value: str) -> None:
    state, invalid = parse_params({name: value})
    assert invalid == [name]
    assert to_params(state) == {}


def test_unknown_names_and_non_text_are_ignored_quietly() -> None:
    state, invalid = parse_params({"fbclid": "abc", 3: "x", "utm_source": ["a", "b"]})
    assert (state, invalid) == (ViewState(), [])
    state, invalid = parse_params({"age": 12, "q": None})  # not text: invalid, no exception
    assert state == ViewState()
    assert invalid == ["q", "age"]


def test_repeated_parameters() -> None:
    # Comma lists join repeated values; single values take the last one (as st.query_params does).
    state, invalid = parse_params({"topic": ["asylum", "work,asylum"], "age": ["12", "30"]})
    assert state.topics == ("asylum", "work")
    assert state.age == 30
    assert invalid == []


def test_at_helpers() -> None:
    assert parse_at(" 51.1 , 13.2 ") == (51.1, 13.2)
    assert parse_at("abc") is None
    assert format_at((51.05089, 13.7)) == "51.05089,13.7"
    assert format_at((-0.0, 0.0)) in ("-0,0", "0,0")


def test_to_params_omits_defaults_and_orders_names() -> None:
    params = to_params(ViewState(lang="de", limit=DEFAULT_LIMIT, radius=25.0, topics=("work",)))
    assert params == {"lang": "de", "topic": "work", "radius": "25"}
    assert list(params) == [n for n in PARAM_NAMES if n in params]


# A strategy for normalised states (what parse_params returns).
def _unique(elements: tuple[str, ...] | list[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(sorted(elements)), unique=True, max_size=4).map(tuple)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs")) | st.just(" "), max_size=40
).map(lambda s: " ".join(s.split()))
_coord = st.tuples(
    st.floats(-90, 90, allow_nan=False).map(lambda x: round(x, 5) + 0.0),
    st.floats(-180, 180, allow_nan=False).map(lambda x: round(x, 5) + 0.0),
)
states = st.builds(
    ViewState,
    lang=st.none() | st.sampled_from(sorted(i18n.LANGUAGES)),
    q=_text,
    at=st.none() | _coord,
    topics=_unique(TOPICS),
    languages=_unique(sorted(ISO_639_1)),
    kinds=_unique(KINDS),
    age=st.none() | st.integers(0, 120),
    radius=st.none() | st.integers(1, 5000).map(lambda x: x / 10),
    limit=st.integers(1, 50),
    open=st.none() | st.sampled_from(OPEN_FILTERS),
    office=st.none() | st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True),
)


@given(states)
@settings(max_examples=300, deadline=None)
def test_round_trip(state: ViewState) -> None:
    assert parse_params(to_params(state)) == (state, [])


@given(states)
@settings(max_examples=100, deadline=None)
def test_share_url_round_trip(state: ViewState) -> None:
    url = share_url("https://finder.example/app?old=1#frag", state)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("https", "finder.example", "/app", "")
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    assert parse_params(params) == (state, [])


_values = st.text(max_size=30) | st.lists(st.text(max_size=10), max_size=3) | st.integers() | st.none()


@given(st.dictionaries(st.sampled_from([*PARAM_NAMES, "x"]) | st.text(max_size=8), _values, max_size=12))
@settings(max_examples=300, deadline=None)
def test_arbitrary_parameters_never_raise(mapping: dict) -> None:
    state, invalid = parse_params(mapping)
    assert set(invalid) <= set(PARAM_NAMES)
    # Whatever came in, the result is a clean state that survives a round trip.
    assert parse_params(to_params(state)) == (state, [])


def test_share_url_keeps_commas_and_encodes_the_rest() -> None:
    url = share_url(
        "http://localhost:8501/", ViewState(lang="ar", q="لايبزيغ & Co", topics=("asylum", "work"))
    )
    assert url.startswith("http://localhost:8501/?lang=ar&q=")
    assert "topic=asylum,work" in url
    assert " " not in url
    assert "&Co" not in url


# ------------------------------------------------------------------------------------------ the Coverage page


def test_coverage_empty_mapping_gives_defaults() -> None:
    assert parse_coverage_params({}) == (CoverageState(), [])
    assert coverage_to_params(CoverageState()) == {}
    assert CoverageState().km == DEFAULT_KM in KM_OPTIONS
    assert (CoverageState().ratio, CoverageState().show) == (RATIOS[0], MAP_SHOWS[0])


def test_coverage_full_set_of_parameters() -> None:
    state, invalid = parse_coverage_params(
        {
            "lang": "ar",  # the interface language is the Find page's parameter: ignored here
            "topic": "asylum, work",
            "language": "AR;fa",
            "kind": "mbe,jmd",
            "age": "19",
            "unstated": "1",
            "km": "30",
            "ratio": "e2sfca",
            "show": "distance",
            "whatif": "  Plauen;  51.1,12.9 ",
        }
    )
    assert invalid == []
    assert state == CoverageState(
        topics=("asylum", "work"),
        languages=("ar", "fa"),
        kinds=("MBE", "JMD"),
        age=19,
        unstated=True,
        km=30,
        ratio="e2sfca",
        show="distance",
        whatif="Plauen; 51.1,12.9",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("km", "inf"),  # crashed the page once (OverflowError from int(float("inf")))
        ("km", "1e400"),
        ("km", "nan"),
        ("km", "-20"),
        ("km", "7"),  # not one of the choices
        ("km", "20.5"),
        ("km", "٢٠"),
        ("language", "xx"),  # two letters, but no ISO 639-1 code: the analysis would refuse it
        ("age", "٣٠"),  # Arabic-Indic digits are refused, as on the Find page
        ("age", "121"),
        ("age", ""),
        ("unstated", "yes"),
        ("ratio", "per1k"),
        ("show", "everything"),
        ("whatif", "Plauen\x1b[31m"),
        ("whatif", "x" * (MAX_WHATIF_LENGTH + 1)),
        ("topic", "nonsense"),
        ("kind", "FOO"),
    ],
)
def test_coverage_single_invalid_values(name: str, value: str) -> None:
    state, invalid = parse_coverage_params({name: value})
    assert invalid == [name]
    assert coverage_to_params(state) == {}


def test_coverage_keeps_the_valid_part_and_names_invalid_in_order() -> None:
    state, invalid = parse_coverage_params(
        {"whatif": "\x00", "km": "1e400", "age": "٣٠", "language": "ar,xx", "show": "distance"}
    )
    assert invalid == ["language", "age", "km", "whatif"]
    assert invalid == [n for n in COVERAGE_PARAM_NAMES if n in invalid]
    assert state == CoverageState(languages=("ar",), show="distance")


def test_coverage_numbers_as_links_write_them() -> None:
    assert parse_coverage_params({"km": " 40 ", "age": "0", "unstated": "0"}) == (
        CoverageState(km=40, age=0),
        [],
    )
    assert parse_coverage_params({"km": "20.0"})[0].km == 20


def test_coverage_unknown_names_and_non_text() -> None:
    assert parse_coverage_params({"fbclid": "x", "q": "Pirna", 3: "x"}) == (CoverageState(), [])
    state, invalid = parse_coverage_params({"km": 30, "whatif": None, "topic": ["asylum", 3]})
    assert state == CoverageState()
    assert invalid == ["topic", "km", "whatif"]


def test_coverage_long_what_if_still_gives_a_valid_link() -> None:
    # "Try an extra office in …" appends to the text; the link is cut to the length the parser accepts.
    long = "; ".join(["51.12345,12.98765"] * 30)
    params = coverage_to_params(CoverageState(whatif=long))
    assert len(params["whatif"]) == MAX_WHATIF_LENGTH
    assert parse_coverage_params(params)[1] == []


coverage_states = st.builds(
    CoverageState,
    topics=_unique(TOPICS),
    languages=_unique(sorted(ISO_639_1)),
    kinds=_unique(KINDS),
    age=st.none() | st.integers(0, 120),
    unstated=st.booleans(),
    km=st.sampled_from(KM_OPTIONS),
    ratio=st.sampled_from(RATIOS),
    show=st.sampled_from(MAP_SHOWS),
    whatif=_text,
)


@given(coverage_states)
@settings(max_examples=300, deadline=None)
def test_coverage_round_trip(state: CoverageState) -> None:
    assert parse_coverage_params(coverage_to_params(state)) == (state, [])


@given(
    st.dictionaries(st.sampled_from([*COVERAGE_PARAM_NAMES, "x"]) | st.text(max_size=8), _values, max_size=12)
)
@settings(max_examples=300, deadline=None)
def test_coverage_arbitrary_parameters_never_raise(mapping: dict) -> None:
    state, invalid = parse_coverage_params(mapping)
    assert set(invalid) <= set(COVERAGE_PARAM_NAMES)
    assert parse_coverage_params(coverage_to_params(state)) == (state, [])


@given(st.sampled_from(["topic", "language", "kind", "age"]), _values)
@settings(max_examples=300, deadline=None)
def test_both_pages_read_the_filters_alike(name: str, value: object) -> None:
    view, view_invalid = parse_params({name: value})
    coverage, coverage_invalid = parse_coverage_params({name: value})
    assert view_invalid == coverage_invalid
    fields = ("topics", "languages", "kinds", "age")
    assert [getattr(view, f) for f in fields] == [getattr(coverage, f) for f in fields]
