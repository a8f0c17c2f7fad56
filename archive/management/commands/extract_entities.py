import json

from django.core.management.base import BaseCommand

from archive.extraction import extract_many
from archive.importers import BadRecord, read_paths
from archive.ingest import entities_from_names
from archive.rules import apply_curation


class Command(BaseCommand):
    help = (
        "Print, as JSON lines, the people, places and organizations an import would store "
        "for each article in the given files. Writes nothing to the database."
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
        apply_curation()
        pairs = extract_many(
            self.articles(paths),
            text=lambda a: "" if a.entities is not None else a.body,
            workers=workers,
        )
        for article, entities in pairs:
            if article.entities is not None:
                entities = entities_from_names(article.body, article.entities)
            line = {"path": article.origin, "title": article.title}
            for kind in ("person", "place", "organization"):
                line[kind] = [e.name for e in entities if e.kind == kind]
            self.stdout.write(json.dumps(line, ensure_ascii=False))
