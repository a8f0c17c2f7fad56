"""The demo tells the truth: its facets match what a reader finds in its articles."""

import io
import json
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse

from archive.ingest import import_paths
from tests.archive.demo_expected import DEMO_FACETS, demo_scores

DEMO = Path(__file__).resolve().parents[2] / "demo" / "articles.jsonl"
KINDS = ("person", "place", "organization")
# Measured: bench/RESULTS.md records the figure; a drop below this is a regression.
MIN_DEMO_F1 = 0.92


def dry_run() -> dict[int, dict[str, list[str]]]:
    out = io.StringIO()
    call_command("extract_entities", str(DEMO), "--workers", "1", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return {int(line["path"].rsplit(":", 1)[1]): line for line in lines}


def test_demo_articles_are_extracted_as_written_by_hand(db):
    assert set(dry_run()) == set(DEMO_FACETS)
    precision, recall, f1 = demo_scores(dry_run())
    assert f1 >= MIN_DEMO_F1, (precision, recall, f1)


def test_no_wrong_kind_in_the_top_ten_of_any_facet_on_the_home_page(client, db):
    import_paths([DEMO], workers=1)
    facets = client.get(reverse("search:api-search")).json()["facets"]
    for kind in KINDS:
        expected = {name for article in DEMO_FACETS.values() for name in article[kind]}
        top = [value["name"] for value in facets[kind][:10]]
        assert len(top) == 10 and set(top) <= expected, (kind, set(top) - expected)
