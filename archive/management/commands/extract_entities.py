import json

from django.core.management.base import BaseCommand

from archive.importers import BadRecord, read_paths
from archive.ingest import candidates_from, extracted_batches
from archive.models import EntityKind


class Command(BaseCommand):
    help = (
        "Print, as JSON lines, the people, places and organizations an import into this "
        "archive would store for each article in the given files. Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--workers", type=int, default=None)

    def articles(self, paths):
        for record in read_paths(paths):
            if isinstance(record, BadRecord):
                self.stderr.write(f"skipped {record}")
            else:
                yield record

    def handle(self, *args, paths, workers=None, **options):
        batches = extracted_batches(candidates_from(self.articles(paths)), workers=workers)
        for batch in batches:
            for candidate, entities in batch:
                line = {"path": candidate.raw.origin, "title": candidate.raw.title}
                for kind in EntityKind.values:
                    line[kind] = [e.name for e in entities if e.kind == kind]
                self.stdout.write(json.dumps(line, ensure_ascii=False))
