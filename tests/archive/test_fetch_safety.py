"""Fetches that must end: a total deadline against servers that trickle, a clear error for a
body cut short, and no fetch of this machine's or a private network's addresses."""

import socket
import threading
import time
from contextlib import contextmanager

import pytest

from archive import feeds
from archive.fetching import FetchError, ForbiddenAddress, fetch
from archive.models import Article, Feed, FeedEntry
from tests.local_site import STORIES, article_page, rss, serve


@contextmanager
def raw_server(answer):
    """A loopback server that hands each connection to `answer(conn)`."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def loop():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_answer, args=(answer, conn), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def _answer(answer, conn):
    try:
        conn.recv(65536)
        answer(conn)
    except OSError:
        pass  # the client hung up: what the deadline is for
    finally:
        conn.close()


def trickle(data: bytes, every: float = 0.2):
    def answer(conn):
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return answer


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"


@pytest.mark.parametrize(
    "data",
    [HEADERS + b"<html>" * 10000, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: y\r\n" * 10000],
    ids=["body", "headers"],
)
def test_a_trickling_server_is_cut_off_at_the_total_deadline(db, settings, data):
    settings.FETCH_TIMEOUT_SECONDS = 2
    with raw_server(trickle(data)) as base:
        started = time.monotonic()
        with pytest.raises(FetchError, match="no answer within 2 seconds"):
            fetch(base + "/page")
        assert time.monotonic() - started < 4


def test_a_chunked_body_that_ends_early_is_a_fetch_error(db):
    def cut_short(conn):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"400\r\n<html><body>only part of it"
        )

    with raw_server(cut_short) as base, pytest.raises(FetchError, match="IncompleteRead"):
        fetch(base + "/page")


def test_a_feed_entry_cut_short_is_recorded_and_the_entries_after_it_imported(db, settings):
    def cut_short(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n<html>")

    with serve() as site, raw_server(cut_short) as broken:
        site.put("/good", article_page(*STORIES[0]))
        feed_xml = rss(site, ["/good"]).replace(
            "<item>", f"<item><title>Cut</title><link>{broken}/cut</link></item><item>", 1
        )
        feed = Feed.objects.create(url=site.put("/feed", feed_xml, content_type="text/xml"))
        result = feeds.poll(feed)
    assert result.error == ""
    assert Article.objects.filter(url=site.url("/good")).exists()
    assert "IncompleteRead" in FeedEntry.objects.get(url=f"{broken}/cut").error


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "10.0.0.1", "0.0.0.0"]
)
def test_non_public_addresses_are_refused(db, settings, host):
    settings.FETCH_ALLOWED_HOSTS = []
    with pytest.raises(ForbiddenAddress, match="non-public address"):
        fetch(f"http://{host}:9/latest/meta-data/")


def test_a_loopback_metadata_stand_in_named_by_a_feed_never_becomes_an_article(db, settings):
    with serve() as site:
        secret = site.put("/latest/meta-data/iam", article_page("Credentials", "SECRET " * 60))
        feed = Feed.objects.create(url=site.put("/feed", rss(site, ["/latest/meta-data/iam"])))
        settings.FETCH_ALLOWED_HOSTS = []
        result = feeds.poll(feed)
    assert "non-public address" in result.error
    assert not Article.objects.filter(url=secret).exists()
    assert not Article.objects.filter(body__contains="SECRET").exists()
    assert site.hits("/latest/meta-data/iam") == []


def test_a_redirect_to_a_non_public_address_is_refused(db, settings):
    with serve() as site:
        site.put("/news", article_page(*STORIES[0]))
        # The allowed host name redirects to the same server by its address, not allowed.
        port = site.base.rsplit(":", 1)[1]
        site.put("/moved", "", status=302, headers={"Location": site.url("/news")})
        settings.FETCH_ALLOWED_HOSTS = ["localhost"]
        assert fetch(f"http://localhost:{port}/news").status == 200
        with pytest.raises(ForbiddenAddress):
            fetch(f"http://localhost:{port}/moved")
    assert len(site.hits("/news")) == 1
