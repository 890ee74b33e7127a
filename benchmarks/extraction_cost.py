"""CPU per page of linkspider's extraction, step by step, on the benchmark web's pages.

Run from the repo root: ``python -m benchmarks.extraction_cost [--pages 2000] [--hosts 100]
[--limit 600] [--repeat 3] [--profile]``. The pages are those of the benchmark web
(``benchmarks/compare/web.py``: real page skins, ~100 KB and ~150 links a page, about half
of them with a backlink to one of 8 targets), read from disk in crawl order (host by host,
as the spider meets them) and handed to what ``BacklinksSpider.parse`` calls per page:
:func:`~linkspider.extract.fetched_page.extract_fetched` (backlink rows and the ``pages``
row) and :func:`~linkspider.extract.follow.same_site_links` (the links to follow). The
``render=auto`` heuristic (:func:`~linkspider.extract.client_rendered.client_rendered`,
called by the render middleware on every HTML response) is timed on the same pages.

CPU time (``process_time``), median of ``--repeat`` passes; every pass starts with empty
caches and warms them as a crawl does (pages of a site repeat their menus). Each step's
time is exclusive (a step called inside another is charged to itself only):

* ``parse``: decode the bytes and build the Lexbor tree;
* ``link scan``: the one CSS pass over the tree and resolving hrefs to links;
* ``matching``: which links point at a target;
* ``rows``: per backlink: anchor text, rel, follow verdict, anchor category, the item;
* ``placement``, ``context``: placement (with position) and text around each backlink;
* ``indexability``: robots directives, canonical, language (the ``pages`` row's facts);
* ``follow``: the same-site links to request next;
* ``page row`` / ``other``: the ``pages`` row and what no step above covers;
* ``client-rendered``: the ``render=auto`` check (not part of ``crawl page``).

Reported for pages with and without backlinks, in targets mode (the web's 8 targets) and
in ``targets=*`` mode (every external link is a row).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import linkspider.extract.backlinks as backlinks_module
import linkspider.extract.fetched_page as fetched_module
import linkspider.extract.follow as follow_module
import linkspider.extract.indexability as indexability_module
import linkspider.extract.page as page_module
from benchmarks.compare.web import WebFiles, ensure_web
from linkspider.config.targets import TargetSet, load_targets
from linkspider.core import domains, urls
from linkspider.extract import anchor_category, href_filter
from linkspider.extract.client_rendered import client_rendered
from linkspider.extract.fetched_page import FetchedResponse, extract_fetched

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
STEPS = ("parse", "link scan", "matching", "rows", "placement", "context", "indexability",
         "follow", "page row", "other")  # fmt: skip
#: (module, attribute, step): the functions whose CPU time is charged to a step, wrapped in
#: every module that imported them. Class attributes are cached properties of ``LinkPage``
#: (wrapped inside the property).
WRAPPED: tuple[tuple[Any, str, str], ...] = (
    (page_module, "decode_html", "parse"),
    (page_module, "LexborHTMLParser", "parse"),
    (page_module.LinkPage, "_scan", "link scan"),
    (page_module.LinkPage, "links", "link scan"),
    (page_module.LinkPage, "links_where", "link scan"),
    (backlinks_module, "target_links", "matching"),
    (backlinks_module, "backlink_rows", "rows"),
    (backlinks_module, "classify_placements", "placement"),
    (backlinks_module, "link_context", "context"),
    (indexability_module, "page_facts", "indexability"),
    (follow_module, "same_site_links", "follow"),
    (fetched_module, "page_record", "page row"),
)

Page = tuple[str, bytes]


def load_pages(files: WebFiles, limit: int) -> list[Page]:
    """``(url, body)`` of the web's first ``limit`` pages, in ``pages.txt`` (crawl) order."""
    pages = []
    for url in files.pages.read_text("utf-8").split()[:limit]:
        host, _, path = url.removeprefix("http://").partition("/")
        file = files.sites / host / (path or "index.html")
        pages.append((url, (file / "index.html" if file.is_dir() else file).read_bytes()))
    return pages


def clear_caches() -> None:
    """Every pass starts cold: no href, domain, anchor text or filter seen before."""
    for module in (urls, domains, anchor_category, href_filter, follow_module, page_module):
        for value in list(vars(module).values()):
            if hasattr(value, "cache_info"):
                value.cache_clear()


class StepClock:
    """Exclusive CPU time per step: entering a wrapped function pauses its caller's step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[str] = ["other"]
        self._mark = 0.0

    def _switch(self, step: str | None) -> None:
        now = time.process_time()
        self.seconds[self._stack[-1]] += now - self._mark
        self._mark = now
        if step is None:
            self._stack.pop()
        else:
            self._stack.append(step)

    def wrap(self, fn: Callable[..., Any], step: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._switch(step)
            try:
                return fn(*args, **kwargs)
            finally:
                self._switch(None)

        return timed

    def start(self) -> None:
        self.seconds.clear()
        self._stack = ["other"]
        self._mark = time.process_time()

    def stop(self) -> dict[str, float]:
        self._switch("other")
        return dict(self.seconds)


@contextmanager
def installed(clock: StepClock) -> Iterator[None]:
    """Wrap :data:`WRAPPED` for the duration of the block."""
    saved: list[tuple[Any, str, Any]] = []
    for owner, name, step in WRAPPED:
        if name not in vars(owner):
            continue  # the code measured no longer has it
        value = vars(owner)[name]
        if isinstance(value, cached_property):
            wrapped = cached_property(clock.wrap(value.func, step))
            wrapped.__set_name__(owner, name)
            saved.append((owner, name, value))
            setattr(owner, name, wrapped)
            continue
        timed = clock.wrap(value, step)
        # A class (the parser) is wrapped where it is called only: others test isinstance.
        importers = [owner] if isinstance(value, type) else [
            m for key, m in sys.modules.items()
            if key.startswith(("linkspider.", "benchmarks.", "__main__"))
        ]  # fmt: skip
        for module in importers:
            if vars(module).get(name) is value:
                saved.append((module, name, value))
                setattr(module, name, timed)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


@dataclass
class Pass:
    """One pass: exclusive seconds per step for pages with and without backlinks."""

    with_rows: dict[str, float]
    without_rows: dict[str, float]
    pages_with: int
    pages_without: int
    rendered_check: float


def crawl_pass(pages: list[Page], targets: TargetSet, clock: StepClock) -> Pass:
    clear_caches()
    with_rows: dict[str, float] = defaultdict(float)
    without_rows: dict[str, float] = defaultdict(float)
    counts = [0, 0]
    check = 0.0
    for url, body in pages:
        start = time.process_time()
        client_rendered(body, "text/html")
        check += time.process_time() - start
        response = FetchedResponse(url, 200, body, "text/html", fetched_at="T", depth=1)
        clock.start()
        result = extract_fetched(response, targets)
        assert result.page is not None
        follow_module.same_site_links(result.page)
        spent = clock.stop()
        bucket = with_rows if result.rows else without_rows
        counts[0 if result.rows else 1] += 1
        for step, seconds in spent.items():
            bucket[step] += seconds
    return Pass(with_rows, without_rows, counts[0], counts[1], check)


def table(passes: list[Pass], mode: str) -> list[str]:
    """Markdown rows: median ms/page per step for pages with / without backlinks / all."""
    first = passes[0]
    n_with, n_without = first.pages_with, first.pages_without

    def median_ms(step: str, n: int, with_: bool = True, without: bool = True) -> float:
        seconds = (
            (p.with_rows.get(step, 0.0) if with_ else 0.0)
            + (p.without_rows.get(step, 0.0) if without else 0.0)
            for p in passes
        )
        return statistics.median(seconds) * 1000 / n if n else 0.0

    lines = [
        f"**{mode}**: {n_with} pages with backlinks, {n_without} without",
        "",
        "| step | with backlinks | without | all pages |",
        "| --- | --- | --- | --- |",
    ]
    totals = [0.0, 0.0, 0.0]
    for step in STEPS:
        values = (
            median_ms(step, n_with, without=False),
            median_ms(step, n_without, with_=False),
            median_ms(step, n_with + n_without),
        )
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        lines.append(f"| {step} | {values[0]:.3f} | {values[1]:.3f} | {values[2]:.3f} |")
    lines.append(f"| **crawl page** | **{totals[0]:.2f}** | **{totals[1]:.2f}** | "
                 f"**{totals[2]:.2f}** |")  # fmt: skip
    check = statistics.median(p.rendered_check for p in passes) * 1000 / (n_with + n_without)
    lines.append(f"| client-rendered check (render=auto only) | | | {check:.3f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000, help="size of the benchmark web")
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--limit", type=int, default=600, help="pages measured")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile of targets mode")
    args = parser.parse_args()
    files = ensure_web(CACHE, args.pages, args.hosts)
    pages = load_pages(files, args.limit)
    modes = (("targets (the web's 8 targets)", load_targets(str(files.targets))),
             ("targets=*", load_targets("*")))  # fmt: skip
    clock = StepClock()
    size = sum(len(body) for _, body in pages) / len(pages) / 1024
    print(f"{len(pages)} pages of {files.root.name}, {size:.0f} KiB average; "
          f"median of {args.repeat} passes, CPU ms per page\n")  # fmt: skip
    with installed(clock):
        for mode, targets in modes:
            passes = [crawl_pass(pages, targets, clock) for _ in range(args.repeat)]
            print("\n".join(table(passes, mode)), end="\n\n")
    if args.profile:
        targets = modes[0][1]
        clear_caches()
        profiler = cProfile.Profile()
        profiler.runcall(lambda: crawl_pass(pages, targets, StepClock()))
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
