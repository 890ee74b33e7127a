"""Generator: a small Common Crawl-style crawl (WARC files + columnar URL index) from WARCs.

Given WARC files (gzipped per record, e.g. written by a crawl with
``-s LINKSPIDER_WARC_DIR``), it writes under ``OUT`` exactly the layout Common Crawl
publishes under ``https://data.commoncrawl.org/``::

    crawl-data/CC-MAIN-2026-49/warc.paths.gz                 listing of the WARC files
    crawl-data/CC-MAIN-2026-49/cc-index-table.paths.gz       listing of the index files
    crawl-data/CC-MAIN-2026-49/segments/<segment>/warc/CC-MAIN-<ts>-<ts>-00000.warc.gz
    crawl-data/CC-MAIN-2026-49/segments/<segment>/crawldiagnostics/...-00000.warc.gz
    crawl-data/CC-MAIN-2026-49/segments/<segment>/robotstxt/...-00000.warc.gz
    cc-index/table/cc-main/warc/crawl=CC-MAIN-2026-49/subset=warc/part-00000-<uuid>.c000.gz.parquet
    (and subset=crawldiagnostics, subset=robotstxt)

As Common Crawl does: 200 responses go to ``warc``, other statuses to
``crawldiagnostics``, ``/robots.txt`` fetches to ``robotstxt``; each response keeps its
request record before it; every file starts with a warcinfo record. The index has the
flat schema of ``linkspider.archive.ccindex.INDEX_SCHEMA`` (Spark's INT96 timestamps,
gzip compression), rows sorted by SURT key, in row groups of ``row_group_rows`` rows (small
by default, so that tests exercise row-group pruning) and ``index_parts`` files.

Serve ``OUT`` with the test web (a site folder named ``127.0.0.1`` answers
``http://127.0.0.1:PORT/...``) or read it as a local mirror.

Command line::

    python -m linkspider.testweb.cccrawl WARC_DIR_OR_FILES... --out DIR [--crawl CC-MAIN-2026-49]
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import tldextract
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from linkspider.archive.ccindex import INDEX_SCHEMA, listing_path, partition_prefix

DEFAULT_CRAWL = "CC-MAIN-2026-49"
SUBSETS = ("warc", "crawldiagnostics", "robotstxt")
_ICANN = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_PRIVATE = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


@dataclass
class _Capture:
    """One response record (with its request record) and its index row."""

    subset: str
    members: bytes  # the gzip members: request (if any) then response
    response_at: int  # where the response's member starts in ``members``
    response_length: int
    row: dict[str, Any]


@dataclass
class CCCrawl:
    """What was written: the crawl's name, folder, files and rows per subset."""

    crawl: str
    root: Path
    warc_files: list[str] = field(default_factory=list)  # relative to root
    index_files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def build_cc_crawl(
    warcs: Sequence[Path],
    out: Path,
    crawl: str = DEFAULT_CRAWL,
    row_group_rows: int = 4,
    index_parts: int = 2,
    segment: str = "1764892800000.00",
) -> CCCrawl:
    """Write a Common Crawl-style crawl of the WARCs' responses under ``out``."""
    per_file = [list(_captures(path)) for path in _warc_files(warcs)]
    captures = [capture for chunk in per_file for capture in chunk]
    if not captures:
        raise ValueError("the WARC files hold no response record")
    result = CCCrawl(crawl, out)
    stamp = _stamp(captures)
    rows: dict[str, list[dict[str, Any]]] = {subset: [] for subset in SUBSETS}
    for (number, subset), chosen in _by_file_and_subset(per_file):
        folder = f"crawl-data/{crawl}/segments/{segment}/{subset}"
        name = f"{folder}/CC-MAIN-{stamp}-{number:05d}.warc.gz"
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            handle.write(_warcinfo(name.rsplit("/", 1)[-1]))
            for capture in chosen:
                start = handle.tell()
                handle.write(capture.members)
                rows[subset].append(
                    {
                        **capture.row,
                        "warc_filename": name,
                        "warc_record_offset": start + capture.response_at,
                        "warc_record_length": capture.response_length,
                        "warc_segment": segment,
                    }
                )
        result.warc_files.append(name)
    for subset, subset_rows in rows.items():
        if subset_rows:
            result.index_files += write_index(
                out, crawl, subset, subset_rows, row_group_rows, index_parts
            )
            result.rows[subset] = len(subset_rows)
    write_listing(out / listing_path(crawl), result.index_files)
    write_listing(out / f"crawl-data/{crawl}/warc.paths.gz", result.warc_files)
    return result


def _by_file_and_subset(
    per_file: Sequence[list[_Capture]],
) -> Iterator[tuple[tuple[int, str], list[_Capture]]]:
    """Captures grouped as Common Crawl files them: one WARC file per input and subset."""
    for number, captures in enumerate(per_file):
        for subset in SUBSETS:
            chosen = [c for c in captures if c.subset == subset]
            if chosen:
                yield (number, subset), chosen


def _warc_files(inputs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.warc.gz") if p.is_file())
        else:
            files.append(path)
    return files


def _captures(path: Path) -> Iterator[_Capture]:
    """The responses of one per-record-gzipped WARC file, each with its request."""
    data = path.read_bytes()
    requests: dict[str, bytes] = {}
    iterator = ArchiveIterator(io.BytesIO(data), arc2warc=False)
    for record in iterator:
        body = record.content_stream().read()
        iterator.read_to_end(record)
        offset, length = iterator.get_record_offset(), iterator.get_record_length()
        member = data[offset : offset + length]
        _check_member(member, path, offset)
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        if record.rec_type == "request":
            requests[uri] = member
        elif record.rec_type == "response" and record.http_headers is not None:
            request = requests.pop(uri, b"")
            row = _index_row(record, body, uri)
            yield _Capture(
                _subset(uri, int(row["fetch_status"])),
                request + member,
                len(request),
                length,
                row,
            )


def _check_member(member: bytes, path: Path, offset: int) -> None:
    """A record must be a gzip member of its own: Common Crawl's offsets rely on it."""
    try:
        text = gzip.decompress(member)
    except OSError as exc:
        raise ValueError(f"{path}: record at {offset} is not a gzip member of its own") from exc
    if not text.startswith(b"WARC/"):
        raise ValueError(f"{path}: record at {offset} does not start with WARC/")


def _subset(uri: str, status: int) -> str:
    if urlsplit(uri).path == "/robots.txt":
        return "robotstxt"
    return "warc" if status == 200 else "crawldiagnostics"


def _index_row(record: Any, body: bytes, uri: str) -> dict[str, Any]:
    headers = record.rec_headers
    http = record.http_headers
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    icann, private = _ICANN(host), _PRIVATE(host)
    content_type = http.get_header("Content-Type") or ""
    mime = content_type.split(";", 1)[0].strip().lower() or None
    charset = _charset(content_type)
    digest = headers.get_header("WARC-Payload-Digest") or ""
    status = int(http.get_statuscode() or 0)
    return {
        "url_surtkey": surt(uri),
        "url": uri,
        "url_host_name": host,
        "url_host_tld": labels[-1],
        "url_host_2nd_last_part": labels[-2] if len(labels) > 1 else None,
        "url_host_3rd_last_part": labels[-3] if len(labels) > 2 else None,
        "url_host_4th_last_part": labels[-4] if len(labels) > 3 else None,
        "url_host_5th_last_part": labels[-5] if len(labels) > 4 else None,
        "url_host_registry_suffix": icann.suffix or None,
        "url_host_registered_domain": icann.top_domain_under_public_suffix or None,
        "url_host_private_suffix": private.suffix or None,
        "url_host_private_domain": private.top_domain_under_public_suffix or None,
        "url_host_name_reversed": ".".join(reversed(labels)),
        "url_protocol": parts.scheme,
        "url_port": parts.port,
        "url_path": parts.path or "/",
        "url_query": parts.query or None,
        "fetch_time": _warc_date(headers.get_header("WARC-Date") or ""),
        "fetch_status": status,
        "fetch_redirect": http.get_header("Location") if 300 <= status < 400 else None,
        "content_digest": digest.split(":", 1)[-1] or None,
        "content_mime_type": mime,
        "content_mime_detected": _detected(headers, body, mime),
        "content_charset": charset,
        "content_languages": None,
        "content_truncated": headers.get_header("WARC-Truncated"),
    }


def surt(url: str) -> str:
    """SURT key as in Common Crawl's index: ``com,example)/path?query`` (www. dropped)."""
    parts = urlsplit(url)
    labels = (parts.hostname or "").lower().split(".")
    if labels and labels[0] == "www":
        labels = labels[1:]
    host = ",".join(reversed(labels))
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{host}{port})" + (parts.path or "/").lower() + (f"?{query}" if query else "")


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').upper()
    return None


def _detected(headers: Any, body: bytes, declared: str | None) -> str | None:
    identified = headers.get_header("WARC-Identified-Payload-Type")
    if identified:
        return str(identified)
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "text/html"
    if head.startswith(b"%pdf"):
        return "application/pdf"
    return declared


def _warc_date(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _stamp(captures: Sequence[_Capture]) -> str:
    times = sorted(c.row["fetch_time"] for c in captures)
    return f"{times[0]:%Y%m%d%H%M%S}-{times[-1]:%Y%m%d%H%M%S}"


def _warcinfo(filename: str) -> bytes:
    fields = (
        b"software: linkspider.testweb.cccrawl\r\n"
        b"format: WARC File Format 1.1\r\n"
        b"conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
    )
    head = (
        "WARC/1.1\r\n"
        "WARC-Type: warcinfo\r\n"
        f"WARC-Date: {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}\r\n"
        f"WARC-Filename: {filename}\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
        "Content-Type: application/warc-fields\r\n"
        f"Content-Length: {len(fields)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + fields + b"\r\n\r\n")


def write_index(
    out: Path,
    crawl: str,
    subset: str,
    rows: list[dict[str, Any]],
    row_group_rows: int,
    parts: int,
) -> list[str]:
    rows = sorted(rows, key=lambda r: (r["url_surtkey"], r["fetch_time"]))
    table = pa.Table.from_pylist(rows, schema=INDEX_SCHEMA)
    folder = out / partition_prefix(crawl, subset)
    folder.mkdir(parents=True, exist_ok=True)
    job = uuid.uuid4()
    per_part = max(1, -(-table.num_rows // max(1, parts)))
    names = []
    for number, start in enumerate(range(0, table.num_rows, per_part)):
        name = f"{partition_prefix(crawl, subset)}part-{number:05d}-{job}.c000.gz.parquet"
        pq.write_table(
            table.slice(start, per_part),
            out / name,
            row_group_size=row_group_rows,
            compression="gzip",
            use_deprecated_int96_timestamps=True,  # as Spark writes timestamps
        )
        names.append(name)
    return names


def synthetic_rows(
    domains: int, pages: int, warc_filename: str = "crawl-data/none.warc.gz"
) -> list[dict[str, Any]]:
    """Index rows of ``domains`` made-up domains (``site00042.com``) of ``pages`` HTML pages
    each, for index-size tests and benchmarks (their records do not exist)."""
    moment = datetime(2026, 11, 24, 3, 14, 15, tzinfo=timezone.utc)
    rows = []
    for number in range(domains):
        domain = f"site{number:05d}.com"
        for page in range(pages):
            url = f"https://{domain}/page-{page}.html"
            parts = urlsplit(url)
            rows.append(
                {
                    "url_surtkey": surt(url),
                    "url": url,
                    "url_host_name": domain,
                    "url_host_tld": "com",
                    "url_host_2nd_last_part": domain[:-4],
                    "url_host_registry_suffix": "com",
                    "url_host_registered_domain": domain,
                    "url_host_private_suffix": "com",
                    "url_host_private_domain": domain,
                    "url_host_name_reversed": f"com.{domain[:-4]}",
                    "url_protocol": "https",
                    "url_path": parts.path,
                    "fetch_time": moment,
                    "fetch_status": 200,
                    "content_digest": f"{number:016d}{page:016d}",
                    "content_mime_type": "text/html",
                    "content_mime_detected": "text/html",
                    "content_charset": "UTF-8",
                    "warc_filename": warc_filename,
                    "warc_record_offset": (number * pages + page) * 20_000,
                    "warc_record_length": 20_000,
                    "warc_segment": "1764892800000.00",
                }
            )
    return rows


def write_listing(path: Path, names: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(names) + "\n").encode()))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m linkspider.testweb.cccrawl WARCS... --out DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m linkspider.testweb.cccrawl",
        description="Write a Common Crawl-style crawl (WARCs + columnar index) from WARC files.",
    )
    parser.add_argument("warcs", nargs="+", type=Path, help="WARC files or folders of them")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write")
    parser.add_argument("--crawl", default=DEFAULT_CRAWL, help=f"crawl name ({DEFAULT_CRAWL})")
    parser.add_argument("--row-group-rows", type=int, default=4, metavar="N")
    parser.add_argument("--index-parts", type=int, default=2, metavar="N")
    args = parser.parse_args(argv)
    try:
        result = build_cc_crawl(
            args.warcs, args.out, args.crawl, args.row_group_rows, args.index_parts
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{n} {s}" for s, n in result.rows.items())
    print(
        f"{result.root}: crawl {result.crawl}, {len(result.warc_files)} WARC file(s), "
        f"{len(result.index_files)} index file(s), rows: {counts}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
