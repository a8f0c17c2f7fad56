"""HTML for article text: paragraphs, with the entities it names linked and marked."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from archive.models import Article


def entity_spans(article: Article) -> list[tuple[int, int, object]]:
    """Non-overlapping (start, end, entity) spans, earliest and longest first."""
    spans = sorted(
        (
            (start, end, mention.entity)
            for mention in article.mentions.all()
            for start, end in mention.offsets
        ),
        key=lambda span: (span[0], -(span[1] - span[0])),
    )
    chosen, last_end = [], -1
    for start, end, entity in spans:
        if start >= last_end and 0 <= start < end <= len(article.body):
            chosen.append((start, end, entity))
            last_end = end
    return chosen


# Marks words in a piece of text: (text, first number) -> (escaped HTML, next number).
Marker = Callable[[str, int], tuple[str, int]]
# How a search's words are marked comes from the search app (which archive does not import):
# it registers a function from the words typed to a Marker, or None.
_markers: list[Callable[[str], Marker | None]] = []


def register_marker(make: Callable[[str], Marker | None]) -> None:
    _markers.append(make)


def marker_for(query: str) -> Marker | None:
    return next((m for m in (make(query) for make in _markers) if m), None)


def marked_body(
    article: Article, link_suffix: str = "", highlight: Marker | None = None
) -> tuple[SafeString, int]:
    """The body as escaped paragraphs with each mention linked to its entity page (the link
    ending in `link_suffix`, so the search the reader came from goes along), and, with
    `highlight`, the searched words marked; and how many were marked."""
    mark = highlight or (lambda text, number: (escape(text), number))
    body = article.body
    pieces, position, number = [], 0, 1
    opening: dict[int, str] = {}  # one link per entity, however often it is named
    for start, end, entity in entity_spans(article):
        if entity.pk not in opening:
            opening[entity.pk] = (
                f'<a class="mention mention-{entity.kind}" '
                f'href="{escape(entity.get_absolute_url() + link_suffix)}" '
                f'title="{escape(entity.get_kind_display())}: {escape(entity.name)}">'
            )
        text, number = mark(body[position:start], number)
        pieces.append(text)
        text, number = mark(body[start:end], number)
        pieces.append(f"{opening[entity.pk]}{text}</a>")
        position = end
    text, number = mark(body[position:], number)
    pieces.append(text)
    html = "".join(pieces)
    paragraphs = [p.replace("\n", "<br>") for p in html.split("\n\n") if p.strip()]
    return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs)), number - 1
