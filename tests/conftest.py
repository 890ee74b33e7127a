"""Shared fixtures: the local sample web and a helper that runs the real crawl command."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import DEMO_SETTINGS, SAMPLE_DIR, crawl_command, crawl_env
from linkspider.testweb import TestWeb
from tests.support.paths import ROOT

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
    """Run ``scrapy crawl backlinks`` in a subprocess against the local web (this checkout
    importable in it, so that a test can add a component from ``tests.support``)."""
    output = output_dir or workdir / "out"
    all_settings = {**DEMO_SETTINGS, **web.scrapy_settings(), **(settings or {})}
    command = crawl_command(targets, seeds, all_settings, ["-a", f"output_dir={output}", *extra])
    env = crawl_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    process = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout
    )
    return CrawlRun(process, output)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e/`` ``e2e``: those start real crawls, browsers,
    servers or worker processes. ``pytest -m "not e2e"`` is the fast loop (unit, component
    and project tests; a few slow tests there carry their own ``e2e`` marker)."""
    for item in items:
        if item.path.parent.name == "e2e":
            item.add_marker(pytest.mark.e2e)
