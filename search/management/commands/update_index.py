"""Haystack's `update_index`, on whichever engine the archive runs: what the index lacks or
holds out of date is found and indexed, as `check_index` does."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Index what the search index lacks or holds out of date (same as check_index)."

    def handle(self, *args, **options):
        call_command("check_index", stdout=self.stdout, stderr=self.stderr)
