"""A curation too large for a request (merging, removing or blocking the most named entities)
goes to the worker: the curator's click answers at once with a page that follows it, and that
page ends with what the change did and its undo."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from archive import curation
from archive.models import BlockedName, Entity, Mention, MergeRecord
from archive.permissions import CURATORS
from tests.archive.test_admin_roles import MAY_CHANGE, ROLES, entity, login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def large(monkeypatch, settings):
    """Every change counts as large, so the newsroom's small entities take the worker's path;
    tasks wait for a worker, as in production."""
    monkeypatch.setattr(curation, "BACKGROUND_MENTIONS", 0)
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "imports", "curation"],
        }
    }


def run_worker() -> None:
    call_command("db_worker", queue_name="curation", batch=True, no_startup_delay=True)


def act(client, action: str, ids, **extra):
    url = reverse("admin:archive_entity_changelist")
    data = {"action": action, "_selected_action": list(ids), "apply": "1", **extra}
    return client.post(url, data)


def test_a_large_merge_runs_in_the_worker_and_its_page_ends_with_undo(client, newsroom, large):
    login(client, "curator")
    survivor, other = entity("Helena Moura"), entity("H. Moura")
    response = act(client, "merge", [survivor.pk, other.pk], survivor=survivor.pk)
    assert response.status_code == 302
    progress = response["Location"]
    waiting = client.get(progress).content.decode()
    assert "Waiting for the background worker" in waiting
    assert 'http-equiv="refresh"' in waiting
    assert Entity.objects.filter(pk=other.pk).exists()  # nothing changed before the worker

    run_worker()
    done = client.get(progress).content.decode()
    record = MergeRecord.objects.get(old_id=other.pk)
    undo = f"{reverse('admin:archive_mergerecord_undo')}?ids={record.pk}"
    assert f'Merged H. Moura into Helena Moura. <a href="{undo}">Undo</a>' in done
    assert 'http-equiv="refresh"' not in done
    assert not Entity.objects.filter(pk=other.pk).exists()
    assert survivor.mentions.count() == 2


def test_a_large_removal_and_block_run_in_the_worker(client, newsroom, large):
    login(client, "curator")
    lisbon, sines = entity("Lisbon"), entity("Sines")
    removal = act(client, "detach_everywhere", [lisbon.pk])["Location"]
    block = act(client, "block", [sines.pk])["Location"]
    assert Mention.objects.filter(entity__in=[lisbon, sines]).count() == 4
    run_worker()
    assert "Removed 1 entities from 2 mentions." in client.get(removal).content.decode()
    blocked = BlockedName.objects.get(name="Sines")
    undo = f"{reverse('admin:archive_blockedname_unblock')}?ids={blocked.pk}"
    page = client.get(block).content.decode()
    assert f'Blocked Sines: taken out of 2 articles. <a href="{undo}">Undo</a>' in page
    assert not Mention.objects.filter(entity__in=[lisbon, sines]).exists()


def test_a_change_that_can_no_longer_be_made_says_why(client, newsroom, large):
    login(client, "curator")
    survivor, other = entity("Helena Moura"), entity("H. Moura")
    progress = act(client, "merge", [survivor.pk, other.pk], survivor=survivor.pk)["Location"]
    survivor.delete()  # another curator got there first
    run_worker()
    page = client.get(progress).content.decode()
    assert "It did not finish: The entity to keep no longer exists; nothing merged." in page
    assert Entity.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_progress_page_is_for_those_who_may_curate(client, newsroom, large, role):
    starter = User.objects.create_user("starter", password="a long passphrase", is_staff=True)
    starter.groups.add(Group.objects.get(name=CURATORS))
    client.force_login(starter)
    lisbon = entity("Lisbon")
    progress = act(client, "detach_everywhere", [lisbon.pk])["Location"]
    client.logout()
    login(client, role)
    response = client.get(progress)
    assert (response.status_code == 200) == MAY_CHANGE[role]
    unknown = client.get(progress.replace(progress.split("/")[-2], "not-a-task"))
    assert unknown.status_code == (404 if MAY_CHANGE[role] else response.status_code)


def test_a_typical_change_still_answers_in_the_request(client, newsroom):
    login(client, "curator")
    lisbon = entity("Lisbon")
    response = act(client, "detach_everywhere", [lisbon.pk])
    assert response["Location"] == reverse("admin:archive_entity_changelist")
    assert not lisbon.mentions.exists()


def test_a_backend_that_runs_tasks_at_once_reports_in_the_message(client, newsroom, monkeypatch):
    monkeypatch.setattr(curation, "BACKGROUND_MENTIONS", 0)  # the test settings run tasks at once
    login(client, "curator")
    lisbon = entity("Lisbon")
    response = act(client, "detach_everywhere", [lisbon.pk])
    assert response["Location"] == reverse("admin:archive_entity_changelist")
    page = client.get(response["Location"]).content.decode()
    assert "Removed 1 entities from 2 mentions." in page
