from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.importers import count_records
from archive.ingest import ImportReport, import_paths
from archive.priority import yield_to_web_server

SHOWN_BAD_RECORDS = 10  # listed after the summary; --bad-records writes them all


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
        parser.add_argument(
            "--bad-records",
            type=Path,
            help="Write every record that could not be imported to this file, one a line.",
        )

    def handle(self, *args, paths, workers=None, bad_records=None, **options):
        yield_to_web_server()
        listing = bad_records.open("w", encoding="utf-8") if bad_records else None
        # Records done (stored, or found duplicate or bad) against the total where it is known,
        # so tqdm can say how long is left. It hides itself when stderr is not a terminal.
        with tqdm(
            total=count_records(paths), unit=" records", disable=None, file=self.stderr._out
        ) as bar:

            def stored(report: ImportReport) -> None:
                done = report.imported + report.duplicates + report.bad_count + report.skipped
                bar.set_postfix_str(f"{report.imported} articles stored", refresh=False)
                bar.update(done - bar.n)

            try:
                report = import_paths(
                    paths,
                    workers=workers,
                    on_bad=(lambda record: listing.write(f"{record}\n")) if listing else None,
                    on_stored=stored,
                )
            finally:
                if listing:
                    listing.close()
            stored(report)
        self._bad_records(report, bad_records)
        if report.unindexed:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())

    def _bad_records(self, report: ImportReport, listing: Path | None) -> None:
        """The first bad records after the import, not scrolled past during it."""
        if not report.bad_count:
            return
        for record in report.bad[:SHOWN_BAD_RECORDS]:
            self.stderr.write(f"bad: {record}")
        if listing:
            self.stderr.write(f"All {report.bad_count} bad records are in {listing}.")
        elif report.bad_count > SHOWN_BAD_RECORDS:
            more = report.bad_count - SHOWN_BAD_RECORDS
            self.stderr.write(f"…and {more} more: list them all with --bad-records FILE.")
