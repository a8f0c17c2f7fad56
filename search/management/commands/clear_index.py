"""Haystack's `clear_index`, on whichever engine the archive runs."""

from django.core.management.base import BaseCommand, CommandError

from search.engines import get_engine
from search.engines.base import EngineUnavailable


class Command(BaseCommand):
    help = "Empty the search index (the database keeps every article; check_index refills it)."

    def add_arguments(self, parser):
        parser.add_argument("--noinput", "--no-input", action="store_true", help="Do not ask.")

    def handle(self, *args, noinput=False, **options):
        engine = get_engine()
        if not noinput:
            answer = input(f"Empty the search index ({engine.location})? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was emptied.")
        try:
            engine.reset()
        except EngineUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("The search index is empty; refill it with: manage.py check_index")
