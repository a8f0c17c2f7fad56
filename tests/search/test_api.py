import json

import pytest

from archive.models import Entity
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    make_article(
        "Dock strike begins",
        person=("Rui Tavares",),
        place=("Lisbon",),
        organization=("Atlantic Dockworkers Union",),
        url="https://news.example.org/1",
    )
    make_article("Floods in Porto", person=("Helena Moura",), place=("Porto",))


def test_search_api_schema(client, articles):
    data = client.get("/api/search/", {"q": "strike"}).json()
    assert set(data) >= {"count", "page", "results", "facets"}
    assert data["count"] == 1 and data["page"] == 1
    (result,) = data["results"]
    assert set(result) >= {
        "id",
        "title",
        "url",
        "source",
        "published",
        "snippet",
        "person",
        "place",
        "organization",
    }
    assert result["person"] == [
        {"id": Entity.objects.get(name="Rui Tavares").pk, "name": "Rui Tavares"}
    ]
    assert set(data["facets"]) == {"person", "place", "organization", "source", "date"}
    (person,) = data["facets"]["person"]
    assert set(person) == {"id", "name", "count", "selected", "excluded"}
    assert data["facets"]["source"][0]["name"] == "Harbor Gazette"


def test_search_api_filters_by_id(client, articles):
    porto = Entity.objects.get(name="Porto").pk
    data = client.get("/api/search/", {"place": porto}).json()
    assert [r["title"] for r in data["results"]] == ["Floods in Porto"]
    assert data["facets"]["place"][0] == {
        "id": porto,
        "name": "Porto",
        "count": 1,
        "selected": True,
        "excluded": False,
    }


@pytest.mark.parametrize(
    "query",
    [
        {"person": "Rui"},
        {"page": "-1"},
        {"page": "0"},
        {"sort": "random"},
        {"date_from": "yesterday"},
        {"date_from": "2025-02-01", "date_to": "2025-01-01"},
        {"person_op": "xor"},
        {"q": "x" * 5000},
    ],
)
def test_malformed_parameters_are_a_400_with_a_message(client, articles, query):
    response = client.get("/api/search/", query)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    "q", ['"unbalanced', "((", "AND", "OR NOT", "*", "title:", "-", "a" * 900, "<script>"]
)
def test_odd_queries_never_fail(client, articles, q):
    assert client.get("/api/search/", {"q": q}).status_code == 200
    assert client.get("/", {"q": q}).status_code == 200


def test_article_and_entity_endpoints(client, articles):
    entity = Entity.objects.get(name="Rui Tavares")
    article = entity.articles.get()
    data = client.get(f"/api/articles/{article.pk}/").json()
    assert data["title"] == "Dock strike begins" and data["body"]
    entity_data = client.get(f"/api/entities/{entity.pk}/").json()
    assert entity_data["name"] == "Rui Tavares" and entity_data["articles"] == 1
    assert {r["name"] for r in entity_data["related"]} == {"Lisbon", "Atlantic Dockworkers Union"}
    assert client.get("/api/articles/999999/").status_code == 404


def test_autocomplete_finds_names_by_part(client, articles):
    data = client.get("/api/entities/autocomplete/", {"q": "tav", "kind": "person"}).json()
    assert [r["name"] for r in data["results"]] == ["Rui Tavares"]
    assert client.get("/api/entities/autocomplete/", {"kind": "planet"}).status_code == 400


def test_exports_hold_every_result(client, articles):
    csv_body = b"".join(client.get("/export.csv").streaming_content).decode()
    assert csv_body.splitlines()[0].startswith("id,title,url")
    assert len(csv_body.splitlines()) == 3
    lines = b"".join(client.get("/export.jsonl", {"q": "floods"}).streaming_content).splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Floods in Porto"]


def test_search_page_shows_results_facets_and_escapes_names(client):
    make_article("<script>alert(1)</script> headline", person=("<b>Eve</b> Smith",))
    page = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; headline" in page
    assert "&lt;b&gt;Eve&lt;/b&gt; Smith" in page


def test_search_page_bad_parameter_is_a_clear_400(client):
    response = client.get("/", {"person": "abc"})
    assert response.status_code == 400
    assert "entity ids" in response.content.decode()


def test_nothing_found_offers_a_way_back(client, articles):
    page = client.get("/", {"q": "zzzzqqq"}).content.decode()
    assert "Nothing found" in page and "Browse the whole archive" in page


def test_a_new_empty_archive_searches_to_nothing(client):
    body = client.get("/api/search/", {"q": "harbor"}).json()
    assert body["count"] == 0 and body["results"] == []
    assert client.get("/").status_code == 200
