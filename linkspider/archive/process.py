"""One archive input in, table rows out: what a Spark task does with its input.

:func:`process_input` frames the input (:mod:`linkspider.archive.framing`), parses each
record (:mod:`linkspider.archive.records`) and turns every response into the rows the
live crawl makes of it, with :func:`linkspider.extract.fetched_page.extract_fetched`.
It yields ``(table, row)`` pairs; rows are tuples in the column order of :data:`TABLES`.

Fetch-time fields come from the archive: ``fetched_at``/``first_seen``/``last_seen`` are
the record's ``WARC-Date``. linkspider's recorder writes a ``metadata`` record after each
response (``linkspider-depth``, the redirect chain, robots.txt fetches): with it, depth and
``source_redirects`` are the crawl's own; without it (WARCs of other crawlers, Common
Crawl ranges) depth is 0 and the chain is rebuilt from the archive's redirect records
when the exports are built (:mod:`linkspider.archive.redirects`).

Pure (no Spark): Spark only distributes the inputs, so tests and a driver can call it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import astuple, dataclass
from itertools import zip_longest

from linkspider.archive.framing import Frame, frames
from linkspider.archive.inputs import InputError, WarcInput, open_input
from linkspider.archive.records import (
    FIELD_DEPTH,
    FIELD_REDIRECT_REASON,
    FIELD_REDIRECT_URL,
    FIELD_ROBOTS,
    HTTP_ERROR,
    META_REFRESH,
    PAGE,
    PROBLEM_KINDS,
    REDIRECT,
    ROBOTS,
    WARC_TRUNCATED,
    WarcRecord,
    meta_refresh,
    parse_records,
    redirect_location,
    redirect_reason,
    response_kind,
)
from linkspider.config.targets import TargetSet
from linkspider.core.items import BACKLINK_COLUMNS, ERROR_COLUMNS, PAGE_COLUMNS, ErrorItem
from linkspider.extract.fetched_page import (
    DEFAULT_PARSE_MAX_BYTES,
    NOT_HTML,
    FetchedResponse,
    extract_fetched,
    page_record,
)
from linkspider.extract.html import is_html
from linkspider.extract.placement import PlacementRule

#: ``records`` columns: one row per record read (and per problem met).
RECORD_COLUMNS = ("input", "offset", "length", "record_type", "url", "kind", "detail", "date")
#: ``redirects`` columns: the redirect answers, to rebuild chains of unrecorded crawls.
#: ``chain``: the redirects before the hop, JSON ``[[url, reason], ...]`` (linkspider's
#: metadata records; null when the WARC does not say).
REDIRECT_COLUMNS = ("url", "location", "status", "fetched_at", "depth", "chain")
#: ``inputs`` columns: one row per input, ``status`` ``read`` or the problem that stopped it.
#: ``part``: a part of a big file read in parallel (offset/length: the part's bytes).
INPUT_COLUMNS = (
    "input", "offset", "length", "part", "status", "records", "problems", "detail",
)  # fmt: skip
#: Extra ``pages`` columns (dropped from the exports): the redirect URLs before the page,
#: JSON (the crawl's, from linkspider's metadata records), or null when the WARC does not say.
PAGE_EXTRA = ("chain",)
TABLES: dict[str, tuple[str, ...]] = {
    "backlinks": BACKLINK_COLUMNS,
    "pages": (*PAGE_COLUMNS, *PAGE_EXTRA),
    "errors": ERROR_COLUMNS,
    "records": RECORD_COLUMNS,
    "redirects": REDIRECT_COLUMNS,
    "inputs": INPUT_COLUMNS,
}
#: A page of linkspider's recording waits this many records for its rendered DOM (a
#: ``conversion`` record, written when the browser is done) before it is read from its raw
#: HTML alone; and at most this many bytes of bodies wait at once.
DOM_WINDOW = 1024
PENDING_BYTES = 64 * 1024 * 1024
#: ``render_reason`` of a page read with its recorded DOM (the crawl's reason is not kept).
RECORDED_DOM = "recorded-dom"

Row = tuple[object, ...]


@dataclass(frozen=True)
class ExtractOptions:
    """What extraction needs besides the bytes (shipped to every Spark task)."""

    targets: TargetSet
    rules: Sequence[PlacementRule] = ()
    max_bytes: int = DEFAULT_PARSE_MAX_BYTES
    #: Scrapy's METAREFRESH_MAXDELAY (None: METAREFRESH_ENABLED off), METAREFRESH_IGNORE_TAGS
    meta_refresh_max_delay: float | None = 100
    meta_refresh_ignore_tags: tuple[str, ...] = ("noscript",)


def process_inputs(
    items: Iterable[WarcInput], options: ExtractOptions
) -> Iterator[tuple[str, Row]]:
    """:func:`process_input` over several inputs (a Spark partition)."""
    for item in items:
        yield from process_input(item, options)


def process_input(item: WarcInput, options: ExtractOptions) -> Iterator[tuple[str, Row]]:
    """Every table row of one input, ending with its ``inputs`` row."""
    reader = _InputReader(item, options)
    cut: list[str] = []
    try:
        with open_input(item, cut) as buf:
            for why in cut:
                yield reader.record_row("", "", "unreadable", why)
            if item.split:  # a part of a big file: the records that start in it
                start, end = item.offset or 0, (item.offset or 0) + (item.length or 0)
                yield from reader.read(frames(buf, start), end)
            else:
                yield from reader.read(frames(buf))
    except InputError as exc:
        yield reader.record_row("", "", exc.kind, str(exc))
        yield "inputs", (*_where(item), exc.kind, reader.records, reader.problems, str(exc))
        return
    except (OSError, ValueError, MemoryError) as exc:  # e.g. a file that shrank while read
        detail = f"{item.describe()}: {type(exc).__name__}: {exc}"
        yield reader.record_row("", "", "unreadable", detail)
        yield "inputs", (*_where(item), "unreadable", reader.records, reader.problems, detail)
        return
    if reader.records == 0 and reader.problems:
        status, detail = "not-warc", "no WARC record found"
    else:
        status, detail = ("partial" if reader.problems else "read"), ""
    yield "inputs", (*_where(item), status, reader.records, reader.problems, detail)


@dataclass
class _Waiting:
    """A response waiting for its metadata record, and a page for its rendered DOM."""

    record: WarcRecord
    offset: int
    length: int
    fields: list[tuple[str, str]] | None = None  # None: no metadata record (yet)
    since: int = 0  # the record count when it began to wait for a DOM


class _InputReader:
    def __init__(self, item: WarcInput, options: ExtractOptions) -> None:
        self.item = item
        self.options = options
        self.records = 0
        self.problems = 0
        self._offset = 0
        self._length = 0
        self._count = 0  # records seen, look-ahead past a part's end included
        self._conversions = 0
        self._pending: OrderedDict[str, _Waiting] = OrderedDict()
        self._unannotated: set[str] = set()  # pending responses without metadata (yet)
        self._pending_bytes = 0

    def read(self, found: Iterator[Frame], end: int | None = None) -> Iterator[tuple[str, Row]]:
        """The rows of the frames (of a part: those that start before ``end``)."""
        for frame in found:
            if end is not None and frame.offset >= end:
                yield from self._finish_part(frame, found)
                break
            self._offset, self._length = self._shift(frame.offset), frame.length
            if frame.problem:
                yield self.record_row("", "", frame.problem, frame.detail)
                continue
            for record in parse_records(frame.data):
                self._count += 1
                yield from self._record(record)
                yield from self._expire()
        while self._pending:
            yield from self._flush(next(iter(self._pending)))

    def _finish_part(self, frame: Frame, found: Iterator[Frame]) -> Iterator[tuple[str, Row]]:
        """Past the end of a part: the metadata records of its last responses, and the
        rendered DOMs of its last pages if the part had any (they are the next part's
        records: read here, counted there)."""
        start = self._count
        while self._pending and not frame.problem and self._count - start < DOM_WINDOW:
            for record in parse_records(frame.data):
                self._count += 1
                key = record.concurrent_to or record.refers_to
                if key in self._pending and record.rec_type in ("metadata", "conversion"):
                    yield from self._record(record, counted=False)
                elif record.rec_type == "response":
                    yield from self._no_metadata()
                    if not (self._conversions and self._pending):
                        return
                yield from self._expire()
            frame = next(found, Frame(0, 0, problem="end"))

    def _shift(self, offset: int) -> int:
        return offset if self.item.split else offset + (self.item.offset or 0)

    def _record(self, record: WarcRecord, counted: bool = True) -> Iterator[tuple[str, Row]]:
        if record.problem:
            yield self.record_row(record.rec_type, record.uri, record.problem, record.detail)
            return
        self.records += counted
        kind = record.rec_type
        if kind == "response":
            yield from self._no_metadata()  # the records of an exchange are written together
            key = record.record_id or f"#{self._offset}"
            if key in self._pending:  # a record ID met twice (files joined together)
                yield from self._flush(key)
            self._pending[key] = _Waiting(record, self._offset, self._length)
            self._unannotated.add(key)
            self._pending_bytes += len(record.body)
            return
        if kind == "metadata" and record.concurrent_to in self._pending:
            waiting = self._pending[record.concurrent_to]
            waiting.fields, waiting.since = record.fields or [("", "")], self._count
            self._unannotated.discard(record.concurrent_to)
            if not self._may_be_rendered(waiting.record):
                yield from self._flush(record.concurrent_to)
        elif kind == "conversion":
            self._conversions += 1
            if record.refers_to in self._pending:
                dom = (record.body, record.uri, record.content_type)
                yield from self._flush(record.refers_to, dom)
            elif counted and not (self.item.split and self._count <= DOM_WINDOW):
                # (a part's first records may be the DOMs of the part before's last pages)
                detail = f"its response {record.refers_to} was not waiting in this input"
                yield self.record_row(kind, record.uri, "unmatched-dom", detail, record.date)
                return
        if counted:
            yield self.record_row(kind, record.uri, kind, "", record.date)

    def _may_be_rendered(self, record: WarcRecord) -> bool:
        """A 2xx HTML page of linkspider's recording: a rendered DOM may follow."""
        return 200 <= record.status < 300 and is_html(record.header("Content-Type"), record.body)

    def _no_metadata(self) -> Iterator[tuple[str, Row]]:
        """Flush the responses that got no metadata record (another crawler's WARC)."""
        for key in list(self._unannotated):
            if key in self._pending:
                yield from self._flush(key)
        self._unannotated.clear()

    def _expire(self) -> Iterator[tuple[str, Row]]:
        """Pages whose DOM did not come within the window are read from their raw HTML."""
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if oldest.fields is None:  # its metadata comes next
                return
            waited = self._count - oldest.since
            if waited <= DOM_WINDOW and self._pending_bytes <= PENDING_BYTES:
                return
            yield from self._flush(key)

    def _flush(
        self, key: str, dom: tuple[bytes, str, str] | None = None
    ) -> Iterator[tuple[str, Row]]:
        waiting = self._pending.pop(key)
        self._pending_bytes -= len(waiting.record.body)
        record, fields = waiting.record, waiting.fields or []
        here = (self._offset, self._length)
        self._offset, self._length = waiting.offset, waiting.length
        try:  # a page's rows all or none: its pages row says they are all out
            rows = list(self._response(record, fields, dom))
        except Exception as exc:  # a bug on one page costs that page, never the run
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            rows = [self.record_row("response", record.uri, "extract-error", detail, record.date)]
        yield from rows
        self._offset, self._length = here

    def _response(
        self,
        record: WarcRecord,
        fields: list[tuple[str, str]],
        dom: tuple[bytes, str, str] | None = None,
    ) -> Iterator[tuple[str, Row]]:
        values = dict(fields)
        kind = response_kind(record, robots=values.get(FIELD_ROBOTS) == "true")
        depth = _int(values.get(FIELD_DEPTH))
        if kind == ROBOTS:
            yield self.record_row("response", record.uri, kind, "", record.date)
            return
        status: int | str = record.status
        location = ""
        if kind == REDIRECT:
            location = redirect_location(record)
        elif kind in (PAGE, WARC_TRUNCATED) and self.options.meta_refresh_max_delay is not None:
            location = meta_refresh(
                record, self.options.meta_refresh_max_delay, self.options.meta_refresh_ignore_tags
            )
            kind, status = (REDIRECT, META_REFRESH) if location else (kind, status)
        chain_urls = [v for k, v in fields if k == FIELD_REDIRECT_URL]
        chain_reasons = [redirect_reason(v) for k, v in fields if k == FIELD_REDIRECT_REASON]
        if kind == REDIRECT:
            pairs = zip_longest(chain_urls, chain_reasons, fillvalue="")
            chain = json.dumps(list(pairs)) if fields else None
            yield "redirects", (record.uri, location, str(status), record.date, depth, chain)
            yield self.record_row("response", record.uri, kind, location, record.date)
            return
        fetched = FetchedResponse(
            url=record.uri,
            status=record.status,
            body=record.body,
            content_type=record.header("Content-Type"),
            headers=record.header_map(),
            fetched_at=record.date,
            depth=depth,
            redirect_urls=chain_urls,
            redirect_statuses=chain_reasons,  # type: ignore[arg-type]
        )
        chain = json.dumps(chain_urls) if fields else None
        if kind == HTTP_ERROR:
            error = f"http-{record.status}"
            yield (
                "errors",
                astuple(ErrorItem(record.uri, error, f"HTTP {record.status}", depth, record.date)),
            )
            yield "pages", (*astuple(page_record(fetched, note=error)), chain)
            yield self.record_row("response", record.uri, kind, error, record.date)
            return
        result = extract_fetched(
            fetched, self.options.targets, self.options.rules, self.options.max_bytes,
            dom=dom, rendered=dom is not None, render_reason=RECORDED_DOM if dom else "",
        )  # fmt: skip
        for row in result.rows:
            yield "backlinks", astuple(row)
        yield "pages", (*astuple(result.record), chain)
        if result.page is None:
            kind, detail = NOT_HTML, result.record.content_type
        else:
            detail = f"WARC-Truncated: {record.truncated}" if kind == WARC_TRUNCATED else ""
            kind = kind if kind == WARC_TRUNCATED else PAGE
        yield self.record_row("response", record.uri, kind, detail, record.date)

    def record_row(
        self, rec_type: str, url: str, kind: str, detail: str, date: str = ""
    ) -> tuple[str, Row]:
        if kind in PROBLEM_KINDS:
            self.problems += 1
        where = (self.item.location, self._offset, self._length)
        return "records", (*where, rec_type, url, kind, detail, date)


def _where(item: WarcInput) -> tuple[str, int | None, int | None, bool]:
    return item.location, item.offset, item.length, item.split


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
