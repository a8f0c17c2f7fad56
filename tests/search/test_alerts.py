"""Saved searches and alerts: what is new, its Atom feed, and mail sent once per match."""

from datetime import timedelta

import feedparser
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from archive.models import Entity
from search.alerts import AlreadyTogether, create_entity_alert, save_search, send_alerts
from tests.factories import make_article


@pytest.fixture
def reader(db):
    return User.objects.create_user("reader", "reader@example.org", "a long passphrase")


@pytest.fixture
def archive(db):
    """Articles already there before anyone saved a search."""
    make_article("Ferry strike in Tromsø", place=("Tromsø",), person=("Ingrid Solberg",))
    make_article("Bergen yard delay", place=("Bergen",), organization=("Nordlys Shipping",))


def entity(name: str) -> Entity:
    return Entity.objects.get(name=name)


def ferry_search(reader):
    tromso = entity("Tromsø")
    return save_search(reader, "Ferries in Tromsø", f"q=ferry&place={tromso.pk}")


def test_a_saved_searchs_atom_feed_lists_exactly_the_new_matching_articles(client, reader, archive):
    saved = ferry_search(reader)
    new_match = make_article("Night ferry approved", place=("Tromsø",))
    make_article("Ferry to Bergen", place=("Bergen",))  # other place
    make_article("Tromsø budget", body="The Tromsø council budget.", place=("Tromsø",))  # no ferry
    second = make_article("Ferry crews hired in Tromsø", place=("Tromsø", "Bergen"))

    response = client.get(saved.get_feed_url())

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.link for e in feed.entries] == [
        f"http://testserver{a.get_absolute_url()}" for a in (second, new_match)
    ]
    assert feed.entries[0].title == "Ferry crews hired in Tromsø"
    assert client.get("/saved/not-the-token/feed.atom").status_code == 404


def test_immediate_mail_goes_out_once_per_new_match(reader, archive):
    saved = ferry_search(reader)
    saved.digest = "immediate"
    saved.save()
    assert send_alerts.call() == 0 and mail.outbox == []

    make_article("Night ferry approved", place=("Tromsø",))
    make_article("Ferry to Bergen", place=("Bergen",))
    assert send_alerts.call() == 1
    assert send_alerts.call() == 0  # again: nothing new, nothing sent
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reader@example.org"]
    assert message.subject == "1 new article for “Ferries in Tromsø”"
    assert "Night ferry approved" in message.body and "Ferry to Bergen" not in message.body

    make_article("Ferry crews hired", place=("Tromsø",))
    make_article("Second ferry crossing", place=("Tromsø",))
    assert send_alerts.call() == 2
    assert len(mail.outbox) == 2
    assert "Night ferry approved" not in mail.outbox[1].body
    assert "2 new articles" in mail.outbox[1].subject


def test_a_daily_digest_waits_a_day(reader, archive):
    saved = ferry_search(reader)
    saved.digest = "daily"
    saved.save()
    make_article("Night ferry approved", place=("Tromsø",))
    assert send_alerts.call() == 1
    make_article("Ferry crews hired", place=("Tromsø",))
    assert send_alerts.call() == 0  # within the day
    saved.refresh_from_db()
    saved.last_mailed_at -= timedelta(days=1, minutes=1)
    saved.save()
    assert send_alerts.call() == 1
    assert [m.subject for m in mail.outbox] == ["1 new article for “Ferries in Tromsø”"] * 2


def test_an_entity_alert_mails_each_new_article_naming_it_once(reader, archive):
    create_entity_alert(reader, entity("Ingrid Solberg"))
    make_article("Mayor opens harbour", person=("Ingrid Solberg",))
    make_article("Yard news", organization=("Nordlys Shipping",))
    assert send_alerts.call() == 1
    assert send_alerts.call() == 0
    assert mail.outbox[0].subject == "1 new article naming Ingrid Solberg"
    assert "Mayor opens harbour" in mail.outbox[0].body


def test_a_first_co_mention_fires_its_alert_once(reader, archive):
    solberg, nordlys = entity("Ingrid Solberg"), entity("Nordlys Shipping")
    create_entity_alert(reader, solberg, nordlys)
    make_article("Mayor alone", person=("Ingrid Solberg",))
    assert send_alerts.call() == 0
    make_article(
        "Mayor meets shipping line", person=("Ingrid Solberg",), organization=("Nordlys Shipping",)
    )
    assert send_alerts.call() == 1
    make_article("They meet again", person=("Ingrid Solberg",), organization=("Nordlys Shipping",))
    assert send_alerts.call() == 0
    assert [m.subject for m in mail.outbox] == [
        "Ingrid Solberg and Nordlys Shipping are named together for the first time"
    ]
    assert "Mayor meets shipping line" in mail.outbox[0].body
    # Once together, a new "first time" alert for them is refused with the count.
    other = User.objects.create_user("other", "o@example.org", "x")
    with pytest.raises(AlreadyTogether, match="already named together in 2 articles"):
        create_entity_alert(other, solberg, nordlys)


def test_my_searches_counts_what_is_new_since_the_last_visit(client, reader, archive):
    saved = ferry_search(reader)
    client.force_login(reader)
    make_article("Night ferry approved", place=("Tromsø",))
    make_article("Ferry crews hired", place=("Tromsø",))

    page = client.get(reverse("search:my-searches")).content.decode()
    assert "2 new" in page and saved.get_feed_url() in page

    opened = client.get(reverse("search:open-saved", args=[saved.pk]))
    assert opened.status_code == 302 and opened["Location"] == saved.search_url()
    assert "none new" in client.get(reverse("search:my-searches")).content.decode()


def test_saving_a_search_from_the_search_page_keeps_its_filters(client, reader, archive):
    tromso, bergen = entity("Tromsø"), entity("Bergen")
    client.force_login(reader)
    query = f"q=ferry&place={tromso.pk}&place={bergen.pk}&place_op=or&page=2"
    page = client.get("/?" + query).content.decode()
    assert "Save this search" in page

    response = client.post(
        reverse("search:save-search"), {"name": "Ferries", "query": query, "digest": "daily"}
    )
    assert response.status_code == 302
    saved = reader.saved_searches.get()
    assert saved.query == f"q=ferry&place={tromso.pk}&place={bergen.pk}&place_op=or"
    assert saved.digest == "daily"
    # Another reader cannot open or change it.
    other = User.objects.create_user("other", "o@example.org", "x")
    client.force_login(other)
    assert client.get(reverse("search:open-saved", args=[saved.pk])).status_code == 404
    assert (
        client.post(reverse("search:change-saved", args=[saved.pk]), {"delete": 1}).status_code
        == 404
    )


def test_a_broken_saved_query_is_refused_with_a_message(client, reader, archive):
    client.force_login(reader)
    response = client.post(
        reverse("search:save-search"), {"name": "Bad", "query": "sort=sideways"}, follow=True
    )
    assert "could not be saved" in response.content.decode()
    assert not reader.saved_searches.exists()


def test_signing_up_is_off_unless_the_setting_allows_it(client, db, settings):
    assert client.get(reverse("signup")).status_code == 404
    settings.SIGNUP_OPEN = True
    response = client.post(
        reverse("signup"),
        {
            "username": "newreader",
            "email": "new@example.org",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newreader").email == "new@example.org"


def test_an_article_not_indexed_yet_holds_its_mail_back_until_it_is(reader, archive):
    from archive.extraction import ExtractedEntity
    from archive.importers import RawArticle
    from archive.ingest import store_articles
    from archive.models import Article
    from archive.signals import articles_changed
    from archive.text import content_hash
    from search.alerts import INDEXING_GRACE

    saved = ferry_search(reader)
    saved.digest = "immediate"
    saved.save()
    tromso = entity("Tromsø")
    body = "Ferry timetable for Tromsø changes in spring."
    raw = RawArticle(origin="test", title="Ferry timetable", body=body)
    place = ExtractedEntity("place", tromso.name, tromso.key, [])
    (waiting,), _ = store_articles([(raw, content_hash(body), [place])], announce=False)
    indexed = make_article("Night ferry approved", place=("Tromsø",))

    assert send_alerts.call() == 0  # the indexed one waits behind the one that is not
    saved.refresh_from_db()
    assert saved.mailed_up_to_id < waiting

    articles_changed.send(sender=Article, ids=[waiting])
    assert send_alerts.call() == 2
    assert "Ferry timetable" in mail.outbox[0].body and "Night ferry" in mail.outbox[0].body

    # One that never got indexed holds nothing back once the grace is over.
    raw = RawArticle(origin="test", title="Lost ferry", body="Lost ferry story in Tromsø.")
    (lost,), _ = store_articles([(raw, content_hash(raw.body), [place])], announce=False)
    Article.objects.filter(pk=lost).update(
        imported_at=indexed.imported_at - INDEXING_GRACE - timedelta(minutes=1)
    )
    make_article("Ferry crews hired", place=("Tromsø",))
    assert send_alerts.call() == 1
    assert "Ferry crews hired" in mail.outbox[1].body


def test_alerts_are_offered_on_entity_and_pair_pages_and_set_from_there(client, reader, archive):
    solberg, nordlys = entity("Ingrid Solberg"), entity("Nordlys Shipping")
    client.force_login(reader)
    page = client.get(solberg.get_absolute_url()).content.decode()
    assert "Alert me when a new article names Ingrid Solberg" in page

    pair_url = reverse("search:pair") + f"?a={solberg.pk}&b={nordlys.pk}"
    assert "first named together" in client.get(pair_url).content.decode()

    response = client.post(reverse("search:add-alert"), {"entity": solberg.pk}, follow=True)
    assert "You will get an e-mail when a new article names Ingrid Solberg" in (
        response.content.decode()
    )
    client.post(reverse("search:add-alert"), {"entity": solberg.pk, "partner": nordlys.pk})
    assert reader.entity_alerts.count() == 2

    # Once they are named together the pair page offers no first-time alert, and a forged
    # request for one is answered with the count.
    make_article("They meet", person=("Ingrid Solberg",), organization=("Nordlys Shipping",))
    assert "first named together" not in client.get(pair_url).content.decode()
    other = User.objects.create_user("other", "o@example.org", "x")
    client.force_login(other)
    refused = client.post(
        reverse("search:add-alert"), {"entity": solberg.pk, "partner": nordlys.pk}, follow=True
    )
    assert "already named together in 1 article" in refused.content.decode()
    assert not other.entity_alerts.exists()
    assert client.post(reverse("search:add-alert"), {"entity": "nope"}).status_code == 404
    # Another reader's alert cannot be deleted.
    theirs = reader.entity_alerts.first()
    assert client.post(reverse("search:delete-alert", args=[theirs.pk])).status_code == 404


def test_signed_out_readers_are_sent_to_sign_in_not_shown_an_error(client, archive):
    assert client.get(reverse("search:my-searches"))["Location"].startswith(reverse("login"))
    response = client.post(reverse("search:save-search"), {"name": "x", "query": "q=ferry"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    page = client.get("/", {"q": "ferry"}).content.decode()
    assert "to save this search" in page
