"""Are extraction's results unchanged? Every row of the benchmark web, saved and compared.

A speed change to :mod:`linkspider.extract` must not change a single column. Save the
results of the code before the change, then check the code after it::

    python -m benchmarks.extraction_equivalence save /tmp/before.pickle
    # ... change the code ...
    python -m benchmarks.extraction_equivalence check /tmp/before.pickle

Each page of the benchmark web (``benchmarks/compare/web.py``, 2,000 pages by default) goes
through :func:`~linkspider.extract.fetched_page.extract_fetched` in targets mode (the
web's targets) and in ``targets=*`` mode; the backlink rows, the ``pages`` row, the page
facts and the same-site links to follow are kept. The first 150 pages are also extracted
as rendered pages, with a DOM that adds one backlink and, on some pages, rewrites another
(rows of raw HTML and DOM merged). ``check`` exits 1 and names the first pages that differ.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
from pathlib import Path
from typing import Any

from benchmarks.compare.web import ensure_web
from benchmarks.extraction_cost import CACHE, load_pages
from linkspider.config.targets import load_targets
from linkspider.extract.fetched_page import FetchedPage, FetchedResponse, extract_fetched
from linkspider.extract.follow import same_site_links

RENDERED_PAGES = 150


def _kept(result: FetchedPage, followed: list[str]) -> tuple[Any, ...]:
    facts = dataclasses.asdict(result.facts) if result.facts is not None else None
    rows = [dataclasses.asdict(row) for row in result.rows]
    return rows, dataclasses.asdict(result.record), followed, facts


def _dom(body: bytes) -> bytes:
    """The page as a script might leave it: one backlink added, one rewritten away."""
    dom = body.replace(b"<body", b"<body><a href='https://acme-boots.com/x'>Acme</a>", 1)
    if b"globex" in body:
        dom = dom.replace(b"acme-boots.com", b"elsewhere.example", 1)
    return dom


def results(pages: int, hosts: int) -> dict[tuple[str, str], tuple[Any, ...]]:
    files = ensure_web(CACHE, pages, hosts)
    web = load_pages(files, pages)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for mode, spec in (("targets", str(files.targets)), ("*", "*")):
        targets = load_targets(spec)
        for index, (url, body) in enumerate(web):
            # Some pages carry a Content-Language header (a fact of the pages row).
            headers = {"content-language": ["en"]} if index % 3 == 0 else {}
            response = FetchedResponse(url, 200, body, "text/html", headers, "T", depth=1)
            result = extract_fetched(response, targets)
            assert result.page is not None
            found[(mode, url)] = _kept(result, same_site_links(result.page))
        for url, body in web[:RENDERED_PAGES]:
            response = FetchedResponse(url, 200, body, "text/html", fetched_at="T")
            dom = (_dom(body), url, "text/html")
            result = extract_fetched(response, targets, dom=dom, rendered=True)
            assert result.dom is not None
            found[(mode + " rendered", url)] = _kept(result, same_site_links(result.dom))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["save", "check"])
    parser.add_argument("file", type=Path)
    parser.add_argument("--pages", type=int, default=2000, help="size of the benchmark web")
    parser.add_argument("--hosts", type=int, default=100)
    args = parser.parse_args()
    now = results(args.pages, args.hosts)
    rows = sum(len(kept[0]) for kept in now.values())
    if args.action == "save":
        args.file.write_bytes(pickle.dumps(now))
        print(f"saved {len(now)} page results ({rows} rows) to {args.file}")
        return 0
    before = pickle.loads(args.file.read_bytes())
    differ = [key for key in before.keys() | now.keys() if before.get(key) != now.get(key)]
    print(f"{len(now)} page results ({rows} rows): {len(differ)} differ")
    for mode, url in sorted(differ)[:10]:
        print(f"  {mode}: {url}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
