"""``linkspider crawl`` end to end: the same crawl as ``scrapy crawl backlinks``, anywhere.

Real subprocesses on the local sample web, from a folder without ``scrapy.cfg`` and
without ``SCRAPY_SETTINGS_MODULE``.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from linkspider.cli import DEMO_SETTINGS
from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, run_crawl
from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

#: Columns that differ between two runs of one crawl: fetch times.
TIME_COLUMNS = {"first_seen", "last_seen"}


def linkspider(cwd: Path, *argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "linkspider.cli", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def settings_flags(web: TestWeb, **extra: str) -> list[str]:
    flags = []
    for name, value in {**DEMO_SETTINGS, **web.scrapy_settings(), **extra}.items():
        flags += ["-S", f"{name}={value}"]
    return flags


def rows(path: Path) -> list[tuple[tuple[str, str], ...]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        found = [
            tuple(sorted((k, v) for k, v in row.items() if k not in TIME_COLUMNS))
            for row in csv.DictReader(handle)
        ]
    return sorted(found)


def test_crawl_from_any_folder_gives_the_rows_of_scrapy_crawl(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    (tmp_path / "scrapy").mkdir()
    reference = run_crawl(sample_web, tmp_path / "scrapy")
    assert reference.process.returncode == 0, reference.log[-3000:]

    elsewhere = tmp_path / "elsewhere"  # no scrapy.cfg here or above (tmp is outside the repo)
    elsewhere.mkdir()
    targets = elsewhere / "targets.toml"
    targets.write_text(Path(SAMPLE_TARGETS).read_text("utf-8"), "utf-8")
    seeds = elsewhere / "seeds.txt"
    seeds.write_text(Path(SAMPLE_SEEDS).read_text("utf-8"), "utf-8")
    result = linkspider(
        elsewhere, "crawl", "-t", "targets.toml", "-s", "seeds.txt", "-o", "run",
        *settings_flags(sample_web),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = elsewhere / "run"  # relative paths are the caller's
    assert rows(out / "backlinks.csv") == rows(reference.output_dir / "backlinks.csv")
    assert len(rows(out / "backlinks.csv")) > 20
    for name in ("pages.csv", "referring_domains.csv", "report.html", "run.json"):
        assert (out / name).exists(), name


def test_flags_reach_the_spider_and_extra_scrapy_options_pass_through(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    # A folder that belongs to another Scrapy project: its scrapy.cfg is not ours.
    (tmp_path / "scrapy.cfg").write_text("[settings]\ndefault = someone_else.settings\n")
    result = linkspider(
        tmp_path, "crawl", "-t", "acme-boots.com,globex.co.uk",
        "-s", "https://outdoor-blog.com/reviews/", "--scope", "page", "--depth", "0",
        *settings_flags(sample_web), "-S", "LINKSPIDER_HISTORY=false",
        "--", "-O", "feed.csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    latest = tmp_path / "output" / "latest"  # the default run folder, under this folder
    info = (latest / "run.json").read_text("utf-8")
    assert '"scope": "page"' in info
    with (latest / "pages.csv").open(encoding="utf-8-sig", newline="") as handle:
        pages = [row["url"] for row in csv.DictReader(handle)]
    assert pages == ["https://outdoor-blog.com/reviews/"]  # scope=page: the seed only
    with (tmp_path / "feed.csv").open(encoding="utf-8", newline="") as handle:
        feed = list(csv.DictReader(handle))
    assert {row["source_url"] for row in feed} == {"https://outdoor-blog.com/reviews/"}
    assert not (latest / "new_links.csv").exists()  # -S LINKSPIDER_HISTORY=false


def test_crawl_exit_code_is_scrapys(sample_web: TestWeb, tmp_path: Path) -> None:
    # Bad settings are refused by the wrapper, before Scrapy starts: one line, exit 2.
    for setting in ("LINKSPIDER_ALLOW_PRIVATE_NETWORKS=not-a-network",
                    "LINKSPIDER_EXPORT_HEADERS=semrush"):  # fmt: skip
        result = linkspider(tmp_path, "crawl", "-t", "acme-boots.com", "-s", "blog.example",
                            "-S", setting)  # fmt: skip
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and setting.split("=")[0] in result.stderr
    # A spider argument passed to Scrapy as it is (after --) is checked by the crawl
    # command itself: Scrapy's usage error and exit code, and nothing crawled.
    result = linkspider(tmp_path, "crawl", "-t", "acme-boots.com", "-s", "blog.example",
                        "--", "-a", "max_pages=5")  # fmt: skip
    assert result.returncode == 2
    assert "unknown argument(s) -a max_pages" in result.stderr
    assert not (tmp_path / "output").exists()


FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def doc_blocks(page: str, language: str) -> list[str]:
    text = (ROOT / "docs" / page).read_text("utf-8")
    return [code for lang, code in FENCE.findall(text) if lang == language]


def run_block(code: str, language: str) -> subprocess.CompletedProcess[str]:
    """A docs code block as a user runs it: from the clone's folder, ``linkspider`` on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = ["bash", "-e", "-c", code] if language == "bash" else [sys.executable, "-c", code]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.parametrize("page", ["cli.md", "exports-spreadsheets.md"])
def test_docs_code_blocks_work_verbatim(page: str) -> None:
    ran = 0
    for language in ("bash", "python"):  # in page order within a language: bash first
        for code in doc_blocks(page, language):
            result = run_block(code, language)
            assert result.returncode == 0, (code, result.stderr[-3000:])
            if "linkspider demo" in code:  # its closing message points at the report
                assert "Open output/demo/report.html" in result.stdout, result.stdout
            ran += 1
    assert ran >= 2
    if page == "exports-spreadsheets.md":
        header = (ROOT / "output" / "demo" / "referring_domains.csv").read_bytes()
        assert header.startswith("\ufeffDomain,Links to target,Referring pages".encode())
        assert (ROOT / "output" / "demo" / "backlinks.xlsx").is_file()
    else:
        assert (ROOT / "output" / "sample-crawl" / "backlinks.xlsx").is_file()
