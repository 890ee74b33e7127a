"""WARC records as linkspider reads them, and what each one is (its ``kind``).

:func:`parse_records` turns the bytes of one frame (:mod:`linkspider.archive.framing`)
into :class:`WarcRecord` objects with warcio, which undoes the transfer and content
codings (chunked, gzip, deflate, br) as Scrapy does before the crawl parses a page.
:func:`response_kind` is the one place that decides what a response record is.

Record kinds (``records`` table, ``archive.json``):

* ``page``: an HTTP response the crawl would parse (2xx): its rows come from
  :func:`linkspider.extract.fetched_page.extract_fetched`, which also decides whether
  it is HTML (a ``pages`` row with ``note=not-html`` when not);
* ``redirect``: a 301/302/303/307/308 answer with a ``Location``, or an HTML page whose
  ``<meta http-equiv="refresh">`` Scrapy follows (:func:`meta_refresh`): a hop of the
  redirect chain of the page it leads to, never parsed, as in the crawl;
* ``http-error``: any other status (an ``errors`` row ``http-NNN`` and a ``pages`` row);
* ``robots``: a robots.txt fetch (never a page of the crawl);
* ``revisit``, ``request``, ``metadata``, ``warcinfo``, ``conversion``, ``resource``,
  ``other``: counted, not pages;
* ``warc-truncated``: a response the crawler itself cut (``WARC-Truncated``); it is
  parsed like the live crawl parses a page cut by ``LINKSPIDER_PARSE_MAX_BYTES``
  (``note=truncated``) and listed;
* problems, which make a run ``partial``: see :data:`PROBLEM_KINDS`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from w3lib.html import get_base_url, get_meta_refresh
from w3lib.url import safe_url_string
from warcio.archiveiterator import ArchiveIterator

from linkspider.extract.html import decode_html, is_html

PAGE = "page"
REDIRECT = "redirect"
HTTP_ERROR = "http-error"
ROBOTS = "robots"
REVISIT = "revisit"
WARC_TRUNCATED = "warc-truncated"
#: Kinds that mean rows may be missing: the run is ``partial``.
PROBLEM_KINDS = frozenset(
    {
        "garbage",  # bytes between records that start no record
        "broken-gzip",  # a gzip member that does not decompress
        "truncated",  # a record cut off by the end of the file
        "not-warc",  # a gzip member, or a whole input, that holds no WARC record
        "bad-record",  # a record warcio cannot parse (header block)
        "bad-http",  # a response record without a readable HTTP status line
        "bad-body",  # a body whose content coding does not decode
        "unreadable",  # the input could not be opened or downloaded
        "range-error",  # a byte range not answered as asked (200, 416, short body...)
        "extract-error",  # extraction failed on one response (a bug: that page's rows lost)
        "unmatched-dom",  # a rendered DOM whose page was no longer waiting: its rows are raw
    }
)
#: Scrapy's RedirectMiddleware follows these statuses (with a Location header).
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Scrapy's ``redirect_reasons`` entry for a meta refresh.
META_REFRESH = "meta refresh"
#: Fields of linkspider's ``metadata`` records (linkspider.warc.record writes them).
FIELD_DEPTH = "linkspider-depth"
FIELD_REDIRECT_URL = "linkspider-redirect-url"
FIELD_REDIRECT_REASON = "linkspider-redirect-reason"
FIELD_ROBOTS = "linkspider-robots-fetch"


@dataclass
class WarcRecord:
    """One WARC record: WARC header fields, and for responses the HTTP status and body."""

    rec_type: str
    record_id: str = ""
    uri: str = ""
    date: str = ""  # WARC-Date as the crawl writes times: 2026-01-31T12:00:00Z
    concurrent_to: str = ""
    refers_to: str = ""  # WARC-Refers-To (a conversion record: the response it was made of)
    content_type: str = ""  # the record's own Content-Type (WARC header)
    truncated: str = ""  # WARC-Truncated
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    fields: list[tuple[str, str]] = field(default_factory=list)  # metadata records
    problem: str = ""  # a problem kind when the record could not be read
    detail: str = ""

    def header(self, name: str) -> str | None:
        """The first value of HTTP header ``name`` (any case), or None."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    def header_map(self) -> dict[str, list[str]]:
        """Lower-case header names to all their values (what extraction reads)."""
        found: dict[str, list[str]] = {}
        for name, value in self.headers:
            found.setdefault(name.lower(), []).append(value)
        return found

    def field_values(self, name: str) -> list[str]:
        return [v for k, v in self.fields if k == name]


def parse_records(data: bytes) -> Iterator[WarcRecord]:
    """The records in ``data`` (the uncompressed bytes of one or more records)."""
    iterator = iter(ArchiveIterator(io.BytesIO(data), ensure_http_headers=False))
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # warcio raises many types on bad header blocks
            yield WarcRecord("", problem="bad-record", detail=_one_line(exc))
            return
        yield _read(record)


def _read(record: object) -> WarcRecord:
    headers = record.rec_headers  # type: ignore[attr-defined]
    rec_type = str(record.rec_type or "")  # type: ignore[attr-defined]
    found = WarcRecord(
        rec_type,
        record_id=headers.get_header("WARC-Record-ID") or "",
        uri=(headers.get_header("WARC-Target-URI") or "").strip("<>"),
        date=warc_time(headers.get_header("WARC-Date") or ""),
        concurrent_to=headers.get_header("WARC-Concurrent-To") or "",
        refers_to=headers.get_header("WARC-Refers-To") or "",
        content_type=headers.get_header("Content-Type") or "",
        truncated=headers.get_header("WARC-Truncated") or "",
    )
    http = record.http_headers  # type: ignore[attr-defined]
    if rec_type == "response":
        if http is None or not _status(http.get_statuscode()):
            found.problem, found.detail = "bad-http", "no HTTP status line"
            return found
        found.status = _status(http.get_statuscode())
        found.headers = [(str(k), str(v)) for k, v in http.headers]
        try:
            found.body = record.content_stream().read()  # type: ignore[attr-defined]
        except Exception as exc:  # a content coding that does not decode
            found.problem, found.detail = "bad-body", _one_line(exc)
    elif rec_type == "conversion":  # the DOM a browser rendered (linkspider's recorder)
        found.body = record.content_stream().read()  # type: ignore[attr-defined]
    elif rec_type == "metadata":
        text = record.content_stream().read().decode("utf-8", "replace")  # type: ignore[attr-defined]
        for line in text.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                found.fields.append((name.strip(), value.strip()))
    return found


def response_kind(record: WarcRecord, robots: bool = False) -> str:
    """The kind of a ``response`` record (see the module); ``robots``: metadata says so."""
    if robots or urlsplit(record.uri).path == "/robots.txt":
        return ROBOTS
    if record.status in REDIRECT_STATUSES and record.header("Location"):
        return REDIRECT
    if 200 <= record.status < 300:
        return WARC_TRUNCATED if record.truncated else PAGE
    return HTTP_ERROR


def meta_refresh(
    record: WarcRecord, max_delay: float, ignore_tags: Sequence[str] = ("noscript",)
) -> str:
    """Where the page's ``<meta http-equiv="refresh">`` leads, if Scrapy would follow it.

    As Scrapy's MetaRefreshMiddleware (``METAREFRESH_MAXDELAY``,
    ``METAREFRESH_IGNORE_TAGS``): an HTML page whose refresh, within its first 4096
    characters, waits less than ``max_delay`` seconds for an http(s) URL is a redirect,
    never parsed; '' otherwise.
    """
    content_type = record.header("Content-Type")
    if not is_html(content_type, record.body):
        return ""
    text, encoding = decode_html(record.body, content_type)
    text = text[:4096]
    base = get_base_url(text, record.uri, encoding)
    interval, url = get_meta_refresh(text, base, encoding, ignore_tags=ignore_tags)
    if not url or interval is None or interval >= max_delay:
        return ""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def redirect_location(record: WarcRecord) -> str:
    """Where a redirect leads, resolved as Scrapy's RedirectMiddleware resolves it."""
    location = record.header("Location") or ""
    raw = location.encode("latin-1", "replace")
    if raw.startswith(b"//"):  # scheme-relative: the scheme of the redirecting URL
        location = f"{urlsplit(record.uri).scheme}:{location}"
    return urljoin(record.uri, safe_url_string(location))


def redirect_reason(value: str) -> int | str:
    """A redirect reason as Scrapy keeps it: a status (``301``) or ``meta refresh``."""
    return int(value) if value.isdigit() else value


def warc_time(value: str) -> str:
    """``2026-01-31T12:00:00Z`` from a WARC-Date (any precision); '' if unreadable."""
    text = value.strip()
    if not text:
        return ""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
