"""Links robots.txt disallows are dropped before they are scheduled, and listed the same.

A site links to its disallowed ``/private/`` pages from every page. The robots.txt
middleware fetches the site's robots.txt before its first page, so every such link the
spider yields meets known rules: the prefilter refuses it (stat
``linkspider/robots/prefiltered``) instead of scheduling a request the downloader would
refuse. The crawl with the prefilter switched off lists the same blocked pages.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl

PRIVATE = [f"/private/page-{n}.html" for n in range(8)]
OFF = json.dumps({"linkspider.middlewares.robots_prefilter.RobotsPrefilterMiddleware": None})


def _page(links: list[str]) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return f"<html><body><p>Boots. {anchors}</p></body></html>"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> TestWeb:
    root = tmp_path_factory.mktemp("prefilter") / "sites"
    site = root / "walks.test"
    (site / "private").mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    (site / "index.html").write_text(
        _page(["/a.html", "/b.html", "https://acme-boots.com/", *PRIVATE[:5]]), encoding="utf-8"
    )
    (site / "a.html").write_text(_page(["/", *PRIVATE[3:7]]), encoding="utf-8")
    (site / "b.html").write_text(_page(["/a.html", PRIVATE[7], "/private/"]), encoding="utf-8")
    for path in PRIVATE:
        (site / path.lstrip("/")).write_text(_page([]), encoding="utf-8")
    with TestWeb([root]) as running:
        yield running


def _crawl(web: TestWeb, workdir: Path, *settings: str) -> CrawlRun:
    workdir.mkdir()
    run = run_crawl(web, workdir, "acme-boots.com", "https://walks.test/", *settings)
    assert run.process.returncode == 0, run.log
    return run


def _blocked(run: CrawlRun) -> list[tuple[str, str, str]]:
    with (run.output_dir / "blocked_pages.csv").open(encoding="utf-8") as handle:
        return sorted((row["url"], row["reason"], row["detail"]) for row in csv.DictReader(handle))


def _stat(run: CrawlRun, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", run.log)
    return int(found.group(1)) if found else 0


def test_disallowed_links_are_never_scheduled(web: TestWeb, tmp_path: Path) -> None:
    on = _crawl(web, tmp_path / "on")
    off = _crawl(web, tmp_path / "off", "-s", f"SPIDER_MIDDLEWARES={OFF}")
    expected = sorted(
        (f"https://walks.test{path}", "robots-disallowed", "https://walks.test/robots.txt")
        for path in [*PRIVATE, "/private/"]
    )
    assert _blocked(on) == expected
    assert _blocked(off) == expected
    # Every disallowed link met known rules: none was scheduled and refused downstream.
    assert _stat(on, "linkspider/robots/prefiltered") == len(expected)
    assert _stat(on, "linkspider/robots/disallowed") == len(expected)
    assert _stat(off, "linkspider/robots/prefiltered") == 0
    assert _stat(off, "linkspider/robots/disallowed") == len(expected)
    # Fewer requests went through the scheduler; the same pages were crawled.
    assert _stat(on, "scheduler/enqueued") == _stat(off, "scheduler/enqueued") - len(expected)
    assert on.run_info()["pages_crawled"] == off.run_info()["pages_crawled"] == 3
    assert on.log.count("robots.txt of https://walks.test:443 disallows") == 1
