"""Entity names: cleaning what a tagger returns, and the key that identifies a name."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nameparser.config import CONSTANTS as NAMEPARSER
from unidecode import unidecode

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)
_POSSESSIVE = re.compile(r"(?:'s|s')$|'$", re.IGNORECASE)
_EDGE_JUNK = "\"'()[]{}<>,;:!?*#@|/\\-_~`^+=•·"
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
# nameparser's list of honorifics and offices ("Mr", "President", "Gen") is well kept and long;
# a few words in it are also ordinary parts of names, so those stay.
_TITLES = frozenset(NAMEPARSER.titles) - {"british", "law", "social", "dancer"}
_TITLE_WORDS = _TITLES | {
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "minister",
    "secretary",
    "chancellor",
    "premier",
    "senator",
    "rep",
    "congressman",
    "congresswoman",
    "leader",
    "chairman",
    "chairwoman",
    "ceo",
    "dr",
    "mr",
    "mrs",
    "ms",
    "mx",
    "sir",
    "dame",
    "lord",
    "lady",
    # Positions on a team, written before a player's name at the start of a sentence
    # ("Defender Hassan Abbas scored").
    "defender",
    "striker",
    "midfielder",
    "goalkeeper",
    "winger",
    "fullback",
    "quarterback",
    "pitcher",
    "batsman",
    "skipper",
}
# The last words of offices that are written capitalised ("First Lady", "Vice President").
_OFFICES = frozenset(["chancellor", "lady", "minister", "premier", "president", "secretary"])
# Forms of address that only ever precede a person's name.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lord", "lady"})
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)\s*$")
# A span cut inside the abbreviation that follows a name: "Council of Ontario (RECO".
_OPEN_PARENTHETICAL = re.compile(r"\s*\([^()]*$")
# Lowercase words that belong to names ("de Gaulle", "van Gogh"); other lowercase words at the
# edges of a span are the sentence around a name ("east Delhi", "Ontario city").
_PARTICLES = frozenset(
    [
        "al",
        "bin",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "des",
        "di",
        "dos",
        "du",
        "el",
        "ibn",
        "la",
        "le",
        "ten",
        "ter",
        "van",
        "von",
        "y",
        "zu",
    ]
)
# Words of tables and market reports ("Shr 3.07 vs 2.95", "Revs 130.2 mln dlrs", "G.D.P.
# growth"): they end a name and are never names themselves.
TABLE_WORDS = frozenset(
    [
        "avg",
        "bln",
        "cpi",
        "cts",
        "div",
        "dlr",
        "dlrs",
        "gdp",
        "mln",
        "mths",
        "net",
        "oper",
        "pct",
        "qtly",
        "qtr",
        "revs",
        "shr",
        "shrs",
        "vat",
        "vs",
    ]
)
# Dates are not names, whatever the tagger says of "March 31".
CALENDAR_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
# Market tables name delivery months by abbreviation beside commodities ("Maize Mar 112.50",
# "Soybean May", "Jun"): such words together are a table row's label, never a name.
_MONTH_ABBREVIATIONS = frozenset(
    ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)
_COMMODITY_WORDS = frozenset(
    [
        "barley",
        "canola",
        "cattle",
        "cocoa",
        "coffee",
        "copper",
        "corn",
        "cotton",
        "crude",
        "feeder",
        "gasoil",
        "gasoline",
        "gold",
        "hogs",
        "lead",
        "live",
        "maize",
        "meal",
        "nickel",
        "oats",
        "oil",
        "palm",
        "platinum",
        "pork",
        "potatoes",
        "rapeseed",
        "rice",
        "rubber",
        "silver",
        "sorghum",
        "soy",
        "soybean",
        "soybeans",
        "soymeal",
        "soyoil",
        "sugar",
        "tin",
        "wheat",
        "wool",
        "zinc",
    ]
)
_MARKET_WORDS = CALENDAR_WORDS | _MONTH_ABBREVIATIONS | _COMMODITY_WORDS | TABLE_WORDS


def is_market_label(key: str) -> bool:
    """ "Maize Mar", "Soybean May", "Jun": a month in a market table, with or without its
    commodity. A lone full month ("May") may still be a person's surname."""
    words = key.split()
    months = [w for w in words if w in _MONTH_ABBREVIATIONS or w in CALENDAR_WORDS]
    if not months or not all(w in _MARKET_WORDS for w in words):
        return False
    return len(words) > 1 or words[0] in _MONTH_ABBREVIATIONS


# What may follow a name after a comma without being a name of its own ("Acme, Inc.").
_COMMA_SUFFIXES = frozenset(["inc", "ltd", "llc", "plc", "co", "corp", "jr", "sr", "ii", "iii"])
# "Tesla, Uber and Snapchat": the conjunction before the last item of a comma list.
_LAST_ITEM = re.compile(r",?\s+(?:and|&)\s+(?=[^,]+$)")
_MAX_WORDS = 8
_MAX_LENGTH = 100


def fold_quotes(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_QUOTES)


def _strip_edges(name: str) -> str:
    name = name.strip().strip(_EDGE_JUNK).strip()
    words = name.split()
    # A final full stop is punctuation after "Ukraine." but part of "Jr." or "D.C.".
    if words and words[-1].endswith(".") and "." not in words[-1][:-1] and len(words[-1]) > 4:
        name = name[:-1]
    return name.strip(_EDGE_JUNK).strip()


def _strip_lowercase_edges(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[0].islower() and words[0] not in _PARTICLES:
        words.pop(0)
    while len(words) > 1 and words[-1].islower():
        words.pop()
    return " ".join(words)


def _strip_titles(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _TITLE_WORDS:
        words.pop(0)
    return " ".join(words)


_LOOK_ALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def mixes_scripts(name: str) -> bool:
    """A word written with letters of two of Latin, Cyrillic and Greek ("Раris" with a
    Cyrillic Р) is a look-alike spelling, not a name of its own."""
    if name.isascii():  # most names; looking up each letter's script is the slow part
        return False
    for word in name.split():
        scripts = {unicodedata.name(c, "").split(" ", 1)[0] for c in word if c.isalpha()} & set(
            _LOOK_ALIKE_SCRIPTS
        )
        if len(scripts) > 1:
            return True
    return False


# clean_name and normalize_key are pure functions of their text, and an import meets the same
# few thousand names hundreds of thousands of times.
@lru_cache(maxsize=2**16)
def clean_name(text: str, kind: str) -> str | None:
    """The name as an editor would file it, or None when the text is not a name at all."""
    if "\n" in text.strip() or mixes_scripts(text):
        # A span across lines has joined a heading or page residue to the text.
        return None
    name = " ".join(fold_quotes(text).split())
    for _ in range(3):
        before = name
        name = _strip_edges(name)
        name = _POSSESSIVE.sub("", name)
        name = _ARTICLE.sub("", name)
        name = _PARENTHETICAL.sub("", name)
        name = _OPEN_PARENTHETICAL.sub("", name)
        name = _strip_lowercase_edges(name)
        if kind == "person":
            name = _strip_titles(name)
        if name == before:
            break
    if not is_plausible_name(name):
        return None
    if kind == "person" and name.lower().rstrip(".") in _TITLE_WORDS:
        return None
    words = name.lower().split()
    if words[-1] in _OFFICES and all(w.rstrip(".") in _TITLE_WORDS for w in words):
        return None  # an office, whatever the tagger made of it: "First Lady", "Prime Minister"
    if kind in ("person", "place") and any(c.isdigit() for c in name):
        return None  # "Shr 3.07", "F1": people and places are not numbered
    key = normalize_key(name)
    if key in TABLE_WORDS or (key in CALENDAR_WORDS and kind != "person"):
        return None
    if is_market_label(key):
        return None
    return name


def list_items(text: str, is_region_of=lambda place, region: False) -> list[tuple[int, int]]:
    """Where each name of a span that lists several ("Tesla, Uber and Snapchat", "Kisumu,
    Mombasa") begins and ends. A comma parts two names only when both are names of their own:
    not a place and its region ("Denver, Colorado", "Washington, D.C."; `is_region` tells
    them by key), not a company and its suffix ("Acme, Inc."). "Johnson and Johnson" has no
    comma and is one name."""
    last = _LAST_ITEM.search(text)
    head_end = last.start() if last and "," in text[: last.start()] else len(text)
    items = [m.span() for m in re.finditer(r"[^,\s][^,]*[^,\s]|[^,\s]", text[:head_end])]
    if head_end < len(text):
        items.append((last.end(), len(text.rstrip())))
    if len(items) < 2 or not all(text[start].isupper() for start, _ in items):
        return [(0, len(text))]
    joined = [items[0]]
    for start, end in items[1:]:
        key = normalize_key(text[start:end])
        previous = normalize_key(text[slice(*joined[-1])])
        if key in _COMMA_SUFFIXES or (text[joined[-1][1]] == "," and is_region_of(previous, key)):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def starts_with_honorific(text: str) -> bool:
    first = text.split(maxsplit=1)[0].lower().rstrip(".") if text.strip() else ""
    return first in HONORIFICS


def is_plausible_name(name: str) -> bool:
    """Names have letters, start with a capital somewhere, and are not sentences."""
    if len(name) < 2 or len(name) > _MAX_LENGTH:
        return False
    words = name.split()
    if len(words) > _MAX_WORDS:
        return False
    letters = [c for c in name if c.isalpha()]
    if len(letters) < 2 and not (len(name) >= 2 and name.isupper()):
        return False
    if not any(c.isupper() for c in name) and not any(ord(c) > 0x2FF for c in letters):
        return False
    return not sum(c.isdigit() for c in name) > len(letters)


@lru_cache(maxsize=2**16)
def normalize_key(name: str) -> str:
    """The identity of a name: transliterated, case-folded, punctuation and spacing removed."""
    folded = unidecode(fold_quotes(name)).casefold().replace("&", " and ")
    folded = _ARTICLE.sub("", folded)
    folded = re.sub(r"[^\w\s]", "", folded)
    return " ".join(folded.split())


# Words an abbreviation skips ("Securities and Exchange Commission": SEC).
_MINOR_WORDS = frozenset({"and", "of", "the", "for", "de", "du", "des", "la", "le", "&"})


def initials(key: str) -> set[str]:
    """What a name of several words may be abbreviated to: its words' initials, with its
    minor words or without ("sec" and "saec" for "securities and exchange commission")."""
    words = key.split()
    if len(words) < 2:
        return set()
    return {"".join(w[0] for w in words), "".join(w[0] for w in words if w not in _MINOR_WORDS)}


def abbreviation(short: str, long: str) -> bool:
    """Whether `short` (a key) abbreviates `long`: the initials of its words, minor words
    left out or not ("ec" / "european community", "sec" / "securities and exchange
    commission"); never a name that holds the short form itself ("ec commission")."""
    if " " in short or not 2 <= len(short) <= 6 or short in long.split():
        return False
    return short in initials(long)


# A clipped word ("Fed" for "Federal Reserve") has three or four letters: a longer word is a
# name of its own ("Apple" beside "AppleWorld Conference").
CLIPPED_LETTERS = range(3, 5)


def clipped(short: str, long: str) -> bool:
    """Whether `short` (a key) is the clipped first word of `long`, a name of several words
    ("fed" / "federal reserve")."""
    first = long.split()[0]
    return (
        len(short) in CLIPPED_LETTERS and " " in long and first.startswith(short) and first != short
    )
