"""Exports at scale: sitewide flags, aggregates and the JSONL table step on a generated table.

Run from the repo root::

    python benchmarks/aggregates_scale.py [--rows 10000000] [--jsonl-rows 1000000] [--dir DIR]

It generates a realistic ``backlinks.parquet`` (every backlink column; Zipf-like
popularity: ~200k source hosts, ~3M source pages, a few thousand target pages, anchors and
a few targets, 10% image links, non-ASCII anchors, 30% template links repeated on a host's
pages: the sitewide candidates) and a ``pages.csv``, then runs each
export step in its own process and reports wall time, CPU time and peak RSS
(``ru_maxrss`` of that process, native DuckDB/Arrow memory included):

* ``sitewide``: ``apply_sitewide`` (groups, flags, rewrites Parquet + CSV);
* ``aggregates``: ``write_aggregates`` (the four aggregate CSV files);
* ``sitewide+aggregates``: both in one process, as ``build_exports`` runs them;
* ``tables``: ``export_jsonl`` on a JSON Lines file of ``--jsonl-rows`` rows (with the
  de-duplication pass), the per-crawl JSONL -> CSV + Parquet step.

``--exports-pages 5000,50000`` instead measures the whole ``build_exports`` (history on, as
a crawl runs it; the run is its history's first) on the JSON Lines files a crawl of that
many pages writes (``run.json``, 250 hosts, about 1.8 link rows per page, a resumed crawl's
repeated lines, a few failed URLs), each in its own process; RSS is also sampled every
5 ms to name the step where the peak is.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CHUNK = 1_000_000


def _zipf_index(rng: np.random.Generator, size: int, pool: int, skew: float) -> np.ndarray:
    """Indices in ``range(pool)`` with a power-law popularity (index 0 the most popular)."""
    u = rng.random(size)
    return np.minimum((pool * u**skew).astype(np.int64), pool - 1)


def _strings(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def generate(folder: Path, rows: int, seed: int = 8) -> None:
    """Write ``backlinks.parquet`` (``rows`` rows) and ``pages.csv`` into ``folder``."""
    from linkspider.core.items import BacklinkItem
    from linkspider.engines.tables import arrow_schema

    rng = np.random.default_rng(seed)
    n_hosts, n_pages = 200_000, min(3_000_000, max(rows // 3, 1000))
    hosts = [f"www.site{i}.{('com', 'de', 'co.uk', 'org')[i % 4]}" for i in range(n_hosts)]
    domains = [h[4:] for h in hosts]
    page_host = _zipf_index(rng, n_pages, n_hosts, 2.5)
    pages = _strings([f"https://{hosts[h]}/post/{i}" for i, h in enumerate(page_host.tolist())])
    host_arr, domain_arr = _strings(hosts), _strings(domains)
    targets = _strings(["acme-boots.com", "globex.co.uk", "initech.com.au", "xn--bcher-kva.de"])
    n_target_pages = 5000
    target_url_of = [f"https://{targets[i % 4]}/p/{i}" for i in range(n_target_pages)]
    target_urls = _strings(target_url_of)
    words = ["Acme", "boots", "hiking", "Globex", "guide", "here", "Bücher", "İstanbul",
             "waterproof", "review", "best", "cheap", "Wanderbücher", "click", "ΣΟΦΊΑ"]  # fmt: skip
    anchors = _strings(
        [" ".join(words[(i * k) % len(words)] for k in range(1, 2 + i % 4)) for i in range(3000)]
    )
    langs = _strings(["en", "en-GB", "de", "", "fr-FR", "en-us", "es"])
    placements = _strings(["content", "navigation", "header", "footer", "sidebar", "comments"])
    categories = _strings(["empty", "image", "url", "compound", "branded", "exact", "partial",
                           "generic", "other"])  # fmt: skip
    schema = arrow_schema(BacklinkItem)
    with pq.ParquetWriter(str(folder / "backlinks.parquet"), schema) as writer:
        for start in range(0, rows, CHUNK):
            size = min(CHUNK, rows - start)
            page = _zipf_index(rng, size, n_pages, 1.6)
            host_ids = page_host[page]
            host = pa.array(host_ids)
            # 30% are the host's template link (same target, anchor, footer on every page):
            # the sitewide candidates.
            template = rng.random(size) < 0.3
            target = np.where(template, host_ids % n_target_pages,
                              _zipf_index(rng, size, n_target_pages, 2.0))  # fmt: skip
            anchor_ids = np.where(template, host_ids % 7, _zipf_index(rng, size, 3000, 2.0))
            anchor = pc.take(anchors, pa.array(anchor_ids))
            image = (rng.random(size) < 0.1) & ~template
            fetched = pa.array(
                [f"2026-11-{d:02d}T00:00:00Z" for d in rng.integers(1, 29, size).tolist()]
            )
            empty = pa.array(np.full(size, ""), pa.string())
            placement = pc.take(
                placements, pa.array(np.where(template, 3, rng.integers(0, 6, size)))
            )
            columns = {
                "source_url": pc.take(pages, pa.array(page)),
                "source_host": pc.take(host_arr, host),
                "source_domain": pc.take(domain_arr, host),
                "source_title": empty,
                "source_status": pa.array(np.full(size, 200)),
                "target_url": pc.take(target_urls, pa.array(target)),
                "href": pc.take(target_urls, pa.array(target)),
                "target_host": pc.take(targets, pa.array(target % 4)),
                "target_domain": pc.take(targets, pa.array(target % 4)),
                "target": pc.take(targets, pa.array(target % 4)),
                "anchor_text": pc.if_else(pa.array(image), empty, anchor),
                "link_type": pc.if_else(pa.array(image), "image", "text"),
                "image_alt": pc.if_else(pa.array(image), anchor, empty),
                "rel": empty,
                "link_index": pa.array(rng.integers(1, 300, size)),
                "depth": pa.array(rng.integers(0, 5, size)),
                "first_seen": fetched,
                "last_seen": fetched,
                "placement": placement,
                "in_content": pc.equal(placement, "content"),
                "xpath": empty,
                "anchor_category": pc.take(categories, pa.array(rng.integers(0, 9, size))),
                "follow": pa.array(rng.random(size) < 0.7),
                # 10% on noindex pages; a page's lang from a few (audit columns)
                "source_indexable": pa.array(rng.random(size) < 0.9),
                "source_lang": pc.take(langs, pa.array(page % 7)),
            }
            arrays = []
            for field in schema:
                value = columns.get(field.name)
                if value is None:
                    value = (
                        pa.array(np.zeros(size, bool))
                        if field.type == pa.bool_()
                        else (
                            pa.array(np.zeros(size, np.int64))
                            if field.type == pa.int64()
                            else empty
                        )
                    )
                arrays.append(pc.cast(value, field.type))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    # pages.csv: every source page once, parsed (the sitewide step counts pages per host).
    page_table = pa.table({"url": pages, "host": pc.take(host_arr, pa.array(page_host)),
                           "parsed": pa.array(np.ones(n_pages, bool))})  # fmt: skip
    pa_csv.write_csv(page_table, folder / "pages.csv")
    # backlinks.csv exists in a real run folder (the sitewide step rewrites both files).
    (folder / "backlinks.csv").write_text("")


def write_jsonl(folder: Path, rows: int) -> Path:
    """The first ``rows`` rows as JSON Lines, 1% of them written twice (a resumed crawl)."""
    path = folder / "backlinks.jsonl"
    source = pq.ParquetFile(folder / "backlinks.parquet")
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        for batch in source.iter_batches(batch_size=100_000):
            for number, record in enumerate(batch.to_pylist()):
                line = json.dumps(record, ensure_ascii=False) + "\n"
                handle.write(line)
                if number % 100 == 0:
                    handle.write(line)
                written += 1
                if written >= rows:
                    return path
    return path


def write_run(folder: Path, pages: int, seed: int = 5) -> None:
    """The ``*.jsonl`` files of a crawl of ``pages`` pages (as the crawl writes them)."""
    from linkspider.core.items import BacklinkItem, ErrorItem, PageItem
    from linkspider.core.jsonl import JsonlWriter

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    hosts = [f"blog{i}.example{('com', 'de', 'org')[i % 3]}" for i in range(250)]
    targets = ["acme-boots.com", "globex.co.uk"]
    anchors = ["Acme", "Acme boots", "hiking boots", "click here", "Globex", "Wanderbücher",
               "https://acme-boots.com/", "best boots", ""]  # fmt: skip
    placements = ["content", "navigation", "footer", "sidebar", "comments"]
    at = "2026-12-01T00:00:00Z"
    run = {"targets": ",".join(targets), "started_at": at}  # the history is kept per target set
    (folder / "run.json").write_text(json.dumps(run), "utf-8")
    with (
        JsonlWriter(folder / "pages.jsonl", flush_each=False) as page_out,
        JsonlWriter(folder / "backlinks.jsonl", flush_each=False) as link_out,
        JsonlWriter(folder / "errors.jsonl", flush_each=False) as error_out,
    ):
        for n in range(pages):
            host = hosts[n % len(hosts)]
            url = f"https://{host}/post/{n}"
            if n % 500 == 7:
                error_out.write(asdict(ErrorItem(url=url, error="timeout",
                                                 message="timed out", depth=2, occurred_at=at)))  # fmt: skip
                continue
            links = int(rng.integers(0, 4)) if n % 5 else 2  # about 1.8 rows per page
            page = PageItem(url=url, requested_url=url, status=200, host=host, domain=host,
                            content_type="text/html", title=f"Post {n} on {host}", depth=2,
                            parsed=True, links=40, backlinks=links, encoding="utf-8",
                            fetched_at=at, note="", indexable=n % 10 != 0, lang="en")  # fmt: skip
            page_out.write(asdict(page))
            for index in range(links):
                template = index == 0 and n % 5 == 0  # the host's footer link: sitewide
                target = targets[0] if template else targets[int(rng.integers(0, 2))]
                href = f"https://{target}/" if template else f"https://{target}/p/{n % 300}"
                placement = "footer" if template else placements[int(rng.integers(0, 5))]
                anchor = anchors[n % len(hosts) % 9] if template else anchors[n % 9]
                row = BacklinkItem(
                    source_url=url, source_host=host, source_domain=host,
                    source_title=page.title, source_status=200, target_url=href, href=href,
                    target_host=target, target_domain=target, target=target,
                    anchor_text=anchor, link_type="text", image_alt="", rel="",
                    nofollow=False, ugc=False, sponsored=False, link_index=10 + index,
                    depth=2, first_seen=at, last_seen=at, placement=placement,
                    in_content=placement == "content", xpath="/html/body/div/p/a",
                    anchor_category="branded", follow=True, follow_reason="follow",
                    source_lang="en", context_before="some words before the link",
                    context_after="and some after it",
                )  # fmt: skip
                link_out.write(asdict(row))
                if n % 1000 == 3:  # a resumed crawl fetched this page again
                    link_out.write(asdict(row))


def run_exports(folder: Path) -> dict[str, float]:
    """``build_exports`` with the history on; peak RSS overall and per step (sampled)."""
    import threading

    from linkspider.reports import exports
    from linkspider.reports.options import ExportOptions

    phase = ["import"]
    peaks: dict[str, float] = {}
    done = threading.Event()

    def rss_mb() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20

    def sample() -> None:
        while not done.wait(0.005):
            peaks[phase[0]] = max(peaks.get(phase[0], 0.0), rss_mb())

    def named(name: str, function: Any) -> Any:
        def step(*args: Any, **kwargs: Any) -> Any:
            phase[0] = name
            try:
                return function(*args, **kwargs)
            finally:
                peaks[name] = max(peaks.get(name, 0.0), rss_mb())

        return step

    # The stages import these from their modules when they run: patched there.
    steps = {
        "linkspider.engines.tables": ("export_jsonl",),
        "linkspider.monitor": ("update_monitoring", "history_first_seen"),
        "linkspider.reports.sitewide": ("apply_sitewide",),
        "linkspider.reports.aggregates": ("write_aggregates",),
        "linkspider.reports.verification": ("build_verification",),
        "linkspider.reports.candidates": ("write_candidates_status",),
        "linkspider.reports.exports": ("write_spreadsheets",),
        "linkspider.reports.html_report": ("write_reports",),
        "linkspider.engines.spreadsheet": ("finish_spreadsheet_csvs",),
    }
    for module_name, names in steps.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(module, name, named(name, getattr(module, name)))
    sampler = threading.Thread(target=sample, daemon=True)
    start_rss = rss_mb()
    sampler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    history = folder / "history"  # a new history: the run is its first
    shutil.rmtree(history, ignore_errors=True)
    summary = exports.build_exports(folder, ExportOptions(history=True, history_dir=history))
    result = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    done.set()
    sampler.join()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    top = max(peaks, key=lambda name: peaks[name])
    print(f"before build_exports {start_rss:.0f} MB; per step peak MB: "
          + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()), file=sys.stderr)  # fmt: skip
    return {**result, "peak_rss_mb": peak_kib / 1024, "rows": summary.backlinks,
            "pages": summary.pages, f"peak_step={top}": peaks[top]}  # fmt: skip


def run_step(step: str, folder: Path) -> dict[str, float]:
    """Run one step in this process; returns timings and this process's peak RSS."""
    from linkspider.core.items import BacklinkItem
    from linkspider.engines._duckdb import give_back_freed_memory
    from linkspider.engines.tables import arrow_schema, export_jsonl
    from linkspider.reports import aggregates
    from linkspider.reports.sitewide import SitewideRule, apply_sitewide

    give_back_freed_memory()  # as every stage of build_exports starts
    wall, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, float] = {}
    if step == "sitewide+aggregates":  # as build_exports runs them: one process
        apply_sitewide(
            folder / "backlinks.parquet", folder / "backlinks.csv", folder / "pages.csv",
            SitewideRule(),
        )  # fmt: skip
        extra["referring_domains"] = aggregates.write_aggregates(
            folder / "backlinks.parquet", folder
        ).total_domains
    elif step == "sitewide":
        extra["sitewide_rows"] = apply_sitewide(
            folder / "backlinks.parquet", folder / "backlinks.csv", folder / "pages.csv",
            SitewideRule(),
        )  # fmt: skip
    elif step == "aggregates":
        result = aggregates.write_aggregates(folder / "backlinks.parquet", folder)
        extra["referring_domains"] = result.total_domains
        extra["target_pages"] = len(result.target_pages)
        extra["anchor_rows"] = len(result.anchors)
    elif step == "tables":
        out = folder / "tables"
        out.mkdir(exist_ok=True)
        table = export_jsonl(
            folder / "backlinks.jsonl", arrow_schema(BacklinkItem), out / "backlinks.csv",
            out / "backlinks.parquet", key=("source_url", "link_index", "href", "anchor_text"),
        )  # fmt: skip
        extra["rows"] = table.rows
        extra["duplicates"] = table.duplicates
    elif step == "exports":
        return run_exports(folder)
    else:
        raise SystemExit(f"unknown step {step}")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "peak_rss_mb": peak_kib / 1024, **extra}  # fmt: skip


def _report(step: str, folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, __file__, "--step", step, "--dir", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        print(f"| {step} | failed | | | {done.stderr.strip().splitlines()[-1:]} |")
        return
    if step == "exports":
        print(done.stderr.strip().splitlines()[-1], file=sys.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    detail = ", ".join(
        f"{k}={int(v):,}" for k, v in result.items() if k not in ("wall_s", "cpu_s", "peak_rss_mb")
    )
    print(f"| {step} | {result['wall_s']:.1f} | {result['cpu_s']:.1f} | "
          f"{result['peak_rss_mb']:.0f} | {detail} |")  # fmt: skip


def measure_exports(base: Path | None, sizes: list[str] | list[int]) -> int:
    base = base or Path(tempfile.mkdtemp(prefix="linkspider-exports-"))
    print("| run | wall s | CPU s | peak RSS MB | detail |\n| --- | --- | --- | --- | --- |")
    for pages in sizes:
        folder = base / f"run-{pages}"
        if not (folder / "backlinks.jsonl").exists():
            write_run(folder, int(pages))
        _report("exports", folder)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--jsonl-rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated files here")
    parser.add_argument("--steps", default="sitewide,aggregates,sitewide+aggregates,tables")
    parser.add_argument("--exports-pages", default="", help="e.g. 5000,50000: build_exports")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.dir)))
        return 0
    if args.exports_pages:
        return measure_exports(args.dir, [int(n) for n in args.exports_pages.split(",")])
    folder = args.dir or Path(tempfile.mkdtemp(prefix="linkspider-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "backlinks.parquet").exists():
        start = time.perf_counter()
        generate(folder, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.0f} s")
    if "tables" in args.steps and not (folder / "backlinks.jsonl").exists():
        write_jsonl(folder, args.jsonl_rows)
    size = (folder / "backlinks.parquet").stat().st_size / 2**20
    print(f"{folder}: backlinks.parquet {size:.0f} MiB")
    print("| step | wall s | CPU s | peak RSS MB | detail |\n| --- | --- | --- | --- | --- |")
    for step in args.steps.split(","):
        _report(step, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
