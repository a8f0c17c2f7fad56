"""The query box and every parameter survive anything a reader (or a bot) can send."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import make_article

pytestmark = pytest.mark.django_db

PARAMETERS = [
    "q", "person", "place", "organization", "source", "exclude_person", "exclude_place",
    "exclude_organization", "exclude_source", "person_op", "place_op", "date_from", "date_to",
    "sort", "page",
]  # fmt: skip
SYNTAX = st.sampled_from(
    ['"', "(", ")", "AND", "OR", "NOT", "-", "+", "*", "?", "~", "^", ":", "title:", "text:",
     "django_id:1", "[", "]", "{", "}", "\\", "/", "<script>", "'", "\x00", "\u202e", "e\u0301"]
)  # fmt: skip
WORDS = st.lists(
    st.one_of(SYNTAX, st.text(max_size=12), st.sampled_from(["harbor", "strike", "Lisbon"])),
    max_size=12,
).map(" ".join)
VALUES = st.one_of(
    WORDS,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["", "0", "-1", "1e9", "2025-02-30", "9999-12-31", "or", "and", "newest"]),
)
CLEAN = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def archive():
    make_article("Harbor strike in Lisbon", person=("Rui Tavares",), place=("Lisbon",))
    make_article("Ferry fares rise", organization=("Metro Transit Authority",))


def assert_handled(response, html: bool) -> None:
    assert response.status_code in {200, 400}, response.content[:300]
    if html:
        assert b"Traceback" not in response.content
    else:
        body = response.json()
        assert ("error" in body) if response.status_code == 400 else ("count" in body)


@CLEAN
@given(params=st.dictionaries(st.sampled_from(PARAMETERS), VALUES, max_size=6))
@example(params={"q": 'NOT AND "'})  # broke Whoosh's query parser: a 500 until then
def test_api_never_fails(archive, params):
    assert_handled(Client().get("/api/search/", params), html=False)


@CLEAN
@given(params=st.dictionaries(st.sampled_from(PARAMETERS), VALUES, max_size=6))
def test_search_page_never_fails(archive, params):
    assert_handled(Client().get("/", params), html=True)


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "((harbor", "harbor)", "AND", "OR OR", "NOT", "-", "*", "title:harbor",
     "x" * 10_000, "\x00", "harbor~2", "[a TO z]", "django_ct:archive.article"],
)  # fmt: skip
def test_awkward_queries(archive, query):
    assert_handled(Client().get("/api/search/", {"q": query}), html=False)
    assert_handled(Client().get("/", {"q": query}), html=True)


@pytest.mark.parametrize(
    "params",
    [{"page": "-1"}, {"page": "0"}, {"page": "999999999999"}, {"person": "987654321"},
     {"person": "-5"}, {"exclude_place": "abc"}, {"sort": "title"}, {"date_from": "yesterday"}],
)  # fmt: skip
def test_awkward_parameters(archive, params):
    response = Client().get("/api/search/", params)
    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert response.json()["error"]


def test_unknown_ids_are_404_not_500(archive):
    client = Client()
    assert client.get("/api/articles/999999/").status_code == 404
    assert client.get("/api/entities/999999/").status_code == 404
    assert client.get("/articles/999999/").status_code == 404
    assert client.get("/entities/999999/").status_code == 404


@pytest.mark.parametrize("params", [{"person": "²"}, {"page": "²"}, {"place": "①"}])
@pytest.mark.parametrize("url", ["/", "/api/search/", "/export.csv", "/export.jsonl"])
def test_unicode_digits_are_a_400_not_a_500(archive, url, params):
    assert Client().get(url, params).status_code == 400


@pytest.mark.parametrize("path", ["/export.html", "/export.csv%0d%0aX-Injected:1", "/export."])
def test_only_the_two_export_formats_exist(archive, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert "X-Injected" not in response.headers


def test_exported_cells_never_run_as_formulas():
    import csv
    import io

    hostile = ['=HYPERLINK("http://x")', "=cmd|' /C notepad'!A1", "+1", "-2", "@SUM(A1)"]
    make_article(hostile[0], organization=(hostile[1],), source=hostile[4])
    rows = list(csv.reader(io.StringIO(b"".join(Client().get("/export.csv")).decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert hostile[0] not in cells and "'" + hostile[0] in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


RANGES_AND_WILDCARDS = [
    "[a TO z]",
    "{a TO z}",
    "title:[a TO z]",
    "harbor [0 TO 9999999]",
    "a* OR b?",
]


@pytest.mark.parametrize("q", RANGES_AND_WILDCARDS)
def test_range_and_wildcard_syntax_is_read_as_words_on_every_engine(archive, q):
    from search.engines import reader_query

    stack, words = [reader_query.parse(q)], []
    while stack:
        node = stack.pop()
        if isinstance(node, reader_query.Words):
            words.extend(node.tokens)
        elif node is not None:
            stack.extend(node.children)
    assert words and all(w.replace(".", "").isalnum() for w in words)
    plain = " ".join(w for w in q.replace("*", " ").replace("?", " ").split() if w != "TO")
    answer = Client().get("/api/search/", {"q": q})
    assert_handled(answer, html=False)
    assert answer.json()["count"] <= Client().get("/api/search/", {"q": plain}).json()["count"]


def test_a_query_of_too_many_words_is_refused_with_the_reason(archive):
    words = " OR ".join(f"word{n}" for n in range(40))
    api = Client().get("/api/search/", {"q": words})
    assert api.status_code == 400
    assert "more than 64 words" in api.json()["error"]
    page = Client().get("/", {"q": words})
    assert page.status_code == 400 and b"more than 64 words" in page.content
    assert Client().get("/api/search/", {"q": "harbor strike Lisbon"}).json()["count"] == 1
