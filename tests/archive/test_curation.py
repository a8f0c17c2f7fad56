"""Curators fix entities in the admin; search, the API and later extraction follow at once."""

import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from archive.models import Article, BlockedName, Entity, MergeRecord
from archive.permissions import CURATORS, VIEWERS
from tests.factories import article_form, make_article

# Real commits: the index follows the admin in on_commit hooks, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def staff_client(client, group: str, name: str = "curator"):
    user = User.objects.create_user(name, password="a long passphrase", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def curator(client):
    return staff_client(client, CURATORS)


def facet(client, kind: str, **params) -> dict[str, int]:
    data = client.get("/api/search/", params).json()
    return {v["name"]: v["count"] for v in data["facets"][kind]}


def entity(name: str) -> Entity:
    return Entity.objects.get(name=name)


def change_entity(client, target: Entity, **changes):
    data = {"name": target.name, "kind": target.kind, "aliases": "\n".join(target.aliases)}
    data.update(changes)
    url = reverse("admin:archive_entity_change", args=[target.pk])
    return client.post(url, data)


def run_action(client, action: str, entities, **extra):
    data = {"action": action, "_selected_action": [e.pk for e in entities], **extra}
    return client.post(reverse("admin:archive_entity_changelist"), data)


def test_rename_shows_in_facets_and_keeps_old_name_as_alias(newsroom, curator):
    moura = entity("Helena Moura")
    response = change_entity(curator, moura, name="Helena Moura-Silva")
    assert response.status_code == 302
    assert facet(curator, "person")["Helena Moura-Silva"] == 1
    assert "Helena Moura" not in facet(curator, "person")
    moura.refresh_from_db()
    assert moura.aliases == ["Helena Moura"] and moura.curated
    assert LogEntry.objects.filter(object_id=str(moura.pk)).exists()


def test_reclassify_moves_the_entity_to_another_facet(newsroom, curator):
    sines = entity("Sines Port Agency")
    change_entity(curator, sines, kind="place")
    assert facet(curator, "place")["Sines Port Agency"] == 1
    assert "Sines Port Agency" not in facet(curator, "organization")


def test_merge_moves_articles_and_old_links_lead_to_the_survivor(newsroom, curator):
    full, short = entity("Helena Moura"), entity("H. Moura")
    page = run_action(curator, "merge", [full, short])
    assert page.status_code == 200 and b"Keep which entity?" in page.content
    run_action(curator, "merge", [full, short], apply="1", survivor=full.pk)

    assert facet(curator, "person")["Helena Moura"] == 2
    assert "H. Moura" not in facet(curator, "person")
    full.refresh_from_db()
    assert full.aliases == ["H. Moura"]
    old_page = curator.get(f"/entities/{short.pk}/")
    assert old_page.status_code == 301 and old_page.url == f"/entities/{full.pk}/"
    assert curator.get(f"/api/entities/{short.pk}/").url == f"/api/entities/{full.pk}/"
    bookmarked = curator.get("/api/search/", {"person": short.pk}).json()
    assert bookmarked["count"] == 2
    record = MergeRecord.objects.get(old_id=short.pk)
    assert record.merged_by.username == "curator" and len(record.mentions) == 1


def test_undo_merge_restores_the_entity_and_its_articles(newsroom, curator):
    full, short = entity("Helena Moura"), entity("H. Moura")
    run_action(curator, "merge", [full, short], apply="1", survivor=full.pk)
    record = MergeRecord.objects.get(old_id=short.pk)
    curator.post(
        reverse("admin:archive_mergerecord_changelist"),
        {"action": "undo", "_selected_action": [record.pk]},
    )
    assert facet(curator, "person") == {"Helena Moura": 1, "H. Moura": 1, "Rui Tavares": 1}
    assert Entity.objects.get(pk=short.pk).name == "H. Moura"
    assert entity("Helena Moura").aliases == []


def test_block_removes_the_name_and_extraction_never_returns_it(newsroom, curator):
    run_action(curator, "block", [entity("Lisbon")], apply="1")
    assert "Lisbon" not in facet(curator, "place")
    assert BlockedName.objects.filter(key="lisbon", kind="place").exists()
    make_article("Lisbon again", "Protesters marched through Lisbon and Porto on Sunday.")
    Article.objects.filter(title="Lisbon again").update(extraction_model="en_core_web_sm")
    call_command("reextract_entities", "--workers", "1", stdout=io.StringIO())
    assert "Lisbon" not in facet(curator, "place")
    assert "Porto" in facet(curator, "place")


def test_detach_from_one_article_in_its_admin_page(newsroom, curator):
    article = Article.objects.get(title="Moura backs port fund")
    data = article_form(article)
    for i, m in enumerate(article.mentions.select_related("entity").order_by("pk")):
        if m.entity.name == "Lisbon":
            data[f"mentions-{i}-DELETE"] = "on"
        if m.entity.name == "European Investment Bank":
            data[f"mentions-{i}-kind"] = "place"  # reclassified from the article's page
    response = curator.post(reverse("admin:archive_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert facet(curator, "place")["Lisbon"] == 1
    assert facet(curator, "place")["European Investment Bank"] == 1


def test_detach_everywhere_keeps_the_entity(newsroom, curator):
    run_action(curator, "detach_everywhere", [entity("Sines")])
    assert "Sines" not in facet(curator, "place")
    assert Entity.objects.filter(name="Sines").exists()


def test_suggested_duplicates_merge_and_dismiss(newsroom, curator):
    make_article("Balaklia retaken", place=("Balaklia",))
    make_article("Balakliya returns", place=("Balakliya",))
    page = curator.get(reverse("admin:archive_entity_duplicates"))
    text = page.content.decode()
    assert "Balakliya" in text and "Balaklia" in text and "H. Moura" in text
    first, second = entity("Helena Moura"), entity("H. Moura")
    curator.post(
        reverse("admin:archive_entity_duplicates"),
        {"first": first.pk, "second": second.pk, "dismiss": "1"},
    )
    pairs = curator.get(reverse("admin:archive_entity_duplicates")).context["page"].object_list
    assert {(s.first.name, s.second.name) for s in pairs} == {("Balaklia", "Balakliya")}
    a, b = entity("Balaklia"), entity("Balakliya")
    curator.post(
        reverse("admin:archive_entity_duplicates"),
        {"first": a.pk, "second": b.pk, "survivor": b.pk, "merge": "1"},
    )
    assert facet(curator, "place")["Balakliya"] == 2


def test_viewers_look_but_do_not_change(newsroom, client):
    staff_client(client, VIEWERS, name="viewer")
    moura = entity("Helena Moura")
    assert client.get(reverse("admin:archive_entity_changelist")).status_code == 200
    assert change_entity(client, moura, name="Someone Else").status_code == 403
    assert client.get(reverse("admin:archive_entity_duplicates")).status_code == 403
    moura.refresh_from_db()
    assert moura.name == "Helena Moura"


def test_admin_is_for_staff_only(client):
    User.objects.create_user("reader", password="a long passphrase")
    client.login(username="reader", password="a long passphrase")
    response = client.get(reverse("admin:archive_entity_changelist"))
    assert response.status_code == 302 and "/login/" in response.url


def test_reextract_resumes_after_an_interruption(settings):
    from datetime import timedelta

    from django.utils import timezone

    for title in ("Port reopens in Lisbon", "Rain in Porto", "Strike in Sines"):
        make_article(title, f"{title}. Maria Costa of the Lisbon Port Authority spoke.")
    Article.objects.update(extraction_model="en_core_web_sm")
    started = timezone.now() - timedelta(minutes=5)
    done = Article.objects.get(title="Rain in Porto")
    Article.objects.filter(pk=done.pk).update(extracted_at=started + timedelta(minutes=1))
    (settings.DATA_DIR / "reextract-state.json").write_text(
        json.dumps({"started": started.isoformat()})
    )
    call_command("reextract_entities", "--workers", "1", stdout=io.StringIO())
    assert Article.objects.get(pk=done.pk).extracted_at == started + timedelta(minutes=1)
    assert (
        Article.objects.filter(extracted_at__gt=timezone.now() - timedelta(minutes=1)).count() == 2
    )
    assert not (settings.DATA_DIR / "reextract-state.json").exists()


def test_sample_article_keeps_its_corrections_after_reextraction(shared_data, curator):
    from archive.ingest import import_paths

    sample = shared_data.parent / "samples" / "kharkiv-counteroffensive.txt"
    import_paths([sample], workers=1)
    # The article misspells the spokesman's name; the curator files it as it is spelt.
    change_entity(curator, Entity.objects.get(name="Igor Kanashenkov"), name="Igor Konashenkov")
    change_entity(curator, Entity.objects.get(name="Security Service of Ukraine"), kind="place")
    run_action(curator, "block", [Entity.objects.get(name="Foreign Ministry")], apply="1")

    article = Article.objects.get()
    curator.post(
        reverse("admin:archive_article_changelist"),
        {"action": "reextract", "_selected_action": [article.pk]},
    )
    assert "Igor Konashenkov" in facet(curator, "person")
    assert "Igor Kanashenkov" not in facet(curator, "person")
    assert "Security Service of Ukraine" in facet(curator, "place")
    assert "Foreign Ministry" not in facet(curator, "organization")


def test_kind_changed_on_an_article_page_merges_into_the_twin_of_that_kind(curator):
    article = make_article(
        "Sines terminal expands", place=("Sines",), organization=("Sines",), published=None
    )
    make_article("Sines harbour dredged", place=("Sines",), published=None)
    data = article_form(article)
    for i, m in enumerate(article.mentions.select_related("entity").order_by("pk")):
        if m.entity.kind == "organization":
            data[f"mentions-{i}-kind"] = "place"
    response = curator.post(reverse("admin:archive_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    sines = Entity.objects.get()
    assert sines.kind == "place" and sines.mentions.count() == 2
    assert article.mentions.get().count == 2  # both mentions, one row
    assert facet(curator, "place") == {"Sines": 2} and facet(curator, "organization") == {}


def test_block_says_what_it_takes_and_its_undo_gives_it_back(newsroom, curator):
    lisbon = entity("Lisbon")
    articles = sorted(lisbon.mentions.values_list("article_id", flat=True))
    confirm = run_action(curator, "block", [lisbon])
    assert confirm.status_code == 200
    assert f"Lisbon</strong> (Place): taken out of {len(articles)} articles" in (
        confirm.content.decode()
    )
    assert Entity.objects.filter(pk=lisbon.pk).exists()  # nothing done yet
    done = run_action(curator, "block", [lisbon], apply="1")
    assert done.status_code == 302 and not Entity.objects.filter(name="Lisbon").exists()
    assert "Lisbon" not in facet(curator, "place")
    blocked = BlockedName.objects.get(name="Lisbon")
    undo = f"{reverse('admin:archive_blockedname_unblock')}?ids={blocked.pk}"
    listing = curator.get(reverse("admin:archive_entity_changelist"))
    message = next(iter(listing.context["messages"]))
    assert f'<a href="{undo}">Undo</a>' in message.message
    assert "Lisbon</strong>: Lisbon back in 2 articles" in curator.get(undo).content.decode()
    assert curator.post(undo).status_code == 302
    back = entity("Lisbon")
    assert back.pk == lisbon.pk and not BlockedName.objects.filter(name="Lisbon").exists()
    assert sorted(back.mentions.values_list("article_id", flat=True)) == articles
    assert facet(curator, "place")["Lisbon"] == len(articles)


def test_suggested_duplicates_are_abbreviations_and_typos_not_neighbours():
    from archive.duplicates import suggest_duplicates

    groups = [
        ("place", ["Australia", "Austria", "Portland", "Poland", "Ireland", "Iceland"]),
        ("place", ["North America", "South America", "Balakliya"]),
        ("place", ["Balaklia"]),
        ("organization", ["GATT", "ATT", "EC", "European Community", "EC Commission"]),
        ("organization", ["IMF", "International Monetary Fund"]),
        ("organization", ["SEC", "Securities and Exchange Commission", "White House"]),
        ("organization", ["Exxon Corp"]),  # abbreviates to "EC", but never named beside it
        ("organization", ["White House", "New White House"]),
        ("person", ["Donald Regan", "Ronald Reagan"]),
    ]
    for n, (kind, names) in enumerate(groups):
        make_article(f"Wire {n}", **{kind: tuple(names)})
    make_article("More from the EC", organization=("EC",))
    pairs = {
        frozenset((s.first.name, s.second.name)): (s.reason, s.survivor.name)
        for s in suggest_duplicates()
    }
    assert pairs == {
        frozenset(("EC", "European Community")): ("abbreviation", "European Community"),
        frozenset(("IMF", "International Monetary Fund")): (
            "abbreviation",
            "International Monetary Fund",
        ),
        frozenset(("SEC", "Securities and Exchange Commission")): (
            "abbreviation",
            "Securities and Exchange Commission",
        ),
        frozenset(("Balakliya", "Balaklia")): ("similar spelling (94%)", "Balakliya"),
    }
