"""Readers that turn files into raw articles: one reader a format, all streaming.

Each reader yields `RawArticle`s and `BadRecord`s; a bad record names the file (and line) and
says what is wrong, and reading goes on with the next record.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from archive.models import EntityKind
from archive.names import mixes_scripts
from archive.text import clean_line, derive_title, normalize_text, tidy_title

TEXT_SUFFIXES = {".txt"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}
WARC_SUFFIXES = {".warc"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | WARC_SUFFIXES
# A single record larger than this is not an article but a mistake (or an attack).
MAX_RECORD_BYTES = 20 * 1024 * 1024
# Fewer words than this from a page is a menu or a cookie notice, not an article.
MIN_HTML_WORDS = 20
MAX_NAME_LENGTH = 300  # Entity.name
MAX_FIELD_LENGTHS = {"title": 500, "source": 200, "author": 300, "language": 16, "url": 2000}


@dataclass
class RawArticle:
    origin: str
    title: str
    body: str
    url: str | None = None
    source: str = ""
    author: str = ""
    published: datetime | None = None
    language: str = ""
    entities: dict[str, list[str]] | None = None


@dataclass
class BadRecord:
    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass
class SkippedRecord:
    """A record that is no article and no mistake either: a web archive's image or redirect."""

    origin: str
    reason: str
    duplicate: bool = False  # known already (a URL the archive holds), so never fetched


@dataclass
class ReadError(Exception):
    message: str


Record = RawArticle | BadRecord | SkippedRecord


@dataclass
class FileList:
    files: list[Path] = field(default_factory=list)
    missing: list[BadRecord] = field(default_factory=list)


def find_files(paths: Iterable[str | Path]) -> FileList:
    """Files to read: the files named, and the supported files inside the folders named."""
    found = FileList()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.files.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and format_of(p) is not None
            )
        elif path.is_file():
            found.files.append(path)
        else:
            found.missing.append(BadRecord(str(path), "no such file or folder"))
    return found


def format_of(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in WARC_SUFFIXES:
        return "warc"
    return None


def read_paths(paths: Iterable[str | Path]) -> Iterator[Record]:
    found = find_files(paths)
    yield from found.missing
    for path in found.files:
        yield from read_file(path)


def count_records(paths: Iterable[str | Path]) -> int | None:
    """How many records `read_paths` will give, where that is cheap to know: a file each for
    text and HTML, a line each for JSON Lines (read once, by blocks); None when a web
    archive or a compressed file is among them."""
    found = find_files(paths)
    total = len(found.missing)
    for path in found.files:
        kind = format_of(path)
        if kind in {"text", "html"} or kind is None:
            total += 1
        elif kind == "jsonl" and path.suffix.lower() != ".gz":
            try:
                with open(path, "rb") as handle:
                    lines = sum(
                        block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")
                    )
                    handle.seek(max(handle.tell() - 1, 0))
                    total += lines + (handle.read(1) not in (b"\n", b""))
            except OSError:
                total += 1  # read_file reports it
        else:
            return None
    return total


def read_file(path: Path) -> Iterator[Record]:
    kind = format_of(path)
    if kind is None:
        yield BadRecord(
            str(path), f"unsupported format; use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
        return
    reader = {
        "text": read_text_file,
        "jsonl": read_jsonl_file,
        "html": read_html_file,
        "warc": read_warc_file,
    }[kind]
    try:
        yield from reader(path)
    except ReadError as exc:
        yield BadRecord(str(path), exc.message)
    except OSError as exc:
        yield BadRecord(str(path), f"cannot be read: {exc.strerror or exc}")


def _open(path: Path):
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _read_whole(path: Path) -> bytes:
    try:
        with _open(path) as handle:
            data = handle.read(MAX_RECORD_BYTES + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ReadError(f"damaged or truncated gzip file ({exc})") from exc
    if len(data) > MAX_RECORD_BYTES:
        raise ReadError(f"larger than {MAX_RECORD_BYTES // (1024 * 1024)} MB for one article")
    return data


def decode(data: bytes) -> str:
    """UTF-8 text, or a ReadError saying why the bytes are not text."""
    if b"\x00" in data[:8192]:
        raise ReadError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"not UTF-8 text (bad byte at position {exc.start}); convert the file to UTF-8"
        ) from exc


def read_text_file(path: Path) -> Iterator[Record]:
    text = normalize_text(decode(_read_whole(path)))
    if not text:
        yield BadRecord(str(path), "empty: no article text")
        return
    title, body = split_title(text)
    yield RawArticle(origin=str(path), title=title, body=body)


def split_title(text: str) -> tuple[str, str]:
    """A short first line standing alone is the title; otherwise one is derived."""
    head, sep, rest = text.partition("\n\n")
    if sep and rest.strip() and "\n" not in head and len(head) <= 200 and head[-1] not in ".!?,;:":
        return head, rest.strip()
    return derive_title(text), text


def read_jsonl_file(path: Path) -> Iterator[Record]:
    empty = True
    try:
        with _open(path) as handle:
            for number, line in enumerate(_bounded_lines(handle), start=1):
                if line is not None and not line.strip():
                    continue
                empty = False
                origin = f"{path}:{number}"
                try:
                    if line is None:
                        raise ReadError(
                            f"record larger than {MAX_RECORD_BYTES // (1024 * 1024)} MB"
                        )
                    yield article_from_json(origin, line)
                except ReadError as exc:
                    yield BadRecord(origin, exc.message)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ReadError(f"damaged or truncated gzip file ({exc})") from exc
    if empty:
        yield BadRecord(str(path), "empty: no records")


def _bounded_lines(handle) -> Iterator[bytes | None]:
    """The file's lines, or None for a line longer than MAX_RECORD_BYTES, which is skipped
    a block at a time: memory stays bounded however long a (decompressed) line is."""
    while True:
        line = handle.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def article_from_json(origin: str, line: bytes) -> RawArticle:
    if len(line) > MAX_RECORD_BYTES:
        raise ReadError(f"record larger than {MAX_RECORD_BYTES // (1024 * 1024)} MB")
    try:
        data = json.loads(decode(line))
    except json.JSONDecodeError as exc:
        raise ReadError(f"broken JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise ReadError("JSON nested too deeply") from exc
    if not isinstance(data, dict):
        raise ReadError("expected a JSON object with at least a body")
    return article_from_fields(origin, data)


def _string(data: dict, *names: str) -> str:
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float):
            raise ReadError(f"field '{name}' must be text")
        return str(value).strip()
    return ""


def _line(data: dict, *names: str) -> str:
    return clean_line(_string(data, *names))


def article_from_fields(origin: str, data: dict) -> RawArticle:
    body = normalize_text(_string(data, "body", "text"))
    if not body:
        raise ReadError("no body: the record needs a non-empty 'body' or 'text'")
    title = tidy_title(normalize_text(_string(data, "title"))) or derive_title(body)
    fields = {
        "title": title,
        "url": _line(data, "url") or None,
        "source": _line(data, "source", "publication"),
        "author": _line(data, "author", "byline"),
        "language": _line(data, "language", "lang"),
    }
    for name, limit in MAX_FIELD_LENGTHS.items():
        if fields[name] and len(fields[name]) > limit:
            if name == "title":
                fields[name] = fields[name][: limit - 1] + "…"
            else:
                raise ReadError(f"field '{name}' is longer than {limit} characters")
    if fields["url"] and not fields["url"].lower().startswith(("http://", "https://")):
        raise ReadError(f"url must start with http:// or https:// (got {fields['url'][:60]!r})")
    return RawArticle(
        origin=origin,
        body=body,
        published=parse_published(_string(data, "published", "date")),
        entities=parse_entities(data.get("entities")),
        **fields,
    )


def parse_published(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value[:10])
            moment = datetime.combine(day, time()) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise ReadError(f"date {value[:40]!r} is not an ISO date (YYYY-MM-DD[THH:MM:SS])")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    try:
        # Stored in UTC: "9999-12-31T23:00-05:00" would be year 10000, which no database keeps.
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ReadError(f"date {value[:40]!r} is outside the years 1 to 9999 once in UTC") from None
    return moment


def parse_entities(value) -> dict[str, list[str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - set(EntityKind.values):
        raise ReadError(
            "'entities' must be an object with lists under person, place and organization"
        )
    entities = {}
    for kind, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ReadError(f"'entities.{kind}' must be a list of names")
        names = [clean_line(n) for n in names]
        look_alike = next((n for n in names if mixes_scripts(n)), None)
        if look_alike:
            raise ReadError(
                f"'entities.{kind}' has {look_alike[:40]!r}, which mixes Latin, Cyrillic or "
                "Greek letters in one word (a look-alike spelling)"
            )
        long = next((n for n in names if len(n) > MAX_NAME_LENGTH), None)
        if long:
            raise ReadError(
                f"'entities.{kind}' has a name longer than {MAX_NAME_LENGTH} characters "
                f"({long[:40]!r}…)"
            )
        entities[kind] = [n for n in names if n]
    return entities


def read_html_file(path: Path) -> Iterator[Record]:
    yield article_from_html(str(path), _read_whole(path))


def article_from_html(
    origin: str, data: bytes, *, url: str | None = None, captured: datetime | None = None
) -> Record:
    """The article in a saved or fetched page. `url` is where the page was fetched from (it
    wins over the page's own idea); `captured` stands in for a page that shows no date."""
    import trafilatura

    try:
        html = decode_html(data)
    except ReadError as exc:
        return BadRecord(origin, exc.message)
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False
    )
    text = normalize_text(document.text or "") if document else ""
    if len(text.split()) < MIN_HTML_WORDS:
        return BadRecord(origin, "no article text found in the page")
    fields = {
        "title": normalize_text(document.title or ""),
        "url": url or document.url,
        "source": document.sitename or document.hostname or "",
        "author": document.author or "",
        "published": document.date or (captured.isoformat() if captured else None),
        "language": document.language or "",
    }
    try:
        return article_from_fields(origin, {**fields, "body": text})
    except ReadError:
        pass
    # Page metadata is a guess; a bad guess must not cost the article itself.
    try:
        return article_from_fields(origin, {"title": fields["title"], "url": url, "body": text})
    except ReadError as exc:
        return BadRecord(origin, exc.message)


def read_warc_file(path: Path) -> Iterator[Record]:
    """Each HTML page a web archive captured (a 200 response) as an article, with the URL and,
    where the page shows no date, the capture date; other records are counted as skipped."""
    from warcio.exceptions import ArchiveLoadFailed

    with open(path, "rb") as handle:
        try:
            for number, record in enumerate(_bounded_warc(handle), start=1):
                if record.rec_type not in {"response", "resource"}:
                    continue  # warcinfo, requests, metadata: about pages, not pages
                yield _warc_page(f"{path}#{number}", record)
        except (ArchiveLoadFailed, EOFError, zlib.error, ValueError) as exc:
            raise ReadError(f"damaged web archive ({exc})") from exc


# Header lines of a web archive (WARC and HTTP headers): warcio reads each line whole, so a
# file of spaces without a newline (a 1 MB gzip expands to gigabytes) was read into memory.
MAX_WARC_LINE = 1024 * 1024


def _bounded_warc(handle):
    """warcio's record iterator, its lines read at most MAX_WARC_LINE at a time: a longer
    one is a damaged archive (ReadError), found while streaming."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader

    class BoundedReader(DecompressingBufferedReader):
        def readline(self, length=None):
            if length is None or length > MAX_WARC_LINE:
                length = MAX_WARC_LINE + 1
            line = super().readline(length)
            if len(line) > MAX_WARC_LINE:
                raise ReadError(
                    f"damaged web archive (a header line longer than "
                    f"{MAX_WARC_LINE // 1024 // 1024} MB)"
                )
            return line

    iterator = ArchiveIterator(handle)
    iterator.reader.__class__ = BoundedReader
    return iterator


def _warc_page(origin: str, record) -> Record:
    url = record.rec_headers.get_header("WARC-Target-URI") or None
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        content_type = record.http_headers.get_header("Content-Type") or ""
    else:
        status, content_type = "200", record.rec_headers.get_header("Content-Type") or ""
    if status != "200":
        return SkippedRecord(origin, f"HTTP {status}, not a page")
    if "html" not in content_type.lower():
        return SkippedRecord(origin, f"{content_type.split(';')[0] or 'no type'}, not HTML")
    data = record.content_stream().read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        return BadRecord(origin, f"page larger than {MAX_RECORD_BYTES // (1024 * 1024)} MB")
    captured = parse_datetime(record.rec_headers.get_header("WARC-Date") or "")
    if url and not url.lower().startswith(("http://", "https://")):
        url = None
    return article_from_html(origin, data, url=url, captured=captured)


def decode_html(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ReadError("binary file, not HTML")
    # Pages declare their own charset; trafilatura's decoder honours it and falls back sanely.
    from trafilatura.utils import decode_file

    return decode_file(data)
