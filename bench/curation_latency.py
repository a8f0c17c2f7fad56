"""How long a curator's click takes at 100,000 articles: merge, detach, block, kind change and
rename of much-named entities, through the admin (Django's test client, a superuser), on a
copy of the scale-corpus archive `bench/search_latency.py` builds. Indexing of an edit that
touches more than search.signals.FOREGROUND_INDEX_LIMIT articles goes to the worker; the
script then runs that task itself and times it separately.

Usage: .venv/bin/python bench/curation_latency.py [--articles 100000]
"""

import argparse
import os
import shutil
import time

from _django import ROOT

OUT = ROOT / "bench" / "out" / "curation"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    source = ROOT / "bench" / "out" / "http" / f"data-{args.articles}"
    if not source.exists():
        raise SystemExit(f"Build it first: bench/search_latency.py --articles {args.articles}")
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.copytree(source, OUT, ignore=shutil.ignore_patterns("static"))
    os.environ.update({"ARCHIVE_DATA_DIR": str(OUT), "DEBUG": "true", "ALLOWED_HOSTS": "*"})
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    from _django import setup

    setup()
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from archive.models import Entity

    def most_named(kind: str, n: int) -> list[Entity]:
        found = Entity.objects.filter(kind=kind).annotate(n=Count("mentions"))
        return list(found.order_by("-n")[:n])

    User.objects.filter(username="bench-curator").delete()
    user = User.objects.create_superuser("bench-curator", password="x" * 20)
    client = Client()
    client.force_login(user)
    changelist = reverse("admin:archive_entity_changelist")

    def timed(label: str, send) -> None:
        start = time.perf_counter()
        response = send()
        ms = (time.perf_counter() - start) * 1000
        assert response.status_code == 302, response.status_code  # done, not a form again
        queued = DBTaskResult.objects.filter(status="READY").count()
        print(f"  {label:<52} {ms:7.0f} ms   (index tasks queued: {queued})", flush=True)

    orgs, places, people = (
        most_named("organization", 4),
        most_named("place", 3),
        most_named("person", 3),
    )
    counts = {e.name: e.n for e in [*orgs, *places, *people]}
    print(f"archive: {args.articles} articles; entities (articles): {counts}")
    print("one click each, the admin's own request:")
    timed(
        f"merge {orgs[1].name} into {orgs[0].name}",
        lambda: client.post(changelist, {"action": "merge", "apply": "1",
                                         "_selected_action": [orgs[0].pk, orgs[1].pk],
                                         "survivor": orgs[0].pk}),
    )  # fmt: skip
    timed(
        f"remove {places[0].name} from all articles",
        lambda: client.post(changelist, {"action": "detach_everywhere",
                                         "_selected_action": [places[0].pk]}),
    )  # fmt: skip
    timed(
        f"block {places[1].name}",
        lambda: client.post(changelist, {"action": "block", "_selected_action": [places[1].pk],
                                         "apply": "1"}),
    )  # fmt: skip
    change = reverse("admin:archive_entity_change", args=[people[0].pk])
    timed(
        f"kind change of {people[0].name} to organization",
        lambda: client.post(change, {"name": people[0].name, "kind": "organization",
                                     "aliases": ""}),
    )  # fmt: skip
    change = reverse("admin:archive_entity_change", args=[orgs[2].pk])
    timed(
        f"rename {orgs[2].name}",
        lambda: client.post(change, {"name": orgs[2].name + " Ltd", "kind": "organization",
                                     "aliases": ""}),
    )  # fmt: skip
    from search.signals import index_later

    start, total = time.perf_counter(), 0
    for result in DBTaskResult.objects.filter(status="READY", task_path__endswith="index_later"):
        total += index_later.call(*result.args_kwargs["args"])
    seconds = time.perf_counter() - start
    print(f"the worker's indexing of those edits: {total} articles in {seconds:.1f} s")


if __name__ == "__main__":
    main()
