"""``-O file.csv`` (Scrapy feeds) holds backlink rows only, unless the feed says otherwise."""

from __future__ import annotations

import csv
import json
from io import BytesIO
from pathlib import Path

import pytest

from linkspider.core.items import BACKLINK_COLUMNS, PAGE_COLUMNS
from linkspider.extensions.feeds import SpreadsheetCsvItemExporter
from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, run_crawl
from tests.support.report_folder import link


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.e2e
def test_feed_defaults_to_backlink_rows_and_honours_item_classes(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    feed = tmp_path / "links.csv"
    pages_feed = tmp_path / "pages.jsonl"
    feeds = {
        str(pages_feed): {"format": "jsonlines", "item_classes": ["linkspider.core.items.PageItem"]}
    }
    run = run_crawl(
        sample_web, tmp_path, SAMPLE_TARGETS, SAMPLE_SEEDS, "-O", str(feed),
        settings={"FEEDS": json.dumps(feeds)},
    )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    rows = _csv(feed)
    assert rows and list(rows[0]) == list(BACKLINK_COLUMNS)
    # The same rows as backlinks.csv, none blank (no page or error items mixed in).
    assert len(rows) == len(run.rows("backlinks.csv"))
    assert all(row["source_url"] and row["target_url"] for row in rows)
    # A feed that names its item classes gets those.
    pages = [json.loads(line) for line in pages_feed.read_text("utf-8").splitlines()]
    assert pages and all(set(page) == set(PAGE_COLUMNS) for page in pages)
    assert len(pages) == len(run.rows("pages.csv"))


def test_csv_feed_quotes_formula_like_text() -> None:
    """``-O links.csv`` goes through the same OWASP rule as the run folder's CSV files."""
    item = link("blog.example", 1, anchor='=HYPERLINK("http://evil.example/")')
    item.source_title, item.context_after = "\t=1+1", "+SUM(1,2)"
    out = BytesIO()
    exporter = SpreadsheetCsvItemExporter(out)
    exporter.start_exporting()
    exporter.export_item(item)
    exporter.finish_exporting()
    (row,) = csv.DictReader(out.getvalue().decode("utf-8").splitlines())
    assert (row["anchor_text"], row["source_title"], row["context_after"]) == (
        "'=HYPERLINK(\"http://evil.example/\")", "'\t=1+1", "'+SUM(1,2)",
    )  # fmt: skip
    assert (row["link_index"], row["target_url"]) == ("1", "https://acme-boots.com/")
