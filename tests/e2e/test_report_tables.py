"""report.html in real Chromium: sortable and filterable tables, the scroll hint, collapsed
blocks, the same tables complete with script disabled, and the Trends charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linkspider.core.items import BacklinkItem, PageItem
from linkspider.reports.exports import build_exports
from linkspider.reports.options import ExportOptions
from tests.component.test_trends import three_runs
from tests.e2e.test_report_html import CHARTS_JS, open_report
from tests.e2e.test_report_html import browser as browser  # the Chromium fixture, re-exported
from tests.support.report_folder import link, make_folder, page

#: Referring domains and their backlinks: 1,200 sorts above 300 (numbers, not text).
SIZES = {"alpha.com": 3, "bravo.org": 1200, "charlie.net": 300, "delta.io": 12, "echo.com": 1,
         "foxtrot.de": 7, "golf.co.uk": 45}  # fmt: skip
DOMAINS_TABLE = "#domains table.data >> nth=0"
#: Per visible table: its section, whether it scrolls sideways, whether its hint shows.
HINTS_JS = """() => [...document.querySelectorAll('.table-box')]
  .filter(b => b.offsetParent !== null)
  .map(b => { const w = b.querySelector('.table-wrap'), h = b.querySelector('.scroll-hint');
    return {section: b.closest('section').id, scrolls: w.scrollWidth > w.clientWidth + 1,
            hint: h.offsetParent !== null}; })"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    pages: list[PageItem] = []
    links: list[BacklinkItem] = []
    for host, n in SIZES.items():
        pages.append(page(host, 0))
        for i in range(n):
            links.append(link(host, 0, path=f"/p{i % 9}"))
            links[-1].link_index = i + 1  # n distinct link elements of the page
    make_folder(folder, pages, links)
    return folder / "report.html"


def column(page: Any, table: str, index: int) -> list[str]:
    """The visible texts of a column of a table, top to bottom."""
    texts: list[str] = page.eval_on_selector(
        table,
        """(t, i) => [...t.tBodies[0].rows].filter(r => !r.hidden)
                     .map(r => r.cells[i].textContent.trim())""",
        index,
    )
    return texts


def test_click_a_header_to_sort(report: Path, browser: Any) -> None:
    opened = open_report(browser, report, 1280)
    try:
        opened.offline_and_clean()  # the script ran under the page's CSP, fetched nothing
        page = opened.page
        table = page.locator(DOMAINS_TABLE)
        as_written = column(page, DOMAINS_TABLE, 0)
        assert as_written[0] == "bravo.org"  # the export's order: most followed first
        header = table.locator("thead th").nth(1)  # backlinks
        assert header.inner_text().strip().lower() == "backlinks"
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "descending"  # numbers: largest first
        expected = sorted(SIZES, key=lambda d: -SIZES[d])
        assert column(page, DOMAINS_TABLE, 0) == expected
        assert column(page, DOMAINS_TABLE, 1)[:2] == ["1,200", "300"]
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        assert column(page, DOMAINS_TABLE, 0) == expected[::-1]
        domain = table.locator("thead th").nth(0)
        domain.locator("button").click()  # text: A to Z, the other header forgets its order
        assert domain.get_attribute("aria-sort") == "ascending"
        assert header.get_attribute("aria-sort") is None
        assert column(page, DOMAINS_TABLE, 0) == sorted(SIZES)
        domain.locator("button").press("Enter")  # keyboard works as well
        assert column(page, DOMAINS_TABLE, 0) == sorted(SIZES, reverse=True)
        opened.offline_and_clean()
    finally:
        opened.close()


def test_type_a_filter(report: Path, browser: Any) -> None:
    opened = open_report(browser, report, 1280)
    try:
        page = opened.page
        box = page.locator("#domains .table-filter input").first
        assert box.get_attribute("placeholder") == f"Filter {len(SIZES)} rows"
        box.fill(".com")
        assert sorted(column(page, DOMAINS_TABLE, 0)) == ["alpha.com", "echo.com"]
        assert "2 of 7 rows" in page.locator("#domains .table-filter").first.inner_text()
        box.fill("CO UK")  # every word, any case
        assert column(page, DOMAINS_TABLE, 0) == ["golf.co.uk"]
        box.fill("no such domain")
        assert column(page, DOMAINS_TABLE, 0) == []
        box.fill("")
        assert len(column(page, DOMAINS_TABLE, 0)) == len(SIZES)
        # sorting keeps the filter: hidden rows stay hidden
        box.fill(".com")
        page.locator(DOMAINS_TABLE).locator("thead th").nth(1).locator("button").click()
        assert column(page, DOMAINS_TABLE, 0) == ["alpha.com", "echo.com"]
        # a short table gets no filter box
        assert page.locator("#placement .table-filter").count() == 0
        opened.offline_and_clean()
    finally:
        opened.close()


def test_without_script_the_tables_are_complete(report: Path, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(report.resolve().as_uri())
        assert page.locator("th button, .table-filter").count() == 0  # nothing dead to click
        listed = column_order(report)
        assert sorted(listed) == sorted(SIZES)
        assert column(page, DOMAINS_TABLE, 0) == listed
        # a phone without script: the hint shows above tables of many columns
        hint = page.locator("#domains .scroll-hint").first
        assert hint.is_visible()
        assert not page.locator("#placement .scroll-hint").first.is_visible()
        # collapsed blocks open by hand and hold their rows
        more = page.locator("#targets details.more").first
        assert more.get_attribute("open") is None
        more.locator("summary").click()
        assert more.locator("tbody tr").count() >= 1 and more.locator("tbody tr").first.is_visible()
    finally:
        context.close()


def column_order(report: Path) -> list[str]:
    """The referring domains in the order the report's HTML lists them."""
    html = report.read_text("utf-8").split('<section id="domains">')[1]
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    return [cell.split("<")[0] for cell in rows.split('<tr><td class="wide">')[1:]]


def test_scroll_hint_only_when_a_table_scrolls(report: Path, browser: Any) -> None:
    phone = open_report(browser, report, 375, 800)
    try:
        # every table: the hint shows exactly when the table is wider than its box
        boxes = phone.page.evaluate(HINTS_JS)
        assert {b["scrolls"] for b in boxes} == {True, False}, boxes  # both kinds here
        for box in boxes:
            assert box["hint"] == box["scrolls"], box
        assert next(b for b in boxes if b["section"] == "domains")["scrolls"]
        phone.offline_and_clean()
    finally:
        phone.close()
    desktop = open_report(browser, report, 1280)
    try:  # on a laptop more tables fit: still a hint exactly where one scrolls
        boxes = desktop.page.evaluate(HINTS_JS)
        assert sum(not b["scrolls"] for b in boxes) >= 3, boxes
        for box in boxes:
            assert box["hint"] == box["scrolls"], box
        # printing opens the collapsed blocks
        assert desktop.page.locator("details.more[open]").count() == 0
        desktop.page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        closed = desktop.page.locator("details.more:not([open])").count()
        assert closed == 0 and desktop.page.locator("details.more").count() >= 2
    finally:
        desktop.close()


def test_trends_charts_in_chromium(tmp_path: Path, browser: Any) -> None:
    folders = three_runs(tmp_path)
    opened = open_report(browser, folders[-1] / "report.html", 1280)
    try:
        opened.offline_and_clean()
        trends = opened.page.locator("#trends")
        assert opened.page.locator("h2", has_text="Trends").count() == 1
        charts = [c for c in opened.page.evaluate(CHARTS_JS) if "per run" in c["title"]]
        titles = sorted(c["title"] for c in charts)
        assert titles == ["Backlinks and followed backlinks per run", "Lost links by reason per run",
                          "New and lost links per run", "Referring domains per run"]  # fmt: skip
        for chart in charts:
            assert chart["shapes"] > 0 and chart["width"] > 0, chart
        # the points' and columns' tooltips carry the history's numbers
        tips = trends.locator("svg title").all_text_contents()
        assert "2026-03-01, referring domains: 4 referring domains" in tips
        assert "2026-02-01, lost: 2 links" in tips
        assert "2026-02-01, page-not-found: 1 links" in tips
        assert not any(t.startswith("2026-01-01, new") for t in tips)  # the baseline run
        # the runs table, collapsed, newest first, sortable
        trends.locator("details.more summary").click()
        assert column(opened.page, "#trends table.data", 0) == ["3", "2", "1"]
        trends.locator("thead th").nth(0).locator("button").click()
        trends.locator("thead th").nth(0).locator("button").click()
        assert column(opened.page, "#trends table.data", 0) == ["1", "2", "3"]
    finally:
        opened.close()
    # an older run's report, rebuilt after a later run, shows its own past only
    build_exports(folders[1], ExportOptions(history=True, history_dir=tmp_path / "history"))
    older = (folders[1] / "report.html").read_text("utf-8")
    assert "2 run(s) of these targets up to this one" in older
