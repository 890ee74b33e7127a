"""report.html in a real headless Chromium: offline, charts drawn, phone width, print, escaping.

Screenshots (desktop, phone) and a printed PDF go to ``$LINKSPIDER_TEST_ARTIFACTS`` or
``tests/artifacts/``.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkspider.reports.html_report import write_reports
from linkspider.reports.html_table import SCRIPT
from linkspider.reports.options import ExportOptions
from linkspider.reports.risk import ReportRules
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.support.paths import TESTS
from tests.support.report_folder import link, make_folder, page, site

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("LINKSPIDER_TEST_ARTIFACTS") or TESTS / "artifacts")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip

# Every chart: its drawn shapes with a non-empty box, and the chart's own box.
CHARTS_JS = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const shapes = [...svg.querySelectorAll('rect, circle, path, line, polygon')]
    .filter(s => { const b = s.getBBox(); return b.width > 0 && b.height > 0; });
  const box = svg.getBoundingClientRect();
  return {title: svg.querySelector('title')?.textContent || '', shapes: shapes.length,
          width: box.width, height: box.height};
})"""
# Elements sticking out of the viewport, except inside a scrollable table box.
OVERFLOW_JS = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const out = [...document.body.querySelectorAll('*')]
    .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > limit)
    .map(e => e.tagName + '.' + e.className);
  return {scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth, out: out.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def sample_run(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_crawl(sample_web, tmp_path_factory.mktemp("report"))
    assert run.process.returncode == 0, run.log[-3000:]
    return run


class Opened:
    """A report page in Chromium, with what it logged and requested."""

    def __init__(self, browser: Any, path: Path, width: int, height: int = 900) -> None:
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url, wait_until="load")

    def offline_and_clean(self) -> None:
        assert self.errors == []
        assert self.requests == [self.url]  # the file itself, nothing else at all

    def close(self) -> None:
        self.context.close()


def open_report(browser: Any, path: Path, width: int, height: int = 900) -> Opened:
    return Opened(browser, path, width, height)


def test_sample_crawl_report_renders_in_chromium(sample_run: CrawlRun, browser: Any) -> None:
    report = sample_run.output_dir / "report.html"
    assert "report.html" in sample_run.run_info()["files"]
    assert "disavow_candidates.txt" in sample_run.run_info()["files"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    desktop = open_report(browser, report, 1280)
    try:
        desktop.offline_and_clean()
        charts = desktop.page.evaluate(CHARTS_JS)
        assert len(charts) >= 6
        for chart in charts:
            assert chart["shapes"] > 0 and chart["width"] > 0 and chart["height"] > 0, chart
        text = desktop.page.inner_text("body")
        for heading in ("Summary", "Warnings", "Anchor profile", "Referring domains",
                        "Target pages", "Link placement", "Disavow candidates", "Crawl"):  # fmt: skip
            assert desktop.page.locator("h2", has_text=heading).count() == 1, heading
        # The numbers are the run's: backlinks and referring domains from the exports.
        backlinks = len(sample_run.rows())
        domains = len(sample_run.rows("referring_domains.csv"))
        cards = desktop.page.locator(".card").all_inner_texts()
        assert any(c.startswith("BACKLINKS") and f"\n{backlinks}" in c for c in cards), cards
        assert any(c.startswith("REFERRING DOMAINS") and f"\n{domains}" in c for c in cards)
        assert "wp-hiking.com" in text  # the top referring domain
        desktop.page.screenshot(path=str(ARTIFACTS / "report-desktop.png"), full_page=True)

        desktop.page.emulate_media(media="print")
        assert desktop.page.eval_on_selector(".toc", "e => getComputedStyle(e).display") == "none"
        desktop.page.pdf(path=str(ARTIFACTS / "report-print.pdf"), format="A4")
        assert (ARTIFACTS / "report-print.pdf").stat().st_size > 10_000
        desktop.offline_and_clean()
    finally:
        desktop.close()

    phone = open_report(browser, report, 375, 812)
    try:
        phone.offline_and_clean()
        overflow = phone.page.evaluate(OVERFLOW_JS)
        assert overflow["scrollWidth"] <= overflow["clientWidth"], overflow
        assert overflow["out"] == [], overflow
        for chart in phone.page.evaluate(CHARTS_JS):
            assert 0 < chart["width"] <= 375 and chart["shapes"] > 0, chart
        phone.page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
    finally:
        phone.close()


HOSTILE_ANCHORS = [
    "<script>window.__owned = 1</script>",
    '"><img src=x onerror="window.__owned = 2">',
    "' onmouseover='window.__owned = 3",
    "</td></tr></table><h2>Injected</h2>",
]


@pytest.mark.e2e
def test_crawl_section_says_how_the_run_ended_and_what_shaped_it(sample_run: CrawlRun) -> None:
    html = (sample_run.output_dir / "report.html").read_text("utf-8")
    crawl = html.split('<section id="crawl">')[1].split("</section>")[0]
    assert sample_run.run_info()["status"] == "finished"
    assert "<dt>status</dt><dd>finished</dd>" in crawl  # not the "running" of the start
    arguments = re.search(r"<dt>arguments</dt><dd>([^<]*)</dd>", crawl)
    assert arguments is not None
    assert arguments.group(1).startswith("scrapy crawl backlinks -a targets=")
    assert "DOWNLOAD_DELAY=0" in arguments.group(1)  # a setting that shapes the crawl
    for noise in ("host-resolver-rules", "TWISTED_DNS_RESOLVER", "__main__", "python"):
        assert noise not in crawl


def test_an_empty_table_says_none_not_first_0_rows(tmp_path: Path) -> None:
    pages, links = site("blog.com", 2, anchor="Acme")
    make_folder(tmp_path, pages, links)
    (tmp_path / "lost_links.csv").write_text("source_url,target_url,anchor,lost_reason\n")
    write_csv(
        tmp_path / "placements_status.csv",
        [{"source_url": f"https://blog.com/p{i}", "status": "ok"} for i in range(30)],
    )
    assert write_reports(tmp_path, ExportOptions()) == ""
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "First 0" not in html
    lost = html.split('<section id="lost-links">')[1].split("</section>")[0]
    assert "None in this run." in lost and "<table" not in lost
    placed = html.split('<section id="placements-status">')[1].split("</section>")[0]
    assert "First 25 of 30 rows" in placed


def test_strings_from_the_web_are_escaped(tmp_path: Path, browser: Any) -> None:
    pages, links = [], []
    for i, anchor in enumerate(HOSTILE_ANCHORS):
        host = f"site{i}.com"
        pages.append(page(host, 0))
        links.append(link(host, 0, anchor=anchor, category="exact", path=f"/a?q=\"'<{i}>"))
    make_folder(tmp_path, pages, links, run={"targets": "acme-boots.com<script>x()</script>"})
    html = (tmp_path / "report.html").read_text("utf-8")
    assert html.count(f"<script>{SCRIPT}</script>") == 1  # the report's own, allowed by hash
    html = html.replace(f"<script>{SCRIPT}</script>", "")
    assert not re.search(r"<script|<img|onerror=\"window|<h2>Injected", html, re.IGNORECASE)
    opened = open_report(browser, tmp_path / "report.html", 1280)
    try:
        opened.offline_and_clean()
        assert opened.page.evaluate("() => window.__owned") is None
        assert opened.page.locator("img").count() == 0
        assert opened.page.locator("script").count() == 1
        text = opened.page.inner_text("body")
        for anchor in HOSTILE_ANCHORS:
            assert anchor in text  # shown as the text it is
        assert opened.page.locator("h2", has_text="Injected").count() == 0
        assert "acme-boots.com<script>x()</script>" in opened.page.inner_text("h1")
        hrefs = opened.page.eval_on_selector_all("a[href^=http]", "es => es.map(e => e.href)")
        assert "https://acme-boots.com/a?q=%22%27%3C0%3E" in hrefs  # one attribute, intact
    finally:
        opened.close()


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def section_ids(folder: Path) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', (folder / "report.html").read_text("utf-8"))


def test_monitoring_sections_appear_only_with_their_files(tmp_path: Path, browser: Any) -> None:
    pages, links = site("blog.com", 2, anchor="Acme")
    make_folder(tmp_path, pages, links)
    base = section_ids(tmp_path)
    assert base == ["summary", "warnings", "anchors", "domains", "targets", "placement",
                    "disavow", "crawl"]  # fmt: skip
    lost = [{"source_url": f"https://old.com/p{i}", "target_url": "https://acme-boots.com/",
             "anchor": "Acme", "lost_reason": reason, "lost_detail": "<b>x</b>"}
            for i, reason in enumerate(["page-404", "page-404", "link-removed"])]  # fmt: skip
    write_csv(tmp_path / "lost_links.csv", lost)
    write_csv(tmp_path / "placements_status.csv",
              [{"source_url": "https://blog.com/p0", "status": "found"},
               {"source_url": "https://blog.com/p9", "status": "missing"}])  # fmt: skip
    write_csv(tmp_path / "new_links.csv", [{"something_else": "x"}])  # unknown columns: fine
    (tmp_path / "broken_backlinks.csv").write_text("", "utf-8")  # empty file: no section
    assert write_reports(tmp_path, ExportOptions()) == ""
    ids = section_ids(tmp_path)
    assert ids == [*base[:6], "new-links", "lost-links", "placements-status", *base[6:]]
    opened = open_report(browser, tmp_path / "report.html", 1280)
    try:
        opened.offline_and_clean()
        lost_text = opened.page.inner_text("#lost-links")
        assert "3 rows in lost_links.csv" in lost_text
        assert re.search(r"page-404\s+2", lost_text) and re.search(r"link-removed\s+1", lost_text)
        # text, not markup (in the sample rows, collapsed: text_content reads them)
        assert "<b>x</b>" in (opened.page.text_content("#lost-links") or "")
        assert "missing" in opened.page.inner_text("#placements-status")
        for chart in opened.page.evaluate(CHARTS_JS):
            assert chart["shapes"] > 0, chart
    finally:
        opened.close()


def test_tables_hold_top_rows_only(tmp_path: Path) -> None:
    pages = [page(f"s{i}.com", 0) for i in range(60)]
    links = [link(f"s{i}.com", 0, anchor=f"anchor number {i}", category="other")
             for i in range(60)]  # fmt: skip
    make_folder(tmp_path, pages, links, ExportOptions(report=ReportRules(top_n=7)))
    html = (tmp_path / "report.html").read_text("utf-8")
    anchors = html.split('<section id="anchors">')[1].split("</section>")[0]
    top_anchors = anchors.split("Top anchors by referring domains")[1]
    assert top_anchors.count("<tr>") == 1 + 7  # header + 7 rows
    domains = html.split('<section id="domains">')[1].split("</section>")[0]
    assert domains.split("Top referring domains</h3>")[1].count("<tr>") == 1 + 7


def test_a_failing_report_keeps_the_previous_one_and_every_export(tmp_path: Path) -> None:
    pages, links = site("blog.com", 3, anchor="Acme")
    make_folder(tmp_path, pages, links)
    before = (tmp_path / "report.html").read_text("utf-8")
    (tmp_path / "backlinks.parquet").write_bytes(b"not a parquet file")
    error = write_reports(tmp_path, ExportOptions())
    assert error  # said, not raised
    assert (tmp_path / "report.html").read_text("utf-8") == before
    assert not list(tmp_path.glob("*.tmp"))
    assert (tmp_path / "referring_domains.csv").exists()


def test_a_folder_without_backlinks_still_gets_a_report(tmp_path: Path, browser: Any) -> None:
    make_folder(tmp_path, [page("blog.com", 0)], [])
    assert "No warnings" in (tmp_path / "report.html").read_text("utf-8")
    opened = open_report(browser, tmp_path / "report.html", 375)
    try:
        opened.offline_and_clean()
        for chart in opened.page.evaluate(CHARTS_JS):  # "No data" frames, still drawn
            assert chart["shapes"] > 0, chart
    finally:
        opened.close()
