import json
import sys

from django.core.management.base import BaseCommand

from archive.training_data import curated_examples


class Command(BaseCommand):
    help = (
        "Write the curators' corrections (renames, kind changes, merges, per-article removals "
        "and additions, blocks) as entity-model training examples, one article a JSON line: "
        "text, spans [start, end, label] that are names, not_names [start, end] that are not."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", nargs="?", default="-", help="A file, or - for standard out.")

    def handle(self, *args, out: str, **options):
        stream = sys.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
        written = 0
        try:
            for example in curated_examples():
                stream.write(json.dumps(example.as_dict(), ensure_ascii=False) + "\n")
                written += 1
        finally:
            if stream is not sys.stdout:
                stream.close()
        self.stderr.write(f"{written} example{'s' * (written != 1)} from curated articles.")
