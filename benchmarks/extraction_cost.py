"""Extraction cost per real page: bare Lexbor parse vs linkspider's page extraction.

Run from the repo root: ``python benchmarks/extraction_cost.py [--corpora ../shared/corpora]
[--limit N]``. Reports CPU milliseconds per page (median of 3 passes) for:

* ``parse``: ``LexborHTMLParser(text)`` + ``css("a[href], area[href]")`` (the floor);
* ``links``: decode + parse + resolve every href (what a crawl needs to follow links);
* ``rows(targets)``: rows for a few target domains (the usual backlink crawl);
* ``rows(*)``: outlink mode, every external link becomes a full row (worst case).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import html_to_unicode

from linkspider.config.targets import load_targets
from linkspider.extract.backlinks import FetchContext, backlink_rows
from linkspider.extract.page import LinkPage

ROOT = Path(__file__).resolve().parents[1]


def load_pages(corpora: Path, limit: int) -> list[tuple[bytes, str]]:
    pages = []
    for path in sorted((corpora / "wcxb-dev" / "html").glob("*.html.gz"))[:limit]:
        pages.append((gzip.decompress(path.read_bytes()), "https://www.example.com/page"))
    return pages


def timed(pages: list[tuple[bytes, str]], work: Callable[[bytes, str], object]) -> float:
    runs = []
    for _ in range(3):
        start = time.process_time()
        for body, url in pages:
            work(body, url)
        runs.append((time.process_time() - start) * 1000 / len(pages))
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    if not (args.corpora / "wcxb-dev").is_dir():
        print(f"corpora not found at {args.corpora}: skipped")
        return 0
    pages = load_pages(args.corpora, args.limit)
    targets = load_targets("wikipedia.org,twitter.com,facebook.com,youtube.com,github.com")
    every = load_targets("*")
    ctx = FetchContext(fetched_at="T")

    def parse(body: bytes, url: str) -> object:
        text = html_to_unicode(None, body)[1]
        return LexborHTMLParser(text).css("a[href], area[href]")

    def links(body: bytes, url: str) -> object:
        return LinkPage(body, url, "text/html").links

    def rows_targets(body: bytes, url: str) -> object:
        return backlink_rows(LinkPage(body, url, "text/html"), targets, ctx)

    def rows_all(body: bytes, url: str) -> object:
        return backlink_rows(LinkPage(body, url, "text/html"), every, ctx)

    n_rows = sum(len(rows_all(b, u)) for b, u in pages)  # type: ignore[arg-type]
    size = sum(len(b) for b, _ in pages) / len(pages) / 1024
    results = {name: timed(pages, fn) for name, fn in
               (("parse", parse), ("links", links), ("rows(targets)", rows_targets),
                ("rows(*)", rows_all))}  # fmt: skip
    print(
        f"{len(pages)} wcxb-dev pages, {size:.0f} KiB average, {n_rows / len(pages):.0f} external links/page"
    )
    print("| step | CPU ms/page | x parse |\n| --- | --- | --- |")
    for name, ms in results.items():
        print(f"| {name} | {ms:.2f} | {ms / results['parse']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
