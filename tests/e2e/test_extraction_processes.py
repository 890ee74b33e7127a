"""Pages extracted in an extraction process give the same rows as pages extracted in the
crawl's own process, and a process that dies loses nothing.

``LINKSPIDER_EXTRACT_PROCESSES`` moves parsing, link extraction and the ``render=auto``
check to child processes (linkspider/offload/). Three crawls of the sample web: without
extraction processes, with one, and with one that is killed at the third response (the
jobs it held and every later page are done in the crawl's process).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, CrawlRun, run_crawl

KILLER = json.dumps({"tests.support.extraction_killer.ExtractionKiller": 0})
PROBE = json.dumps({"tests.support.exports_probe.ExportsProbe": 0})
#: Columns that differ between two crawls of the same web (when a page was fetched).
VOLATILE = ("first_seen", "last_seen", "fetched_at")


def _crawl(web: TestWeb, workdir: Path, processes: str, *extra: str) -> CrawlRun:
    workdir.mkdir()
    run = run_crawl(
        web, workdir, *_defaults(), "-s", f"LINKSPIDER_EXTRACT_PROCESSES={processes}", *extra
    )
    assert run.process.returncode == 0, run.log
    return run


def _defaults() -> tuple[str, str]:
    return SAMPLE_TARGETS, SAMPLE_SEEDS


def _table(run: CrawlRun, name: str) -> list[tuple[tuple[str, str], ...]]:
    rows = [tuple((k, v) for k, v in row.items() if k not in VOLATILE) for row in run.rows(name)]
    return sorted(rows)


def _stat(run: CrawlRun, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", run.log)
    return int(found.group(1)) if found else 0


def _through_parse(page: dict[str, str]) -> bool:
    """A response the spider's parse had (HTML or not), not an HTTP error page."""
    return page["parsed"] == "true" or page["note"] == "not-html"


@pytest.fixture(scope="module")
def in_process(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    return _crawl(sample_web, tmp_path_factory.mktemp("in-process") / "run", "0")


def test_extraction_processes_give_the_same_rows(
    sample_web: TestWeb, in_process: CrawlRun, tmp_path: Path
) -> None:
    offloaded = _crawl(sample_web, tmp_path / "run", "1", "-s", f"EXTENSIONS={PROBE}")
    assert _table(offloaded, "backlinks.csv") == _table(in_process, "backlinks.csv")
    assert _table(offloaded, "pages.csv") == _table(in_process, "pages.csv")
    assert len(offloaded.rows("backlinks.csv")) > 50
    parsed = sum(_through_parse(row) for row in offloaded.rows("pages.csv"))
    # Every parsed page went to the process, and the render=auto check of every raw page.
    assert _stat(offloaded, "linkspider/offload/page") == parsed > 20
    assert _stat(offloaded, "linkspider/offload/render_check") > 0
    assert _stat(in_process, "linkspider/offload/page") == 0
    assert "extraction in 1 process(es)" in offloaded.log
    assert "extraction process" not in in_process.log
    assert "ScrapyDeprecationWarning" not in offloaded.log
    # The start-up objects left the collector's generations (LINKSPIDER_GC_FREEZE)
    assert _stat(offloaded, "linkspider/gc/frozen_objects") > 10_000
    # The process had ended when the exports started (their memory is not stacked).
    assert offloaded.log.count("exports probe: ") == 1
    assert "exports probe: 0 extraction process(es) running" in offloaded.log
    assert "INFO: building the exports in " in offloaded.log  # the memory benchmark's marker


def test_a_killed_extraction_process_loses_no_page(
    sample_web: TestWeb, in_process: CrawlRun, tmp_path: Path
) -> None:
    killed = _crawl(sample_web, tmp_path / "run", "1", "-s", f"EXTENSIONS={KILLER}")
    assert _stat(killed, "test/extraction_killed_after") >= 3
    assert _stat(killed, "linkspider/offload/process_lost") == 1
    assert "an extraction process ended" in killed.log
    assert _table(killed, "backlinks.csv") == _table(in_process, "backlinks.csv")
    assert _table(killed, "pages.csv") == _table(in_process, "pages.csv")
    parsed = sum(_through_parse(row) for row in killed.rows("pages.csv"))
    assert _stat(killed, "linkspider/offload/page") < parsed


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("LINKSPIDER_EXTRACT_PROCESSES=two", "expected auto or a whole number"),
        ("LINKSPIDER_GC_FREEZE=maybe", "expected true or false"),
    ],
)
def test_a_bad_setting_is_one_line_before_the_crawl(
    sample_web: TestWeb, tmp_path: Path, setting: str, message: str
) -> None:
    run = run_crawl(sample_web, tmp_path, *_defaults(), "-s", setting)
    assert run.process.returncode != 0
    assert f"error: {setting.split('=')[0]}: {message}" in run.log
    assert "Traceback" not in run.log and not run.output_dir.exists()
