"""How long a curator's click takes at 100,000 articles: merge, detach, block, kind change and
rename, through the admin (Django's test client, a superuser), on a copy of the scale-corpus
archive `bench/search_latency.py` builds; for entities of a typical size (named in up to
`--typical` articles) and for the most named. A merge, removal or block of more than
archive.curation.BACKGROUND_MENTIONS mentions is made by the worker, and an edit touching more
than search.signals.FOREGROUND_INDEX_LIMIT articles is indexed by it; `--index` then runs
those tasks here, as the worker's curation lane would, and times them.

Usage: .venv/bin/python bench/curation_latency.py [--articles 100000] [--typical 1000] [--index]
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
    parser.add_argument("--typical", type=int, default=1000, help="articles of a typical entity")
    parser.add_argument("--index", action="store_true", help="then run the worker's indexing")
    args = parser.parse_args()
    source = ROOT / "bench" / "out" / "http" / f"data-{args.articles}"
    if not source.exists():
        raise SystemExit(f"Build it first: bench/search_latency.py --articles {args.articles}")
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.copytree(source, OUT, ignore=shutil.ignore_patterns("static"))
    os.environ.update({"ARCHIVE_DATA_DIR": str(OUT), "DEBUG": "true", "ALLOWED_HOSTS": "*"})
    from _django import setup

    setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)  # an archive built by an earlier version
    User.objects.filter(username="bench-curator").delete()
    client = Client()
    client.force_login(User.objects.create_superuser("bench-curator", password="x" * 20))
    changelist = reverse("admin:archive_entity_changelist")
    print(f"archive: {args.articles} articles; one click each, the admin's own request:")
    for size in (args.typical, None):
        orgs, places = named_about("organization", 3, size), named_about("place", 2, size)
        people = named_about("person", 1, size)
        counts = {e.name: e.n for e in [*orgs, *places, *people]}
        heading = f"entities named in up to {size} articles" if size else "the most named"
        print(f"{heading} (articles): {counts}")
        clicks(client, changelist, orgs, places, people)
    if args.index:
        index_queued()


def named_about(kind: str, n: int, articles: int | None) -> list:
    """The `n` entities of a kind named in most articles (up to `articles`, if given)."""
    from django.db.models import Count

    from archive.models import Entity

    found = Entity.objects.filter(kind=kind).annotate(n=Count("mentions"))
    if articles is not None:
        found = found.filter(n__lte=articles)
    return list(found.order_by("-n")[:n])


def timed(label: str, send) -> None:
    from django_tasks_db.models import DBTaskResult

    start = time.perf_counter()
    response = send()
    ms = (time.perf_counter() - start) * 1000
    assert response.status_code == 302, response.status_code  # done, not a form again
    queued = DBTaskResult.objects.filter(status="READY").count()
    print(f"  {label:<60} {ms:7.0f} ms   (tasks queued for the worker: {queued})", flush=True)


def clicks(client, changelist: str, orgs, places, people) -> None:
    from django.urls import reverse

    def action(name: str, entities, **extra):
        data = {"action": name, "_selected_action": [e.pk for e in entities], **extra}
        return lambda: client.post(changelist, data)

    def change(entity, **fields):
        url = reverse("admin:archive_entity_change", args=[entity.pk])
        data = {"name": entity.name, "kind": entity.kind, "aliases": "", **fields}
        return lambda: client.post(url, data)

    timed(
        f"merge {orgs[1].name} into {orgs[0].name}",
        action("merge", orgs[:2], apply="1", survivor=orgs[0].pk),
    )
    timed(f"remove {places[0].name} from all articles", action("detach_everywhere", places[:1]))
    timed(f"block {places[1].name}", action("block", places[1:2], apply="1"))
    timed(f"kind change of {people[0].name}", change(people[0], kind="organization"))
    timed(f"rename {orgs[2].name}", change(orgs[2], name=orgs[2].name + " Ltd"))


def index_queued() -> None:
    from django_tasks_db.models import DBTaskResult

    from archive.curation_tasks import curate_later
    from search.signals import index_later

    for result in DBTaskResult.objects.filter(status="READY", task_path__endswith="curate_later"):
        start = time.perf_counter()
        done = curate_later.call(*result.args_kwargs["args"])
        seconds = time.perf_counter() - start
        print(f"the worker's {done['action']} of {done['names'][:40]}: {seconds:.1f} s")
    start, total = time.perf_counter(), 0
    for result in DBTaskResult.objects.filter(status="READY", task_path__endswith="index_later"):
        total += index_later.call(*result.args_kwargs["args"])
    seconds = time.perf_counter() - start
    print(f"the worker's indexing of those edits: {total} articles in {seconds:.1f} s")


if __name__ == "__main__":
    main()
