"""Curation a newsroom can hand to its staff: every admin action and view as curators, viewers,
staff in neither group and a superuser; mistakes as messages, not 500s; corrections to one
article that outlast re-extraction; each change indexed once."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from archive.models import Article, ArticleCorrection, BlockedName, Entity, MergeRecord
from archive.permissions import CURATORS, VIEWERS
from tests.factories import article_form, make_article

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["curator", "viewer", "nobody", "superuser"]
MAY_CHANGE = {"curator": True, "viewer": False, "nobody": False, "superuser": True}


def login(client, role: str):
    if role == "superuser":
        user = User.objects.create_superuser("boss", password="a long passphrase")
    else:
        user = User.objects.create_user(role, password="a long passphrase", is_staff=True)
        group = {"curator": CURATORS, "viewer": VIEWERS}.get(role)
        if group:
            user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def entity(name: str) -> Entity:
    return Entity.objects.get(name=name)


def post_action(client, model: str, action: str, ids):
    url = reverse(f"admin:archive_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": list(ids)})


def offered_actions(client, model: str) -> set[str]:
    response = client.get(reverse(f"admin:archive_{model}_changelist"))
    if response.status_code != 200:
        return set()
    action_form = response.context.get("action_form")
    return (
        {name for name, _ in action_form.fields["action"].choices if name} if action_form else set()
    )


ACTIONS = [
    ("article", "reextract"),
    ("article", "reindex"),
    ("entity", "merge"),
    ("entity", "detach_everywhere"),
    ("entity", "block"),
    ("mergerecord", "undo"),
]


@pytest.mark.parametrize("role", ROLES)
def test_each_action_is_offered_and_runs_only_with_its_permission(client, newsroom, role):
    login(client, role)
    merged = Entity.objects.create(kind="person", name="R. Tavares", key="r tavares")
    record = MergeRecord.objects.create(
        old_id=merged.pk, old_name="R. Tavares", old_kind="person", survivor=entity("Rui Tavares")
    )
    merged.delete()
    targets = {
        "article": [Article.objects.first().pk],
        "entity": [entity("Helena Moura").pk, entity("H. Moura").pk],
        "mergerecord": [record.pk],
    }
    offered = {model: offered_actions(client, model) for model, _ in ACTIONS}
    for model, action in ACTIONS:
        assert (action in offered[model]) is MAY_CHANGE[role], (model, action)
    for model, action in ACTIONS:
        if action == "merge":
            continue  # a two-step form, below
        response = post_action(client, model, action, targets[model])
        if MAY_CHANGE[role]:
            assert response.status_code in (200, 302), (model, action)
        else:
            assert response.status_code == 403, (model, action)
    if not MAY_CHANGE[role]:
        # Nothing changed behind the refusals.
        assert Entity.objects.filter(name="Lisbon").exists()
        assert entity("Helena Moura").mentions.count() == 1
        assert not BlockedName.objects.exists() and MergeRecord.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_each_change_view_needs_its_permission(client, newsroom, role):
    login(client, role)
    moura = entity("Helena Moura")
    change = client.post(
        reverse("admin:archive_entity_change", args=[moura.pk]),
        {"name": "Helena Moura-Silva", "kind": "person", "aliases": ""},
    )
    duplicates_page = client.get(reverse("admin:archive_entity_duplicates"))
    dismissed = client.post(
        reverse("admin:archive_entity_duplicates"),
        {"first": moura.pk, "second": entity("H. Moura").pk, "dismiss": "1"},
    )
    added = client.post(
        reverse("admin:archive_entity_add"), {"name": "Ana Reis", "kind": "person", "aliases": ""}
    )
    article = Article.objects.get(title="Moura backs port fund")
    edited = client.post(
        reverse("admin:archive_article_change", args=[article.pk]),
        article_form(article, title="Moura backs the port fund"),
    )
    if MAY_CHANGE[role]:
        assert [r.status_code for r in (change, dismissed, added, edited)] == [302] * 4
        assert duplicates_page.status_code == 200
        assert Entity.objects.filter(name="Helena Moura-Silva").exists()
    else:
        assert [r.status_code for r in (change, duplicates_page, dismissed, added, edited)] == [
            403
        ] * 5
        assert entity("Helena Moura") and not Entity.objects.filter(name="Ana Reis").exists()


def test_viewers_see_no_control_that_changes_anything(client, newsroom):
    login(client, "viewer")
    page = client.get(reverse("admin:archive_entity_changelist")).content.decode()
    assert "Suggested duplicates" not in page
    assert 'name="action"' not in page
    assert (
        client.get(reverse("admin:archive_entity_change", args=[entity("Lisbon").pk])).status_code
        == 200
    )


# Mistakes are messages on the same page, never a 500.


def test_adding_a_name_that_exists_offers_the_existing_entity(client, newsroom):
    login(client, "curator")
    response = client.post(
        reverse("admin:archive_entity_add"), {"name": "lisbon ", "kind": "place", "aliases": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    lisbon = entity("Lisbon")
    assert "is already in the archive as a place" in page
    assert reverse("admin:archive_entity_change", args=[lisbon.pk]) in page
    assert Entity.objects.filter(key="lisbon").count() == 1


def test_a_name_without_letters_is_a_form_error(client, newsroom):
    login(client, "curator")
    moura = entity("Helena Moura")
    response = client.post(
        reverse("admin:archive_entity_change", args=[moura.pk]),
        {"name": "!!!", "kind": "person", "aliases": ""},
    )
    assert response.status_code == 200
    assert "A name needs letters or digits." in response.content.decode()
    assert entity("Helena Moura")


def test_aliases_are_one_name_a_line(client, newsroom):
    login(client, "curator")
    moura = entity("Helena Moura")
    url = reverse("admin:archive_entity_change", args=[moura.pk])
    page = client.get(url).content.decode()
    assert "one a line" in page
    response = client.post(
        url,
        {"name": "Helena Moura", "kind": "person", "aliases": "H. Moura Silva\n\nMoura, Helena\n"},
    )
    assert response.status_code == 302
    moura.refresh_from_db()
    assert moura.aliases == ["H. Moura Silva", "Moura, Helena"]
    bad = client.post(url, {"name": "Helena Moura", "kind": "person", "aliases": "ok\n???"})
    assert bad.status_code == 200 and "is not a name" in bad.content.decode()


# Suggested duplicates.


@pytest.fixture
def reagans():
    make_article("Reagan speaks", person=("Ronald Reagan", "Reagan"))
    make_article("First lady", person=("Nancy Reagan",))
    make_article("Reagan again", person=("Reagan",))
    make_article("Balaklia", place=("Balaklia",))
    make_article("Balakliya", place=("Balakliya",))
    make_article("Balakliya again", place=("Balakliya",))


def test_duplicates_are_searchable_paged_and_keep_the_fuller_name(client, reagans):
    login(client, "curator")
    url = reverse("admin:archive_entity_duplicates")
    response = client.get(url, {"q": "balak"})
    pairs = response.context["page"].object_list
    assert [{p.first.name, p.second.name} for p in pairs] == [{"Balaklia", "Balakliya"}]
    assert pairs[0].survivor.name == "Balakliya"
    page = response.content.decode()
    assert "(place, 1 article)" in page and "(place, 2 articles)" in page
    # The fuller name is chosen unless the curator picks the other.
    a, b = entity("Balaklia"), entity("Balakliya")
    client.post(url, {"first": a.pk, "second": b.pk, "survivor": a.pk, "merge": "1"})
    assert Entity.objects.filter(name="Balaklia").exists()
    assert not Entity.objects.filter(name="Balakliya").exists()


def test_a_surname_two_people_share_is_not_offered_to_either(client, reagans):
    login(client, "curator")
    pairs = client.get(reverse("admin:archive_entity_duplicates")).context["page"].object_list
    names = {frozenset((p.first.name, p.second.name)) for p in pairs}
    assert frozenset(("Reagan", "Ronald Reagan")) not in names
    assert frozenset(("Reagan", "Nancy Reagan")) not in names


def test_the_merge_form_defaults_to_the_fuller_name_and_shows_counts(client, reagans):
    login(client, "curator")
    response = post_action(
        client, "entity", "merge", [entity("Reagan").pk, entity("Ronald Reagan").pk]
    )
    page = response.content.decode()
    assert "Reagan (person, 2 articles)" in page and "Ronald Reagan (person, 1 article)" in page
    assert response.context["form"]["survivor"].initial == entity("Ronald Reagan").pk


# Corrections to one article last.


@pytest.fixture
def reported():
    article = make_article(
        "Harbor deal signed",
        "Ana Ferreira signed the harbor deal in Lisbon with the Atlantic Dockworkers Union.",
    )
    Article.objects.filter(pk=article.pk).update(extraction_model="en_core_web_sm")
    call_command("reextract_entities", "--workers", "1", stdout=io.StringIO())
    return Article.objects.get(pk=article.pk)


def names(article) -> set[str]:
    return {m.entity.name for m in article.mentions.select_related("entity")}


def test_a_removal_and_an_addition_in_one_article_outlast_reextraction(client, reported):
    login(client, "curator")
    assert {"Ana Ferreira", "Lisbon"} <= names(reported)
    porto = Entity.objects.create(kind="place", name="Porto", key="porto")
    data = article_form(reported)
    rows = list(reported.mentions.select_related("entity").order_by("pk"))
    for i, m in enumerate(rows):
        if m.entity.name == "Lisbon":
            data[f"mentions-{i}-DELETE"] = "on"
    n = len(rows)
    data |= {
        "mentions-TOTAL_FORMS": n + 1,
        f"mentions-{n}-article": reported.pk,
        f"mentions-{n}-entity": porto.pk,
        f"mentions-{n}-kind": "place",
        f"mentions-{n}-count": 1,
    }
    url = reverse("admin:archive_article_change", args=[reported.pk])
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert "Lisbon" not in names(reported) and "Porto" in names(reported)

    post_action(client, "article", "reextract", [reported.pk])  # the admin action
    assert "Lisbon" not in names(reported) and "Porto" in names(reported)
    Article.objects.filter(pk=reported.pk).update(extraction_model="older")
    call_command("reextract_entities", "--workers", "1", stdout=io.StringIO())  # the command
    assert "Lisbon" not in names(reported) and "Porto" in names(reported)
    assert "Ana Ferreira" in names(reported)
    audit = {(c.name, c.removed) for c in ArticleCorrection.objects.all()}
    assert audit == {("Lisbon", True), ("Porto", False)}
    listed = client.get(reverse("admin:archive_articlecorrection_changelist")).content.decode()
    assert "Lisbon" in listed and "Porto" in listed


def test_a_kind_change_in_an_article_says_it_refiles_the_entity_everywhere(client, newsroom):
    login(client, "curator")
    article = Article.objects.get(title="Moura backs port fund")
    data = article_form(article)
    for i, m in enumerate(article.mentions.select_related("entity").order_by("pk")):
        if m.entity.name == "Lisbon":
            data[f"mentions-{i}-kind"] = "organization"
    url = reverse("admin:archive_article_change", args=[article.pk])
    assert "re-files this entity in every article" in client.get(url).content.decode()
    response = client.post(url, data, follow=True)
    assert "Lisbon is now filed as organization in all 2 articles" in response.content.decode()


# One indexing trigger.


@pytest.fixture
def index_updates(monkeypatch):
    from search.engines.whoosh.backend import ArchiveWhooshSearchBackend

    calls = []
    original = ArchiveWhooshSearchBackend.prepare_documents

    def counted(self, index, articles):
        articles = list(articles)
        calls.append(sorted(a.pk for a in articles))
        return original(self, index, articles)

    monkeypatch.setattr(ArchiveWhooshSearchBackend, "prepare_documents", counted)
    return calls


def test_each_change_reaches_the_index_once(client, newsroom, index_updates):
    from archive import curation
    from archive.ingest import reextract_articles

    login(client, "curator")
    both = list(Article.objects.order_by("pk"))
    ids = [a.pk for a in both]

    curation.merge_entities(entity("Helena Moura"), [entity("H. Moura")])
    assert index_updates == [[both[1].pk]]  # the one article the merge touched

    index_updates.clear()
    curation.detach_entity(entity("Lisbon"))
    assert index_updates == [ids[:2]]  # the two articles that named Lisbon

    index_updates.clear()
    article = both[0]
    data = article_form(article, title="Dock strike halts the Lisbon port")
    data["mentions-0-DELETE"] = "on"
    url = reverse("admin:archive_article_change", args=[article.pk])
    assert client.post(url, data).status_code == 302
    assert index_updates == [[article.pk]]

    index_updates.clear()
    reextract_articles(both, workers=1)
    assert index_updates == [ids]


# The ways in: import jobs, feeds, API tokens.

MAY_IMPORT = MAY_CHANGE
MAY_SEE_INTAKE = {"curator": True, "viewer": True, "nobody": False, "superuser": True}


@pytest.mark.parametrize("role", ROLES)
def test_import_jobs_feeds_and_tokens_as_each_role(client, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from archive.models import ApiToken, Feed, ImportJob

    login(client, role)
    other = User.objects.create_user("someone")
    job = ImportJob.objects.create(label="queued one", urls="https://example.org/a")
    feed = Feed.objects.create(url="https://example.org/feed.xml", active=False)

    add = client.get(reverse("admin:archive_importjob_add"))
    assert (add.status_code == 200) is MAY_IMPORT[role]
    upload = SimpleUploadedFile("one.jsonl", b'{"body": "Ferry crews were hired in Tromso."}')
    client.post(reverse("admin:archive_importjob_add"), {"files": [upload], "urls": ""})
    assert ImportJob.objects.filter(label="one.jsonl").exists() is MAY_IMPORT[role]

    progress = client.get(reverse("admin:archive_importjob_change", args=[job.pk]))
    assert (progress.status_code == 200) is MAY_SEE_INTAKE[role]
    if progress.status_code == 200:
        assert ("Cancel the import" in progress.content.decode()) is MAY_IMPORT[role]
    client.post(reverse("admin:archive_importjob_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status == ImportJob.Status.CANCELLED) is MAY_IMPORT[role]

    assert ("poll_now" in offered_actions(client, "feed")) is MAY_IMPORT[role]
    forged = post_action(client, "feed", "poll_now", [feed.pk])
    assert (forged.status_code == 403) is not MAY_IMPORT[role]
    client.post(
        reverse("admin:archive_feed_add"),
        {
            "url": "https://example.org/other.xml",
            "title": "",
            "active": "on",
            "interval_minutes": 60,
            "entries-TOTAL_FORMS": 0,
            "entries-INITIAL_FORMS": 0,
        },
    )
    assert Feed.objects.filter(url="https://example.org/other.xml").exists() is MAY_IMPORT[role]

    tokens = client.get(reverse("admin:archive_apitoken_changelist"))
    assert (tokens.status_code == 200) is (role == "superuser")
    client.post(reverse("admin:archive_apitoken_add"), {"user": other.pk, "name": "cron"})
    assert ApiToken.objects.exists() is (role == "superuser")


def test_a_viewer_refused_a_curators_page_leaves_a_line_not_a_traceback(client, caplog):
    login(client, "viewer")
    with caplog.at_level("WARNING", logger="django.request"):
        response = client.get(reverse("admin:archive_entity_duplicates"))
    assert response.status_code == 403
    forbidden = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    assert forbidden and all(r.exc_info is None for r in forbidden)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("role", ROLES)
def test_a_merge_says_what_it_did_and_undoes_from_its_message(client, newsroom, role):
    merger = User.objects.create_user("merger", password="a long passphrase", is_staff=True)
    merger.groups.add(Group.objects.get(name=CURATORS))
    client.force_login(merger)
    survivor, other = entity("Helena Moura"), entity("H. Moura")
    response = post_action(client, "entity", "merge", [survivor.pk, other.pk])
    assert response.status_code == 200  # the form: which one to keep, with counts
    response = client.post(
        reverse("admin:archive_entity_changelist"),
        {"action": "merge", "_selected_action": [survivor.pk, other.pk], "apply": "1",
         "survivor": survivor.pk},
        follow=True,
    )  # fmt: skip
    message = next(iter(response.context["messages"])).message
    record = MergeRecord.objects.get(old_id=other.pk)
    link = f"{reverse('admin:archive_mergerecord_undo')}?ids={record.pk}"
    assert f'Merged H. Moura into Helena Moura. <a href="{link}">Undo</a>' == message
    record_page = client.get(reverse("admin:archive_mergerecord_change", args=[record.pk]))
    assert "Undo this merge" in record_page.content.decode()

    client.logout()
    login(client, role)
    confirm = client.get(link)
    if not MAY_CHANGE[role]:
        assert confirm.status_code in {302, 403}
        assert client.post(link).status_code in {302, 403}
        assert not Entity.objects.filter(pk=other.pk).exists()
        return
    assert "H. Moura</strong> (Person) leaves" in confirm.content.decode()
    assert "taking back 1 article." in confirm.content.decode()
    assert Entity.objects.filter(pk=other.pk).count() == 0  # asking changes nothing
    done = client.post(link)
    assert done.status_code == 302 and entity("H. Moura").pk == other.pk
    assert entity("H. Moura").mentions.count() == 1
    assert "nothing to undo" in client.get(link).content.decode()
