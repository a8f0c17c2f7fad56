from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.retraining import ModelNotBetter, retrain


class Command(BaseCommand):
    help = (
        "Fine-tune the entity model in use on export_training_data's examples (with rehearsal "
        "on the archive's own articles), score it on the dev set before and after, and save "
        "it only if it is not worse there. The server and worker use it once restarted."
    )

    def add_arguments(self, parser):
        parser.add_argument("examples", help="export_training_data's JSON Lines file.")
        parser.add_argument("--seconds", type=float, default=300, help="Training time budget.")
        parser.add_argument(
            "--dev",
            default=str(settings.ENTITY_DEV_SET),
            help="Gold documents (JSON Lines: text, entities [{start, end, label}]).",
        )
        parser.add_argument(
            "--out", default=str(settings.RETRAINED_ENTITY_MODEL), help="Where to save it."
        )

    def handle(self, *args, examples: str, seconds: float, dev: str, out: str, **options):
        for path, what in ((examples, "examples"), (dev, "dev set")):
            if not Path(path).is_file():
                raise CommandError(f"No {what} at {path}.")
        try:
            before, after = retrain(
                Path(examples), Path(dev), Path(out), seconds=seconds, log=self.stdout.write
            )
        except ModelNotBetter as refused:
            raise CommandError(str(refused)) from None
        except ValueError as bad:
            raise CommandError(str(bad)) from None
        self.stdout.write(f"dev set before: {before}")
        self.stdout.write(f"dev set after:  {after}")
        self.stdout.write(f"Saved to {out}; restart the server and the worker to use it.")
