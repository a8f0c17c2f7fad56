"""The distributed engine: a SolrCloud collection with the archive's configset (solr/configset),
reached with pysolr through any of SOLR_URLS.

* Every request goes to one node; a node that does not answer is skipped for the next, and
  when none answers (or Solr says a shard has no live replica, or answers with partial
  results) the request raises EngineUnavailable (a 503), never a shorter answer.
* Facets are counted in one request with the JSON Facet API: an OR-combined facet's filter is
  tagged and excluded from its own counts, and `refine` makes the counts of the values returned
  exact over shards. Date histograms, co-mentions and connections are exact counts too (terms
  of the indexed day / month / year, query facets, unlimited terms facets).
* Readers' words are parsed by search/engines/reader_query.py and written as an explicit
  Lucene query, each word looked for in the title and the text.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path

import numpy as np
import pysolr
from django.conf import settings

from search.engines import reader_query
from search.engines.base import (
    CoMention,
    EngineUnavailable,
    Found,
    Member,
    Query,
    SearchEngine,
    check_sort,
    check_unit,
)
from search.facets import ENTITY_FACETS

logger = logging.getLogger(__name__)
ACCENTS = Path(__file__).resolve().parents[3] / "solr" / "configset" / "conf" / "accents.txt"

DATE_FIELD = "published"
ID_FIELD = "article_id"
DIGEST_FIELD = "digest"
# Facet values each shard sends beyond the limit before refinement: more makes a wrong top
# value (one that is large on neither shard alone) rarer; refinement makes every count exact.
OVERREQUEST = 50
CURSOR_ROWS = 5000  # ids read a request at a time (alerts, check_index)
_SORT = {
    "relevance": "score desc,article_id asc",
    "newest": "published desc,article_id asc",
    "oldest": "published asc,article_id asc",
}
_UNIT_FIELDS = {"day": "published_day", "month": "published_month", "year": "published_year"}


class SolrEngine(SearchEngine):
    name = "solr"

    def __init__(
        self,
        urls: Sequence[str] | None = None,
        collection: str | None = None,
        timeout: int | None = None,
    ):
        self.urls = list(urls or settings.SOLR_URLS)
        self.collection = collection or settings.SOLR_COLLECTION
        self.timeout = timeout or settings.SOLR_TIMEOUT_SECONDS
        self._owner, self._connections = 0, []
        self._first = 0  # the node tried first: the last one that answered

    @property
    def _clients(self) -> list[pysolr.Solr]:
        # Connections are this process's own: a gunicorn worker forked from a master that
        # warmed up would otherwise share the master's sockets with its siblings.
        if self._owner != os.getpid():
            self._owner = os.getpid()
            self._connections = [
                pysolr.Solr(f"{url}/{self.collection}", timeout=self.timeout) for url in self.urls
            ]
        return self._connections

    @property
    def location(self) -> str:
        return f"Solr collection {self.collection!r} at {', '.join(self.urls)}"

    # Requests

    def _call(self, method: str, *args, **kwargs):
        """One request to the first node that answers it."""
        failures = []
        for attempt in range(len(self._clients)):
            which = (self._first + attempt) % len(self._clients)
            try:
                answer = getattr(self._clients[which], method)(*args, **kwargs)
            except pysolr.SolrError as exc:
                failures.append(f"{self.urls[which]}: {str(exc)[:300]}")
                logger.warning("Solr node did not answer %s: %s", method, failures[-1])
                continue
            raw = getattr(answer, "raw_response", None) or {}
            if raw.get("responseHeader", {}).get("partialResults"):
                failures.append(f"{self.urls[which]}: partial results")
                continue
            self._first = which
            return answer
        raise EngineUnavailable(
            f"The search servers ({self.location}) could not answer; try again in a minute. "
            + "; ".join(failures)
        )

    def _select(self, query: Query, **params) -> dict:
        q, filters = self._compiled(query)
        params.setdefault("rows", 0)
        params["fq"] = [*filters, *params.get("fq", ())]
        return self._call("search", q, **params).raw_response

    @staticmethod
    def _compiled(query: Query) -> tuple[str, list[str]]:
        return render(query.words), filter_queries(query)

    # Reading

    def search(
        self,
        query: Query,
        *,
        start: int = 0,
        stop: int = 20,
        sort: str = "relevance",
        facets: Sequence[str] = (),
        facet_limit: int | None = None,
        date_unit: str | None = None,
        suggest: bool = False,
    ) -> Found:
        check_sort(sort)
        check_unit(date_unit)
        if sort == "relevance" and not reader_query.has_positive_terms(query.words):
            sort = "newest"
        requested = {
            facet: _terms(facet, facet_limit, exclude=facet in query.any_of) for facet in facets
        }
        if date_unit:
            requested["dates"] = _terms(_UNIT_FIELDS[date_unit], None, by_index=True)
        params = {"rows": max(stop - start, 0), "start": start, "sort": _SORT[sort]}
        params["fl"] = ID_FIELD
        if requested:
            params["json.facet"] = json.dumps(requested)
        if suggest and query.text:
            params.update({"spellcheck": "true", "spellcheck.q": query.text, "spellcheck.count": 5})
        raw = self._select(query, **params)
        found = raw.get("facets", {})
        excluded = {facet: facet in query.any_of for facet in facets}
        return Found(
            count=raw["response"]["numFound"],
            ids=[int(doc[ID_FIELD]) for doc in raw["response"]["docs"]],
            facets=self._exact(query, excluded, found, facet_limit),
            dates=[(_bucket_date(k), n) for k, n in _buckets(found.get("dates"))],
            suggestion=self._suggestion(query, raw) if suggest and query.text else None,
        )

    def _suggestion(self, query: Query, raw: dict) -> str | None:
        """Solr's correction of each word its title dictionary lacks, in the archive's own
        spelling; a word the articles' text holds is never corrected ("Paul Volcker" is no
        misspelling of "Pall Volcker"), nor one shorter than 3 letters or a number."""
        suggestions = raw.get("spellcheck", {}).get("suggestions", [])
        corrections = {}  # folded word -> folded correction
        for word, info in zip(suggestions[::2], suggestions[1::2], strict=False):
            options = info.get("suggestion") or []
            if options:
                corrections[word] = (
                    options[0]["word"] if isinstance(options[0], dict) else options[0]
                )
        corrected, changed = query.text, False
        for word in reader_query.spellable_words(query.words):
            key = fold(word)
            if key not in corrections:
                continue
            if len(key) < 3 or key.isdigit() or self._in_text(word):
                continue
            spelling = self._written(corrections[key])
            pattern = re.compile(rf"\b{re.escape(word)}\b")
            corrected = pattern.sub(lambda _, s=spelling: s, corrected, count=1)
            changed = True
        return corrected if changed else None

    def _written(self, folded: str) -> str:
        """The most frequent spelling of a folded title word in the archive's titles."""
        from archive.models import Article

        ids = self._call("search", f'title_spelling:"{_quoted(folded)}"', rows=50, fl=ID_FIELD)
        titles = Article.objects.filter(pk__in=[int(d[ID_FIELD]) for d in ids.docs])
        forms = Counter(
            word
            for title in titles.values_list("title", flat=True)
            for word in reader_query.TOKEN.findall(title)
            if fold(word) == folded
        )
        return forms.most_common(1)[0][0] if forms else folded

    def _in_text(self, word: str) -> bool:
        tokens = reader_query.TOKEN.findall(word)
        if not tokens:
            return False
        q = " ".join(f'+text:"{token}"' for token in tokens)
        return self._call("search", q, rows=0).hits > 0

    def _exact(
        self, query: Query, facets: dict[str, bool], found: dict, limit: int | None
    ) -> dict[str, list[tuple[str, int]]]:
        """The facets' top `limit` values, exactly. Over several shards, a value counted often
        in all but never among any one shard's first values is missed (refinement only makes
        the counts of values found exact): where the first answer is full, every value
        counting at least its last one's count is asked for, and the top taken from those."""
        counted = {facet: _buckets(found.get(facet)) for facet in facets}
        short = {
            facet: {**_terms(facet, None, exclude), "mincount": counted[facet][-1][1]}
            for facet, exclude in facets.items()
            if limit is not None and len(counted[facet]) >= limit
        }
        if short:
            again = self._select(query, **{"json.facet": json.dumps(short)}).get("facets", {})
            for facet in short:
                every = sorted(_buckets(again.get(facet)), key=lambda b: (-b[1], b[0]))
                counted[facet] = every[:limit]
        return counted

    def facet_counts(
        self, query: Query, facet: str, *, limit: int | None = None, only: set[str] | None = None
    ) -> list[tuple[str, int]]:
        if only is not None:
            # Each wanted value counted on its own: exact, and no list of every value.
            wanted = sorted(only)
            request = {f"t{i}": {"type": "query", "q": _term_query(facet, t)}
                       for i, t in enumerate(wanted)}  # fmt: skip
            found = self._select(query, **{"json.facet": json.dumps(request)}).get("facets", {})
            counted = [(t, found.get(f"t{i}", {}).get("count", 0)) for i, t in enumerate(wanted)]
            counted = sorted(((t, n) for t, n in counted if n), key=lambda b: (-b[1], b[0]))
            return counted[:limit] if limit is not None else counted
        request = {facet: _terms(facet, limit, exclude=False)}
        found = self._select(query, **{"json.facet": json.dumps(request)}).get("facets", {})
        return self._exact(query, {facet: False}, found, limit)[facet]

    def date_span(self, query: Query) -> tuple[date | None, date | None]:
        stats = {"first": f"min({DATE_FIELD})", "last": f"max({DATE_FIELD})"}
        found = self._select(query, **{"json.facet": json.dumps(stats)}).get("facets", {})
        return _parse_date(found.get("first")), _parse_date(found.get("last"))

    def comentions(self, query: Query, members: Sequence[Member]) -> np.ndarray:
        size = len(members)
        matrix = np.zeros((size, size), dtype=np.int64)
        if not size:
            return matrix
        request = {}
        for i, (facet, term) in enumerate(members):
            inner = {
                f"m{j}": {"type": "query", "q": _term_query(*members[j])}
                for j in range(i + 1, size)
            }
            request[f"m{i}"] = {"type": "query", "q": _term_query(facet, term), "facet": inner}
        found = self._select(query, **{"json.facet": json.dumps(request)}).get("facets", {})
        for i in range(size):
            row = found.get(f"m{i}", {})
            matrix[i, i] = row.get("count", 0)
            for j in range(i + 1, size):
                matrix[i, j] = matrix[j, i] = row.get(f"m{j}", {}).get("count", 0)
        return matrix

    def cooccurring(self, query: Query, member: Member) -> list[CoMention]:
        request = {
            kind: {**_terms(kind, None), "facet": {"first": f"min({DATE_FIELD})"}}
            for kind in ENTITY_FACETS
        }
        raw = self._select(query.naming(member), **{"json.facet": json.dumps(request)})
        found = []
        for kind in ENTITY_FACETS:
            for bucket in raw.get("facets", {}).get(kind, {}).get("buckets", []):
                first = _parse_date(bucket.get("first"))
                found.append(CoMention((kind, str(bucket["val"])), bucket["count"], first))
        return found

    def ids_after(self, query: Query, mark: int) -> tuple[np.ndarray, np.ndarray]:
        after = f"{ID_FIELD}:{{{int(mark)} TO *]"
        everything = self._ids("*:*", [after])
        q, filters = self._compiled(query)
        return everything, self._ids(q, [after, *filters])

    def _ids(self, q: str, filters: list[str], fields: str = ID_FIELD) -> np.ndarray:
        return np.array([int(d[ID_FIELD]) for d in self._documents(q, filters, fields)], np.int64)

    def _documents(self, q: str, filters: list[str], fields: str) -> Iterable[dict]:
        """Every matching document, in article id order, a cursor page at a time."""
        cursor = "*"
        while True:
            params = {"fq": filters, "fl": fields, "rows": CURSOR_ROWS, "cursorMark": cursor}
            raw = self._call("search", q, sort=f"{ID_FIELD} asc,id asc", **params).raw_response
            yield from raw["response"]["docs"]
            if raw.get("nextCursorMark", cursor) == cursor:
                return
            cursor = raw["nextCursorMark"]

    def warm_up(self) -> None:
        self._call("search", "*:*", rows=0)

    # Writing

    def prepare(self, articles: Iterable) -> list[dict]:
        from haystack import connections
        from haystack.exceptions import SkipDocument

        from archive.models import Article, attach_entity_names

        index = connections["default"].get_unified_index().get_index(Article)
        articles = list(articles)
        attach_entity_names(articles)
        docs = []
        for article in articles:
            try:
                prepared = index.full_prepare(article)
            except SkipDocument:
                continue
            docs.append(_document(prepared))
        for article in articles:
            # Each cached mentions queryset refers back to its article (a cycle).
            article.__dict__.pop("_prefetched_objects_cache", None)
        return docs

    def write(self, docs: list[dict], background: bool = False) -> None:
        # Solr indexes as it receives: there is nothing to hand to a background writer. The
        # soft commit makes the batch searchable before this returns.
        if docs:
            self._call("add", docs, softCommit=True)

    def finish_writes(self) -> None:
        """Nothing is written in the background (see `write`)."""

    def remove(self, ids: Iterable[int]) -> None:
        identifiers = [f"archive.article.{int(pk)}" for pk in ids]
        if identifiers:
            self._call("delete", id=identifiers, softCommit=True)

    def digests(self) -> dict[int, str]:
        docs = self._documents("*:*", [], f"{ID_FIELD},{DIGEST_FIELD}")
        return {int(doc[ID_FIELD]): doc.get(DIGEST_FIELD, "") for doc in docs}

    def reset(self) -> None:
        self._call("delete", q="*:*", softCommit=True)


# Queries


def render(tree: reader_query.Tree) -> str:
    """A reader's parsed words as a Lucene query: a word in the title (boosted) or the text,
    every token of it in that field; a phrase in either field; a prefix as Solr's prefix
    query (folded and lower-cased as the field's terms are); a field's name as its terms."""
    if tree is None:
        return "*:*"
    if isinstance(tree, reader_query.Named):
        if not tree.terms:
            return "(-*:*)"
        return "(" + " OR ".join(_term_query(tree.facet, t) for t in tree.terms) + ")"
    if isinstance(tree, reader_query.Words):
        fields = [tree.field] if tree.field else ["title", "text"]
        rendered = [_words_in(tree, field) for field in fields]
        return "(" + " OR ".join(rendered) + ")"
    parts = [render(child) for child in tree.children]
    if tree.op == "and":
        return "(" + " ".join(f"+{p}" for p in parts) + ")" if parts else "(-*:*)"
    if tree.op == "or":
        return "(" + " ".join(parts) + ")"
    if tree.op == "not":
        return f"(*:* -{parts[0]})"
    return "(+" + parts[0] + "".join(f" {p}" for p in parts[1:]) + ")"  # maybe


def _words_in(words: reader_query.Words, field: str) -> str:
    boost = "^2" if field == "title" else ""
    if words.phrase:
        return f'{field}:"{" ".join(words.tokens)}"{boost}'
    plain = words.tokens[:-1] if words.prefix else words.tokens
    parts = [f'+{field}:"{token}"' for token in plain]
    if words.prefix:
        parts.append(f"+{field}:{words.tokens[-1]}*")
    return f"({' '.join(parts)}){boost}"


def _term_query(facet: str, term: str) -> str:
    return f'{facet}:"{_quoted(term)}"'


def _quoted(term: str) -> str:
    return term.replace("\\", "\\\\").replace('"', '\\"')


def filter_queries(query: Query) -> list[str]:
    filters = []
    for clause in query.clauses:
        terms = [_term_query(clause.facet, term) for term in clause.terms]
        if clause.mode == "any":
            filters.append(f"{{!tag=or_{clause.facet}}}(" + " OR ".join(terms) + ")")
        elif clause.mode == "all":
            filters.extend(terms)
        else:
            filters.extend(f"-{term}" for term in terms)
    if query.date_from or query.date_to:
        start, end = "*", "*"
        if query.date_from:
            start = _solr_time(datetime.combine(query.date_from, time.min))
        if query.date_to:  # the whole of its last day
            end = _solr_time(datetime.combine(query.date_to, time.min)) + "+1DAY-1MILLISECOND"
        filters.append(f"{DATE_FIELD}:[{start} TO {end}]")
    return filters


def _terms(field: str, limit: int | None, exclude: bool = False, by_index: bool = False) -> dict:
    request = {
        "type": "terms",
        "field": field,
        "limit": -1 if limit is None else limit,
        "mincount": 1,
        "sort": "index asc" if by_index else "count desc",
    }
    if limit is not None:
        request.update(refine=True, overrequest=OVERREQUEST)
    if exclude:
        request["domain"] = {"excludeTags": [f"or_{field}"]}
    return request


def _buckets(found: dict | None) -> list[tuple[str, int]]:
    return [(str(b["val"]), int(b["count"])) for b in (found or {}).get("buckets", [])]


# Documents


def _document(prepared: dict) -> dict:
    doc = {key: value for key, value in prepared.items() if value not in (None, "", [])}
    doc.pop("boost", None)
    doc[ID_FIELD] = int(prepared["django_id"])
    if prepared.get("title"):
        doc["title_spelling"] = prepared["title"]
    published = prepared.get(DATE_FIELD)
    if published is not None:
        doc[DATE_FIELD] = _solr_time(published)
        utc = published.astimezone(UTC) if published.tzinfo else published
        doc["published_day"] = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        doc["published_month"] = f"{utc.year:04d}-{utc.month:02d}"
        doc["published_year"] = f"{utc.year:04d}"
    return doc


def _solr_time(moment: datetime) -> str:
    if moment.tzinfo:
        moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _parse_date(value) -> date | None:
    if not value:
        return None
    text = str(value)
    return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))


def _bucket_date(key: str) -> date:
    parts = [int(p) for p in key.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


@cache
def _accent_table() -> dict[int, str]:
    """The configset's accent folding (accents.txt, Whoosh's own map), for Python."""
    table = {}
    for line in ACCENTS.read_text(encoding="utf-8").splitlines():
        if line.startswith('"'):
            source, _, target = line.partition(" => ")
            decoded = [json.loads(side) for side in (source, target)]
            table[ord(decoded[0])] = decoded[1]
    return table


def fold(word: str) -> str:
    """A word as the spelling field holds it: case and accents folded."""
    return word.lower().translate(_accent_table())
