from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.consistency import (
    IndexUnreadable,
    find_drift,
    rebuild,
    remove_abandoned_staging,
    repair,
)
from search.engines.base import EngineUnavailable


class Command(BaseCommand):
    help = (
        "Compare the search index with the database: report articles missing from the index, "
        "index entries whose article is gone and entries with older content (text, date, "
        "entities), and repair all three. --rebuild indexes every "
        "article again from scratch (for a missing or damaged index, or a new engine)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
        parser.add_argument("--rebuild", action="store_true", help="Rebuild the whole index.")

    def handle(self, *args, dry_run=False, rebuild=False, **options):
        if rebuild:
            self._rebuild()
            return
        if not dry_run and (removed := remove_abandoned_staging()):
            self.stdout.write(f"Removed {removed} unfinished index segments of killed imports.")
        try:
            drift = find_drift()
        except IndexUnreadable as exc:
            raise CommandError(
                f"{exc} If it is damaged, rebuild it with: python manage.py check_index --rebuild"
            ) from exc
        if not drift:
            self.stdout.write("The index matches the database.")
            return
        self.stdout.write(
            f"{len(drift.missing)} articles missing from the index, "
            f"{len(drift.stale)} index entries whose article is gone, "
            f"{len(drift.outdated)} indexed with older content."
        )
        if dry_run:
            return
        try:
            repair(drift)
        except Exception as exc:  # a read-only or full index folder, say
            raise CommandError(
                f"Could not repair the index ({type(exc).__name__}: {exc}); nothing is repaired."
            ) from exc
        after = find_drift()
        if after:
            raise CommandError(f"Repair left {len(after.missing) + len(after.stale)} differences.")
        self.stdout.write("Repaired: the index matches the database.")

    def _rebuild(self):
        try:
            with tqdm(unit=" articles", disable=None, file=self.stderr._out) as bar:
                count = rebuild(on_progress=bar.update)
        except EngineUnavailable as exc:
            raise CommandError(f"Could not rebuild the index: {exc}") from exc
        self.stdout.write(f"Rebuilt the index with {count} articles.")
