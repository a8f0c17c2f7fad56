"""New articles for saved searches and entity alerts: counts, feeds and mail.

Each saved search or alert keeps a mark (an article id). Mail goes out for the matches above
it, and the mark moves past them in the same step, so each match is mailed once. A saved
search is matched through the index: an article stored but not indexed yet holds the mark
back (for INDEXING_GRACE; after that check_index has to repair it, and the mark moves on).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Max, Q
from django.http import QueryDict
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from archive.models import Article, Entity, Mention
from search.models import EntityAlert, SavedSearch
from search.network import current_results
from search.query import articles_in_order, parse_params

logger = logging.getLogger(__name__)
INDEXING_GRACE = timedelta(minutes=10)
SCAN_BATCH = 1000
# Articles one mail lists; the rest are counted, with a link to the search.
MAIL_LIMIT = 50
FEED_LIMIT = 50
# A feed, or the new count on "My searches", looks at no more than this many new articles.
SCAN_LIMIT = 20_000
DAY = timedelta(days=1)


def newest_id() -> int:
    return Article.objects.aggregate(newest=Max("pk"))["newest"] or 0


@dataclass
class NewMatches:
    ids: list[int]  # oldest first
    up_to_id: int  # the answer is final up to this article
    complete: bool = True  # False: the scan stopped at `scan_limit` articles


def new_matches(saved: SavedSearch, after_id: int, scan_limit: int | None = None) -> NewMatches:
    """The articles above `after_id` the saved search finds (among the first `scan_limit`)."""
    results = current_results(parse_params(QueryDict(saved.query)))
    cutoff = timezone.now() - INDEXING_GRACE
    found, final, scanned = [], after_id, 0
    while True:
        if scan_limit is not None and scanned >= scan_limit:
            return NewMatches(found, final, complete=False)
        batch = list(
            Article.objects.filter(pk__gt=final)
            .order_by("pk")
            .values_list("pk", "imported_at")[:SCAN_BATCH]
        )
        if not batch:
            return NewMatches(found, final)
        scanned += len(batch)
        inside = results.membership([pk for pk, _ in batch])
        for pk, imported_at in batch:
            if inside[pk] is None and imported_at > cutoff:
                return NewMatches(found, final)  # not indexed yet: ask again later
            final = pk
            if inside[pk]:
                found.append(pk)


def new_since_visit(saved: SavedSearch) -> NewMatches:
    """What "My searches" counts: a page view looks at no more than SCAN_LIMIT new articles."""
    return new_matches(saved, saved.seen_up_to_id, scan_limit=SCAN_LIMIT)


def feed_articles(saved: SavedSearch) -> list[Article]:
    """The newest FEED_LIMIT articles the search finds among those added since it was saved
    (looking at the newest SCAN_LIMIT of them)."""
    results = current_results(parse_params(QueryDict(saved.query)))
    newer = Article.objects.filter(pk__gt=saved.created_after_id).order_by("-pk")
    found = []
    for start in range(0, SCAN_LIMIT, SCAN_BATCH):
        batch = list(newer.values_list("pk", flat=True)[start : start + SCAN_BATCH])
        inside = results.membership(batch)
        found += [pk for pk in batch if inside[pk]]
        if len(found) >= FEED_LIMIT or len(batch) < SCAN_BATCH:
            break
    return articles_in_order(found[:FEED_LIMIT], with_entities=False)


def save_search(user, name: str, query: str, digest: str = "") -> SavedSearch:
    mark = newest_id()
    return SavedSearch.objects.create(
        user=user,
        name=name,
        query=query,
        digest=digest,
        created_after_id=mark,
        seen_up_to_id=mark,
        mailed_up_to_id=mark,
    )


class AlreadyTogether(ValueError):
    pass


def create_entity_alert(user, entity: Entity, partner: Entity | None = None) -> EntityAlert:
    """An alert for new articles naming `entity`, or for its first article with `partner`."""
    if partner is not None:
        together = together_ids(entity, partner)
        if together:
            raise AlreadyTogether(
                f"{entity.name} and {partner.name} are already named together in "
                f"{len(together)} article{'s' * (len(together) != 1)}."
            )
    alert, _ = EntityAlert.objects.get_or_create(
        user=user, entity=entity, partner=partner, defaults={"mailed_up_to_id": newest_id()}
    )
    return alert


def together_ids(first: Entity, second: Entity, after_id: int = 0) -> list[int]:
    return list(
        Mention.objects.filter(entity=first, article_id__gt=after_id)
        .filter(article__mentions__entity=second)
        .order_by("article_id")
        .values_list("article_id", flat=True)
    )


# Sending


def send_saved_search_mail(saved: SavedSearch) -> int:
    """Mail the search's new matches (once each); returns how many were mailed."""
    matches = new_matches(saved, saved.mailed_up_to_id)
    if matches.up_to_id == saved.mailed_up_to_id:
        return 0
    # Moving the mark first claims these matches: a second worker finds nothing to send.
    claimed = SavedSearch.objects.filter(pk=saved.pk, mailed_up_to_id=saved.mailed_up_to_id).update(
        mailed_up_to_id=matches.up_to_id, last_mailed_at=timezone.now()
    )
    if not claimed or not matches.ids:
        return 0
    try:
        _mail(
            saved.user,
            f"{_count(len(matches.ids), 'new article')} for “{saved.name}”",
            matches.ids,
            more_at=settings.SITE_URL + saved.search_url(),
        )
    except Exception:
        SavedSearch.objects.filter(pk=saved.pk).update(mailed_up_to_id=saved.mailed_up_to_id)
        raise
    return len(matches.ids)


def send_entity_alert(alert: EntityAlert, up_to_id: int) -> int:
    if alert.partner_id:
        ids = [] if alert.fired_at else together_ids(alert.entity, alert.partner)[:MAIL_LIMIT]
        subject = (
            f"{alert.entity.name} and {alert.partner.name} are named together for the first time"
        )
    else:
        ids = list(
            Mention.objects.filter(
                entity=alert.entity, article_id__gt=alert.mailed_up_to_id, article_id__lte=up_to_id
            )
            .order_by("article_id")
            .values_list("article_id", flat=True)
        )
        subject = f"{_count(len(ids), 'new article')} naming {alert.entity.name}"
    claimed = EntityAlert.objects.filter(
        pk=alert.pk, mailed_up_to_id=alert.mailed_up_to_id, fired_at=alert.fired_at
    ).update(
        mailed_up_to_id=up_to_id,
        fired_at=timezone.now() if alert.partner_id and ids else alert.fired_at,
    )
    if not claimed or not ids:
        return 0
    try:
        _mail(alert.user, subject, ids, more_at=settings.SITE_URL + alert.entity.get_absolute_url())
    except Exception:
        EntityAlert.objects.filter(pk=alert.pk).update(
            mailed_up_to_id=alert.mailed_up_to_id, fired_at=alert.fired_at
        )
        raise
    return len(ids)


def _mail(user, subject: str, ids: list[int], more_at: str) -> None:
    articles = articles_in_order(ids[:MAIL_LIMIT], with_entities=False)
    lines = [
        f"- {a.title}\n  {a.published:%Y-%m-%d} · {settings.SITE_URL}{a.get_absolute_url()}"
        if a.published
        else f"- {a.title}\n  {settings.SITE_URL}{a.get_absolute_url()}"
        for a in articles
    ]
    if len(ids) > MAIL_LIMIT:
        lines.append(f"… and {len(ids) - MAIL_LIMIT} more.")
    lines += ["", f"See them all: {more_at}", f"Your searches and alerts: {settings.SITE_URL}/my/"]
    send_mail(subject, "\n".join(lines), None, [user.email])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _due_searches(up_to_id: int):
    due = Q(digest=SavedSearch.Digest.IMMEDIATE) | Q(
        Q(last_mailed_at__isnull=True) | Q(last_mailed_at__lte=timezone.now() - DAY),
        digest=SavedSearch.Digest.DAILY,
    )
    return (
        SavedSearch.objects.filter(due, mailed_up_to_id__lt=up_to_id, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    )


def _due_entity_alerts(up_to_id: int):
    # A pair's alert that fired has nothing more to say.
    return (
        EntityAlert.objects.filter(
            Q(partner__isnull=True) | Q(fired_at__isnull=True),
            mailed_up_to_id__lt=up_to_id,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user", "entity", "partner")
    )


@task()
def send_alerts() -> int:
    """Mail every due saved search and entity alert; returns how many articles were mailed."""
    up_to_id = newest_id()
    mailed = sum(send_saved_search_mail(saved) for saved in _due_searches(up_to_id))
    mailed += sum(send_entity_alert(alert, up_to_id) for alert in _due_entity_alerts(up_to_id))
    return mailed


def enqueue_due_alerts() -> bool:
    """Queue `send_alerts` when some saved search or alert is due, unless one is queued
    already (the worker's clock calls this every tick)."""
    up_to_id = newest_id()
    due = _due_searches(up_to_id).exists() or _due_entity_alerts(up_to_id).exists()
    pending = DBTaskResult.objects.filter(
        task_path=send_alerts.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).exists()
    if due and not pending:
        send_alerts.enqueue()
        return True
    return False
