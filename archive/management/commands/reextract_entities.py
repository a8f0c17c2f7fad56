import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from archive.ingest import SUPPLIED_ENTITIES, reextract_articles
from archive.models import Article
from archive.signals import articles_changed


class Command(BaseCommand):
    help = (
        "Extract every article's entities again with the current curation (curated names, "
        "kinds and blocks), in batches. Interrupted, it resumes where it stopped; articles "
        "imported with their own entities keep them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="Articles per transaction.")
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument(
            "--restart", action="store_true", help="Start over instead of resuming."
        )

    def handle(self, *args, batch, workers=None, restart=False, **options):
        state = settings.DATA_DIR / "reextract-state.json"
        started = None
        if state.exists() and not restart:
            started = parse_datetime(json.loads(state.read_text())["started"])
            self.stdout.write(f"Resuming the re-extraction started at {started:%Y-%m-%d %H:%M}.")
            # The run may have died between a batch's commit and its indexing: index what
            # it did again, a batch at a time.
            redone = list(
                Article.objects.filter(extracted_at__gte=started).values_list("pk", flat=True)
            )
            for start in range(0, len(redone), batch):
                articles_changed.send(sender=Article, ids=redone[start : start + batch])
        if started is None:
            started = timezone.now()
            state.write_text(json.dumps({"started": started.isoformat()}))
        # Articles done in this run carry an extraction time after its start.
        todo = (
            Article.objects.exclude(extraction_model=SUPPLIED_ENTITIES)
            .filter(Q(extracted_at__lt=started) | Q(extracted_at__isnull=True))
            .order_by("pk")
        )
        done = 0
        with tqdm(total=todo.count(), unit=" articles", disable=None, file=self.stderr._out) as bar:
            while chunk := list(todo[:batch]):
                reextract_articles(chunk, workers=workers)
                done += len(chunk)
                bar.update(len(chunk))
        state.unlink(missing_ok=True)
        self.stdout.write(f"Re-extracted the entities of {done} articles.")
