"""Extraction cost per real page: bare parse vs linkspider's page extraction.

Run from the repo root: ``python benchmarks/extraction_cost.py [--corpora ../shared/corpora]
[--limit N] [--repeat 5] [--profile]``. Reports CPU milliseconds per page (``process_time``,
median of ``--repeat`` passes; every pass starts with empty caches) for:

* ``parse``: decode + parse + ``css("a[href], area[href]")`` with the fastest parser
  available: selectolax's Lexbor (and its older Modest engine where the installed
  selectolax still has it; the faster is the floor every ratio is taken against);
* ``links``: decode + parse + resolve every href (what following links needs);
* ``rows(5 targets)``: backlink rows for five popular target domains (a usual backlink
  crawl); ``no prefilter``: the same with every href resolved;
* ``rows(*)``: outlink mode, every external link becomes a full row (worst case);
* ``crawl page``: what the spider does per page with 5 targets: rows, link count and the
  same-site links to follow.

``placement`` is the CPU spent inside ``classify_placements`` during the rows steps.
``--profile`` prints the top functions of ``rows(5 targets)`` (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import html_to_unicode

import linkspider.extract.backlinks as backlinks_module
from linkspider.config.targets import load_targets
from linkspider.extract import anchor_category, domains, urls
from linkspider.extract.backlinks import FetchContext, backlink_rows
from linkspider.extract.follow import same_site_links
from linkspider.extract.page import LinkPage

ROOT = Path(__file__).resolve().parents[1]
POPULAR = "wikipedia.org,twitter.com,facebook.com,youtube.com,github.com"

Page = tuple[bytes, str]


def load_pages(corpora: Path, limit: int) -> list[Page]:
    """wcxb-dev pages with the URL they were saved from (from ``labels.jsonl``)."""
    folder = corpora / "wcxb-dev"
    page_urls: dict[str, str] = {}
    for line in (folder / "labels.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        if str(record.get("page_url", "")).startswith("http"):
            page_urls.setdefault(record["file_id"], record["page_url"])
    pages = []
    for path in sorted((folder / "html").glob("*.html.gz"))[:limit]:
        url = page_urls.get(path.name.split(".")[0], "https://www.example.com/page")
        pages.append((gzip.decompress(path.read_bytes()), url))
    return pages


def clear_caches() -> None:
    """Every pass starts cold: no href, domain or anchor text seen before."""
    for cached in (urls._resolve_absolute, urls._resolve_relative, domains.registrable_domain,
                   domains.has_public_suffix, anchor_category.normalise_text):  # fmt: skip
        cached.cache_clear()


class PlacementClock:
    """Adds up the CPU time spent in ``classify_placements`` (wrapped where rows call it)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inner = getattr(backlinks_module, "classify_placements")  # noqa: B009

    def __call__(self, *args: object, **kwargs: object) -> object:
        start = time.process_time()
        try:
            return self._inner(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            self.seconds += time.process_time() - start

    def install(self) -> None:
        setattr(backlinks_module, "classify_placements", self)  # noqa: B010


def timed(pages: Sequence[Page], work: Callable[[bytes, str], object], repeat: int,
          clock: PlacementClock) -> tuple[float, float]:  # fmt: skip
    """Median ``(total, placement)`` CPU ms per page over ``repeat`` cold passes."""
    runs, placement = [], []
    for _ in range(repeat):
        clear_caches()
        clock.seconds = 0.0
        start = time.process_time()
        for body, url in pages:
            work(body, url)
        runs.append((time.process_time() - start) * 1000 / len(pages))
        placement.append(clock.seconds * 1000 / len(pages))
    return statistics.median(runs), statistics.median(placement)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not (args.corpora / "wcxb-dev").is_dir():
        print(f"corpora not found at {args.corpora}: skipped")
        return 0
    pages = load_pages(args.corpora, args.limit)
    targets = load_targets(POPULAR)
    every = load_targets("*")
    ctx = FetchContext(fetched_at="T")
    clock = PlacementClock()
    clock.install()

    def parse_lexbor(body: bytes, url: str) -> object:
        return LexborHTMLParser(html_to_unicode(None, body)[1]).css("a[href], area[href]")

    try:  # selectolax 1.x removed its Modest engine
        from selectolax.parser import HTMLParser  # type: ignore[attr-defined]
    except ImportError:
        HTMLParser = None

    def parse_modest(body: bytes, url: str) -> object:
        return HTMLParser(html_to_unicode(None, body)[1]).css("a[href], area[href]")

    def links(body: bytes, url: str) -> object:
        return LinkPage(body, url, "text/html").links

    def rows_targets(body: bytes, url: str) -> object:
        return backlink_rows(LinkPage(body, url, "text/html"), targets, ctx)

    def rows_unfiltered(body: bytes, url: str) -> object:
        return backlink_rows(LinkPage(body, url, "text/html"), targets, ctx, prefilter=False)

    def rows_all(body: bytes, url: str) -> object:
        return backlink_rows(LinkPage(body, url, "text/html"), every, ctx)

    def crawl_page(body: bytes, url: str) -> object:
        page = LinkPage(body, url, "text/html")
        rows = backlink_rows(page, targets, ctx)
        return rows, len(page.links), same_site_links(page)

    n_rows = sum(len(backlink_rows(LinkPage(b, u), targets, ctx)) for b, u in pages)
    n_all = sum(len(backlink_rows(LinkPage(b, u), every, ctx)) for b, u in pages)
    modest = (("parse (Modest)", parse_modest),) if HTMLParser is not None else ()
    steps = (("parse (Lexbor)", parse_lexbor), *modest, ("links", links), ("rows(5 targets)", rows_targets),
             ("rows(5 targets), no prefilter", rows_unfiltered), ("rows(*)", rows_all),
             ("crawl page (5 targets)", crawl_page))  # fmt: skip
    results = {name: timed(pages, fn, args.repeat, clock) for name, fn in steps}
    floor = min(ms for name, (ms, _) in results.items() if name.startswith("parse"))
    if HTMLParser is None:
        print("selectolax's Modest engine: not available (removed in selectolax 1.0)")
    size = sum(len(b) for b, _ in pages) / len(pages) / 1024
    print(f"{len(pages)} wcxb-dev pages, {size:.0f} KiB average; rows/page: "
          f"{n_rows / len(pages):.1f} (5 targets), {n_all / len(pages):.0f} (*)")  # fmt: skip
    print("| step | CPU ms/page | x parse | placement ms | x parse without placement |")
    print("| --- | --- | --- | --- | --- |")
    for name, (ms, placement) in results.items():
        print(f"| {name} | {ms:.2f} | {ms / floor:.2f} | {placement:.2f} | "
              f"{(ms - placement) / floor:.2f} |")  # fmt: skip
    if args.profile:
        clear_caches()
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [rows_targets(b, u) for b, u in pages])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
