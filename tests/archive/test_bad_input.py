"""Bad files get a clear message naming the file (and line); the rest of the batch imports, and
nothing already stored changes."""

import time
from pathlib import Path

import pytest

from archive.ingest import import_paths
from archive.models import Article, Mention
from tests.factories import make_article

pytestmark = pytest.mark.django_db

BAD_INPUT = Path(__file__).resolve().parent.parent / "bad_input"
EXPECTED = {
    "binary.txt": "binary file",
    "nul-in-text.txt": "binary file",
    "empty.txt": "empty",
    "entity-bomb.html": "no article text",
    "no-article.html": "no article text",
    "latin1.txt": "not UTF-8",
    "mixed-encoding.jsonl:2": "not UTF-8",
    "nested.jsonl:1": "nested too deeply",
    "nested.jsonl:2": "broken JSON",
    "truncated.jsonl.gz": "truncated gzip",
}


def snapshot() -> list[tuple]:
    return [
        (a.pk, a.title, a.body, a.content_hash, sorted(a.mentions.values_list("entity", "count")))
        for a in Article.objects.order_by("pk")
    ]


def test_every_bad_file_is_named_and_the_rest_imports():
    make_article("Lisbon dock strike begins", person=("Rui Tavares",), place=("Lisbon",))
    before = snapshot()
    start = time.monotonic()
    report = import_paths([BAD_INPUT], workers=1)
    assert time.monotonic() - start < 60  # the entity bomb is not expanded

    reported = {str(bad.origin).split("bad_input/")[1]: bad.message for bad in report.bad}
    assert set(reported) == set(EXPECTED)
    for origin, words in EXPECTED.items():
        assert words in reported[origin], (origin, reported[origin])

    titles = set(Article.objects.values_list("title", flat=True))
    assert {"Harbour fees rise", "Ferry resumes", "Pilots strike", "Tide table 0"} <= titles
    assert "Dredging starts in Setúbal" in titles
    assert report.imported == len(titles) - 1
    assert snapshot()[: len(before)] == before  # what was stored is untouched


def test_control_and_bidi_characters_are_removed_but_scripts_and_accents_stay():
    import_paths([BAD_INPUT / "control-chars.txt", BAD_INPUT / "rtl-combining.jsonl"], workers=1)
    dredging = Article.objects.get(title="Dredging starts in Setúbal")
    assert not any(ord(c) < 32 and c != "\n" for c in dredging.body)
    haifa = Article.objects.get(title__contains="Port of Haifa")
    assert "\u202e" not in haifa.title and "\u202e" not in haifa.body
    assert "נמל חיפה" in haifa.body and "Háifä" in haifa.body  # combining marks composed (NFC)


def test_a_50_mb_line_is_refused_without_reading_it_all_into_an_article(tmp_path):
    huge = tmp_path / "huge.jsonl"
    with huge.open("w") as out:
        out.write('{"title": "Huge", "body": "' + "harbor " * (50 * 1024 * 1024 // 7) + '"}\n')
        out.write('{"title": "Small", "body": "A small report from the harbor in Porto today."}\n')
    report = import_paths([huge], workers=1)
    assert [
        (str(b.origin).endswith("huge.jsonl:1"), "larger than" in b.message) for b in report.bad
    ] == [(True, True)]
    assert list(Article.objects.values_list("title", flat=True)) == ["Small"]
    assert not Mention.objects.filter(article__title="Huge").exists()
