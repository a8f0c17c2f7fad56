import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.extraction import load_pipeline
from archive.training import (
    GOLD_SOURCES,
    HELD_OUT_FILE,
    REHEARSAL_WEIGHT,
    dev_examples,
    fine_tune,
    gold_example,
    news_paragraphs,
    read_conll_lines,
    rehearsal_examples,
    score,
    source_examples,
)

# Rehearsal: en_core_web_sm's own entities on this many paragraphs of unlabelled news.
REHEARSAL_PARAGRAPHS = 3000
# Reuters records the archive's tests and benchmarks read (the first 2,000 and a margin).
REHEARSAL_SKIP = 3000


class Command(BaseCommand):
    help = (
        "Build the entity model the project ships (archive/entity_model) from en_core_web_sm "
        "and public gold-annotated text (training/README.md lists the files and where they "
        "come from), rehearsing en_core_web_sm's own entities on unlabelled news."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", help="The folder holding the gold files.")
        parser.add_argument("--news", help="Reuters-21578 JSON Lines, for rehearsal.")
        parser.add_argument("--minutes", type=float, default=20, help="Training time budget.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=str(settings.SHIPPED_ENTITY_MODEL))

    def handle(self, *args, sources, news, minutes, seed, out, **options):
        sources = Path(sources)
        missing = [s.file for s in GOLD_SOURCES if not (sources / s.file).is_file()]
        if missing or not (sources / HELD_OUT_FILE).is_file():
            raise CommandError(f"Missing in {sources}: {', '.join(missing or [HELD_OUT_FILE])}.")
        news = Path(news or settings.BASE_DIR.parent / "shared/data/reuters21578/articles.jsonl")
        if not news.is_file():
            raise CommandError(f"No Reuters-21578 JSON Lines at {news} (--news).")
        started = time.monotonic()
        # Start from en_core_web_sm itself, never from a model trained here before.
        nlp = load_pipeline(settings.SPACY_MODEL_FALLBACKS)
        log = self.stdout.write
        try:
            train, texts = source_examples(nlp, sources, seed=seed, log=log)
        except ValueError as bad:
            raise CommandError(str(bad)) from None
        paragraphs = news_paragraphs(news, REHEARSAL_SKIP, REHEARSAL_PARAGRAPHS)
        log(f"{news.name}: {len(paragraphs)} paragraphs, text rehearsed")
        train += rehearsal_examples(nlp, texts + paragraphs) * REHEARSAL_WEIGHT
        held_out = [gold_example(nlp, s) for s in read_conll_lines(sources / HELD_OUT_FILE)]
        has_dev = settings.ENTITY_DEV_SET.is_file()
        dev = dev_examples(nlp, settings.ENTITY_DEV_SET) if has_dev else []
        log(f"{HELD_OUT_FILE} before: {score(nlp, held_out)}")
        # Weights are kept by the shared dev set when it is there (it is only ever scored,
        # never trained on), else by CoNLL's development split.
        spent = time.monotonic() - started
        fine_tune(nlp, train, seconds=minutes * 60 - spent, dev=dev or held_out, seed=seed, log=log)
        log(f"{HELD_OUT_FILE} after: {score(nlp, held_out)}")
        if dev:
            log(f"dev set after: {score(nlp, dev)}")
        nlp.meta.update({"name": "archive_entities", "version": "1.0.0"})
        nlp.to_disk(out)
        log(f"Saved to {out}.")
