"""Memory flatness: linkspider's RSS through one long crawl (50,000 pages by default).

The RSS of the crawl's process tree (its extraction process included) is sampled every
0.1 s; Scrapy's LogStats lines (every 5 s) say how many pages were crawled when, and the
"building the exports" line (``linkspider.reports.finish``) when the exports started:
by default in a process that replaced the crawl's (same pid), whose memory the samples
follow. The report gives the RSS when 10%, 25%, 50%, 75% and 100% of the pages were
crawled, the peak while crawling and the peak while building the exports after the crawl
(rows stream to disk while crawling; the exports read them back).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from benchmarks.compare.contenders import CONTENDERS, Context
from benchmarks.compare.measure import RunFailed, run_steps
from benchmarks.compare.results import RssRun
from benchmarks.compare.server import serving
from benchmarks.compare.web import ensure_web

_LOGSTATS = re.compile(r"^(\S+ \S+) \[scrapy\.extensions\.logstats\] INFO: Crawled (\d+) pages")
_CLOSING = re.compile(r"^(\S+ \S+) \[scrapy\.core\.engine\] INFO: Closing spider")
_EXPORTS = re.compile(r"^(\S+ \S+) \[linkspider\.reports\.finish\] INFO: building the exports in ")


def _when(stamp: str) -> float:
    return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S"))


def run(cache: Path, work: Path, pages: int, hosts: int, seed: int, timeout: float) -> RssRun:
    print(f"memory run: {pages} pages on {hosts} hosts", flush=True)
    web = ensure_web(cache, pages, hosts, seed)
    result = RssRun(pages=pages, hosts=hosts)
    with serving(work, "rss", web.sites, web.hosts, None) as (_, state):
        folder = work / "rss"
        folder.mkdir()
        ctx = Context(web, state, folder)
        contender = CONTENDERS["linkspider"]
        try:
            usage = run_steps(contender.steps(ctx), max(timeout, 120 + 0.25 * pages))
            result.pages = contender.pages(ctx)
        except RunFailed as exc:
            result.error = str(exc).splitlines()[0]
            return result
    result.wall, result.peak_rss = usage.wall, usage.peak_rss
    progress: list[tuple[float, int]] = []
    closing = exports = float("inf")
    for line in (folder / "linkspider.log").read_text("utf-8", errors="replace").splitlines():
        if match := _LOGSTATS.match(line):
            progress.append((_when(match[1]), int(match[2])))
        elif match := _CLOSING.match(line):
            closing = _when(match[1])
        elif match := _EXPORTS.match(line):
            exports = _when(match[1])
    if not progress or not usage.samples:
        result.error = "no LogStats lines or no memory samples"
        return result
    total = progress[-1][1]

    def rss_at(moment: float) -> int:
        return min(usage.samples, key=lambda s: abs(s[0] - moment))[1]

    for share in (0.1, 0.25, 0.5, 0.75, 1.0):
        when, crawled = next((t, n) for t, n in progress if n >= share * total)
        result.points.append((f"{share:.0%} crawled", crawled, rss_at(when)))
    # The log's stamps are whole seconds: the second the exports start in counts as theirs.
    boundary = exports if exports < float("inf") else closing + 1
    crawl = [rss for t, rss in usage.samples if t < boundary]
    built = [rss for t, rss in usage.samples if t >= boundary]
    result.points.append(("peak while crawling", total, max(crawl)))
    if built:
        result.points.append(("peak while building exports", total, max(built)))
    return result
