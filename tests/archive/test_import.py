import gzip
import io
import json

import pytest
from django.core.management import call_command

from archive.ingest import import_paths
from archive.models import Article, Entity, Mention

pytestmark = pytest.mark.django_db

REPORT = {"person": ["Rui Tavares"], "place": ["Lisbon"], "organization": ["Port Authority"]}


def record(n, **fields):
    return {
        "title": f"Dock strike day {n}",
        "body": f"Dock workers in Lisbon stayed out for day {n}, said Rui Tavares.",
        "url": f"https://news.example.org/{n}",
        "source": "Harbor Gazette",
        "published": "2025-01-14T08:30:00",
        **fields,
    }


def test_jsonl_import_stores_every_field(write_jsonl):
    path = write_jsonl([record(1, author="Inês Carvalho", language="en")])
    report = import_paths([path])
    assert (report.imported, report.duplicates, report.bad) == (1, 0, [])
    article = Article.objects.get()
    assert article.title == "Dock strike day 1"
    assert article.source == "Harbor Gazette"
    assert article.author == "Inês Carvalho"
    assert article.published.isoformat() == "2025-01-14T08:30:00+00:00"
    assert article.url == "https://news.example.org/1"
    assert article.origin.endswith("articles.jsonl:1")
    assert article.extracted_at is not None and article.extraction_model


def test_supplied_entities_are_stored_instead_of_running_ner(write_jsonl):
    path = write_jsonl([record(1, entities=REPORT)])
    import_paths([path])
    article = Article.objects.get()
    assert article.extraction_model == "supplied"
    assert {(e.kind, e.name) for e in article.entities.all()} == {
        ("person", "Rui Tavares"),
        ("place", "Lisbon"),
        ("organization", "Port Authority"),
    }
    lisbon = Mention.objects.get(entity__name="Lisbon")
    start, end = lisbon.offsets[0]
    assert article.body[start:end] == "Lisbon"


def test_ner_runs_on_articles_without_entities(write_jsonl):
    path = write_jsonl([record(1)])
    import_paths([path])
    assert Entity.objects.filter(kind="person", name="Rui Tavares").exists()
    assert Entity.objects.filter(kind="place", name="Lisbon").exists()


def test_reimporting_the_same_file_changes_nothing(write_jsonl):
    path = write_jsonl([record(1), record(2)])
    import_paths([path])
    before = list(Article.objects.values_list("pk", "title", "content_hash"))
    mentions = Mention.objects.count()
    report = import_paths([path])
    assert (report.imported, report.duplicates) == (0, 2)
    assert list(Article.objects.values_list("pk", "title", "content_hash")) == before
    assert Mention.objects.count() == mentions


def test_same_url_or_same_content_is_a_duplicate(write_jsonl):
    same_url = record(2, url="https://news.example.org/1")
    same_body = record(3, url=None, body=record(1)["body"].upper())
    report = import_paths([write_jsonl([record(1), same_url, same_body])])
    assert (report.imported, report.duplicates) == (1, 2)


def test_bad_lines_are_reported_with_line_numbers_and_the_rest_imported(write_jsonl):
    path = write_jsonl(
        [
            record(1),
            '{"title": "broken", "body": ',
            json.dumps({"title": "No body here"}),
            "[1, 2, 3]",
            json.dumps(record(5, published="next Tuesday")),
            json.dumps(record(6, entities={"people": ["x"]})),
            record(7),
        ]
    )
    report = import_paths([path])
    assert report.imported == 2
    lines = {bad.origin.rsplit(":", 1)[1]: bad.message for bad in report.bad}
    assert set(lines) == {"2", "3", "4", "5", "6"}
    assert "broken JSON" in lines["2"]
    assert "no body" in lines["3"]
    assert "not an ISO date" in lines["5"]


def test_binary_and_wrongly_encoded_and_empty_files_are_reported(tmp_path, write_jsonl):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "latin1.txt").write_bytes("Café in Zürich reopens.".encode("latin-1"))
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n", encoding="utf-8")
    good = write_jsonl([record(1)], name="good.jsonl")
    report = import_paths([tmp_path])
    messages = {bad.origin.rsplit("/", 1)[1]: bad.message for bad in report.bad}
    assert "binary" in messages["image.txt"]
    assert "not UTF-8" in messages["latin1.txt"]
    assert "empty" in messages["empty.jsonl"]
    assert "empty" in messages["blank.txt"]
    assert report.imported == 1
    assert Article.objects.get().origin == f"{good}:1"


def test_missing_path_is_reported(tmp_path):
    report = import_paths([tmp_path / "nope.jsonl"])
    assert report.bad[0].message == "no such file or folder"


def test_a_failed_import_keeps_what_was_stored(write_jsonl):
    import_paths([write_jsonl([record(1)], name="first.jsonl")])
    report = import_paths([write_jsonl(["{not json"], name="second.jsonl")])
    assert len(report.bad) == 1
    assert Article.objects.count() == 1


def test_plain_text_without_title_line_gets_a_derived_title(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(
        "Dock workers in Lisbon walked off the job on Monday. The union said more.\n\n"
        "Shipping agents expect delays.\n",
        encoding="utf-8",
    )
    import_paths([path])
    article = Article.objects.get()
    assert article.title == "Dock workers in Lisbon walked off the job on Monday"
    assert article.body.startswith("Dock workers")


def test_plain_text_with_a_title_line_uses_it(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Lisbon dock strike ends\n\nDock workers returned on Monday.\n")
    import_paths([path])
    article = Article.objects.get()
    assert (article.title, article.body) == (
        "Lisbon dock strike ends",
        "Dock workers returned on Monday.",
    )


def test_gzipped_jsonl_is_read_and_truncated_gzip_reported(tmp_path):
    data = (json.dumps(record(1)) + "\n").encode()
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(data))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(data * 50)[:40])
    report = import_paths([tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"])
    assert report.imported == 1
    assert "gzip" in report.bad[0].message


HTML_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Flooding closes roads across Porto region | Harbor Gazette</title>
<meta property="og:title" content="Flooding closes roads across Porto region">
<meta property="og:site_name" content="Harbor Gazette">
<meta name="author" content="Tiago Reis">
<meta property="article:published_time" content="2025-10-22T09:00:00Z">
</head><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>Flooding closes roads across Porto region</h1>
<p>Heavy rain closed more than forty roads around Porto on Tuesday and forced the evacuation
of two villages along the Douro river, officials said in a statement.</p>
<p>Civil protection chief Ana Ferreira said rivers had risen faster than at any time since
2001, and that emergency teams from Lisbon had been sent north overnight.</p>
<p>Rail services between Porto and Lisbon were suspended for six hours while engineers
inspected bridges.</p></article>
<footer>Copyright Harbor Gazette. Subscribe now.</footer></body></html>"""


def test_html_page_yields_article_text_and_metadata(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    report = import_paths([path])
    assert report.bad == []
    article = Article.objects.get()
    assert article.title == "Flooding closes roads across Porto region"
    assert article.source == "Harbor Gazette"
    assert article.author == "Tiago Reis"
    assert article.published.date().isoformat() == "2025-10-22"
    assert "Ana Ferreira" in article.body
    assert "Sport" not in article.body and "Subscribe" not in article.body


def test_html_without_an_article_is_reported(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    report = import_paths([path])
    assert "no article text" in report.bad[0].message


def test_command_prints_a_summary_and_reports_bad_records(write_jsonl, capsys):
    path = write_jsonl([record(1), "{oops"])
    call_command("import_articles", str(path))
    out, err = capsys.readouterr()
    assert "Imported 1 article, skipped 0 duplicates, 1 bad record." in out
    assert f"{path}:2" in err


def test_extract_entities_prints_what_import_would_store_and_writes_nothing(write_jsonl, capsys):
    path = write_jsonl([record(1), record(2, entities=REPORT)])
    call_command("extract_entities", str(path))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["path"] for line in lines] == [f"{path}:1", f"{path}:2"]
    assert "Rui Tavares" in lines[0]["person"] and "Lisbon" in lines[0]["place"]
    assert lines[1]["organization"] == ["Port Authority"]
    assert Article.objects.count() == 0 and Entity.objects.count() == 0


def test_extract_entities_prints_the_kinds_the_archive_already_gives(write_jsonl, capsys):
    # A curator filed Sines as a place; the model alone calls it an organization here.
    sines = Entity.objects.create(kind="place", name="Sines", key="sines", curated=True)
    path = write_jsonl(
        [{"title": "Terminal", "body": "Sines Terminal expanded. Sines said profits rose."}]
    )
    call_command("extract_entities", str(path))
    printed = json.loads(capsys.readouterr().out)
    import_paths([path], workers=1)
    stored = {m.entity.kind: [m.entity.name] for m in Article.objects.get().mentions.all()}
    assert printed["place"] == ["Sines"] == stored["place"]
    assert {kind: printed[kind] for kind in stored} == stored
    assert sines.mentions.count() == 1


@pytest.mark.slow
def test_real_html_pages_import_with_titles(shared_data):
    pages = [p / "source.html" for p in (shared_data / "html-pages").iterdir() if p.is_dir()]
    report = import_paths(pages)
    assert report.imported + report.duplicates + len(report.bad) == len(pages)
    assert report.imported >= len(pages) - 2
    expected = json.loads((shared_data / "html-pages/cnn/expected-metadata.json").read_text())
    assert Article.objects.filter(title=expected["title"]).exists()


@pytest.mark.slow
def test_reuters_records_import_with_only_bodyless_records_lost(shared_data, tmp_path):
    source = shared_data / "reuters21578" / "articles.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()[:400]
    sample = tmp_path / "reuters.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_paths([sample])
    bodyless = sum(1 for line in lines if not (json.loads(line).get("body") or "").strip())
    assert {bad.message.split(":")[0] for bad in report.bad} <= {"no body"}
    assert len(report.bad) == bodyless
    assert report.imported + report.duplicates == len(lines) - bodyless


def test_the_import_command_runs_at_background_priority(write_jsonl, settings, monkeypatch):
    lowered = []
    monkeypatch.setattr("os.nice", lambda increment: lowered.append(increment))
    settings.BACKGROUND_NICENESS = 10
    call_command("import_articles", str(write_jsonl([record(1)])), stdout=io.StringIO())
    assert lowered == [10]
    settings.BACKGROUND_NICENESS = 0
    call_command("import_articles", str(write_jsonl([record(2)])), stdout=io.StringIO())
    assert lowered == [10]


def test_a_machine_that_refuses_a_lower_priority_still_imports(write_jsonl, settings, monkeypatch):
    def refuse(increment):
        raise PermissionError("not permitted")

    monkeypatch.setattr("os.nice", refuse)
    settings.BACKGROUND_NICENESS = 10
    out = io.StringIO()
    call_command("import_articles", str(write_jsonl([record(1)])), stdout=out)
    assert "Imported 1 article" in out.getvalue()


@pytest.mark.parametrize(
    "written, shown",
    [
        ("BP OIL RAISES OPERATING PROFIT", "BP Oil Raises Operating Profit"),
        ("EARLY MARCH OPEC OUTPUT", "Early March OPEC Output"),
        ("REGAN DEPARTURE MAKES 3RD VOLCKER TERM", "Regan Departure Makes 3rd Volcker Term"),
        ("U.S. TRADE DEFICIT WIDENS", "U.S. Trade Deficit Widens"),
        ("CPC INTERNATIONAL <CPC> SETS DIVIDEND", "CPC International <CPC> Sets Dividend"),
        ("Bp Oil raises profit", "Bp Oil raises profit"),  # not in capitals: left as written
    ],
)  # fmt: skip
def test_headlines_in_capitals_keep_acronyms_and_ordinals(written, shown):
    from archive.text import tidy_title

    assert tidy_title(written) == shown


def test_the_import_counts_records_done_against_a_known_total_and_lists_bad_ones_after(
    tmp_path, write_jsonl
):
    import io

    from django.core.management import call_command

    from archive.importers import count_records

    good = [{"title": f"Note {n}", "body": f"Harbor note number {n}."} for n in range(5)]
    bad = [f"{{broken {n}" for n in range(12)]
    path = write_jsonl(good + bad)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "a.txt").write_text("A short note about the harbor.")
    assert count_records([path]) == 17
    assert count_records([path, tmp_path / "more"]) == 18
    assert count_records([tmp_path / "x.warc"]) == 1  # missing: one bad record
    listing, err, out = tmp_path / "bad.txt", io.StringIO(), io.StringIO()
    call_command("import_articles", str(path), bad_records=listing, stdout=out, stderr=err)
    assert "Imported 5 articles" in out.getvalue() and "12 bad records" in out.getvalue()
    assert len(listing.read_text().splitlines()) == 12
    shown = [line for line in err.getvalue().splitlines() if line.startswith("bad: ")]
    assert len(shown) == 10 and f"All 12 bad records are in {listing}." in err.getvalue()
    err = io.StringIO()
    call_command("import_articles", str(path), stdout=io.StringIO(), stderr=err)
    assert "…and 2 more: list them all with --bad-records FILE." in err.getvalue()
