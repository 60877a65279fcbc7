"""FINDER_TILE_PROVIDERS: the tile servers a person may switch on."""

import json

import pytest

from finder.errors import SettingsError
from finder.settings import Settings
from finder.tiles import BUILTIN, parse_tile_providers


def test_default_offers_basemap_de_and_openstreetmap_in_that_order():
    assert [p.key for p in Settings().tile_providers] == ["basemap.de", "osm"]


def test_every_builtin_has_an_attribution_and_a_tile_template():
    for provider in BUILTIN.values():
        assert provider.attribution.startswith("©")
        assert all(part in provider.url for part in ("{z}", "{x}", "{y}"))
        assert provider.origin.startswith("https://") and provider.origin.count("/") == 2


def test_custom_self_hosted_provider_from_json():
    value = json.dumps([{"key": "own", "name": "Our tiles", "url": "http://127.0.0.1:9/{z}/{x}/{y}.png",
                         "attribution": "© us", "max_zoom": 16}])  # fmt: skip
    (own,) = parse_tile_providers(value)
    assert (own.key, own.max_zoom, own.origin) == ("own", 16, "http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("osm,nope", "unknown provider 'nope'"),
        ("osm,osm", "twice"),
        ("[{", "not valid JSON"),
        ('[{"key": "x", "name": "X", "url": "javascript:alert(1)//{z}", "attribution": "a"}]', "not an http"),
        ('[{"key": "x", "name": "X", "url": "https://t/{z}/{x}/{y}"}]', "lacks attribution"),
        ('[{"key": "x", "name": "X", "url": "https://t/{z}/{x}/{y}", "attribution": "a", "max_zoom": "z"}]',
         "whole number"),
    ],
)  # fmt: skip
def test_bad_values_name_the_problem(value, message):
    with pytest.raises(SettingsError, match=message):
        Settings(tile_providers=value)


def test_empty_means_no_tile_option():
    assert Settings(tile_providers="").tile_providers == ()
