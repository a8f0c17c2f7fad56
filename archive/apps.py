from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self):
        from django.contrib import admin

        from archive.permissions import ensure_groups
        from archive.signin_throttle import AdminSignInForm  # also connects its receivers

        post_migrate.connect(ensure_groups, sender=self)
        admin.site.login_form = AdminSignInForm
