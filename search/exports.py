"""Every article of a search, page after page, as flat rows for CSV and JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator

from search.query import SearchParams, articles_in_order, base_queryset

EXPORT_FIELDS = (
    "id",
    "title",
    "url",
    "source",
    "author",
    "published",
    "person",
    "place",
    "organization",
)
EXPORT_BATCH = 500


def export_rows(params: SearchParams) -> Iterator[dict]:
    sqs = base_queryset(params).order_by("-published")
    total = sqs.count()
    for start in range(0, total, EXPORT_BATCH):
        ids = [int(hit.pk) for hit in sqs[start : start + EXPORT_BATCH]]
        for article in articles_in_order(ids):
            grouped = article.entities_by_kind()
            yield {
                "id": article.pk,
                "title": article.title,
                "url": article.url or "",
                "source": article.source,
                "author": article.author,
                "published": article.published.isoformat() if article.published else "",
                **{kind: "; ".join(e.name for e in grouped[kind]) for kind in grouped},
            }


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """The value as a spreadsheet shows it without running it: a leading quote makes a
    would-be formula text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
