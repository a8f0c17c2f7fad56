"""Who appears with whom: network, pair and name-list counts against the database's own."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from itertools import combinations

import pytest
from django.db.models import Count
from django.http import QueryDict

from archive.curation import merge_entities
from archive.models import Article, Entity, Mention
from search.exports import exported_articles
from search.query import parse_params
from tests.factories import make_article

pytestmark = pytest.mark.django_db

PEOPLE = ["Rui Tavares", "Helena Moura", "Inês Carvalho", "Tomás Reis", "Ana Lopes", "Jorge Sá"]
PLACES = ["Lisbon", "Porto", "Sines", "Faro", "Coimbra"]
ORGS = ["Atlantic Dockworkers Union", "Port Authority", "European Investment Bank", "Galp"]
SUBJECTS = [
    ("strike", "Dockworkers walked out over pay and the night shifts"),
    ("flood", "River water rose through the lower town after two days of rain"),
    ("budget", "The council argued over how to pay for the new terminal"),
    ("fire", "A warehouse fire closed the road to the container yard"),
]


@pytest.fixture
def archive():
    """Sixty short items over two years, each naming a few of the same people, places and
    organizations, so pairs overlap in many ways."""
    rng = random.Random(15)
    for n in range(60):
        word, sentence = rng.choice(SUBJECTS)
        month = rng.randint(1, 24)
        published = date(2024 + (month - 1) // 12, (month - 1) % 12 + 1, rng.randint(1, 28))
        make_article(
            f"{word.title()} report {n}",
            f"{sentence}. The {word} was the talk of the harbor, item {n}.",
            person=tuple(rng.sample(PEOPLE, rng.randint(0, 3))),
            place=tuple(rng.sample(PLACES, rng.randint(1, 2))),
            organization=tuple(rng.sample(ORGS, rng.randint(0, 2))),
            published=None if n == 7 else published.isoformat(),
        )


def entity(name: str) -> Entity:
    return Entity.objects.get(name=name)


def searches() -> list[dict]:
    lisbon, porto, faro = (entity(n).pk for n in ("Lisbon", "Porto", "Faro"))
    moura, union = entity("Helena Moura").pk, entity("Atlantic Dockworkers Union").pk
    return [
        {},
        {"q": "strike"},
        {"q": "strike OR flood", "place": lisbon},
        {
            "person": moura,
            "exclude_place": porto,
            "date_from": "2024-03-01",
            "date_to": "2025-06-30",
        },
        {"place": [lisbon, faro], "place_op": "or", "exclude_organization": union},
        {"place": [lisbon, porto]},
    ]


def result_ids(query: dict) -> set[int]:
    from django.http import QueryDict

    params = QueryDict(mutable=True)
    for key, value in query.items():
        params.setlist(key, [str(v) for v in (value if isinstance(value, list) else [value])])
    return {a.pk for a in exported_articles(parse_params(params))}


def articles_naming(entity_id: int, within: set[int]) -> set[int]:
    ids = Mention.objects.filter(entity_id=entity_id, article_id__in=within)
    return set(ids.values_list("article_id", flat=True))


def test_filter_only_searches_match_the_database(archive):
    # The result sets the counts below are checked over are themselves right.
    lisbon, porto = entity("Lisbon").pk, entity("Porto").pk
    moura = entity("Helena Moura").pk
    everything = set(Article.objects.values_list("pk", flat=True))
    assert result_ids({}) == everything
    expected = articles_naming(lisbon, everything) & articles_naming(porto, everything)
    assert result_ids({"place": [lisbon, porto]}) == expected
    dated = set(
        Article.objects.filter(published__date__range=("2024-03-01", "2025-06-30")).values_list(
            "pk", flat=True
        )
    )
    expected = (articles_naming(moura, everything) - articles_naming(porto, everything)) & dated
    assert result_ids(searches()[3]) == expected


@pytest.mark.parametrize("search", range(6))
def test_network_counts_are_the_databases(client, archive, search):
    query = searches()[search]
    within = result_ids(query)
    data = client.get("/api/network/", {**query, "size": 12}).json()
    assert data["articles"] == len(within)
    expected_counts = dict(
        Mention.objects.filter(article_id__in=within)
        .values("entity_id")
        .annotate(n=Count("article_id"))
        .values_list("entity_id", "n")
    )
    top = sorted(expected_counts.values(), reverse=True)[:12]
    assert sorted((n["count"] for n in data["nodes"]), reverse=True) == top
    for node in data["nodes"]:
        assert node["count"] == expected_counts[node["id"]]
        assert node["name"] == Entity.objects.get(pk=node["id"]).name
    edges = {(e["source"], e["target"]): e["count"] for e in data["edges"]}
    for a, b in combinations([n["id"] for n in data["nodes"]], 2):
        both = len(articles_naming(a, within) & articles_naming(b, within))
        assert edges.get((a, b), edges.get((b, a), 0)) == both


def test_network_kinds_and_size(client, archive):
    data = client.get("/api/network/", {"kinds": "place", "size": 3}).json()
    assert len(data["nodes"]) == 3
    assert {n["kind"] for n in data["nodes"]} == {"place"}
    people = client.get("/api/network/", {"kinds": "person,organization"}).json()
    assert {n["kind"] for n in people["nodes"]} == {"person", "organization"}
    assert len(people["nodes"]) == len(PEOPLE) + len(ORGS)


@pytest.mark.parametrize(
    "query",
    [{"size": "0"}, {"size": "101"}, {"size": "ten"}, {"kinds": "person,weather"}, {"person": "x"}],
)
def test_bad_network_options_are_explained(client, archive, query):
    response = client.get("/api/network/", query)
    assert response.status_code == 400
    assert response.json()["error"]
    page = client.get("/network/", query)
    assert page.status_code == 400 and b'role="alert"' in page.content


@pytest.mark.parametrize("search", [0, 1, 3])
def test_pair_counts_dates_and_series_are_the_databases(client, archive, search):
    query = searches()[search]
    within = result_ids(query)
    a, b = entity("Lisbon").pk, entity("Atlantic Dockworkers Union").pk
    if search == 3:
        a = entity("Helena Moura").pk
    data = client.get("/api/pair/", {**query, "a": a, "b": b}).json()
    both = articles_naming(a, within) & articles_naming(b, within)
    assert data["count"] == len(both)
    dates = sorted(
        d.date()
        for d in Article.objects.filter(pk__in=both).values_list("published", flat=True)
        if d
    )
    assert data["first"] == (dates[0].isoformat() if dates else None)
    assert data["last"] == (dates[-1].isoformat() if dates else None)
    by_month = {}
    for d in dates:
        key = d.replace(day=1).isoformat()
        by_month[key] = by_month.get(key, 0) + 1
    assert {s["start"]: s["count"] for s in data["series"] if s["count"]} == by_month
    assert all(s["unit"] == "month" for s in data["series"])
    newest = Article.objects.filter(pk__in=both).order_by("-published", "pk")[:20]
    assert [x["id"] for x in data["articles"]] == [x.pk for x in newest] or len(both) > 20


def test_pair_page_shows_both_timelines(client, archive):
    a, b = entity("Rui Tavares"), entity("Porto")
    page = client.get("/pair/", {"a": a.pk, "b": b.pk, "q": "strike"})
    assert page.status_code == 200
    text = page.content.decode()
    within = result_ids({"q": "strike"})
    count = len(articles_naming(a.pk, within) & articles_naming(b.pk, within))
    assert f'<strong class="pair-count">{count}</strong>' in text
    assert "Rui Tavares" in text and "Porto" in text and 'class="pair-months"' in text


@pytest.mark.parametrize(
    "query", [{"a": "1"}, {"a": "x", "b": "2"}, {"a": "999999", "b": "1"}, {"a": "5", "b": "5"}]
)
def test_bad_pairs_are_explained(client, archive, query):
    response = client.get("/api/pair/", query)
    assert response.status_code == 400 and response.json()["error"]


def test_merged_entities_count_as_their_survivor(client, archive):
    union, authority = entity("Atlantic Dockworkers Union"), entity("Port Authority")
    lisbon = entity("Lisbon").pk
    everything = set(Article.objects.values_list("pk", flat=True))
    expected = articles_naming(union.pk, everything) | articles_naming(authority.pk, everything)
    expected_with_lisbon = expected & articles_naming(lisbon, everything)
    merge_entities(union, [authority])

    data = client.get("/api/network/", {"kinds": "organization"}).json()
    counts = {n["id"]: n["count"] for n in data["nodes"]}
    assert counts[union.pk] == len(expected) and authority.pk not in counts
    # The old id leads to the survivor.
    pair = client.get("/api/pair/", {"a": authority.pk, "b": lisbon}).json()
    assert pair["a"]["id"] == union.pk and pair["count"] == len(expected_with_lisbon)
    names = client.post(
        "/api/names/", json.dumps({"names": ["Port Authority"]}), content_type="application/json"
    ).json()
    assert names["rows"][0]["entity"]["id"] == union.pk
    assert names["rows"][0]["count"] == len(expected)


def test_name_list_finds_folds_offers_and_counts(client, archive):
    query = searches()[1]
    within = result_ids(query)
    lines = ["ines carvalho", "PORTO", "Helena Mora", "Nobody Atall", "  ", "Lisbon"]
    data = client.post(
        "/api/names/", json.dumps({"names": lines, **query}), content_type="application/json"
    ).json()
    rows = data["rows"]
    assert [r["name"] for r in rows] == [
        "ines carvalho",
        "PORTO",
        "Helena Mora",
        "Nobody Atall",
        "Lisbon",
    ]
    assert rows[0]["entity"]["name"] == "Inês Carvalho"
    assert rows[1]["entity"]["name"] == "Porto"
    # A near spelling is offered, never chosen.
    assert rows[2]["entity"] is None
    assert [c["name"] for c in rows[2]["candidates"]][:1] == ["Helena Moura"]
    assert rows[3]["entity"] is None and rows[3]["candidates"] == []
    found = [r["entity"]["id"] if r["entity"] else None for r in rows]
    for i, row in enumerate(rows):
        if found[i]:
            assert row["count"] == len(articles_naming(found[i], within))
        for j in range(len(rows)):
            cell = data["matrix"][i][j]
            if found[i] and found[j]:
                both = articles_naming(found[i], within) & articles_naming(found[j], within)
                assert cell == len(both)
            else:
                assert cell is None


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "not JSON"),
        ('{"names": "Lisbon"}', "JSON object"),
        ('{"names": []}', "no names"),
        ('{"names": ["Lisbon"], "page": "x"}', "page"),
        (json.dumps({"names": ["x"] * 5001}), "at most 5000"),
    ],
)
def test_bad_name_lists_are_explained(client, archive, body, message):
    response = client.post("/api/names/", body, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_names_api_is_read_only(client, archive):
    assert client.get("/api/names/").status_code == 405
    before = (Entity.objects.count(), Mention.objects.count())
    client.post(
        "/api/names/", json.dumps({"names": ["New Person"]}), content_type="application/json"
    )
    assert (Entity.objects.count(), Mention.objects.count()) == before


def test_names_page_pastes_uploads_and_exports(client, archive):
    page = client.post("/names/", {"names": "Lisbon\nHelena Mora\n=cmd()", "format": "html"})
    text = page.content.decode()
    assert page.status_code == 200 and "2 of 3 found" not in text and "1 of 3 found" in text
    assert 'class="candidate' in text and "Helena Moura" in text

    upload = io.BytesIO(b"name\nPorto\nLisbon\n")
    upload.name = "names.csv"
    page = client.post("/names/", {"file": upload, "format": "html"})
    assert "2 of 2 found" in page.content.decode()

    download = client.post("/names/", {"names": "Lisbon\nPorto\n=cmd()", "format": "csv"})
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][:6] == ["name", "entity_id", "entity_name", "kind", "articles", "candidates"]
    assert rows[3][0] == "'=cmd()"  # a formula stays text in a spreadsheet
    everything = set(Article.objects.values_list("pk", flat=True))
    lisbon, porto = entity("Lisbon").pk, entity("Porto").pk
    both = articles_naming(lisbon, everything) & articles_naming(porto, everything)
    assert rows[1][4] == str(len(articles_naming(lisbon, everything)))
    assert rows[1][header_index(rows[0], "with Porto")] == str(len(both))


def header_index(header: list[str], name: str) -> int:
    return header.index(name)


def test_names_page_refuses_bad_files(client, archive):
    upload = io.BytesIO(b"\xff\xfe\x00bad")
    upload.name = "names.csv"
    page = client.post("/names/", {"file": upload})
    assert page.status_code == 400 and "UTF-8" in page.content.decode()


def test_network_page_links_nodes_to_filters_and_edges_to_pairs(client, archive):
    page = client.get("/network/", {"q": "strike"})
    text = page.content.decode()
    assert page.status_code == 200 and 'class="network-node' in text
    lisbon = entity("Lisbon").pk
    assert f"/network/?q=strike&amp;place={lisbon}" in text
    assert "/pair/?q=strike&amp;a=" in text
    search = client.get("/", {"q": "strike"}).content.decode()
    assert "/network/?q=strike" in search and "/names/?q=strike" in search


def test_entity_page_lists_connections_and_new_ones(client, archive):
    moura = entity("Helena Moura")
    everything = set(Article.objects.values_list("pk", flat=True))
    own = articles_naming(moura.pk, everything)
    shared = (
        Mention.objects.filter(article_id__in=own)
        .exclude(entity=moura)
        .values("entity_id")
        .annotate(n=Count("article_id"))
    )
    best = max(row["n"] for row in shared)
    page = client.get(f"/entities/{moura.pk}/")
    context = page.context
    assert context["connections"][0].count == best
    for connection in context["connections"]:
        expected = len(own & articles_naming(connection.entity.pk, everything))
        assert connection.count == expected
    # A first co-mention on the archive's last day is new; one from long ago is not.
    newcomer = make_article(
        "Moura meets the new harbor master",
        person=("Helena Moura", "Bruno Teles"),
        place=("Lisbon",),
        published="2025-12-30",
    )
    assert newcomer.pk
    fresh = client.get(f"/entities/{moura.pk}/").context["new_connections"]
    names = [c.entity.name for c in fresh]
    assert "Bruno Teles" in names and "Lisbon" not in names


@pytest.fixture
def crowded():
    """Sixty organizations with long names, a few places, and people named less often."""
    for n in range(60):
        make_article(
            f"Oil report {n}",
            person=(f"Analyst {n % 7}",) if n % 4 == 0 else (),
            place=(f"Oilfield {n % 5}",),
            organization=(
                f"International Petroleum Trading Company {n}",
                f"Gulf Refining Consortium {n % 20}",
            ),
        )


def _boxes(result):
    """Each node's circle and label as the page draws them (search/network.py's estimate)."""
    from search.network import LABEL_CHAR, LABEL_CHARS, LABEL_SIZE

    for node in result.nodes:
        half = max(node.radius, min(len(node.name), LABEL_CHARS) * LABEL_CHAR / 2)
        yield node, (node.x - half, node.y - node.radius, node.x + half,
                     node.y + node.radius + LABEL_SIZE + 4)  # fmt: skip


def test_a_crowded_network_draws_no_label_over_another_inside_the_drawing(crowded):
    from search.network import WIDTH, lay_out, network

    result = network(parse_params(QueryDict("q=oil")), size=60)
    lay_out(result)
    boxes = list(_boxes(result))
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        apart = (box_a[2] <= box_b[0] or box_b[2] <= box_a[0]
                 or box_a[3] <= box_b[1] or box_b[3] <= box_a[1])  # fmt: skip
        assert apart, (a.name, b.name)
    assert all(box[0] >= 0 and box[2] <= WIDTH and box[1] >= 0 for _, box in boxes)
    assert all(box[3] <= result.height for _, box in boxes)


def test_every_kind_has_a_share_of_the_network(crowded):
    from search.network import network

    result = network(parse_params(QueryDict("q=oil")), size=30)
    kinds = [node.kind for node in result.nodes]
    # Organizations alone fill the top 30 by count; people and places keep their share.
    assert kinds.count("person") == 5 and kinds.count("place") == 5
    assert len(kinds) == 30
