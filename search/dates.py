"""The date chart of a search: bars sized to the span of its results.

Engines count a search's articles by day; the bar unit (day, week, month, year) is chosen from
the span that holds nearly all of them (STRAY_SHARE at each end is left out of the choice, so
one article from another decade does not turn a chart of two months into forty empty years),
and empty bars are shown only inside short gaps: a longer gap is one marker.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from search.query import SearchParams

UNITS = ("day", "week", "month", "year")
# The widest span (in days) each unit is chosen for; wider spans go by year.
UNIT_SPANS = {"day": 62, "week": 26 * 7, "month": 4 * 366}
STRAY_SHARE = 0.02  # of the articles, at each end, not counted in the span
MAX_GAP = 6  # empty bars shown between two bars; a longer gap is one marker
MAX_BUCKETS = 400  # a timeline with more empty months than this lists only its months


@dataclass
class DateBucket:
    start: date
    end: date
    count: int
    unit: str
    params: SearchParams | None
    percent: int = 0  # of the tallest bar
    gap: bool = False  # a marker for a run of empty bars left out

    @property
    def url(self) -> str:
        return self.params.between(self.start, self.end).url()


def chosen_unit(days: list[tuple[date, int]]) -> str:
    """The bar unit for articles counted by day (in date order)."""
    total = sum(n for _, n in days)
    if not total:
        return "year"
    stray = int(total * STRAY_SHARE)  # articles left out at each end
    seen, first, last = 0, None, None
    for day, n in days:
        seen += n
        if first is None and seen > stray:
            first = day
        if seen >= total - stray:
            last = day
            break
    span = (last - first).days
    return next((unit for unit, most in UNIT_SPANS.items() if span <= most), "year")


def bucket_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())  # Monday
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return date(day.year, 1, 1)
    return day


def bucket_end(start: date, unit: str) -> date:
    if unit == "year":
        return date(start.year, 12, 31)
    if unit == "month":
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    if unit == "week":
        return start + timedelta(days=6) if start <= date.max - timedelta(days=6) else date.max
    return start


def chart(days: list[tuple[date, int]], params: SearchParams) -> tuple[str, list[DateBucket]]:
    """The unit and the bars of a search's articles counted by day."""
    days = sorted(days)
    unit = chosen_unit(days)
    counts: dict[date, int] = {}
    for day, n in days:
        start = bucket_start(day, unit)
        counts[start] = counts.get(start, 0) + n
    if not counts:
        return unit, []
    peak = max(counts.values())
    bars: list[DateBucket] = []
    for start in sorted(counts):
        if bars:
            empty = starts_between(bars[-1].start, start, unit)
            if len(empty) > MAX_GAP:
                bars.append(DateBucket(empty[0], bucket_end(empty[-1], unit), 0, unit, params,
                                       gap=True))  # fmt: skip
            else:
                bars += [DateBucket(s, bucket_end(s, unit), 0, unit, params) for s in empty]
        n, end = counts[start], bucket_end(start, unit)
        bars.append(DateBucket(start, end, n, unit, params, round(100 * n / peak)))
    return unit, bars


def starts_between(first: date, last: date, unit: str) -> list[date]:
    """The bucket starts after `first`'s bucket and before `last` (both bucket starts); at most
    MAX_BUCKETS + 1 of them (enough to know there are too many)."""
    found = []
    current = bucket_end(first, unit)
    while current < date.max and len(found) <= MAX_BUCKETS:
        current += timedelta(days=1)
        if current >= last:
            break
        found.append(current)
        current = bucket_end(current, unit)
    return found


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s (empty when too many)."""
    first, last = bucket_start(first, "month"), bucket_start(last, "month")
    between = starts_between(first, last, "month")
    if len(between) > MAX_BUCKETS:
        return []
    return [first, *between, last] if last > first else [first]
