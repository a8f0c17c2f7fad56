"""The archive's Whoosh backend for Haystack: the stock one, minus its traps at scale.

* Matching everything is a column lookup, not `Every('text')` scored document by document;
  words are matched and ranked (BM25F, as Whoosh scores) with numpy over whole posting blocks
  (search/engines/whoosh/scoring.py), since facet counts need every match anyway.
* Facets, filters, date histograms and date sorting use per-segment doc values
  (search/engines/whoosh/docvalues.py), read once per segment instead of once per search.
* Indexing replaces documents through one reader per batch, not a searcher per document.
* Facet fields hold identifiers as single terms, so commas and quotes in names never split them.
* "Did you mean" looks words up in a cached vocabulary, also when nothing was found.

* Text is folded (accents, case); a hyphen inside a word is part of the word.

The archive reaches it through search/engines/whoosh/engine.py (the engine interface),
which relies on all of the above. What it does not implement (highlighting, query facets,
spatial search, other models, field filters through filter(), sorting by several fields,
more_like_this) raises `Unsupported` instead of being ignored.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import date, datetime, time
from pathlib import Path

from django.utils.encoding import force_str
from haystack.backends import BaseEngine
from haystack.backends.whoosh_backend import WhooshSearchBackend, WhooshSearchQuery
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError, SkipDocument
from haystack.models import SearchResult
from haystack.utils import get_identifier
from whoosh import query as wq
from whoosh.analysis import CharsetFilter, RegexTokenizer, StandardAnalyzer
from whoosh.fields import DATETIME, KEYWORD, STORED, TEXT
from whoosh.index import LockError
from whoosh.qparser import QueryParser
from whoosh.support.charset import accent_map

from archive.models import attach_entity_names
from search.engines import reader_query
from search.engines.base import Unsupported
from search.engines.reader_query import MAX_PHRASE_WORDS, MAX_QUERY_TERMS, QueryTooComplex, Tree
from search.engines.whoosh import mapped_files, reader_reuse
from search.engines.whoosh.analysis import AnalyzedText, FoldedStemText, term_positions
from search.engines.whoosh.docvalues import DocValuesCache
from search.engines.whoosh.scoring import check_phrase_cost, evaluate, top
from search.engines.whoosh.segment_writer import (
    BatchSegmentWriter,
    StagedSegment,
    merge_small_segments,
    merge_tiers,
    needs_tier_merge,
)
from search.engines.whoosh.spelling import Vocabulary
from search.engines.whoosh.words import Expanded, whoosh_query
from search.facets import FACET_NAMES
from search.search_indexes import DIGEST_FIELD

mapped_files.install()
reader_reuse.install()
logger = logging.getLogger(__name__)

FACET_FIELDS = FACET_NAMES
DATE_FIELDS = ("published",)
TITLE_FIELD = "title"
SPELLING_FIELD = "title_spelling"
WRITE_LOCK_TIMEOUT = 120.0
DOC_VALUES_FOLDER = "docvalues"  # inside the index folder: Whoosh ignores folders
DATE_UNITS = {"year": "Y", "month": "M", "day": "D"}


class ArchiveWhooshSearchBackend(WhooshSearchBackend):
    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        self.vocabulary = Vocabulary(SPELLING_FIELD)
        self._local = threading.local()

    # Schema and parsing

    def build_schema(self, fields):
        content_field_name, schema = super().build_schema(fields)
        replacements = {name: _facet_field() for name in FACET_FIELDS}
        # Accents and case are folded on both sides: "Zurich" finds "Zürich".
        replacements[content_field_name] = FoldedStemText(stored=False)
        replacements[TITLE_FIELD] = TEXT(
            stored=False,
            analyzer=StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map),
            field_boost=2.0,
        )
        # Title words as written, for "did you mean" in the archive's own spelling.
        replacements[SPELLING_FIELD] = TEXT(stored=False, analyzer=RegexTokenizer(), phrase=False)
        for name in DATE_FIELDS:
            replacements[name] = _date_column()
        # Results are loaded by this stored value; nothing searches it, so it adds no terms.
        replacements[DJANGO_ID] = STORED()
        replacements[DIGEST_FIELD] = STORED()
        for name, field in replacements.items():
            if name in schema:
                schema.remove(name)
            schema.add(name, field)
        return content_field_name, schema

    def setup(self):
        super().setup()
        self.doc_values = DocValuesCache(
            list(FACET_FIELDS),
            list(DATE_FIELDS),
            [TITLE_FIELD, self.content_field_name],
            key_field=DJANGO_ID,
            folder=Path(self.path) / DOC_VALUES_FOLDER if self.use_file_storage else None,
        )
        # What the code writes: field:value filters.
        self.narrow_parser = QueryParser(self.content_field_name, schema=self.schema)

    def parse_user_query(self, words: str | Tree, searcher=None) -> wq.Query:
        """A reader's query (as typed, or parsed by search/engines/reader_query.py), bounded:
        only words, phrases, prefixes, names and their AND / OR / NOT, at most
        MAX_QUERY_TERMS of them; anything else raises QueryTooComplex (a 400)."""
        tree = reader_query.parse(force_str(words)) if isinstance(words, str) else words
        reader = (searcher or self.searcher()).reader()
        return bounded(whoosh_query(tree, self.schema, reader, self.content_field_name))

    # Writing

    def _writer(self) -> BatchSegmentWriter:
        self.index = self.index.refresh()
        try:
            return BatchSegmentWriter(self.index, timeout=WRITE_LOCK_TIMEOUT)
        except LockError as exc:
            raise SearchBackendError(
                f"The search index stayed locked by another writer for {WRITE_LOCK_TIMEOUT:.0f} s."
            ) from exc

    def update(self, index, iterable, commit=True):
        self.write_documents(self.prepare_documents(index, iterable))

    def prepare_documents(self, index, articles) -> list[dict]:
        """The index documents of these articles, as `write_documents` takes them: this part
        reads the database and analyzes the text, writing them does neither (so the two can
        run in different processes, search/indexing.py)."""
        if not self.setup_complete:
            self.setup()
        docs = []
        articles = list(articles)
        attach_entity_names(articles)
        for obj in articles:
            try:
                doc = index.full_prepare(obj)
            except SkipDocument:
                continue
            doc = {key: self._from_python(value) for key, value in doc.items() if key != "boost"}
            doc[SPELLING_FIELD] = doc.get(TITLE_FIELD, "")
            doc[self.content_field_name] = AnalyzedText(
                term_positions(doc[self.content_field_name])
            )
            docs.append({key: value for key, value in doc.items() if value not in (None, "")})
        for obj in articles:
            # Each cached mentions queryset refers back to its article: without this cycle
            # the batch is freed now, not whenever the cycle collector next runs.
            obj.__dict__.pop("_prefetched_objects_cache", None)
        return docs

    def write_documents(self, docs: list[dict]) -> None:
        """Replace earlier versions of these documents and add them, in one commit."""
        if not docs:
            return
        if not self.setup_complete:
            self.setup()
        writer = self._writer()
        try:
            _delete_ids(writer, [doc[ID] for doc in docs])
            for doc in docs:
                writer.add_document(**doc)
            writer.commit(mergetype=merge_small_segments)
        except BaseException:
            writer.cancel()
            raise
        self._save_doc_values()

    def stage_documents(self, docs: list[dict], staged: StagedSegment | None) -> StagedSegment:
        """Add new documents to a segment staged beside the index (`publish_staged` adds it),
        starting one if `staged` is None. Documents the index already holds are replaced at
        once, the usual way."""
        if not self.setup_complete:
            self.setup()
        self.index = self.index.refresh()
        with self.index.reader() as reader:
            known = {doc[ID] for doc in docs if (ID, doc[ID]) in reader}
        self.write_documents([doc for doc in docs if doc[ID] in known])
        staged = staged or StagedSegment(self.index)
        staged.add([doc for doc in docs if doc[ID] not in known])
        return staged

    def publish_staged(self, staged: StagedSegment) -> None:
        """Add a staged segment to the index; then, if a tier of segments is full, merge it
        (a cost the import that staged it pays, not an edit)."""
        # Its doc values are saved before it is published, so no search worker that sees
        # it first has to read them itself (hundreds of ms, during an import).
        with staged.finish() as reader:
            self._save_doc_values(reader)
        try:
            staged.publish(WRITE_LOCK_TIMEOUT)
        except LockError as exc:
            staged.discard()
            raise SearchBackendError(
                f"The search index stayed locked by another writer for {WRITE_LOCK_TIMEOUT:.0f} s."
            ) from exc
        self.index = self.index.refresh()
        if needs_tier_merge(self.index._segments()):
            writer = self._writer()
            try:
                writer.commit(mergetype=merge_tiers)
            except BaseException:
                writer.cancel()
                raise
        self._save_doc_values()

    def remove(self, obj_or_string, commit=True):
        self.remove_identifiers([get_identifier(obj_or_string)])

    def remove_identifiers(self, identifiers: list[str]) -> None:
        if not self.setup_complete:
            self.setup()
        writer = self._writer()
        try:
            _delete_ids(writer, identifiers)
            writer.commit(mergetype=merge_small_segments)
        except BaseException:
            writer.cancel()
            raise
        self._save_doc_values()

    def _save_doc_values(self, segment_reader=None) -> None:
        # The committing process reads its new (or merged) segments' doc values once, so no
        # search worker has to; a failure here only leaves that work to the workers.
        try:
            if segment_reader is not None:
                self.doc_values.save_segment(segment_reader)
                return
            with self.index.refresh().searcher() as searcher:
                self.doc_values.save_segments(searcher)
        except Exception:
            logger.exception("Could not save the doc values of the new index segments")

    def delete_index(self):
        # Searchers of the old files must not outlive them; setup() builds fresh doc values.
        self._local.__dict__.clear()
        super().delete_index()

    def indexed_digests(self) -> dict[str, str]:
        """Django id -> content digest ("" when indexed without one) of every live
        document, for consistency checks."""
        reader = self.searcher(create_missing=True).reader()
        return {fields[DJANGO_ID]: fields.get(DIGEST_FIELD, "") for _, fields in reader.iter_docs()}

    # Reading

    def searcher(self, create_missing: bool = False):
        """This thread's searcher, refreshed when another process has committed. An index
        that cannot be read, or is missing while the database holds articles (unless
        `create_missing`, for repairs), raises SearchBackendError (the pages answer 503)."""
        current = getattr(self._local, "searcher", None)
        try:
            if not self.setup_complete:
                if not create_missing:
                    self._refuse_missing_index()
                self.setup()
            if current is None:
                self.index = self.index.refresh()
                current = self.index.searcher()
            else:
                current = current.refresh()
        except SearchBackendError:
            raise
        except Exception as exc:  # damaged files fail in many ways; all mean the same here
            raise SearchBackendError(
                f"The search index at {self.path} cannot be read ({type(exc).__name__}). "
                "Rebuild it with: python manage.py check_index --rebuild"
            ) from exc
        self._local.searcher = current
        return current

    def _refuse_missing_index(self) -> None:
        from whoosh.index import exists_in

        from archive.models import Article

        present = os.path.isdir(self.path) and exists_in(self.path)
        if not present and Article.objects.exists():
            # Creating an empty one would show "0 articles" for an archive that has them.
            raise SearchBackendError(
                f"The search index at {self.path} is missing. "
                "Rebuild it with: python manage.py check_index --rebuild"
            )

    def search(
        self,
        query_string,
        sort_by=None,
        start_offset=0,
        end_offset=None,
        fields="",
        highlight=False,
        facets=None,
        date_facets=None,
        query_facets=None,
        narrow_queries=None,
        spelling_query=None,
        within=None,
        dwithin=None,
        distance_point=None,
        models=None,
        limit_to_registered_models=None,
        result_class=None,
        **kwargs,
    ):
        _refuse_unsupported(
            highlight=highlight,
            query_facets=query_facets,
            within=within,
            dwithin=dwithin,
            distance_point=distance_point,
            fields=fields,
            **kwargs,
        )
        _refuse_other_models(models)
        for field, options in (facets or {}).items():
            _refuse_facet(field, options)
        searcher, values, query, matches = self._matches(query_string, narrow_queries)
        mask = matches.mask
        hits = int(mask.sum())
        end_offset = hits if end_offset is None else min(end_offset, hits)
        page = self._page(values, query, matches, sort_by, start_offset, end_offset)

        facet_counts = {"fields": {}, "dates": {}, "queries": {}}
        for field, options in (facets or {}).items():
            limit = options.get("limit", 100)
            facet_counts["fields"][field] = values.top_terms(
                field,
                mask,
                limit=None if limit is None else int(limit),
                by_name=options.get("sort") == "index",
                only=options.get("terms"),
            )
        for field, options in (date_facets or {}).items():
            unit = _date_unit(field, options)
            bounds = [_as_datetime(options.get(k)) for k in ("start_date", "end_date")]
            in_range = values.date_range(wq.DateRange(field, *bounds))
            facet_counts["dates"][field] = values.date_histogram(field, mask & in_range, unit)

        suggestion = None
        if self.include_spelling or spelling_query:
            suggestion = self.vocabulary.suggest(
                searcher, spelling_query or query_string, known=lambda w: self._in_text(searcher, w)
            )

        cls = result_class or SearchResult
        results = []
        for docnum, score in page:
            stored = searcher.stored_fields(docnum)
            app_label, model_name = stored[DJANGO_CT].split(".")
            results.append(cls(app_label, model_name, stored[DJANGO_ID], score))
        return {
            "results": results,
            "hits": hits,
            "facets": facet_counts,
            "spelling_suggestion": suggestion,
        }

    def _matches(self, words: str | Tree, narrow_queries):
        searcher = self.searcher()
        values = self.doc_values.for_searcher(searcher)
        query = self.parse_user_query(words, searcher)
        check_phrase_cost(query, searcher)
        matches = evaluate(query, searcher, values)
        for narrow in narrow_queries or ():
            matches.mask &= evaluate(
                self.narrow_parser.parse(force_str(narrow)), searcher, values
            ).mask
        return searcher, values, query, matches

    def _in_text(self, searcher, word: str) -> bool:
        """Whether the articles' text holds this word (as the text field analyzes it)."""
        field = self.content_field_name
        terms = list(self.schema[field].process_text(word, mode="query"))
        return bool(terms) and all(searcher.doc_frequency(field, term) for term in terms)

    def more_like_this(self, model_instance, additional_query_string=None, **kwargs):
        raise Unsupported("more_like_this is not supported by the archive's search backend.")

    def _page(self, values, query, matches, sort_by, start, end):
        if end <= start:
            return []
        if sort_by and len(sort_by) > 1:
            raise Unsupported(f"Results are sorted by one field, not {len(sort_by)}: {sort_by}.")
        sort_field = (sort_by or [None])[0]
        if sort_field is None and _has_positive_terms(query):
            return top(matches, start, end)
        field = (sort_field or "-published").lstrip("-")
        if field not in values.dates:
            raise Unsupported(f"Cannot sort by {sort_field!r}.")
        reverse = sort_field is None or sort_field.startswith("-")
        docs = values.newest_first(matches.mask, field, reverse=reverse)[start:end]
        return [(int(d), 0.0) for d in docs]


_COMBINING = (wq.And, wq.Or, wq.Not, wq.AndNot, wq.AndMaybe, wq.Require, wq.DisjunctionMax)
_LEAVES = (wq.Term, wq.Phrase, wq.Every)


def bounded(query: wq.Query) -> wq.Query:
    """The query, if it is made only of what a reader's search may cost; QueryTooComplex
    otherwise. Each kind a reader can reach is listed, so a parser plugin added later cannot
    bring in an unbounded one (a range, a wildcard) unnoticed."""
    if query is wq.NullQuery:
        return query
    terms = 0
    stack = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, Expanded):
            terms += 1  # a prefix's words, bounded by MAX_PREFIX_TERMS
        elif isinstance(node, _COMBINING):
            stack.extend(node.children())
        elif isinstance(node, wq.Phrase):
            if len(node.words) > MAX_PHRASE_WORDS:
                raise QueryTooComplex(
                    f"A quoted phrase may have at most {MAX_PHRASE_WORDS} words: quote the most "
                    "telling part of it."
                )
            terms += len(node.words)
        elif isinstance(node, _LEAVES) or node is wq.NullQuery:
            terms += 1
        else:
            raise QueryTooComplex(
                f"This kind of query ({type(node).__name__}) is not supported: use words, "
                '"phrases", AND, OR, NOT and -word.'
            )
        if terms > MAX_QUERY_TERMS:
            raise QueryTooComplex(
                f"The query has more than {MAX_QUERY_TERMS} words (counting each field it "
                "searches): shorten it, or narrow the results with the filters."
            )
    return query


def _refuse_unsupported(**arguments) -> None:
    """Haystack features this backend does not implement raise instead of being ignored."""
    used = sorted(name for name, value in arguments.items() if value)
    if used:
        raise Unsupported(f"The archive's search backend does not support {', '.join(used)}.")


def _refuse_other_models(models) -> None:
    from archive.models import Article

    others = {m for m in models or () if m is not Article}
    if others:
        names = ", ".join(sorted(m._meta.label for m in others))
        raise Unsupported(f"The archive's index holds articles only, not {names}.")


_FACET_OPTIONS = {"limit", "sort", "terms"}


def _as_datetime(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time.min)
    return value


def _date_unit(field: str, options: dict) -> str:
    if field not in DATE_FIELDS:
        raise Unsupported(f"{field!r} is not a date field: {', '.join(DATE_FIELDS)}.")
    if options.get("gap_by") not in DATE_UNITS or options.get("gap_amount", 1) != 1:
        raise Unsupported(
            f"Date facets count by one {', '.join(DATE_UNITS)}, not {options.get('gap_amount')} "
            f"{options.get('gap_by')}."
        )
    return DATE_UNITS[options["gap_by"]]


def _refuse_facet(field: str, options: dict) -> None:
    if field not in FACET_FIELDS:
        raise Unsupported(f"{field!r} is not a facet; the facets are {', '.join(FACET_FIELDS)}.")
    unknown = sorted(set(options) - _FACET_OPTIONS)
    if unknown:
        raise Unsupported(f"Facet options {', '.join(unknown)} are not supported.")


def _date_column():
    # Date filters, histograms and sorting all read the column (docvalues.py); the tiered
    # range terms Whoosh would index beside it were a third of all terms and a large share of
    # every commit's cost.
    field = DATETIME(stored=False, sortable=True)
    field.indexed = False
    return field


def _facet_field():
    # One term per identifier; ids never contain commas, so the comma separator is safe.
    return KEYWORD(stored=False, commas=True, lowercase=False, scorable=False)


def _delete_ids(writer, identifiers: list[str]) -> None:
    """Delete documents by id through one reader, not one searcher per document."""
    reader = writer.reader()
    for identifier in identifiers:
        if (ID, identifier) in reader:
            for docnum in reader.postings(ID, identifier).all_ids():
                writer.delete_document(docnum)


def _has_positive_terms(query: wq.Query) -> bool:
    if isinstance(query, wq.Every) or query is wq.NullQuery:
        return False
    if isinstance(query, wq.Not):
        return False
    if isinstance(query, wq.AndNot):
        return _has_positive_terms(query.a)
    if isinstance(query, wq.CompoundQuery):
        return any(_has_positive_terms(q) for q in query.subqueries)
    return True


class ArchiveWhooshSearchQuery(WhooshSearchQuery):
    """Text queries as Haystack builds them; filters on fields go through `narrow()`."""

    def build_query_fragment(self, field, filter_type, value):
        if field != "content":
            # The user query parser reads no field syntax (readers type words), so a field
            # filter would silently search its text as words.
            raise Unsupported(
                f"filter()/exclude() on {field!r} is not supported by the archive's backend; "
                f"use narrow('{field}:VALUE') (facets hold entity ids)."
            )
        return super().build_query_fragment(field, filter_type, value)


class ArchiveWhooshEngine(BaseEngine):
    backend = ArchiveWhooshSearchBackend
    query = ArchiveWhooshSearchQuery
