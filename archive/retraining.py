"""Retraining the entity model in use on the curators' corrections (export_training_data),
refusing a model that scores worse on the dev set than the one it would replace."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from archive.extraction import load_pipeline, ner_text
from archive.models import Article
from archive.training import (
    Score,
    curated_example,
    dev_examples,
    fine_tune,
    rehearsal_examples,
    score,
)

# Articles whose own entities (as the model finds them now) are rehearsed alongside the
# corrections, so that learning a few names does not unlearn the rest.
REHEARSAL_ARTICLES = 200
REHEARSAL_CHARACTERS = 2000
EPOCHS = 12


class ModelNotBetter(Exception):
    """The retrained model scores worse on the dev set; the one in use stays."""


def read_examples(path: Path) -> list[dict]:
    items = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                item["text"], item["spans"], item["not_names"]
            except (ValueError, KeyError, TypeError):
                raise ValueError(
                    f"Line {number} of {path} is not an export_training_data example."
                ) from None
            items.append(item)
    if not items:
        raise ValueError(f"{path} holds no examples: curate some articles, then export again.")
    return items


def _rehearsal_texts(skip: set[int]) -> list[str]:
    ids = list(Article.objects.exclude(pk__in=skip).values_list("pk", flat=True))
    step = max(1, len(ids) // REHEARSAL_ARTICLES)
    chosen = ids[::step][:REHEARSAL_ARTICLES]
    bodies = Article.objects.filter(pk__in=chosen).values_list("body", flat=True)
    return [ner_text(body[:REHEARSAL_CHARACTERS]) for body in bodies if body.strip()]


def retrain(
    examples: Path, dev: Path, out: Path, *, seconds: float, log: Callable[[str], None] = print
) -> tuple[Score, Score]:
    """Fine-tune, score on `dev` before and after, and save to `out` unless it got worse;
    returns the two scores."""
    items = read_examples(examples)
    nlp = load_pipeline()  # a copy of its own: the process's pipeline keeps working meanwhile
    curated = [curated_example(nlp, item) for item in items]
    dev_set = dev_examples(nlp, dev)
    if not dev_set:
        raise ValueError(f"{dev} holds no gold documents to score on.")
    rehearsal = rehearsal_examples(nlp, _rehearsal_texts({item["article"] for item in items}))
    # The corrections are few: repeated, they weigh about as much as the rehearsal.
    repeats = max(1, len(rehearsal) // len(curated))
    train = curated * repeats + rehearsal
    before = score(nlp, dev_set)
    log(f"{len(curated)} curated articles (x{repeats}), {len(rehearsal)} rehearsed; dev {before}")
    fine_tune(nlp, train, seconds=seconds, epochs=EPOCHS, log=log)
    after = score(nlp, dev_set)
    if after.f1 < before.f1:
        raise ModelNotBetter(
            f"The retrained model scores F1 {after.f1:.3f} on the dev set, worse than "
            f"{before.f1:.3f} now; the model in use stays. ({after})"
        )
    _save(nlp, out)
    return before, after


def _save(nlp, out: Path) -> None:
    """Write beside `out`, then swap, keeping the model it replaces as `out.previous`."""
    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    nlp.meta["name"] = "archive_entities"
    nlp.to_disk(staging)
    previous = out.with_name(out.name + ".previous")
    if out.exists():
        shutil.rmtree(previous, ignore_errors=True)
        out.rename(previous)
    staging.rename(out)
