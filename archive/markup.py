"""HTML for article text: paragraphs, with the entities it names linked and marked."""

from __future__ import annotations

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


def marked_body(article: Article) -> SafeString:
    """The body as escaped paragraphs with each mention linked to its entity page."""
    body = article.body
    pieces, position = [], 0
    opening: dict[int, str] = {}  # one link per entity, however often it is named
    for start, end, entity in entity_spans(article):
        if entity.pk not in opening:
            opening[entity.pk] = (
                f'<a class="mention mention-{entity.kind}" '
                f'href="{escape(entity.get_absolute_url())}" '
                f'title="{escape(entity.get_kind_display())}: {escape(entity.name)}">'
            )
        pieces.append(escape(body[position:start]))
        pieces.append(f"{opening[entity.pk]}{escape(body[start:end])}</a>")
        position = end
    pieces.append(escape(body[position:]))
    html = "".join(pieces)
    paragraphs = [p.replace("\n", "<br>") for p in html.split("\n\n") if p.strip()]
    return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs))
