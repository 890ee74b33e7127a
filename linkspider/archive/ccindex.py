"""Common Crawl's columnar URL index: which WARC records hold the pages of chosen domains.

The index ("cc-index-table", https://github.com/commoncrawl/cc-index-table) is a Parquet
table partitioned as ``cc-index/table/cc-main/warc/crawl=CC-MAIN-YYYY-WW/subset=warc/
part-*.c000.gz.parquet``; each crawl lists its files in
``crawl-data/CC-MAIN-YYYY-WW/cc-index-table.paths.gz``. One row per capture: the URL, its
host's registered domain (``url_host_registered_domain``), the capture time
(``fetch_time``), status, MIME types and the record's place (``warc_filename``,
``warc_record_offset``, ``warc_record_length``).

The query runs here, with pyarrow, on the driver: Spark cannot read Parquet over plain
HTTP (no Hadoop HTTP file system), and S3 access to Common Crawl needs AWS credentials.
Each Parquet file is opened over HTTP range requests (:class:`RemoteFile`): its footer
gives every row group's min/max ``url_host_registered_domain``, and only the row groups
whose range can hold a chosen domain are read, and of them only the columns used. The
table is sorted by SURT key (reversed host), so a domain's rows sit in a few row groups.

Kept rows: ``subset=warc``, ``fetch_status`` 200, and an HTML type declared
(``content_mime_type``) or detected (``content_mime_detected``): ``text/html`` or
``application/xhtml+xml`` (kind ``page``). Other captures cannot hold a backlink row. With
``IndexQuery.redirects`` (the default), the domains' redirects (``subset=crawldiagnostics``,
status 301/302/303/307/308: kind ``redirect``) are kept too, so that a page reached
through a redirect gets its chain (``source_redirects``) as in a crawl.
"""

from __future__ import annotations

import bisect
import gzip
import re
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkspider.archive.byteranges import (
    RangeError,
    RangeReader,
    RemoteFile,
    is_http,
    join_location,
)
from linkspider.core.domains import host_matches

#: Common Crawl's public HTTPS endpoint for every file (index, listings, WARCs).
DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
#: The crawl names of Common Crawl's monthly main crawls.
CRAWL_RE = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")
#: MIME types (declared or detected) of pages that can hold links.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: Statuses of the redirect captures kept (Scrapy's RedirectMiddleware follows these).
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: The index partition of unsuccessful captures (redirects, 404s...).
DIAGNOSTICS = "crawldiagnostics"
#: Paths listings are small (a few hundred lines); anything far larger is not one.
_LISTING_LIMIT = 64 << 20

#: The index's flat schema (cc-index-schema-flat.json), with Parquet types as written by
#: Spark: ``short`` is int16, ``integer`` int32, ``timestamp`` a UTC timestamp. ``crawl``
#: and ``subset`` are partition columns (folder names), not stored in the files.
INDEX_SCHEMA = pa.schema(
    [
        pa.field("url_surtkey", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("url_host_name", pa.string(), nullable=False),
        pa.field("url_host_tld", pa.string()),
        pa.field("url_host_2nd_last_part", pa.string()),
        pa.field("url_host_3rd_last_part", pa.string()),
        pa.field("url_host_4th_last_part", pa.string()),
        pa.field("url_host_5th_last_part", pa.string()),
        pa.field("url_host_registry_suffix", pa.string()),
        pa.field("url_host_registered_domain", pa.string()),
        pa.field("url_host_private_suffix", pa.string()),
        pa.field("url_host_private_domain", pa.string()),
        pa.field("url_host_name_reversed", pa.string()),
        pa.field("url_protocol", pa.string(), nullable=False),
        pa.field("url_port", pa.int32()),
        pa.field("url_path", pa.string(), nullable=False),
        pa.field("url_query", pa.string()),
        pa.field("fetch_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("fetch_status", pa.int16(), nullable=False),
        pa.field("fetch_redirect", pa.string()),
        pa.field("content_digest", pa.string()),
        pa.field("content_mime_type", pa.string()),
        pa.field("content_mime_detected", pa.string()),
        pa.field("content_charset", pa.string()),
        pa.field("content_languages", pa.string()),
        pa.field("content_truncated", pa.string()),
        pa.field("warc_filename", pa.string(), nullable=False),
        pa.field("warc_record_offset", pa.int32(), nullable=False),
        pa.field("warc_record_length", pa.int32(), nullable=False),
        pa.field("warc_segment", pa.string(), nullable=False),
    ]
)

#: Columns the query reads (older crawls lack the last two: read when present).
_COLUMNS = (
    "url",
    "url_host_name",
    "url_host_registered_domain",
    "fetch_time",
    "fetch_status",
    "content_mime_type",
    "content_mime_detected",
    "warc_filename",
    "warc_record_offset",
    "warc_record_length",
    "content_charset",
    "content_truncated",
)
_DOMAIN_COLUMN = "url_host_registered_domain"


class CCIndexError(Exception):
    """The index cannot be queried (unknown crawl, unreadable listing or file)."""


def listing_path(crawl: str) -> str:
    """The crawl's listing of index files, relative to the base URL."""
    return f"crawl-data/{crawl}/cc-index-table.paths.gz"


def partition_prefix(crawl: str, subset: str = "warc") -> str:
    """The folder of one partition of the index table, relative to the base URL."""
    return f"cc-index/table/cc-main/warc/crawl={crawl}/subset={subset}/"


@dataclass(frozen=True)
class DomainChoice:
    """One chosen referring domain (or host): ``name`` and its ICANN registered domain.

    The index's ``url_host_registered_domain`` is one level below the *registry* (ICANN)
    suffix, so ``x.blogspot.com`` is stored under ``blogspot.com``: the query filters on
    ``registered`` (pushed down to the row groups) and keeps the hosts that are ``name``
    or below it.
    """

    name: str
    registered: str


@dataclass(frozen=True)
class IndexQuery:
    """What to select: a crawl, the chosen domains, the partition and the page filter."""

    crawl: str
    domains: tuple[DomainChoice, ...]
    subset: str = "warc"
    statuses: frozenset[int] = frozenset({200})
    mime_types: frozenset[str] = HTML_TYPES
    redirects: bool = True  # also the redirect captures of the domains

    @property
    def subsets(self) -> tuple[str, ...]:
        """The index partitions read."""
        return (self.subset, DIAGNOSTICS) if self.redirects else (self.subset,)

    def __post_init__(self) -> None:
        if not CRAWL_RE.match(self.crawl):
            raise CCIndexError(f"{self.crawl!r} is not a Common Crawl crawl name (CC-MAIN-YYYY-WW)")
        if not self.domains:
            raise CCIndexError("no domain to select")


@dataclass(frozen=True, slots=True)
class SelectedRecord:
    """One capture to read: where its WARC record is and what the index says of it."""

    url: str
    host: str
    domain: str  # the chosen domain (DomainChoice.name) it was selected for
    fetch_time: str  # ISO 8601 UTC, e.g. 2026-11-24T03:14:15Z: the capture time
    fetch_status: int
    mime_type: str
    warc_filename: str
    offset: int
    length: int
    charset: str = ""
    truncated: str = ""
    kind: str = "page"  # or "redirect"


@dataclass
class Selection:
    """The records chosen, sorted by (file, offset), and how the index was read."""

    query: IndexQuery
    base: str
    records: list[SelectedRecord]
    index_files: int = 0
    row_groups: int = 0
    row_groups_read: int = 0
    bytes_read: int = 0
    requests: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # status / mime / host

    def captures_by_domain(self) -> dict[str, int]:
        """Captures selected per chosen domain (0 for a domain with none)."""
        counts = Counter(record.domain for record in self.records)
        return {choice.name: counts.get(choice.name, 0) for choice in self.query.domains}

    def warc_files(self) -> list[str]:
        """The WARC files the records are in (sorted)."""
        return sorted({record.warc_filename for record in self.records})


def index_files(base: str, query: IndexQuery, reader: RangeReader) -> list[tuple[str, str]]:
    """``(subset, location)`` of the crawl's index files of ``query.subsets``.

    From the crawl's ``cc-index-table.paths.gz`` listing; a local base without a listing
    is listed as a folder. An unknown crawl, or one without files of ``query.subset``,
    is a :class:`CCIndexError`.
    """
    prefix = partition_prefix(query.crawl, query.subset)
    listing = join_location(base, listing_path(query.crawl))
    if not is_http(base) and not Path(listing).exists():
        files = [
            (subset, str(path))
            for subset in query.subsets
            for path in sorted(
                Path(join_location(base, partition_prefix(query.crawl, subset))).glob("*.parquet")
            )
        ]
        if not any(subset == query.subset for subset, _ in files):
            raise CCIndexError(
                f"crawl {query.crawl} not found under {base}: neither {listing_path(query.crawl)}"
                f" nor {prefix}*.parquet"
            )
        return files
    try:
        raw = reader.read_whole(listing, _LISTING_LIMIT)
    except RangeError as exc:
        raise CCIndexError(
            f"crawl {query.crawl}: cannot read its index listing {listing}: "
            f"{str(exc).removeprefix(listing + ': ')}"
        ) from None
    try:
        text = gzip.decompress(raw).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise CCIndexError(f"{listing} is not a gzipped paths listing: {exc}") from None
    paths = [line.strip() for line in text.splitlines() if line.strip()]
    chosen = [
        (subset, join_location(base, p))
        for subset in query.subsets
        for p in paths
        if p.startswith(partition_prefix(query.crawl, subset))
    ]
    if not any(subset == query.subset for subset, _ in chosen):
        raise CCIndexError(f"{listing} lists no index file under {prefix}")
    return chosen


def select_records(
    base: str, query: IndexQuery, reader: RangeReader, threads: int = 8
) -> Selection:
    """Query the index at ``base`` (URL or folder) for ``query``: see the module doc."""
    files = index_files(base, query, reader)
    before = (reader.stats.requests, reader.stats.bytes)
    keys = sorted({choice.registered for choice in query.domains})
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(files)))) as pool:
        parts = list(pool.map(lambda f: _query_file(f[0], f[1], query, keys, reader), files))
    records: list[SelectedRecord] = []
    selection = Selection(query, base, records, index_files=len(files))
    for part in parts:
        records.extend(part.records)
        selection.row_groups += part.row_groups
        selection.row_groups_read += part.row_groups_read
        selection.skipped.update(part.skipped)
    records.sort(key=lambda r: (r.warc_filename, r.offset))
    selection.requests = reader.stats.requests - before[0]
    selection.bytes_read = reader.stats.bytes - before[1]
    return selection


@dataclass
class _FileResult:
    records: list[SelectedRecord] = field(default_factory=list)
    row_groups: int = 0
    row_groups_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def _query_file(
    subset: str, location: str, query: IndexQuery, keys: Sequence[str], reader: RangeReader
) -> _FileResult:
    try:
        # local files too: the same reads, counted the same way
        parquet = pq.ParquetFile(RemoteFile(reader, location), coerce_int96_timestamp_unit="us")
        return _query_parquet(parquet, subset, query, keys)
    except RangeError as exc:
        raise CCIndexError(f"index file unreadable: {exc}") from None
    except (pa.ArrowException, OSError) as exc:
        raise CCIndexError(f"index file {location} is not a readable Parquet file: {exc}") from None


def _query_parquet(
    parquet: pq.ParquetFile, subset: str, query: IndexQuery, keys: Sequence[str]
) -> _FileResult:
    names = parquet.schema_arrow.names
    missing = [c for c in _COLUMNS[:10] if c not in names]
    if missing:
        raise CCIndexError(f"not a Common Crawl index file: no column {', '.join(missing)}")
    columns = [c for c in _COLUMNS if c in names]
    domain_index = names.index(_DOMAIN_COLUMN)
    result = _FileResult(row_groups=parquet.metadata.num_row_groups)
    groups: dict[str, list[DomainChoice]] = {}
    for choice in query.domains:
        groups.setdefault(choice.registered, []).append(choice)
    value_set = pa.array(keys, pa.string())
    for group in range(parquet.metadata.num_row_groups):
        stats = parquet.metadata.row_group(group).column(domain_index).statistics
        if stats is not None and stats.has_min_max and not _any_between(keys, stats.min, stats.max):
            continue
        result.row_groups_read += 1
        table = parquet.read_row_group(group, columns=columns)
        table = table.filter(pc.is_in(table[_DOMAIN_COLUMN], value_set=value_set))
        for row in table.to_pylist():
            _keep(row, subset, query, groups, result)
    return result


def _any_between(keys: Sequence[str], low: object, high: object) -> bool:
    """Whether a sorted key lies in [low, high] (row group statistics may be bytes)."""
    lo = low.decode("utf-8", "replace") if isinstance(low, bytes) else str(low)
    hi = high.decode("utf-8", "replace") if isinstance(high, bytes) else str(high)
    at = bisect.bisect_left(keys, lo)
    return at < len(keys) and keys[at] <= hi


def _keep(
    row: dict[str, Any],
    subset: str,
    query: IndexQuery,
    groups: dict[str, list[DomainChoice]],
    result: _FileResult,
) -> None:
    host = str(row["url_host_name"] or "").lower()
    choice = _choice_for(host, groups.get(str(row[_DOMAIN_COLUMN]), ()))
    if choice is None:
        result.skipped["other-host"] += 1
        return
    status = int(row["fetch_status"])
    declared = _mime(row.get("content_mime_type"))
    detected = _mime(row.get("content_mime_detected"))
    kind = "page"
    if subset == DIAGNOSTICS:
        if status not in REDIRECT_STATUSES:
            result.skipped["status"] += 1
            return
        kind = "redirect"
    elif status not in query.statuses:
        result.skipped["status"] += 1
        return
    elif declared not in query.mime_types and detected not in query.mime_types:
        result.skipped["not-html"] += 1
        return
    result.records.append(
        SelectedRecord(
            url=str(row["url"]),
            host=host,
            domain=choice.name,
            fetch_time=iso_utc(row["fetch_time"]),
            fetch_status=int(row["fetch_status"]),
            mime_type=detected if detected in query.mime_types else declared,
            warc_filename=sys.intern(str(row["warc_filename"])),  # shared by many records
            offset=int(row["warc_record_offset"]),
            length=int(row["warc_record_length"]),
            charset=str(row.get("content_charset") or ""),
            truncated=str(row.get("content_truncated") or ""),
            kind=kind,
        )
    )


def _choice_for(host: str, choices: Iterable[DomainChoice]) -> DomainChoice | None:
    """The most specific chosen domain (of one registered domain) the host is or is under."""
    best: DomainChoice | None = None
    for choice in choices:
        if host_matches(host, choice.name) and (best is None or len(choice.name) > len(best.name)):
            best = choice
    return best


def _mime(value: object) -> str:
    return str(value or "").split(";", 1)[0].strip().lower()


def iso_utc(value: object) -> str:
    """A capture time as ISO 8601 UTC with a ``Z`` (``fetch_time`` may be naive UTC)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)
