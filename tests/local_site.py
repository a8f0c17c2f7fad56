"""A web site inside the test: pages and feeds served on loopback, every request logged, with
ETag / Last-Modified answered as a real server would (304 when nothing changed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Thu, 26 Nov 2026 08:00:00 GMT"


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0  # seconds before the answer starts


@dataclass
class LocalSite:
    base: str = ""
    resources: dict[str, Resource] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: bytes | str, **options) -> str:
        if isinstance(body, str):
            body = body.encode()
        self.resources[path] = Resource(body, **options)
        return self.url(path)

    def hits(self, path: str) -> list[dict]:
        """The headers of each request for `path`."""
        return [headers for requested, headers in self.requests if requested == path]


@contextmanager
def serve() -> Iterator[LocalSite]:
    site = LocalSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            site.requests.append((self.path, dict(self.headers)))
            resource = site.resources.get(self.path)
            if resource is None:
                self.send_error(404)
                return
            time.sleep(resource.delay)
            fresh = resource.etag and self.headers.get("If-None-Match") == resource.etag
            if fresh or (
                not resource.etag and self.headers.get("If-Modified-Since") == LAST_MODIFIED
            ):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(resource.status)
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(resource.body)))
            self.send_header("Last-Modified", LAST_MODIFIED)
            if resource.etag:
                self.send_header("ETag", resource.etag)
            for name, value in resource.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(resource.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


STORIES = [
    (
        "Harbour authority approves night ferries to Tromsø",
        "The Tromsø harbour authority approved night ferry crossings on Tuesday after a "
        "three-month trial. Mayor Ingrid Solberg said the service would run through winter. "
        "Nordlys Shipping, which operates the route, expects two hundred passengers a night "
        "and will hire twelve crew members in Tromsø before December.",
    ),
    (
        "Nordlys Shipping orders two electric vessels",
        "Nordlys Shipping has ordered two battery-electric vessels from a yard in Bergen, "
        "chief executive Lars Hovland told reporters. The ships will serve the Tromsø night "
        "route from 2028. Mayor Ingrid Solberg welcomed the order, saying quieter ferries "
        "would please residents near the harbour.",
    ),
    (
        "Bergen yard wins ferry contract despite delays",
        "A shipyard in Bergen won a contract for two ferries although its last delivery came "
        "eight months late. Union leader Marta Eide said the yard had added a second shift. "
        "The Norwegian Maritime Authority will inspect the hulls before the vessels sail to "
        "Tromsø for sea trials next spring.",
    ),
]


def article_page(title: str, body: str) -> str:
    paragraphs = "".join(f"<p>{sentence.strip()}.</p>" for sentence in body.split(". "))
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>"
        f"<meta name='date' content='2026-11-20'></head><body><nav>Home · News</nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© Test Gazette</footer>"
        "</body></html>"
    )


def rss(site: LocalSite, paths: list[str], title: str = "Test Gazette") -> str:
    items = "".join(
        f"<item><title>Story {path}</title><link>{site.url(path)}</link></item>" for path in paths
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{title}</title><link>{site.base}</link><description>News</description>"
        f"{items}</channel></rss>"
    )
