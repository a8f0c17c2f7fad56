"""New articles for saved searches and entity alerts: counts, feeds and mail.

Each saved search or alert keeps a mark (an article id). A worker first claims it for
ALERT_CLAIM_SECONDS (`sending_until`), sends the mail for the matches above the mark, then moves
the mark past them and lets the claim go: a second worker finds it claimed and sends nothing,
and a worker killed while sending leaves a claim that expires, so the next run sends the same
matches (at least once; twice only if the kill falls between the mail server's acceptance and
the mark's move). A saved
search is matched through the index: an article stored but not indexed yet holds the mark
back (for INDEXING_GRACE; after that check_index has to repair it, and the mark moves on).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Max, Q
from django.http import QueryDict
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from archive.models import Article, Entity, Mention
from search.engines import get_engine
from search.models import EntityAlert, SavedSearch
from search.query import articles_in_order, compile_query, parse_params

logger = logging.getLogger(__name__)
INDEXING_GRACE = timedelta(minutes=10)
# Articles one mail lists; the rest are counted, with a link to the search.
MAIL_LIMIT = 50
FEED_LIMIT = 50
DAY = timedelta(days=1)


def newest_id() -> int:
    return Article.objects.aggregate(newest=Max("pk"))["newest"] or 0


def _found_after(saved: SavedSearch, after_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The indexed articles above `after_id`, and those of them the search finds, without a
    query per article."""
    query = compile_query(parse_params(QueryDict(saved.query)))
    return get_engine().ids_after(query, after_id)


@dataclass
class NewMatches:
    ids: list[int]  # oldest first
    up_to_id: int  # the answer is final up to this article


def new_matches(saved: SavedSearch, after_id: int) -> NewMatches:
    """The articles above `after_id` the saved search finds, as far as the answer is final:
    up to the first article stored in the last INDEXING_GRACE and not indexed yet."""
    indexed, found = _found_after(saved, after_id)
    stored = Article.objects.filter(pk__gt=after_id).order_by("pk")
    rows = list(stored.values_list("pk", "imported_at"))
    pks = np.array([pk for pk, _ in rows], dtype=np.int64)
    final = int(pks[-1]) if len(pks) else after_id
    cutoff = timezone.now() - INDEXING_GRACE
    for i in np.flatnonzero(~np.isin(pks, indexed)):
        if rows[i][1] > cutoff:  # stored a moment ago, not indexed yet: ask again later
            final = int(pks[i - 1]) if i else after_id
            break
    return NewMatches(found[found <= final].tolist(), final)


def new_since_visit(saved: SavedSearch) -> int:
    """What "My searches" counts: the articles added since the reader last opened the search
    that it finds now."""
    return len(_found_after(saved, saved.seen_up_to_id)[1])


def feed_articles(saved: SavedSearch) -> list[Article]:
    """The newest FEED_LIMIT articles the search finds among those added since it was saved."""
    found = _found_after(saved, saved.created_after_id)[1]
    return articles_in_order(found[::-1][:FEED_LIMIT].tolist(), with_entities=False)


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
    subject = f"{_count(len(matches.ids), 'new article')} for “{saved.name}”"
    with _claimed(SavedSearch, saved.pk, mailed_up_to_id=saved.mailed_up_to_id) as claim:
        if not claim:
            return 0
        if matches.ids:
            _mail(saved.user, subject, matches.ids, settings.SITE_URL + saved.search_url())
        claim.update(mailed_up_to_id=matches.up_to_id, last_mailed_at=timezone.now())
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
    with _claimed(
        EntityAlert, alert.pk, mailed_up_to_id=alert.mailed_up_to_id, fired_at=alert.fired_at
    ) as claim:
        if not claim:
            return 0
        if ids:
            more_at = settings.SITE_URL + alert.entity.get_absolute_url()
            _mail(alert.user, subject, ids, more_at)
        claim.update(
            mailed_up_to_id=up_to_id,
            fired_at=timezone.now() if alert.partner_id and ids else alert.fired_at,
        )
    return len(ids)


class _Claim:
    def __init__(self, queryset):
        self.queryset = queryset

    def __bool__(self) -> bool:
        return self.queryset is not None

    def update(self, **fields) -> None:
        """Move the mark and let the claim go, in one step."""
        self.queryset.update(sending_until=None, **fields)
        self.queryset = None


@contextmanager
def _claimed(model, pk: int, **unchanged) -> Iterator[_Claim]:
    """Claim one search or alert whose mark is still where this worker read it, unless another
    worker's claim holds it; an error while sending lets the claim go at once."""
    now = timezone.now()
    rows = model.objects.filter(pk=pk, **unchanged)
    free = Q(sending_until__isnull=True) | Q(sending_until__lt=now)
    lease = timedelta(seconds=settings.ALERT_CLAIM_SECONDS)
    taken = rows.filter(free).update(sending_until=now + lease)
    claim = _Claim(model.objects.filter(pk=pk) if taken else None)
    try:
        yield claim
    except Exception:
        if claim:
            claim.queryset.update(sending_until=None)
        raise


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
    send_mail(header_text(subject), "\n".join(lines), None, [user.email])


def header_text(text: str, most: int = 200) -> str:
    """Text fit for a mail header: names come from readers and from articles, and a line
    break in one ("Zz\\r\\nBcc: x@evil.example") would add a header (Django refuses such a
    subject, which failed every reader's mail); control characters become spaces."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= most else flat[: most - 1] + "…"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")


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
    mailed = 0
    for saved in _due_searches(up_to_id):
        mailed += _one_reader(send_saved_search_mail, saved)
    for alert in _due_entity_alerts(up_to_id):
        mailed += _one_reader(send_entity_alert, alert, up_to_id)
    return mailed


def _one_reader(send, item, *args) -> int:
    """One reader's mail failing (a refused address, a mail server hiccup) fails only that
    mail: it is tried again at the next run, and everyone else's goes out now."""
    try:
        return send(item, *args)
    except Exception:
        logger.exception("Mail for %s (user %s) failed", item, item.user_id)
        return 0


def enqueue_due_alerts() -> bool:
    """Queue `send_alerts` when some saved search or alert is due, unless one is queued
    already (the worker's clock calls this every tick)."""
    up_to_id = newest_id()
    due = _due_searches(up_to_id).exists() or _due_entity_alerts(up_to_id).exists()
    # Only a run waiting to start counts: one "running" may belong to a worker that was
    # killed and will never finish, and two runs at once send nothing twice (each search
    # and alert is claimed).
    pending = DBTaskResult.objects.filter(
        task_path=send_alerts.module_path, status=TaskResultStatus.READY
    ).exists()
    if due and not pending:
        send_alerts.enqueue()
        return True
    return False
