"""Every article of a search, page after page: CSV rows for spreadsheets, JSON Lines for code."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from archive.models import Article
from search.engines import get_engine
from search.facets import ENTITY_FACETS
from search.query import SearchParams, articles_in_order, compile_query
from search.serializers import entity_refs

CSV_FIELDS = ("id", "title", "url", "source", "author", "published", *ENTITY_FACETS)
EXPORT_BATCH = 500


def exported_articles(params: SearchParams) -> Iterator[Article]:
    """The search's articles, newest first, whatever page the reader was on."""
    engine, query = get_engine(), compile_query(params)
    total = engine.count(query)
    for start in range(0, total, EXPORT_BATCH):
        yield from articles_in_order(engine.ids(query, start, start + EXPORT_BATCH, "newest"))


def _fields(article: Article) -> dict:
    return {
        "id": article.pk,
        "title": article.title,
        "url": article.url or "",
        "source": article.source,
        "author": article.author,
        "published": article.published.isoformat() if article.published else "",
    }


class _Echo:
    def write(self, value):
        return value


def csv_lines(params: SearchParams) -> Iterator[str]:
    """A header and one row an article; names of a kind are joined with "; "."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_FIELDS)
    for article in exported_articles(params):
        grouped = article.entities_by_kind()
        row = {
            **_fields(article),
            **{kind: "; ".join(e.name for e in grouped[kind]) for kind in grouped},
        }
        yield writer.writerow([inert_cell(row.get(f, "")) for f in CSV_FIELDS])


def jsonl_lines(params: SearchParams, include_body: bool = False) -> Iterator[str]:
    """One JSON object an article, its entities as arrays of {id, name}."""
    for article in exported_articles(params):
        row = {**_fields(article), **entity_refs(article)}
        if include_body:
            row["body"] = article.body
        yield json.dumps(row, ensure_ascii=False) + "\n"


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """The value as a spreadsheet shows it without running it: a leading quote makes a
    would-be formula text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
