"""Shared fixtures: the local sample web and a helper that runs the real crawl command."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import DEMO_SETTINGS, SAMPLE_DIR, crawl_command, crawl_env
from linkspider.testweb import TestWeb

SAMPLE_TARGETS = str(SAMPLE_DIR / "targets.toml")
SAMPLE_SEEDS = str(SAMPLE_DIR / "seeds.txt")


@pytest.fixture(scope="session")
def sample_web() -> Iterator[TestWeb]:
    with TestWeb() as web:
        yield web


@dataclass
class CrawlRun:
    process: subprocess.CompletedProcess[str]
    output_dir: Path

    @property
    def log(self) -> str:
        return self.process.stdout + self.process.stderr

    def rows(self, name: str = "backlinks.csv") -> list[dict[str, str]]:
        with (self.output_dir / name).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def run_info(self) -> dict[str, Any]:
        info: dict[str, Any] = json.loads((self.output_dir / "run.json").read_text("utf-8"))
        return info


def run_crawl(
    web: TestWeb,
    workdir: Path,
    targets: str = SAMPLE_TARGETS,
    seeds: str = SAMPLE_SEEDS,
    *extra: str,
    settings: dict[str, str] | None = None,
    output_dir: Path | None = None,
    timeout: float = 120,
) -> CrawlRun:
    """Run ``scrapy crawl backlinks`` in a subprocess against the local web."""
    output = output_dir or workdir / "out"
    all_settings = {**DEMO_SETTINGS, **web.scrapy_settings(), **(settings or {})}
    command = crawl_command(targets, seeds, all_settings, ["-a", f"output_dir={output}", *extra])
    process = subprocess.run(
        command, cwd=workdir, env=crawl_env(), capture_output=True, text=True, timeout=timeout
    )
    return CrawlRun(process, output)


#: Test modules that start real crawls, browsers, servers or worker processes. Their tests
#: are marked ``e2e``: ``pytest -m "not e2e"`` is the fast loop (pure and component tests).
E2E_MODULES = frozenset(
    {
        "test_crawl_failures", "test_crawl_sample_web", "test_distributed", "test_feeds",
        "test_discover_crawl", "test_archive", "test_discover_http",
        "test_link_intel_edges", "test_link_intelligence", "test_monitoring",
        "test_placements_check", "test_policy_crawl", "test_policy_resume", "test_progress",
        "test_rendering_crawl", "test_report_html", "test_report_tables", "test_runs", "test_scrapyd",
        "test_target_check", "test_thread_pages", "test_warc_record_crawl", "test_docs_readme",
    }
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in E2E_MODULES:
            item.add_marker(pytest.mark.e2e)
