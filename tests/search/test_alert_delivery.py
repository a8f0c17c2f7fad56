"""Alert mail that survives what goes wrong: a worker killed while sending, a mail server that
never answers, a reader's name built to add a header, one reader's mail refused."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from archive.models import Entity
from search import alerts
from search.alerts import enqueue_due_alerts, save_search, send_alerts
from search.models import SavedSearch
from tests.factories import make_article


@pytest.fixture
def reader(db):
    make_article("Ferry strike in Tromsø", place=("Tromsø",))
    return User.objects.create_user("reader", "reader@example.org", "a long passphrase")


def immediate_search(user, name="Ferries"):
    tromso = Entity.objects.get(name="Tromsø")
    return save_search(user, name, f"q=ferry&place={tromso.pk}", digest="immediate")


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler sees it."""


def test_a_worker_killed_while_sending_leaves_the_mail_to_the_next_run(reader, monkeypatch):
    saved = immediate_search(reader)
    make_article("Night ferry approved", place=("Tromsø",))

    def killed(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(alerts, "send_mail", killed)
        with pytest.raises(Killed):
            send_alerts.call()
    assert mail.outbox == []
    # While the dead worker's claim lasts, no other run sends it (no mail twice)...
    assert send_alerts.call() == 0
    # ...and once it expires, the next run does: the claimed mail is not lost.
    SavedSearch.objects.filter(pk=saved.pk).update(
        sending_until=timezone.now() - timedelta(seconds=1)
    )
    assert send_alerts.call() == 1
    assert send_alerts.call() == 0
    assert [m.subject for m in mail.outbox] == ["1 new article for “Ferries”"]


def test_a_killed_send_alerts_run_does_not_stop_the_next_one_being_queued(reader, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    immediate_search(reader)
    make_article("Night ferry approved", place=("Tromsø",))
    assert enqueue_due_alerts()
    # The worker that took it was killed: the task stays "running" for ever.
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert enqueue_due_alerts()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    assert not enqueue_due_alerts()  # one waiting run is enough


def test_a_name_built_to_add_a_header_is_mailed_on_one_line(reader, client):
    other = User.objects.create_user("other", "other@example.org", "a long passphrase")
    immediate_search(reader, name="Zz\r\nBcc: x@evil.example")
    immediate_search(other, name="Ferries")
    make_article("Night ferry approved", place=("Tromsø",))
    assert send_alerts.call() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["1 new article for “Ferries”", "1 new article for “Zz Bcc: x@evil.example”"]
    assert all(m.bcc == [] for m in mail.outbox)
    # The form that saves a search flattens the name before it is stored.
    client.force_login(other)
    tromso = Entity.objects.get(name="Tromsø")
    client.post(
        "/my/searches/",
        {"name": "Aa\nCc: y@evil.example", "query": f"place={tromso.pk}", "digest": ""},
    )
    assert SavedSearch.objects.filter(user=other, name="Aa Cc: y@evil.example").exists()


def test_one_readers_refused_mail_fails_only_that_mail(reader, monkeypatch):
    other = User.objects.create_user("other", "other@example.org", "a long passphrase")
    immediate_search(reader)
    immediate_search(other)
    make_article("Night ferry approved", place=("Tromsø",))
    real = alerts.send_mail

    def refuse_one(subject, body, sender, to):
        if to == ["reader@example.org"]:
            raise OSError("550 mailbox unavailable")
        return real(subject, body, sender, to)

    monkeypatch.setattr(alerts, "send_mail", refuse_one)
    assert send_alerts.call() == 1
    assert [m.to for m in mail.outbox] == [["other@example.org"]]
    monkeypatch.setattr(alerts, "send_mail", real)
    assert send_alerts.call() == 1  # tried again, and sent once it is accepted
    assert sorted(m.to[0] for m in mail.outbox) == ["other@example.org", "reader@example.org"]


def test_a_mail_server_that_never_answers_does_not_hold_the_worker(reader, settings):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never says hello
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 1
    saved = immediate_search(reader)
    make_article("Night ferry approved", place=("Tromsø",))
    started = time.monotonic()
    try:
        assert send_alerts.call() == 0
    finally:
        silent.close()
    assert time.monotonic() - started < 10
    saved.refresh_from_db()
    assert saved.sending_until is None  # let go at once, to be tried at the next run
    assert saved.mailed_up_to_id < alerts.newest_id()


SAVE_IMMEDIATE_SEARCH = """
from django.contrib.auth.models import User
from archive.models import Entity
from search.alerts import save_search
reader = User.objects.create_user("reader", "reader@example.org", "a long passphrase")
tromso = Entity.objects.get(name="Tromsø")
save_search(reader, "Ferries", f"q=ferry&place={tromso.pk}", digest="immediate")
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_the_mail_server_holds_it_still_gets_the_mail_out(tmp_path):
    """Real processes: the worker is SIGKILLed in the middle of sending, and the next worker
    sends the claimed mail once, after the claim expires."""
    import json
    import os
    import signal

    from tests.local_smtp import serve_smtp
    from tests.processes import archive_processes

    first = tmp_path / "first.jsonl"
    later = tmp_path / "later.jsonl"
    entities = {"place": ["Tromsø"]}
    first.write_text(json.dumps({"title": "Ferry strike", "body": "Ferry strike in Tromsø.",
                                 "entities": entities}) + "\n")  # fmt: skip
    later.write_text(json.dumps({"title": "Night ferry", "body": "A night ferry to Tromsø.",
                                 "entities": entities}) + "\n")  # fmt: skip
    with serve_smtp() as smtp:
        env = {
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "false",
            "EMAIL_TIMEOUT_SECONDS": "120", "ALERT_CLAIM_SECONDS": "8",
            "WORKER_TICK_SECONDS": "1",
        }  # fmt: skip
        with archive_processes(tmp_path, **env) as archive:
            archive.manage("migrate", "-v0", check=True)
            archive.manage("import_articles", str(first), check=True)
            archive.manage("shell", "-c", SAVE_IMMEDIATE_SEARCH, check=True)
            archive.manage("import_articles", str(later), check=True)
            smtp.hang.set()
            worker = archive.start_worker()
            try:
                assert smtp.data_started.wait(60), "the worker never started sending"
                os.killpg(worker.pid, signal.SIGKILL)  # while the server holds the mail
                worker.wait()
                smtp.hang.clear()
                worker = archive.start_worker()
                deadline = time.monotonic() + 60
                while not smtp.messages and time.monotonic() < deadline:
                    time.sleep(0.5)
                time.sleep(3)  # a few more ticks: nothing is sent twice
            finally:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    from email import message_from_string
    from email.header import decode_header, make_header

    assert len(smtp.messages) == 1, smtp.messages
    message = message_from_string(smtp.messages[0])
    assert str(make_header(decode_header(message["Subject"]))) == "1 new article for “Ferries”"
    assert "Night ferry" in message.get_payload()
