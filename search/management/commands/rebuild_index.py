"""Haystack's `rebuild_index`, on whichever engine the archive runs: the database indexed
again from scratch, as `check_index --rebuild` does (Haystack's own command would write
documents without the fields the archive's engines add)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Empty the search index and index every article again (same as check_index --rebuild)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_true",
            help="Kept for Haystack's callers; nothing is asked.",
        )

    def handle(self, *args, **options):
        call_command("check_index", rebuild=True, stdout=self.stdout, stderr=self.stderr)
