"""Fetching feeds and pages politely: an honest User-Agent, a timeout, a size limit,
conditional GET, and errors that say what went wrong instead of raising from deep in urllib."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPHandler, HTTPRedirectHandler, HTTPSHandler, Request, build_opener

from django.conf import settings

from archive.importers import BadRecord, Record, SkippedRecord, article_from_html
from archive.models import Article

CHUNK = 64 * 1024
SCHEMES = {"http", "https"}


class FetchError(Exception):
    """A fetch that failed, with a reason fit for a curator to read."""


class ForbiddenAddress(FetchError):
    """The address resolves to this machine or a private network: fetching it would let
    whoever names a feed or URL read what only the archive's server can reach."""


def check_public(host: str, port: int) -> list[tuple]:
    """The socket addresses of `host`, all of them public; any loopback, private,
    link-local, multicast or reserved one refuses the host (unless FETCH_ALLOWED_HOSTS
    names it), since a name may resolve to several and the connection may use any."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host[:80]!r}: {exc}") from None
    if host.lower().rstrip(".") in settings.FETCH_ALLOWED_HOSTS:
        return infos
    for *_, address in infos:
        ip = ipaddress.ip_address(address[0].split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise ForbiddenAddress(
                f"{host[:80]} resolves to {ip}, a non-public address the archive does not fetch"
            )
    return infos


class _Deadline:
    """One fetch's total deadline, across redirects: when it passes, every socket the fetch
    opened is shut down, which wakes a read blocked on a server that trickles its headers or
    body a byte at a time (a per-read timeout never fires for such a server)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.sockets: list[socket.socket] = []
        self.passed = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._lock = threading.Lock()

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self.sockets.append(sock)
            if self.passed:
                sock.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # closed already
                    sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()


def _connect(address, timeout, source_address=None):
    """http.client's connection factory: resolve, refuse non-public addresses, and connect
    to an address that was checked (resolving again could give another one)."""
    host, port = address
    deadline: _Deadline = _current.deadline
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in check_public(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(min(timeout, deadline.remaining()))
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        deadline.add(sock)
        return sock
    raise last_error or OSError(f"cannot connect to {host}")


class _GuardedHTTP(HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect


class _GuardedHTTPS(HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect


class _GuardedHTTPHandler(HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTP, req)


class _GuardedHTTPSHandler(HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPS, req, context=self._context)


class _WebRedirectsOnly(HTTPRedirectHandler):
    """urllib also follows a redirect to ftp://; the archive fetches only web pages. Each
    redirect's host is checked again when it is connected to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in SCHEMES:
            raise HTTPError(newurl, code, "a redirect away from the web", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = build_opener(_GuardedHTTPHandler, _GuardedHTTPSHandler, _WebRedirectsOnly)


@dataclass
class Fetched:
    url: str
    status: int  # 200, or 304 for a conditional GET with nothing new
    body: bytes = b""
    headers: Message = field(default_factory=Message)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET `url` (http or https only, public addresses only) within FETCH_TIMEOUT_SECONDS in
    all (connecting, redirects, headers and body) and FETCH_MAX_BYTES."""
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise FetchError(f"only http:// and https:// addresses are fetched (got {url[:80]!r})")
    headers = {"User-Agent": settings.FETCH_USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = settings.FETCH_TIMEOUT_SECONDS
    late = FetchError(f"no answer within {timeout} seconds, in all")
    with _Deadline(timeout) as deadline:
        _current.deadline = deadline
        try:
            with _opener.open(Request(url, headers=headers), timeout=timeout) as response:
                body = _read_limited(response, deadline)
                return Fetched(response.url, response.status, body, response.headers)
        except HTTPError as exc:
            if exc.code == 304:
                return Fetched(url, 304, b"", exc.headers)
            raise FetchError(f"the server answered HTTP {exc.code} ({exc.reason})") from None
        except URLError as exc:
            if isinstance(exc.reason, FetchError):
                raise exc.reason from None
            if deadline.passed or isinstance(exc.reason, TimeoutError):
                raise late from None
            raise FetchError(f"cannot reach {urlsplit(url).netloc}: {exc.reason}") from None
        except FetchError:
            raise
        except (OSError, ValueError, HTTPException) as exc:
            # Reset connections, malformed answers, a chunked body that ends early.
            if deadline.passed or isinstance(exc, TimeoutError):
                raise late from None
            raise FetchError(f"the fetch failed: {type(exc).__name__}: {exc}") from None
        finally:
            _current.deadline = None


def _read_limited(response, deadline: _Deadline) -> bytes:
    limit = settings.FETCH_MAX_BYTES
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(_too_large(limit))
    chunks, size = [], 0
    while chunk := response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise FetchError(_too_large(limit))
        deadline.remaining()
    if deadline.passed:
        raise TimeoutError
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
