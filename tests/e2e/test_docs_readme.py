"""The README's paths, done as a new user does them in a plain clone: its set-up command runs
the demo (in an empty folder), its worked example prints exactly what the README shows, its
summary line is the demo's, and the claims of the docs about that run (the files of a run
folder, the backlink columns, the test count) are checked against it."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
RUN_FOLDER = re.compile(r"output/\d{8}T\d{6}Z-backlinks")


def blocks(path: Path, language: str) -> list[str]:
    return [code for lang, code in FENCE.findall(path.read_text("utf-8")) if lang == language]


def user_env() -> dict[str, str]:
    """A user's shell: this Python's scripts first on PATH (where ``pip install -e .`` put
    ``linkspider``), no project settings pointing anywhere."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


class Demo:
    def __init__(self, folder: Path, result: subprocess.CompletedProcess[str]) -> None:
        self.folder = folder
        self.result = result

    def summary(self) -> str:
        """The run's summary line, without the log's time stamp and logger."""
        line = next(
            line for line in self.result.stderr.splitlines() if "] INFO: linkspider: " in line
        )
        return line.split("] INFO: ", 1)[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The README's set-up command, in an empty folder. Its ``pip install -e .`` part is
    what tests/install-and-run.sh already did for this run; the rest runs as written."""
    setup = blocks(README, "bash")[0]
    install, _, rest = setup.strip().partition(" && ")
    assert install == "pip install -e ."
    folder = tmp_path_factory.mktemp("user")
    result = subprocess.run(["bash", "-c", rest], cwd=folder, env=user_env(),
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-5000:]
    return Demo(folder, result)


def test_setup_command_runs_the_demo_from_any_folder(demo: Demo) -> None:
    assert (demo.folder / "output" / "latest" / "report.html").is_file()
    sites = re.search(r"sample web: (\d+) sites", demo.result.stdout)
    assert sites, demo.result.stdout
    claimed = re.search(r"\((\d+) sites on loopback", README.read_text("utf-8"))
    assert claimed and claimed.group(1) == sites.group(1)


def test_worked_example_prints_what_the_readme_shows(demo: Demo) -> None:
    example = blocks(README, "python")[0]
    shown = next(block for block in blocks(README, "text") if "source_domain" in block)
    result = subprocess.run([sys.executable, "-c", example], cwd=demo.folder, env=user_env(),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown


@pytest.mark.parametrize("page", [README, DOCS / "getting-started.md"], ids=lambda p: p.name)
def test_quoted_summary_line_is_the_demos(demo: Demo, page: Path) -> None:
    quoted = next(block for block in blocks(page, "text") if block.startswith("linkspider: "))
    assert RUN_FOLDER.sub("output/RUN", quoted.strip()) == RUN_FOLDER.sub(
        "output/RUN", demo.summary()
    )


def test_docs_name_every_file_and_column_of_the_run(demo: Demo) -> None:
    page = (DOCS / "exports.md").read_text("utf-8")
    table = page.split("| file | contents |", 1)[1].split("\n\n", 1)[0]
    named = {name for cell in re.findall(r"^\| ([^|]+) \|", table, re.M)
             for name in re.findall(r"`([^`]+)`", cell)}  # fmt: skip
    run = demo.folder / "output" / "latest"
    files = {path.name for path in run.iterdir()}
    # Files of other features may be described on their own pages (named there in `code`).
    named |= {
        name
        for path in DOCS.glob("*.md")
        for name in re.findall(r"`([^`\s]+)`", path.read_text("utf-8"))
    }
    assert not files - named, f"files of a run folder no docs page names: {files - named}"
    row = next(line for line in table.splitlines() if line.startswith("| `backlinks.csv`"))
    columns = re.findall(r"`([a-z_]+)`", row.split("|")[2])
    with (run / "backlinks.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert columns == header


def test_exports_page_python_example_runs_on_the_demo(demo: Demo) -> None:
    for example in blocks(DOCS / "exports.md", "python"):
        result = subprocess.run([sys.executable, "-c", example], cwd=demo.folder, env=user_env(),
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stderr


def test_test_count_claim_is_about_right() -> None:
    """'about N tests' in the docs is within 10% of what pytest collects."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    collected = int(re.search(r"(\d+) tests? collected", result.stdout).group(1))  # type: ignore[union-attr]
    claimed = re.search(r"about (\d+) tests", (DOCS / "getting-started.md").read_text("utf-8"))
    assert claimed
    assert abs(int(claimed.group(1)) - collected) <= collected // 10, (claimed.group(0), collected)


def test_docs_command_serves_the_site(tmp_path: Path) -> None:
    """The README's docs command: ``mkdocs serve`` answers with the site's home page (on a
    free port instead of 8000; ``pip install -e '.[docs]'`` is part of the test extras)."""
    import socket
    import time
    import urllib.request

    block = next(code for code in blocks(README, "bash") if "mkdocs serve" in code)
    install, _, serve = block.strip().partition(" && ")
    assert install == "pip install -e '.[docs]'" and serve == "mkdocs serve"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env={**user_env(), "NO_MKDOCS_2_WARNING": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        page = ""
        while server.poll() is None and not page:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
                    page = answer.read().decode("utf-8")
            except OSError:
                time.sleep(0.2)  # polling until the server answers, no timing assumption
        assert page, server.stderr.read() if server.stderr else "mkdocs serve exited"
        assert "<title>linkspider</title>" in page
    finally:
        server.terminate()
        server.wait()


def test_readme_discover_blocks_run_as_written(tmp_path: Path) -> None:
    """The README's Discover blocks, verbatim, from a folder laid out like the clone's root
    (its ``linkspider/`` package folder is the clone's): the candidates and the statuses
    the README quotes."""
    (tmp_path / "linkspider").symlink_to(ROOT / "linkspider")
    env = {**user_env(), "LINKSPIDER_CACHE_DIR": str(tmp_path / "cache")}
    discover, verify = [
        code
        for code in blocks(README, "bash")
        if "discover" in code and "--cc-base-url" not in code
    ]
    for code in (discover, verify):
        done = subprocess.run(["bash", "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "output" / "discover-cc-main-2026-sample-domain"
    with (out / "referring_candidates.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == 12
    assert len((out / "seeds.txt").read_text("utf-8").split()) == 5
    status = json.loads((tmp_path / "output" / "latest" / "run.json").read_text("utf-8"))
    counts = status["candidates_status"]["counts"]
    assert (counts["verified"], counts["unreachable"]) == (10, 2)
    text = README.read_text("utf-8")
    assert "`referring_candidates.csv` (12 domains)" in text
    assert "10 verified, 2\nunreachable" in text


def test_readme_archive_block_runs_as_written(tmp_path: Path) -> None:
    """The README's Archives block, verbatim but for its ``pip install`` line (the CI's
    install step installed the extras): the archive gives the live crawl's rows."""
    (tmp_path / "linkspider").symlink_to(ROOT / "linkspider")
    (code,) = [
        code for code in blocks(README, "bash") if "linkspider archive" in code and "--warc" in code
    ]
    lines = code.strip().splitlines()
    assert lines[0] == "pip install -e '.[archive]'"
    done = subprocess.run(["bash", "-ec", "\n".join(lines[1:])], cwd=tmp_path, env=user_env(),
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]

    def rows(folder: str) -> list[dict[str, str]]:
        with (tmp_path / "output" / folder / "backlinks.csv").open(encoding="utf-8-sig") as f:
            found = list(csv.DictReader(f))
        drop = ("first_seen", "last_seen")
        return sorted(({k: v for k, v in row.items() if k not in drop} for row in found), key=str)

    live, archived = rows("sample-live"), rows("sample-archived")
    assert len(live) == 69 and archived == live
    assert "the live crawl's 69 backlink rows" in README.read_text("utf-8")


def test_readme_common_crawl_block_runs_as_written(tmp_path: Path) -> None:
    """The README's Common Crawl block, verbatim: a mirror of the recorded sample web in
    Common Crawl's layout, read through its index by range requests."""
    (tmp_path / "linkspider").symlink_to(ROOT / "linkspider")
    env = {**user_env(), "LINKSPIDER_CACHE_DIR": str(tmp_path / "cache")}
    (code,) = [code for code in blocks(README, "bash") if "--cc-base-url" in code]
    done = subprocess.run(["bash", "-ec", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "no capture for 2 domain(s)" in done.stdout + done.stderr
    assert "69 backlinks" in done.stdout + done.stderr
    with (tmp_path / "output" / "cc-archived" / "backlinks.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == 69
