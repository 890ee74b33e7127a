"""``scrapy crawl`` checks what would only fail inside the running crawl before Scrapy
starts (:mod:`linkspider.commands.crawl`): a real subprocess each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from linkspider.cli import crawl_env
from tests.support.paths import ROOT


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("LINKSPIDER_ROBOTS_RETRIES=abc", "LINKSPIDER_ROBOTS_RETRIES: expected a whole number"),
        ("LINKSPIDER_MAX_URL_LENGTH=-3", "LINKSPIDER_MAX_URL_LENGTH"),
        ("LINKSPIDER_MAX_PAGES_PER_SITE=many", "LINKSPIDER_MAX_PAGES_PER_SITE"),
        ("LINKSPIDER_RENDER_TIMEOUT=slow", "LINKSPIDER_RENDER_TIMEOUT: expected a number"),
        ("LINKSPIDER_PROGRESS=sideways", "LINKSPIDER_PROGRESS must be"),
        ("LINKSPIDER_SSRF_GUARD=maybe", "LINKSPIDER_SSRF_GUARD: expected true or false"),
    ],
)
def test_a_bad_component_setting_stops_scrapy_crawl_before_it_starts(
    tmp_path: Path, setting: str, message: str
) -> None:
    """The crawl command reads every component's options before Scrapy starts: one line,
    exit code 2, no traceback, no run folder."""
    out = tmp_path / "out"
    argv = ["-a", "targets=shop.test", "-a", "seeds=http://blog.test/", "-a", f"output_dir={out}"]
    process = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "backlinks", *argv, "-s", setting],
        cwd=ROOT, env=crawl_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert process.returncode == 2, process.stderr[-2000:]
    assert "Traceback" not in process.stderr
    (error,) = [line for line in process.stderr.splitlines() if "error:" in line]
    prog, _, said = error.partition(": error: ")  # "scrapy" or "__main__.py" by how it ran
    assert prog and said.startswith(message.split(":")[0]) and message in said, error
    assert not out.exists()
