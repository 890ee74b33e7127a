"""WARC libraries for recording crawls: warcio vs FastWARC, writing and reading.

Run from the repo root: ``python benchmarks/warc_libraries.py [--corpora ../shared/corpora]
[--limit N] [--repeat 5]``. The records are the ones a crawl writes
(:func:`linkspider.warc.record.exchange_records`: response, request and metadata records)
for real pages (WCXB dev, 245 KiB of HTML on average), each record its own gzip member.
For each library it measures, as CPU seconds (``process_time``, median of ``--repeat``
passes):

* ``write``: encode every record (digests, headers, gzip at the library's default level)
  into one file in memory;
* ``read``: iterate over a file, read every record's headers and its whole block, check
  the block digest (both libraries' files are read by both libraries, so each is also
  checked against the other).

With ``--crawl N``, it also crawls N of the pages from the local test web with recording
off and on and reports the crawl process's CPU per page (what recording adds to a crawl).

It prints Markdown tables (``benchmarks/results/warc_libraries.md`` holds the last run).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from extraction_cost import load_pages  # the same real pages (run as a script)
from fastwarc.stream_io import GzipWriter
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecord, WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.warcwriter import WARCWriter

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env
from linkspider.testweb import TestWeb
from linkspider.warc.encode import write_record
from linkspider.warc.record import HttpExchange, RecordSpec, exchange_records

ROOT = Path(__file__).resolve().parents[1]

_FAST_TYPES = {"response": WarcRecordType.response, "request": WarcRecordType.request,
               "metadata": WarcRecordType.metadata, "warcinfo": WarcRecordType.warcinfo,
               "conversion": WarcRecordType.conversion}  # fmt: skip


def load_records(corpora: Path, limit: int) -> list[RecordSpec]:
    records: list[RecordSpec] = []
    now = datetime.now(timezone.utc)
    for body, url in load_pages(corpora, limit):
        exchange = HttpExchange(
            url=url, method="GET",
            request_headers=[(b"User-Agent", b"linkspider/0.1.0"), (b"Accept", b"text/html"),
                             (b"Accept-Encoding", b"gzip, deflate, br, zstd")],
            request_body=b"", status=200,
            response_headers=[(b"Content-Type", b"text/html; charset=utf-8"),
                              (b"Server", b"nginx"), (b"Date", b"Sat, 05 Dec 2026 12:00:00 GMT")],
            body=body, fetched_at=now, ip_address="93.184.216.34",
            fields=[("linkspider-depth", "1"), ("via", "https://www.example.com/")],
        )  # fmt: skip
        records.extend(exchange_records(exchange))
    return records


def write_warcio(records: Sequence[RecordSpec]) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    for spec in records:
        headers = {k: v for k, v in spec.headers if k != "Content-Type"}
        record = writer.create_warc_record(
            spec.header("WARC-Target-URI") or "", spec.record_type,
            payload=io.BytesIO(spec.block), length=len(spec.block),
            warc_headers_dict=headers, warc_content_type=spec.header("Content-Type") or "",
        )  # fmt: skip
        writer.write_record(record)
    return out.getvalue()


def write_linkspider(records: Sequence[RecordSpec]) -> bytes:
    """What the recorder writes: FastWARC at gzip level 6 (linkspider.warc.encode)."""
    out = io.BytesIO()
    for spec in records:
        write_record(spec, out)
    return out.getvalue()


def write_fastwarc(records: Sequence[RecordSpec]) -> bytes:
    out = io.BytesIO()
    for spec in records:
        record = WarcRecord()
        record.init_headers(_FAST_TYPES[spec.record_type], record_urn=b"x")
        record.headers.clear()
        record.headers.status_line = "WARC/1.1"
        record.headers.append("WARC-Type", spec.record_type)
        for name, value in spec.headers:
            record.headers.append(name, value)
        record.set_bytes_content(spec.block)
        payload_digest = None
        if spec.payload_offset is not None:
            record.is_http = spec.payload_offset > 0
            payload_digest = hashlib.sha1(spec.block[spec.payload_offset :]).digest()
        member = GzipWriter(out)  # level 9, as warcio
        record.write(member, checksum_data=True, payload_digest=payload_digest)
        member.finish()
    return out.getvalue()


def read_warcio(data: bytes) -> int:
    count = 0
    for record in WarcioIterator(io.BytesIO(data), check_digests=True):
        record.raw_stream.read()
        count += 1
    return count


def read_fastwarc(data: bytes) -> int:
    count = 0
    for record in FastIterator(io.BytesIO(data), parse_http=False):
        if not record.verify_block_digest():
            raise AssertionError(f"bad block digest in {record.record_id}")
        count += 1
    return count


def crawl_cost(pages: list[tuple[bytes, str]], workdir: Path, repeat: int) -> dict[str, float]:
    """CPU seconds per page of a real crawl of ``pages`` (served by the test web), with
    recording off and on: the crawl process's own user + system time (its children's
    rusage), median of ``repeat`` runs of each, alternating."""
    root = workdir / "sites"
    site = root / "bench-pages.test"
    site.mkdir(parents=True)
    names = [f"p{i}.html" for i in range(len(pages))]
    for name, (body, _) in zip(names, pages, strict=True):
        (site / name).write_bytes(body)
    index = "".join(f'<a href="/{name}">{name}</a>\n' for name in names)
    (site / "index.html").write_text(f"<html><body>{index}</body></html>", "utf-8")
    times: dict[str, list[float]] = {"off": [], "on": []}
    with TestWeb([root]) as web:
        settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "LINKSPIDER_RENDER": "off"}
        for run in range(repeat):
            for mode in ("off", "on"):
                out = workdir / f"{mode}-{run}"
                extra = ["-a", "depth=1", "-a", f"output_dir={out}"]
                if mode == "on":
                    extra += ["-a", f"warc={out / 'warcs'}"]
                command = crawl_command(
                    "acme-boots.com", "http://bench-pages.test/", settings, extra
                )
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(command, env=crawl_env(), check=True, capture_output=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                crawled = len((out / "pages.jsonl").read_text("utf-8").splitlines())
                assert crawled == len(pages) + 1, (mode, crawled)
                times[mode].append(used / crawled)
    return {mode: statistics.median(values) for mode, values in times.items()}


def cpu(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--crawl", type=int, default=0,
                        help="also crawl this many pages with recording off and on")  # fmt: skip
    args = parser.parse_args(argv)
    if not (args.corpora / "wcxb-dev").is_dir():
        print(f"corpora not found at {args.corpora}: skipped")
        return 0
    records = load_records(args.corpora, args.limit)
    pages = len(records) // 3
    raw = sum(len(r.block) for r in records)
    files = {"warcio": write_warcio(records), "FastWARC": write_fastwarc(records)}
    for name, data in files.items():  # each library reads the other's file
        assert read_warcio(data) == len(records), name
        assert read_fastwarc(data) == len(records), name
    writes = {"warcio": cpu(lambda: write_warcio(records), args.repeat),
              "FastWARC": cpu(lambda: write_fastwarc(records), args.repeat)}  # fmt: skip
    ours = write_linkspider(records)
    assert read_warcio(ours) == read_fastwarc(ours) == len(records)
    ours_cpu = cpu(lambda: write_linkspider(records), args.repeat)
    readers = {"warcio": read_warcio, "FastWARC": read_fastwarc}
    print(f"{pages} pages, {len(records)} records, {raw / 1e6:.1f} MB of blocks; "
          f"load average {os.getloadavg()[0]:.2f}; {platform.processor() or platform.machine()},"
          f" {os.cpu_count()} cores, Python {sys.version.split()[0]}")  # fmt: skip
    print()
    print(
        "| library (gzip level) | write CPU ms/page | write MB/s | gzip file MB "
        "| read own file ms/page | read the other's file ms/page |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, data in files.items():
        other = files["FastWARC" if name == "warcio" else "warcio"]
        own = cpu(lambda: readers[name](data), args.repeat)  # noqa: B023
        cross = cpu(lambda: readers[name](other), args.repeat)  # noqa: B023
        print(f"| {name} (9) | {writes[name] * 1000 / pages:.2f} | {raw / 1e6 / writes[name]:.0f} "
              f"| {len(data) / 1e6:.1f} | {own * 1000 / pages:.2f} | {cross * 1000 / pages:.2f} |")  # fmt: skip
    print(f"| linkspider's recorder: FastWARC (6) | {ours_cpu * 1000 / pages:.2f} "
          f"| {raw / 1e6 / ours_cpu:.0f} | {len(ours) / 1e6:.1f} | | |")  # fmt: skip
    if args.crawl:
        with tempfile.TemporaryDirectory() as folder:
            cost = crawl_cost(load_pages(args.corpora, args.crawl), Path(folder), 3)
        print()
        print(f"Crawl of {args.crawl} of these pages from the local test web (render off, "
              "CPU of the crawl process per page, median of 3 runs each):")  # fmt: skip
        print()
        print("| recording | CPU ms/page |")
        print("| --- | --- |")
        print(f"| off | {cost['off'] * 1000:.1f} |")
        print(f"| on (`-a warc=DIR`) | {cost['on'] * 1000:.1f} "
              f"(+{(cost['on'] - cost['off']) * 1000:.1f}) |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
