"""Bulk import: read, de-duplicate, extract and store articles in batches."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from archive.abbreviations import keep_abbreviations
from archive.cancellation import check
from archive.curation import apply_corrections
from archive.extraction import ExtractedEntity, extract_many, pipeline_name
from archive.importers import BadRecord, RawArticle, Record, SkippedRecord, read_paths
from archive.kinds import ArchiveKinds
from archive.models import Article, Entity, Mention
from archive.names import clean_name, fold_quotes, normalize_key
from archive.rules import apply_curation
from archive.signals import articles_changed, indexing_failed
from archive.text import content_hash

SUPPLIED_ENTITIES = "supplied"
T = TypeVar("T")
DEDUP_BATCH = 256
# Storing a batch runs while the NER workers go on with the next ones (see extract_many's
# lookahead), so only the last batch is not hidden behind extraction: small batches keep
# that tail short.
STORE_BATCH = 500
# The index hears of stored articles in larger batches (`bulk=True`: the search app writes
# them in the background while the import stores the next). If an import dies, check_index
# indexes what it stored meanwhile.
INDEX_BATCH = 2000


# Bad records a report keeps with their reasons; the count goes on past them (a small gzip
# can hold millions of broken lines, and their reasons would fill the memory).
KEPT_BAD_RECORDS = 200


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    bad: list[BadRecord] = field(default_factory=list)  # the first KEPT_BAD_RECORDS
    bad_count: int = 0
    skipped: int = 0  # records that are not articles (a WARC's images, scripts, redirects)
    unindexed: int = 0  # stored, but the search index could not take them
    index_error: str = ""

    def summary(self) -> str:
        text = (
            f"Imported {self.imported} article{'s' * (self.imported != 1)}, "
            f"skipped {self.duplicates} duplicate{'s' * (self.duplicates != 1)}, "
            f"{self.bad_count} bad record{'s' * (self.bad_count != 1)}."
        )
        if self.skipped:
            text += f" {self.skipped} record{'s' * (self.skipped != 1)} that are not pages skipped."
        if self.unindexed:
            text += (
                f" {self.unindexed} of them could not be indexed ({self.index_error}): they are "
                "stored but not searchable; fix the index folder, then run "
                "'python manage.py check_index'."
            )
        return text


@dataclass
class _Candidate:
    raw: RawArticle
    content_hash: str


def import_paths(paths: Iterable[str | Path], **options) -> ImportReport:
    """Import every article under `paths`; re-importing the same files changes nothing."""
    return import_records(read_paths(paths), **options)


def import_records(
    records: Iterable[Record],
    *,
    workers: int | None = None,
    on_bad: Callable[[BadRecord], None] | None = None,
    on_progress: Callable[[ImportReport], None] | None = None,
    on_stored: Callable[[ImportReport], None] | None = None,
    job_id: int | None = None,
    store_batch: int = STORE_BATCH,
    index_batch: int = INDEX_BATCH,
    stop: threading.Event | None = None,
    index_each_batch: bool = False,
) -> ImportReport:
    """Import these records (from `read_paths`, a web archive, fetched pages) as articles.

    `on_progress` hears of every record read, with the report so far; `on_stored` of every
    batch stored (records read run ahead of those stored by the NER's look-ahead). Setting `stop` (a
    cancelled job) raises `Cancelled` within a moment, once what was stored is indexed; so
    does an exception `on_progress` raises. `index_each_batch` (small imports: a feed poll,
    a list of URLs) indexes each store batch as it is committed, with the index's record of
    it written in the same transaction, so that a process killed between the two leaves
    nothing unsearchable; large imports hand their batches to the background writer.
    `job_id` marks the articles stored as that import job's."""
    report = ImportReport()

    def bad(record: BadRecord) -> None:
        report.bad_count += 1
        if len(report.bad) < KEPT_BAD_RECORDS:
            report.bad.append(record)
        if on_bad:
            on_bad(record)

    candidates = _unseen(iter(records), report, bad, on_progress, stop)
    batches = extracted_batches(
        candidates, workers=workers, batch_size=store_batch, lookahead=index_batch, stop=stop
    )
    unannounced: list[int] = []

    def unindexed(sender, ids, error, **kwargs) -> None:
        report.unindexed += len(ids)
        report.index_error = error

    indexing_failed.connect(unindexed, weak=False)
    known_entities: dict[tuple[str, str], int] = {}
    # A batch holds hundreds of thousands of live objects (rows, mentions, each term's
    # positions), so the cycle collector, which runs whenever enough new objects are alive,
    # scanned them again and again: a sixth of the importing process's time, growing with
    # the import (bench/RESULTS.md). It runs once per index batch instead.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for batch in batches:
            check(stop)
            stored = _store_and_report(batch, report, job_id, known_entities, index_each_batch)
            if on_stored:
                on_stored(report)
            if not index_each_batch:
                unannounced += stored
            if len(unannounced) >= index_batch:
                articles_changed.send(sender=Article, ids=unannounced, bulk=True)
                unannounced = []
                gc.collect()
    finally:
        # Also when interrupted: what was stored is searchable when the import reports.
        articles_changed.send(sender=Article, ids=unannounced)
        indexing_failed.disconnect(unindexed)
        if collecting:
            gc.enable()
    return report


def extracted_batches(
    candidates: Iterable[_Candidate],
    *,
    workers: int | None = None,
    batch_size: int = STORE_BATCH,
    lookahead: int = 0,
    stop: threading.Event | None = None,
) -> Iterator[list[tuple[_Candidate, list[ExtractedEntity]]]]:
    """The articles with the entities an import stores for them, a store batch at a time.

    The one extraction path: the import stores these batches, `extract_entities` prints them.
    Supplied entities are taken as given; extracted ones follow the current curation and the
    kinds the archive (and the batches before) already give their names.
    """
    apply_curation()
    kinds = ArchiveKinds()
    extracted = extract_many(
        candidates,
        text=_text_for_ner,
        workers=workers,
        lookahead=max(batch_size, lookahead),
        stop=stop,
    )
    batch: list[tuple[_Candidate, list[ExtractedEntity]]] = []
    for pair in extracted:
        batch.append(pair)
        if len(batch) >= batch_size:
            yield _settle(batch, kinds, _supplied, _body)
            batch = []
    if batch:
        yield _settle(batch, kinds, _supplied, _body)


def _settle(
    batch: list[tuple[T, list[ExtractedEntity]]],
    kinds: ArchiveKinds,
    supplied: Callable[[T], dict | None],
    body: Callable[[T], str],
) -> list[tuple[T, list[ExtractedEntity]]]:
    kinds.load(e for item, entities in batch if supplied(item) is None for e in entities)
    settled = [
        (
            item,
            kinds.settle(entities)
            if supplied(item) is None
            else entities_from_names(body(item), supplied(item)),
        )
        for item, entities in batch
    ]
    kinds.record([e for _, entities in settled for e in entities])
    return settled


def candidates_from(records: Iterable[RawArticle]) -> Iterator[_Candidate]:
    """Records as the import sees them, for a dry run that skips de-duplication."""
    for raw in records:
        yield _Candidate(raw, content_hash(raw.body))


def _supplied(candidate: _Candidate) -> dict | None:
    return candidate.raw.entities


def _body(candidate: _Candidate) -> str:
    return candidate.raw.body


def _text_for_ner(candidate: _Candidate) -> str:
    # Articles that bring their own entities skip the model; an empty text costs nothing.
    return "" if candidate.raw.entities is not None else candidate.raw.body


def _unseen(
    records: Iterator[Record],
    report: ImportReport,
    bad: Callable[[BadRecord], None],
    on_progress: Callable[[ImportReport], None] | None,
    stop: threading.Event | None = None,
) -> Iterator[_Candidate]:
    """Articles not stored yet and not seen earlier in this run, checked a batch at a time."""
    seen_hashes: set[str] = set()
    seen_urls: set[str] = set()
    pending: list[_Candidate] = []

    def flush() -> Iterator[_Candidate]:
        hashes = {c.content_hash for c in pending}
        urls = {c.raw.url for c in pending if c.raw.url}
        stored_hashes = set(
            Article.objects.filter(content_hash__in=hashes).values_list("content_hash", flat=True)
        )
        stored_urls = set(Article.objects.filter(url__in=urls).values_list("url", flat=True))
        for candidate in pending:
            url = candidate.raw.url
            if (
                candidate.content_hash in stored_hashes
                or candidate.content_hash in seen_hashes
                or (url and (url in stored_urls or url in seen_urls))
            ):
                report.duplicates += 1
                continue
            seen_hashes.add(candidate.content_hash)
            if url:
                seen_urls.add(url)
            yield candidate
        pending.clear()

    for record in records:
        check(stop)
        report.read += 1
        if isinstance(record, BadRecord):
            bad(record)
        elif isinstance(record, SkippedRecord) and record.duplicate:
            report.duplicates += 1
        elif isinstance(record, SkippedRecord):
            report.skipped += 1
        else:
            pending.append(_Candidate(record, content_hash(record.body)))
        if on_progress:
            on_progress(report)
        if not isinstance(record, RawArticle):
            continue
        if len(pending) >= DEDUP_BATCH:
            yield from flush()
    if pending:
        yield from flush()


def entities_from_names(body: str, names: dict[str, list[str]]) -> list[ExtractedEntity]:
    """Entities supplied with an article, located in its body so pages can highlight them."""
    entities: dict[tuple[str, str], ExtractedEntity] = {}
    for kind, kind_names in names.items():
        for raw in kind_names:
            name = clean_name(raw, kind) or " ".join(fold_quotes(raw).split())
            key = normalize_key(name)
            if not key or (kind, key) in entities:
                continue
            entities[(kind, key)] = ExtractedEntity(kind, name, key, _find_all(body, name))
    return list(entities.values())


def _find_all(text: str, name: str) -> list[tuple[int, int]]:
    offsets, start = [], text.find(name)
    while start != -1:
        offsets.append([start, start + len(name)])
        start = text.find(name, start + len(name))
    return offsets


def _store_and_report(
    batch: list[tuple[_Candidate, list[ExtractedEntity]]],
    report,
    job_id: int | None,
    known_entities: dict[tuple[str, str], int],
    announce: bool = False,
) -> list[int]:
    items = [(c.raw, c.content_hash, entities) for c, entities in batch]
    try:
        stored, duplicates = store_articles(
            items, announce=announce, job_id=job_id, known_entities=known_entities
        )
    except IntegrityError:
        # An entity this import knew was merged away by a curator meanwhile: ask again.
        known_entities.clear()
        stored, duplicates = store_articles(
            items, announce=announce, job_id=job_id, known_entities=known_entities
        )
    report.imported += len(stored)
    report.duplicates += duplicates
    return stored


def store_articles(
    items: list[tuple[RawArticle, str, list[ExtractedEntity]]],
    *,
    announce: bool = True,
    job_id: int | None = None,
    known_entities: dict[tuple[str, str], int] | None = None,
) -> tuple[list[int], int]:
    """Store articles with their settled entities (see `extracted_batches`) in one
    transaction; returns ids and duplicates.

    `announce=False` leaves sending `articles_changed` (which indexes them) to the caller;
    `known_entities` is the caller's cache for `ensure_entities`."""
    now = timezone.now()
    model = pipeline_name() if any(raw.entities is None for raw, _, _ in items) else ""
    with transaction.atomic():
        articles, duplicates = _create_articles(
            [
                Article(
                    title=raw.title,
                    body=raw.body,
                    url=raw.url,
                    source=raw.source,
                    author=raw.author,
                    published=raw.published,
                    language=raw.language,
                    content_hash=digest,
                    origin=raw.origin,
                    extracted_at=now,
                    extraction_model=SUPPLIED_ENTITIES if raw.entities is not None else model,
                    import_job_id=job_id,
                )
                for raw, digest, _ in items
            ]
        )
        by_hash = {a.content_hash: a for a in articles}
        save_mentions(
            [(by_hash[digest], entities) for _, digest, entities in items if digest in by_hash],
            known_entities,
        )
        ids = [a.pk for a in articles]
        if announce:
            # In the transaction: the index's record of what it owes is written with the
            # articles, so a process killed before indexing them leaves them to the replay.
            articles_changed.send(sender=Article, ids=ids)
    return ids, duplicates


def reextract_articles(articles: list[Article], *, workers: int | None = None) -> list[int]:
    """Extract these articles' entities again, with the current curation; returns their ids."""
    apply_curation()
    extracted = list(extract_many(articles, text=lambda a: a.body, workers=workers))
    settled = _settle(extracted, ArchiveKinds(), lambda a: None, lambda a: a.body)
    settled = apply_corrections(settled)
    ids = [a.pk for a in articles]
    with transaction.atomic():
        save_mentions(settled)
        Article.objects.filter(pk__in=ids).update(
            extracted_at=timezone.now(), extraction_model=pipeline_name()
        )
        # Indexed once, on commit, together with the mentions the save replaced.
        articles_changed.send(sender=Article, ids=ids)
    return ids


def _create_articles(articles: list[Article]) -> tuple[list[Article], int]:
    try:
        with transaction.atomic():
            return Article.objects.bulk_create(articles), 0
    except IntegrityError:
        # Another import stored some of these meanwhile: keep the rest, one at a time.
        created = []
        for article in articles:
            try:
                with transaction.atomic():
                    Article.objects.bulk_create([article])
                created.append(article)
            except IntegrityError:
                pass
        return created, len(articles) - len(created)


def save_mentions(
    per_article: list[tuple[Article, list[ExtractedEntity]]],
    known_entities: dict[tuple[str, str], int] | None = None,
) -> None:
    """Replace the mentions of these articles with the given entities."""
    entity_ids = ensure_entities(
        {(e.kind, e.key): e.name for _, entities in per_article for e in entities},
        known_entities,
    )
    Mention.objects.filter(article__in=[a for a, _ in per_article]).delete()
    _insert_mentions(
        [
            (article.pk, entity_ids[(e.kind, e.key)], e.count, [list(o) for o in e.offsets])
            for article, entities in per_article
            for e in entities
        ]
    )
    for pair in keep_abbreviations(per_article, entity_ids):
        if known_entities is not None:
            known_entities.pop(pair, None)  # merged into its long form


def _insert_mentions(rows: list[tuple[int, int, int, list]]) -> None:
    """The INSERT bulk_create would send, without a model instance and its per-field
    preparation for each of an import's 26 mentions an article (a fifth of its time)."""
    meta = Mention._meta
    columns = [meta.get_field(name) for name in ("article", "entity", "count", "offsets")]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in columns),
        ", ".join(["%s"] * len(columns)),
    )
    offsets = columns[-1]
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [(a, e, n, offsets.get_db_prep_save(o, connection)) for a, e, n, o in rows],
        )


def ensure_entities(
    names: dict[tuple[str, str], str], known: dict[tuple[str, str], int] | None = None
) -> dict[tuple[str, str], int]:
    """Ids of the entities with these (kind, key)s, creating the missing ones. `known` holds
    ids looked up before (an import's batches name the same entities again and again); what
    is looked up now is added to it."""
    known = {} if known is None else known
    wanted = {pair: name for pair, name in names.items() if pair not in known}
    if wanted:
        keys = {key for _, key in wanted}
        existing = _entity_ids(keys)
        missing = [
            Entity(kind=kind, key=key, name=name)
            for (kind, key), name in wanted.items()
            if (kind, key) not in existing
        ]
        if missing:
            Entity.objects.bulk_create(missing, ignore_conflicts=True)
            existing = _entity_ids(keys)
        known.update(existing)
    return {pair: known[pair] for pair in names if pair in known}


def _entity_ids(keys: set[str]) -> dict[tuple[str, str], int]:
    rows = Entity.objects.filter(key__in=keys).values_list("kind", "key", "pk")
    return {(kind, key): pk for kind, key, pk in rows}
