"""Fetching feeds and pages politely: an honest User-Agent, a timeout, a size limit,
conditional GET, and errors that say what went wrong instead of raising from deep in urllib."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.conf import settings

from archive.importers import BadRecord, Record, SkippedRecord, article_from_html
from archive.models import Article

CHUNK = 64 * 1024
SCHEMES = {"http", "https"}


class _WebRedirectsOnly(HTTPRedirectHandler):
    """urllib also follows a redirect to ftp://; the archive fetches only web pages."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in SCHEMES:
            raise HTTPError(newurl, code, "a redirect away from the web", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = build_opener(_WebRedirectsOnly)


@dataclass
class Fetched:
    url: str
    status: int  # 200, or 304 for a conditional GET with nothing new
    body: bytes = b""
    headers: Message = field(default_factory=Message)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class FetchError(Exception):
    """A fetch that failed, with a reason fit for a curator to read."""


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET `url` (http or https only) within FETCH_TIMEOUT_SECONDS and FETCH_MAX_BYTES."""
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise FetchError(f"only http:// and https:// addresses are fetched (got {url[:80]!r})")
    headers = {"User-Agent": settings.FETCH_USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = settings.FETCH_TIMEOUT_SECONDS
    try:
        with _opener.open(Request(url, headers=headers), timeout=timeout) as response:
            body = _read_limited(response, time.monotonic() + timeout)
            return Fetched(response.url, response.status, body, response.headers)
    except HTTPError as exc:
        if exc.code == 304:
            return Fetched(url, 304, b"", exc.headers)
        raise FetchError(f"the server answered HTTP {exc.code} ({exc.reason})") from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout} seconds") from None
    except URLError as exc:
        raise FetchError(f"cannot reach {urlsplit(url).netloc}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # reset connections, malformed answers
        raise FetchError(f"the fetch failed: {exc}") from None


def _read_limited(response, deadline: float) -> bytes:
    limit = settings.FETCH_MAX_BYTES
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(_too_large(limit))
    chunks, size = [], 0
    # A server that trickles bytes would hold a plain read() for ever; the deadline is total.
    while chunk := response.read(CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise FetchError(_too_large(limit))
        if time.monotonic() > deadline:
            raise FetchError(f"the page took longer than {settings.FETCH_TIMEOUT_SECONDS} seconds")
    return b"".join(chunks)


def _too_large(limit: int) -> str:
    return f"larger than {limit // (1024 * 1024)} MB, the most the archive fetches"


def read_urls(urls: Iterable[str]) -> Iterator[Record]:
    """Each page as an article, fetched only if the archive does not hold its URL yet. The
    article keeps the URL asked for, so asking again finds it."""
    for url in urls:
        if Article.objects.filter(url=url).exists():
            yield SkippedRecord(url, "already in the archive", duplicate=True)
            continue
        try:
            page = fetch(url)
        except FetchError as exc:
            yield BadRecord(url, str(exc))
            continue
        if page.content_type and "html" not in page.content_type:
            yield BadRecord(url, f"not a web page ({page.content_type})")
            continue
        yield article_from_html(url, page.body, url=url)


def clean_url_lines(text: str) -> tuple[list[str], list[BadRecord]]:
    """The http(s) URLs of a pasted list or file (one a line, # comments), and the rest."""
    urls, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if urlsplit(line).scheme.lower() in SCHEMES and len(line) <= 2000:
            urls.append(line)
        else:
            bad.append(BadRecord(f"line {number}", f"not an http(s) address: {line[:80]!r}"))
    return list(dict.fromkeys(urls)), bad
