from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.ingest import import_paths
from archive.priority import yield_to_web_server


class Command(BaseCommand):
    help = "Import articles from .txt, .jsonl, .html and .warc files or folders (also .gz)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders to import.")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes for entity extraction (default: one per core; 1 disables them).",
        )

    def handle(self, *args, paths, workers=None, **options):
        yield_to_web_server()
        # tqdm hides itself when stderr is not a terminal (CI, cron, pipes).
        with tqdm(unit=" records", disable=None, file=self.stderr._out) as bar:
            report = import_paths(
                paths,
                workers=workers,
                on_bad=lambda record: bar.write(f"skipped {record}", file=self.stderr._out),
                on_progress=lambda report: bar.update(1),
            )
        if report.unindexed:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
