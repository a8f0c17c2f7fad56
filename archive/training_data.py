"""The curators' corrections as training examples for the entity model.

What a curator confirmed (a rename, a kind change, a merge: the entity is `curated`, with its
name and aliases) teaches the model that those words are that kind wherever an article names
them; what a curator took out (a per-article removal, a block) teaches that those words are not
a name there; a per-article addition teaches that they are. Each example is one article's body
with character spans; words outside the spans are left for the model to decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from archive.entity_kinds import KIND_LABELS
from archive.models import Article, ArticleCorrection, BlockedName, Entity, Mention

# Articles an entity or a blocked name teaches from: enough to learn a name, and a much
# named entity does not drown every other correction.
ARTICLES_PER_NAME = 20


@dataclass
class CuratedExample:
    article: int
    text: str
    # [start, end, model label]: these characters are a name of this kind.
    spans: list[list] = field(default_factory=list)
    # [start, end]: these characters are not a name.
    not_names: list[list[int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "article": self.article,
            "text": self.text,
            "spans": self.spans,
            "not_names": self.not_names,
        }


def occurrences(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Where the names stand in the text as whole words, longest name first, not overlapping."""
    taken: list[tuple[int, int]] = []
    for name in sorted({n for n in names if n.strip()}, key=len, reverse=True):
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
        for match in pattern.finditer(text):
            span = match.span()
            if not any(span[0] < end and start < span[1] for start, end in taken):
                taken.append(span)
    return sorted(taken)


def curated_examples() -> Iterator[CuratedExample]:
    """One example for each article a curation touched, in article order."""
    wanted: dict[int, list[tuple[str, list[str], bool]]] = {}  # article -> (label, names, is)
    for entity in Entity.objects.filter(curated=True):
        label = KIND_LABELS[entity.kind]
        mentioned = Mention.objects.filter(entity=entity).order_by("article_id")
        for article_id in mentioned.values_list("article_id", flat=True)[:ARTICLES_PER_NAME]:
            wanted.setdefault(article_id, []).append((label, [entity.name, *entity.aliases], True))
    for correction in ArticleCorrection.objects.all():
        label = KIND_LABELS[correction.kind]
        wanted.setdefault(correction.article_id, []).append(
            (label, [correction.name], not correction.removed)
        )
    for blocked in BlockedName.objects.all():
        article_ids = sorted({m[0] for item in blocked.removed for m in item["mentions"]})
        for article_id in article_ids[:ARTICLES_PER_NAME]:
            wanted.setdefault(article_id, []).append(("", [blocked.name], False))
    bodies = dict(Article.objects.filter(pk__in=wanted).values_list("pk", "body"))
    for article_id in sorted(wanted):
        if article_id not in bodies:
            continue  # deleted since
        found = CuratedExample(article_id, bodies[article_id])
        # What is not a name goes first: a removal in this article outranks a curated name.
        for label, names, is_name in sorted(wanted[article_id], key=lambda w: w[2]):
            taken = [(s, e) for s, e, *_ in found.spans] + [tuple(n) for n in found.not_names]
            for start, end in occurrences(found.text, names):
                if any(start < e and s < end for s, e in taken):
                    continue
                if is_name:
                    found.spans.append([start, end, label])
                else:
                    found.not_names.append([start, end])
        if found.spans or found.not_names:
            found.spans.sort()
            found.not_names.sort()
            yield found
