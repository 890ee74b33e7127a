"""WARC/1.1 records of a crawl's HTTP exchanges, built from what Scrapy keeps.

Pure code (no Scrapy, no WARC library): it turns one fetched exchange into the blocks and
header fields of its ``response``, ``request`` and ``metadata`` records, a rendered DOM into
a ``conversion`` record, and a file's description into its ``warcinfo`` record. The
encoder (:mod:`linkspider.warc.encode`) adds lengths, digests and gzip, the file writer
(:mod:`linkspider.warc.writer`) the ``WARC-Warcinfo-ID`` of the file a record lands in.

What a record holds, and what Scrapy could not give us:

* The **response block** is the status line, the headers and the body. Scrapy does not
  keep the raw header bytes: the headers are rebuilt from ``response.headers``, whose
  names Scrapy title-cases (``content-type`` -> ``Content-Type``) and groups (the values
  of a repeated header stay in order, but their place among other headers is lost). The
  reason phrase is not kept either: the standard one for the status is written
  (``HTTP/1.1 404 Not Found``), none for an unknown status.
* The **body is stored as transferred**, as the WARC standard and Heritrix, wget and
  warcprox do: still compressed when the server sent ``Content-Encoding: gzip`` (the
  recorder sees the response before Scrapy decompresses it), so ``Content-Encoding``
  stays and a reader decodes it as Scrapy did. The transfer coding is already undone
  (Twisted de-chunks), so ``Transfer-Encoding`` is renamed ``X-Crawler-Transfer-Encoding``,
  and ``Content-Length`` always gives the stored body's length, the announced value, if
  it differs (a ``HEAD`` answer, a cut download), kept as ``X-Crawler-Content-Length``:
  Common Crawl's names, so that every record parses on its own.
* The **request block** is the request line, a ``Host`` header built from the URL (the
  HTTP client adds it, Scrapy never sees it) and the headers and body Scrapy sent, with
  the values of ``Authorization`` and ``Proxy-Authorization`` replaced by ``(redacted)``:
  WARC files get copied and shared, credentials must not travel with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import urlsplit

#: The WARC version written.
WARC_VERSION = "WARC/1.1"
HTTP_RESPONSE_TYPE = "application/http; msgtype=response"
HTTP_REQUEST_TYPE = "application/http; msgtype=request"
WARC_FIELDS_TYPE = "application/warc-fields"

#: ``metadata`` record fields (application/warc-fields) of a response.
FIELD_DEPTH = "linkspider-depth"  # link depth from the seed (Scrapy's ``depth``)
FIELD_REDIRECT_URL = "linkspider-redirect-url"  # each URL redirected from, in order
FIELD_REDIRECT_REASON = "linkspider-redirect-reason"  # its status (301...) or reason
FIELD_VIA = "via"  # the Referer (Heritrix's name)
FIELD_FETCH_TIME_MS = "fetchTimeMs"  # from the first header byte to the last body byte
FIELD_ROBOTS = "linkspider-robots-fetch"  # "true" on robots.txt fetches

Header = tuple[bytes, bytes]

#: Request headers whose values are never written (credentials).
REDACTED = frozenset({b"authorization", b"proxy-authorization"})


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request and the response to it, as the crawl got them."""

    url: str  # the URL fetched (after any redirect hop before it: each hop is its own)
    method: str
    request_headers: Sequence[Header]
    request_body: bytes
    status: int
    response_headers: Sequence[Header]
    body: bytes  # as transferred: de-chunked, content coding kept
    fetched_at: datetime  # when the response began to arrive (WARC-Date)
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated: "length", "time", "disconnect"...
    fields: Sequence[tuple[str, str]] = field(default_factory=tuple)  # metadata record


@dataclass(frozen=True)
class RecordSpec:
    """A WARC record before encoding: its type, header fields and block.

    ``headers`` hold every field but ``WARC-Type``, ``Content-Length`` and the digests,
    which the encoder writes. ``payload_offset`` is where the HTTP payload starts in the
    block (``None``: the block has no payload digest of its own).
    """

    record_type: str
    headers: tuple[tuple[str, str], ...]
    block: bytes
    payload_offset: int | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def record_id(self) -> str:
        found = self.header("WARC-Record-ID")
        assert found is not None
        return found


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date: UTC, microseconds (``2026-12-05T12:05:56.351237Z``)."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def http_protocol(protocol: str | None) -> str:
    """The status line's protocol for Scrapy's ``response.protocol`` (``h2`` -> HTTP/2)."""
    if protocol and protocol.upper().startswith("HTTP/"):
        return protocol.upper()
    if protocol and protocol.lower() == "h2":
        return "HTTP/2"
    return "HTTP/1.1"


def _clean(value: bytes) -> bytes:
    # A header value never breaks the record (Scrapy's values hold no line breaks, but a
    # header rebuilt from a Python object might).
    return value.replace(b"\r", b" ").replace(b"\n", b" ")


def response_head(
    status: int, headers: Iterable[Header], body_length: int, protocol: str = "HTTP/1.1"
) -> bytes:
    """Status line and headers of a response whose stored body has ``body_length`` bytes.

    ``Transfer-Encoding`` becomes ``X-Crawler-Transfer-Encoding``; ``Content-Length`` is
    the stored length, the announced one (if different) ``X-Crawler-Content-Length``.
    """
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"{http_protocol(protocol)} {status} {reason}".rstrip().encode("latin-1")]
    announced: bytes | None = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            announced = value.strip() if announced is None else announced
            continue
        if lowered == b"transfer-encoding":
            name = b"X-Crawler-Transfer-Encoding"
        lines.append(_clean(name) + b": " + _clean(value))
    if announced is not None and announced != str(body_length).encode():
        lines.append(b"X-Crawler-Content-Length: " + _clean(announced))
    lines.append(b"Content-Length: " + str(body_length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def request_head(method: str, url: str, headers: Iterable[Header], body_length: int) -> bytes:
    """Request line, ``Host`` (from the URL) and the headers Scrapy sent."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1".encode()]  # Scrapy's URLs are ASCII
    sent = list(headers)
    if not any(name.lower() == b"host" for name, _ in sent):
        lines.append(b"Host: " + parts.netloc.rpartition("@")[2].encode())
    for name, value in sent:
        if name.lower() == b"content-length":
            continue
        shown = b"(redacted)" if name.lower() in REDACTED else _clean(value)
        lines.append(_clean(name) + b": " + shown)
    if body_length or method.upper() in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: " + str(body_length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def warc_fields(fields: Iterable[tuple[str, str]]) -> bytes:
    """An ``application/warc-fields`` block: ``name: value`` lines (line breaks removed)."""
    return b"".join(
        f"{name}: {' '.join(value.split())}\r\n".encode() for name, value in fields if value != ""
    )


def exchange_records(exchange: HttpExchange) -> tuple[RecordSpec, ...]:
    """The ``response``, ``request`` and (with fields) ``metadata`` records of an exchange.

    The response comes first: it is the record a reader looks for, and the other two
    point at it (``WARC-Concurrent-To``), as Heritrix and warcprox write them.
    """
    response_id = new_record_id()
    date = warc_date(exchange.fetched_at)
    common: list[tuple[str, str]] = [("WARC-Date", date), ("WARC-Target-URI", exchange.url)]
    if exchange.ip_address:
        common.append(("WARC-IP-Address", exchange.ip_address))
    head = response_head(
        exchange.status, exchange.response_headers, len(exchange.body), exchange.protocol
    )
    response_headers = [("WARC-Record-ID", response_id), *common]
    if exchange.truncated:
        response_headers.append(("WARC-Truncated", exchange.truncated))
    response_headers.append(("Content-Type", HTTP_RESPONSE_TYPE))
    response = RecordSpec("response", tuple(response_headers), head + exchange.body, len(head))
    linked = (*common, ("WARC-Concurrent-To", response_id))
    request = request_head(
        exchange.method, exchange.url, exchange.request_headers, len(exchange.request_body)
    )
    records = [
        response,
        RecordSpec(
            "request",
            (("WARC-Record-ID", new_record_id()), *linked, ("Content-Type", HTTP_REQUEST_TYPE)),
            request + exchange.request_body,
            len(request),
        ),
    ]
    if exchange.fields:
        metadata_headers = (
            ("WARC-Record-ID", new_record_id()),
            *linked,
            ("Content-Type", WARC_FIELDS_TYPE),
        )
        records.append(RecordSpec("metadata", metadata_headers, warc_fields(exchange.fields)))
    return tuple(records)


def conversion_record(
    url: str,
    body: bytes,
    content_type: str,
    refers_to: str,
    refers_to_url: str,
    made_at: datetime,
) -> RecordSpec:
    """A ``conversion`` record: the DOM a browser rendered from a recorded response."""
    headers = [
        ("WARC-Record-ID", new_record_id()),
        ("WARC-Date", warc_date(made_at)),
        ("WARC-Target-URI", url),
        ("WARC-Refers-To", refers_to),
        ("WARC-Refers-To-Target-URI", refers_to_url),
    ]
    headers.append(("Content-Type", content_type))
    return RecordSpec("conversion", tuple(headers), body, 0)


def warcinfo_record(
    filename: str, fields: Iterable[tuple[str, str]], made_at: datetime
) -> RecordSpec:
    """The ``warcinfo`` record that opens a file (``WARC-Filename`` is its final name)."""
    return RecordSpec(
        "warcinfo",
        (("WARC-Record-ID", new_record_id()), ("WARC-Date", warc_date(made_at)),
         ("WARC-Filename", filename), ("Content-Type", WARC_FIELDS_TYPE)),
        warc_fields(fields),
    )  # fmt: skip
