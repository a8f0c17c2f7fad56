import sys
from itertools import chain
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.fetching import clean_url_lines, read_urls
from archive.ingest import import_records


class Command(BaseCommand):
    help = (
        "Fetch the pages of a list of URLs (one a line, # comments) and import them as "
        "articles; URLs the archive holds are not fetched again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A text file of URLs, or - for standard input.")

    def handle(self, *args, file, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        urls, bad_lines = clean_url_lines(text)
        with tqdm(total=len(urls) + len(bad_lines), unit=" URLs", disable=None) as bar:
            report = import_records(
                chain(bad_lines, read_urls(urls)),
                workers=1,
                on_bad=lambda record: bar.write(f"skipped {record}", file=self.stderr._out),
                on_progress=lambda report: bar.update(1),
            )
        if report.unindexed:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
