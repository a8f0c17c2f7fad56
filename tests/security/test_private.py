"""A private archive: every page, export and API needs a signed-in user or an API token."""

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from archive.access import create_token
from archive.models import ApiToken
from search.alerts import save_search
from tests.factories import make_article

# Open to all by design: signing in (and up), the admin's own sign-in, and a saved search's
# feed, whose secret address is its key.
OPEN = {"login", "signup", "saved-feed"}


def every_url(article, entity, other) -> dict[str, str]:
    """Each route of the site outside the admin, filled in with real objects."""
    arguments = {
        "pk": article.pk,
        "fmt": "csv",
        "facet": "person",
        "token": "some-feed-token",
    }
    urls = {}

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                names = pattern.pattern.regex.groupindex
                kwargs = {k: v for k, v in arguments.items() if k in names}
                if "entity" in name or name.endswith("api-entity"):
                    kwargs = {"pk": entity.pk}
                urls[name] = reverse(name, kwargs=kwargs)

    walk(get_resolver().url_patterns)
    urls["search:pair"] += f"?a={entity.pk}&b={other.pk}"
    urls["search:api-pair"] += f"?a={entity.pk}&b={other.pk}"
    urls["search:api-autocomplete"] += "?q=so"
    return urls


@pytest.fixture
def private(settings):
    settings.PRIVATE_ARCHIVE = True


@pytest.fixture
def site(db):
    article = make_article("Ferry strike", place=("Tromsø",), person=("Ingrid Solberg",))
    person = article.entities.get(kind="person")
    place = article.entities.get(kind="place")
    return article, person, place


def test_every_url_needs_a_sign_in_or_a_token(client, private, site):
    urls = every_url(*site)
    assert len(urls) > 25  # the walk found the routes, not a few
    reader = User.objects.create_user("reader", "r@example.org", "x")
    _, secret = create_token(reader, "script")
    for name, url in urls.items():
        if name.split(":")[-1] in OPEN:
            continue
        anonymous = client.get(url)
        if url.startswith("/api/"):
            assert anonymous.status_code == 401, name
            assert "private" in anonymous.json()["error"]
        else:
            assert anonymous.status_code == 302, name
            assert anonymous["Location"].startswith(reverse("login") + "?next="), name
        # With the token a script gets into the API and the exports (a POST-only route
        # answers 405); the pages are for people, who sign in.
        if name.startswith(("search:", "archive:")) and not name.endswith(("-saved", "-alert")):
            signed = client.get(url, headers={"Authorization": f"Bearer {secret}"})
            if url.startswith(("/api/", "/export.")):
                if name != "search:api-names":  # POST only
                    assert signed.status_code == 200, (name, signed.status_code)
            else:
                assert signed.status_code == 403, (name, signed.status_code)


def test_a_token_opens_the_api_until_it_is_revoked(client, private, site):
    reader = User.objects.create_user("reader", "r@example.org", "x")
    token, secret = create_token(reader, "nightly export")
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/search/", {"q": "ferry"}, headers=bearer).json()["count"] == 1
    assert client.get("/export.csv", headers=bearer).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert secret not in token.digest and token.prefix == secret[:8]

    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)
    refused = client.get("/api/search/", headers=bearer)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]
    assert client.get("/api/search/", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_signing_in_opens_the_pages(client, private, site):
    User.objects.create_user("reader", "r@example.org", "a long passphrase")
    response = client.post(
        reverse("login") + "?next=/", {"username": "reader", "password": "a long passphrase"}
    )
    assert response.status_code == 302
    assert client.get("/", {"q": "ferry"}).status_code == 200


def test_the_secret_feed_address_stays_readable_for_feed_readers(client, private, site):
    reader = User.objects.create_user("reader", "r@example.org", "x")
    saved = save_search(reader, "Ferries", "q=ferry")
    assert client.get(saved.get_feed_url()).status_code == 200


def test_an_open_archive_still_refuses_a_bad_token(client, site):
    assert client.get("/api/search/").status_code == 200
    assert client.get("/api/search/", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_admin_tokens_are_shown_once_and_revoked_by_an_action(admin_client, db):
    reader = User.objects.create_user("reader", "r@example.org", "x")
    response = admin_client.post(
        reverse("admin:archive_apitoken_add"), {"user": reader.pk, "name": "cron"}, follow=True
    )
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any(token.prefix in m and "not shown again" in m for m in shown)
    secret = next(m for m in shown if "not shown again" in m).split(": ")[1].split(" ")[0]
    assert (
        admin_client.get("/api/search/", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    admin_client.post(
        reverse("admin:archive_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert (
        admin_client.get("/api/search/", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_a_staff_members_token_opens_nothing_of_the_admin(client, db):
    boss = User.objects.create_superuser("boss", "b@example.org", "a long passphrase")
    _, secret = create_token(boss, "script")
    bearer = {"Authorization": f"Bearer {secret}"}
    from django.contrib import admin

    urls = ["/admin/", "/admin/login/", "/admin/password_change/"]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        urls.append(reverse(f"{prefix}_change", args=[1]))
    assert len(urls) > 20
    for url in urls:
        assert client.get(url, headers=bearer).status_code == 403, url
        assert client.post(url, {}, headers=bearer).status_code == 403, url
    csrf = client.get("/admin/login/", headers=bearer)
    assert "csrftoken" not in csrf.cookies
    created = client.post(
        "/admin/auth/user/add/",
        {"username": "mole", "password1": "x" * 20, "password2": "x" * 20},
        headers=bearer,
    )
    assert created.status_code == 403
    assert not User.objects.filter(username="mole").exists()
    assert client.get("/api/search/", headers=bearer).status_code == 200


def test_a_deactivated_readers_feed_is_gone(client, private, site):
    reader = User.objects.create_user("reader", "r@example.org", "x")
    saved = save_search(reader, "Ferries", "q=ferry")
    make_article("Ferry crews hired", body="The ferry company hired crews.")
    assert client.get(saved.get_feed_url()).status_code == 200
    reader.is_active = False
    reader.save()
    gone = client.get(saved.get_feed_url())
    assert gone.status_code == 404
    assert b"Ferry crews hired" not in gone.content
