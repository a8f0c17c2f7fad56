from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self):
        from archive.permissions import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)
