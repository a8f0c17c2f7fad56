"""Hostile input and faults, round two: no record sinks an import, no request hangs, a broken
index is an outage message, an import that cannot index says so. The inputs are made here."""

import gzip
import io
import json
import shutil
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from haystack import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.ingest import import_paths
from archive.models import Article, Entity
from tests.factories import make_article

pytestmark = pytest.mark.django_db

GOOD = {"title": "Harbor reopens", "body": "The harbor reopened on Monday.", "entities": {}}


def records_file(tmp_path: Path, records: list, name: str = "records.jsonl") -> Path:
    path = tmp_path / name
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    return path


def bad_reasons(report) -> dict[str, str]:
    return {record.origin.rsplit(":", 1)[-1]: record.message for record in report.bad}


# Records that used to sink an import.


def test_a_long_article_is_read_in_pieces_with_its_entities_kept(tmp_path, monkeypatch):
    from archive import extraction

    # The model refuses texts over max_length (spaCy's E088); shrink both so the test is quick.
    monkeypatch.setattr(extraction.get_pipeline(), "max_length", 5_000)
    monkeypatch.setattr(extraction, "PIECE_LENGTH", 4_000)
    filler = "The meeting went on for a long time and nothing was decided.\n\n" * 300
    body = filler + "Dock workers in Lisbon met Ana Ferreira in Porto to discuss the strike."
    path = records_file(tmp_path, [{"title": "Long minutes", "body": body}, GOOD])
    report = import_paths([path], workers=1)
    assert report.imported == 2 and not report.bad
    article = Article.objects.get(title="Long minutes")
    porto = article.mentions.get(entity__name="Porto")
    start, end = porto.offsets[0]
    assert article.body[start:end] == "Porto" and start > 15_000


def test_dates_past_the_calendar_are_refused_and_the_rest_imported(tmp_path):
    records = [
        {**GOOD, "body": "One.", "published": "9999-12-31T23:00:00-05:00"},
        {**GOOD, "body": "Two.", "published": "0001-01-01T00:00:00+05:00"},
        {**GOOD, "body": "Three.", "published": "2025-03-01T10:00:00+01:00"},
    ]
    report = import_paths([records_file(tmp_path, records)], workers=1)
    reasons = bad_reasons(report)
    assert set(reasons) == {"1", "2"}
    assert all("outside the years 1 to 9999" in reason for reason in reasons.values())
    assert Article.objects.get().published.year == 2025


def test_lone_surrogates_and_invisible_characters_are_removed(tmp_path):
    records = [
        '{"title": "Bad \\udc00 title", "body": "Text with a lone \\ud800 surrogate.",'
        ' "source": "Wire\\udfff"}',
        {
            "title": "\ufeffPort \u2066deal\u2069 \u200esigned\u200f",
            "body": "Ana met officials in Lisbon.",
            "entities": {"place": ["Lis\u200bbon", "Lisbon", "\u202eLisbon"]},
        },
    ]
    (tmp_path / "invisible.txt").write_text("\u200b\u200c\u200d\ufeff\u2060\n\u2066\u2069")
    report = import_paths([records_file(tmp_path, records), tmp_path / "invisible.txt"], workers=1)
    assert report.imported == 2
    assert [b.message for b in report.bad] == ["empty: no article text"]
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {"Bad title", "Port deal signed"}
    assert Article.objects.get(title="Bad title").source == "Wire"
    assert list(Entity.objects.values_list("name", flat=True)) == ["Lisbon"]


def test_a_name_too_long_or_made_of_look_alike_letters_is_refused_with_its_line(tmp_path):
    records = [
        {**GOOD, "body": "One.", "entities": {"person": ["A" * 301]}},
        {**GOOD, "body": "Two.", "entities": {"place": ["\u0420aris"]}},  # Cyrillic Р
        {**GOOD, "body": "Three.", "entities": {"place": ["Paris"]}},
    ]
    report = import_paths([records_file(tmp_path, records)], workers=1)
    reasons = bad_reasons(report)
    assert "longer than 300 characters" in reasons["1"]
    assert "look-alike" in reasons["2"]
    assert list(Entity.objects.values_list("name", flat=True)) == ["Paris"]


def test_an_extracted_look_alike_name_is_not_a_facet_value():
    from archive.extraction import extract_entities

    entities = extract_entities("The talks in \u0420aris ended. The talks in Paris began.")
    assert [e.name for e in entities if e.kind == "place"] == ["Paris"]


def test_a_line_that_expands_past_the_limit_is_refused_while_streaming(tmp_path, settings):
    from archive import importers

    path = tmp_path / "bomb.jsonl.gz"
    limit = importers.MAX_RECORD_BYTES
    with gzip.open(path, "wb") as handle:
        handle.write(b'{"body": "' + b"a" * (limit + 10) + b'"}\n')
        handle.write(json.dumps(GOOD).encode() + b"\n")
    report = import_paths([path], workers=1)
    assert report.imported == 1
    assert [b.origin.rsplit(":", 1)[-1] for b in report.bad] == ["1"]
    assert "record larger than" in report.bad[0].message


def _peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_web_archive_of_spaces_without_a_newline_is_refused_while_streaming(tmp_path):
    path = tmp_path / "spaces.warc.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(64):  # 512 MB of spaces, a few hundred KB on disk
            handle.write(b" " * (8 * 1024 * 1024))
    before = _peak_memory_mb()
    started = time.monotonic()
    report = import_paths([path], workers=1)
    assert report.bad_count == 1 and "header line longer than" in report.bad[0].message
    assert _peak_memory_mb() - before < 100
    assert time.monotonic() - started < 30


def test_millions_of_bad_lines_keep_counts_and_the_first_reasons_only(tmp_path):
    from archive.ingest import KEPT_BAD_RECORDS

    path = tmp_path / "empty-objects.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"{}\n" * 300_000)
        handle.write(json.dumps(GOOD).encode() + b"\n")
    report = import_paths([path], workers=1)
    assert report.imported == 1
    assert report.bad_count == 300_000
    assert len(report.bad) == KEPT_BAD_RECORDS
    assert "Imported 1 article, skipped 0 duplicates, 300000 bad records." in report.summary()


# Requests on a long article stay linear.


def test_a_5_mb_article_and_a_word_matched_everywhere(client):
    body = "the harbor strike went on and the workers met the press.\n\n" * 90_000
    article = make_article("Minutes", body=body[:5_000_000], place=("Lisbon",))
    response = client.get("/?q=harbor")
    assert response.status_code == 200 and "<mark>harbor</mark>" in response.content.decode()
    assert client.get(article.get_absolute_url()).status_code == 200


# A broken index is an outage message; an import that cannot index says so.


def reset_backend():
    backend = connections["default"].get_backend()
    backend.setup_complete = False
    backend._local.__dict__.clear()
    return backend


def test_a_missing_index_is_a_503_when_the_archive_has_articles(client, settings, tmp_path):
    assert client.get("/").status_code == 200  # an empty archive without an index is fine
    make_article("Harbor strike", place=("Lisbon",))
    backend = connections["default"].get_backend()
    shutil.rmtree(backend.path)
    reset_backend()
    response = client.get("/")
    assert response.status_code == 503
    assert "Search is unavailable" in response.content.decode()
    assert Client().get("/api/search/").status_code == 503
    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert "Repaired" in out.getvalue()
    assert client.get("/").status_code == 200


def test_a_garbage_table_of_contents_is_a_503(client):
    make_article("Harbor strike", place=("Lisbon",))
    backend = connections["default"].get_backend()
    for toc in Path(backend.path).glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 10)
    reset_backend()
    assert client.get("/?q=harbor").status_code == 503
    assert client.get("/api/search/?q=harbor").status_code == 503
    call_command("check_index", "--rebuild", stdout=io.StringIO())
    reset_backend()
    assert client.get("/api/search/?q=harbor").json()["count"] == 1


def test_an_import_that_cannot_index_says_so_and_exits_non_zero(tmp_path, monkeypatch):
    from search.engines.whoosh.backend import ArchiveWhooshSearchBackend

    def unwritable(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", self.path)

    monkeypatch.setattr(ArchiveWhooshSearchBackend, "write_documents", unwritable)
    path = records_file(tmp_path, [GOOD])
    with pytest.raises(CommandError, match=r"could not be indexed .*check_index"):
        call_command("import_articles", str(path), "--workers", "1", stdout=io.StringIO())
    assert Article.objects.count() == 1  # stored all the same


# No URL gives a 500.

SEGMENTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1", "0", "²", "①", "٣", "999999999999999999999", "-1", "%0d%0aX-Evil: 1",
                     "..", "%2e%2e", "csv", "jsonl", "html", "person", "place", "source"]),
)  # fmt: skip
PATHS = [
    "/articles/{}/", "/entities/{}/", "/api/articles/{}/", "/api/entities/{}/", "/facets/{}/",
    "/api/facets/{}/", "/export.{}", "/{}", "/api/{}/",
]  # fmt: skip
QUERY = st.dictionaries(
    st.sampled_from(["q", "person", "place", "source", "exclude_place", "page", "offset",
                     "contains", "search", "include", "date_from", "kind", "person_op"]),
    SEGMENTS,
    max_size=4,
)  # fmt: skip


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), segment=SEGMENTS, query=QUERY)
def test_no_public_url_answers_500(path, segment, query):
    from urllib.parse import quote

    url = path.format(quote(segment, safe="%"))
    response = Client(raise_request_exception=False).get(url, query)
    assert response.status_code < 500, (url, query, response.status_code)
