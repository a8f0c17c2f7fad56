"""Ten thousand hostile requests over every public URL of the site (GET with odd parameters,
POST with odd forms and bodies, as anonymous, reader and API-token callers): none is a 5xx."""

import json
import os
import random

import pytest
from django.contrib.auth.models import User
from django.test import Client

from archive.access import create_token
from search.alerts import save_search
from tests.factories import make_article
from tests.security.test_private import every_url

pytestmark = pytest.mark.django_db
REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "10000"))
PARAMETERS = [
    "q", "person", "place", "organization", "source", "exclude_person", "exclude_place",
    "person_op", "date_from", "date_to", "sort", "page", "offset", "contains", "size", "a", "b",
    "kind", "format", "names", "unit", "next", "digest", "name", "query", "facet", "limit",
]  # fmt: skip
NASTY = [
    "", "0", "-1", "1e9", "99999999999999999999999", "NaN", "[a TO z]", "*", "a*", "?", "~2",
    '"', "((((", "NOT AND \"", "title:x", "\x00", "\u202e", "e\u0301", "Ра", "<script>",
    "%00", "../../etc/passwd", "2025-02-30", "9999-12-31", "0001-01-01", "or", "and", "csv",
    " " * 5000, "x" * 3000, "ü" * 400, "\r\nBcc: x@evil.example", "1,2,3", "true", "{}",
]  # fmt: skip
BODIES = [
    b"", b"{}", b"[]", b"null", b"\xff\xfe", b"[" * 5000 + b"]" * 5000,
    json.dumps({"names": ["Tromsø"] * 3, "q": "ferry"}).encode(),
    json.dumps({"names": "not a list"}).encode(), json.dumps({"names": [{"a": 1}]}).encode(),
    json.dumps({"names": ["x" * 400]}).encode(), b'{"names": [' + b'"a",' * 6000 + b'"b"]}',
]  # fmt: skip


def _value(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(NASTY)
    if choice < 0.8:
        return str(rng.randint(-5, 10**6))
    return "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 20)))


@pytest.fixture
def site():
    article = make_article("Ferry strike", place=("Tromsø",), person=("Ingrid Solberg",))
    make_article("Harbour order", organization=("Nordlys Shipping",), place=("Tromsø",))
    reader = User.objects.create_user("reader", "r@example.org", "a long passphrase")
    saved = save_search(reader, "Ferries", "q=ferry")
    _, secret = create_token(reader, "fuzz")
    person = article.entities.get(kind="person")
    place = article.entities.get(kind="place")
    urls = [u for name, u in every_url(article, person, place).items()]
    urls += [saved.get_feed_url(), "/admin/login/", "/accounts/login/", "/static/x.css"]
    return urls, reader, secret


@pytest.mark.slow
def test_no_request_anywhere_is_a_server_error(site):
    urls, reader, secret = site
    rng = random.Random(20261202)
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(reader)
    bearer = {"Authorization": f"Bearer {secret}"}
    failures = []
    for n in range(REQUESTS):
        url = rng.choice(urls).split("?")[0]
        params = {rng.choice(PARAMETERS): _value(rng) for _ in range(rng.randint(0, 5))}
        client = anonymous if n % 3 else signed_in
        headers = bearer if n % 7 == 0 else {}
        if rng.random() < 0.7:
            response = client.get(url, params, headers=headers)
        elif rng.random() < 0.5:
            response = client.post(url, params, headers=headers)
        else:
            body = rng.choice(BODIES)
            response = client.post(url, body, content_type="application/json", headers=headers)
        if response.status_code >= 500:
            failures.append((response.status_code, url, params))
            if len(failures) >= 5:
                break
    assert not failures, failures
