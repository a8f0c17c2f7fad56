"""Run by `manage.py shell` in a child process: a curator edits in the admin while an import
runs. Prints, as JSON, the status of each admin request and how many articles were stored
before and after the edits."""

import json
import time

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from archive.models import Article, Entity
from tests.factories import article_form

started = time.monotonic()
while Article.objects.count() < 100 and time.monotonic() - started < 300:
    time.sleep(0.1)  # the import is under way
before = Article.objects.count()

user = User.objects.create_superuser("editor", password="a long passphrase")
client = Client(HTTP_HOST="localhost")
client.force_login(user)
agency = Entity.objects.get(name="Sines Port Agency")
full, short = Entity.objects.get(name="Helena Moura"), Entity.objects.get(name="H. Moura")
desk = Article.objects.get(title="Dock strike halts Lisbon port")
statuses = [
    client.post(
        reverse("admin:archive_entity_change", args=[agency.pk]),
        {"name": "Sines Port Authority", "kind": agency.kind, "aliases": ""},
    ).status_code,
    client.post(
        reverse("admin:archive_entity_changelist"),
        {
            "action": "merge",
            "_selected_action": [full.pk, short.pk],
            "apply": "1",
            "survivor": full.pk,
        },
    ).status_code,
]
changed = article_form(desk, title="Dock strike ends")
statuses.append(
    client.post(reverse("admin:archive_article_change", args=[desk.pk]), changed).status_code
)
print(json.dumps({"statuses": statuses, "before": before, "after": Article.objects.count()}))
