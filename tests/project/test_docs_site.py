"""The documentation site builds with ``mkdocs build --strict`` (a broken link or anchor fails
it), every page is in the nav, every code block of the docs and the README is valid code of
its language, and the README stays a front page that links into the docs."""

from __future__ import annotations

import configparser
import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys

from tests.support.paths import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from pathlib import Path

import pytest
import yaml

DOCS = ROOT / "docs"
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def config() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def nav_files(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [name for item in node for name in nav_files(item)]
    if isinstance(node, dict):
        return [name for value in node.values() for name in nav_files(value)]
    return []


def pending_pages() -> list[str]:
    """The feature pages the lead adds to the nav: commented ``# - Title: page.md`` lines
    under the ``FEATURE PAGES`` comment of mkdocs.yml."""
    text = (ROOT / "mkdocs.yml").read_text("utf-8")
    if "# FEATURE PAGES" not in text:
        return []
    block = text.split("# FEATURE PAGES", 1)[1].split("\n  - ", 1)[0]
    return re.findall(r"#\s*- [^:\n]+:\s*(\S+\.md)", block)


def code_blocks(path: Path) -> list[tuple[str, str, int]]:
    """(language, code, line) of each fenced block of a Markdown file."""
    text = path.read_text("utf-8")
    return [
        (match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1)
        for match in FENCE.finditer(text)
    ]


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("**/*.md"))]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-5000:]
    assert "WARNING" not in result.stderr, result.stderr[-5000:]
    for page in nav_files(config()["nav"]):
        built = site / (page.removesuffix(".md") + "/index.html")
        if page == "index.md":
            built = site / "index.html"
        assert built.is_file(), f"{page} was not built"
    home = (site / "index.html").read_text("utf-8")
    assert "<title>linkspider</title>" in home


def test_strict_mode_fails_on_a_broken_link(tmp_path: Path) -> None:
    """The build the test above runs would catch a broken link (not a build that passes
    whatever the pages say)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](missing.md), [anchor](#nowhere)\n")
    conf = config()
    conf.update(docs_dir=str(docs), site_dir=str(tmp_path / "site"), nav=["index.md"])
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(conf))
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "missing.md" in result.stderr and "nowhere" in result.stderr


def test_every_page_is_in_the_nav_or_pending() -> None:
    listed = nav_files(config()["nav"])
    assert len(listed) == len(set(listed)), "a page is twice in the nav"
    for page in listed:
        assert (DOCS / page).is_file(), f"mkdocs.yml lists {page}, which does not exist"
    pages = {str(path.relative_to(DOCS)) for path in DOCS.glob("**/*.md")}
    left_out = pages - set(listed) - set(pending_pages())
    assert not left_out, f"pages in docs/ but not in mkdocs.yml's nav: {sorted(left_out)}"
    assert "cli.md" in pending_pages() or "cli.md" in listed


def check_block(language: str, code: str, where: str) -> None:
    """Parse one block as its language says; shell blocks with bash -n (syntax only: most
    crawl real sites or servers; the runnable ones run in their own tests)."""
    if language in {"bash", "sh", "shell", "console"}:
        result = subprocess.run(["bash", "-n"], input=code, capture_output=True, text=True)
        assert result.returncode == 0, f"{where}: {result.stderr}"
    elif language == "python":
        compile(code, where, "exec")
    elif language == "toml":
        tomllib.loads(code)
    elif language == "ini":
        configparser.ConfigParser().read_string(code)
    elif language == "json":
        json.loads(code)
    elif language == "csv":
        rows = list(csv.reader(io.StringIO(code)))
        assert len({len(row) for row in rows}) == 1, f"{where}: rows of different widths"
    elif language == "yaml":
        yaml.safe_load(code)


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_code_blocks_are_valid(path: Path) -> None:
    for language, code, line in code_blocks(path):
        check_block(language, code, f"{path.relative_to(ROOT)}:{line}")


def test_block_checks_catch_broken_code() -> None:
    with pytest.raises(AssertionError):
        check_block("bash", "scrapy crawl backlinks -a 'targets=\n", "x")
    with pytest.raises(tomllib.TOMLDecodeError):
        check_block("toml", "[[target]\ndomain = 1", "x")
    with pytest.raises(SyntaxError):
        check_block("python", "print(", "x")


def test_readme_is_a_front_page() -> None:
    text = README.read_text("utf-8")
    assert len(text.encode("utf-8")) < 10_000, "the README is a front page: under 10 KB"
    headings = re.findall(r"^## (.+)$", text, re.M)
    for needed in ("Set-up: two commands", "A worked example", "Documentation", "Licence"):
        assert needed in headings, headings
    blocks = [code for language, code, _ in code_blocks(README) if language == "bash"]
    assert blocks[:2] == [
        "pip install -e . && linkspider demo\n",
        "bash tests/install-and-run.sh\n",
    ]
    assert "bash tests/install-and-run.sh" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_readme_links_resolve() -> None:
    text = README.read_text("utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert len(local) > 10
    for link in local:
        target = ROOT / link.split("#", 1)[0]
        assert target.is_file(), f"README links {link}, which does not exist"


def test_readme_names_the_demo_sites_truly() -> None:
    """'12 sites on loopback' is the bundled web's host count (the demo prints it)."""
    from linkspider.testweb.sites import load_web

    claimed = re.search(r"\((\d+) sites on loopback", README.read_text("utf-8"))
    assert claimed, "the README says how many sites the sample web has"
    assert int(claimed.group(1)) == len(load_web().hosts)


def test_docs_shell_blocks_use_real_commands() -> None:
    """Every ``linkspider SUBCOMMAND`` in a shell block of the docs is a real subcommand."""
    from linkspider.cli import build_parser

    parser = build_parser()
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    commands = set(actions[0].choices)  # type: ignore[attr-defined]
    for path in markdown_files():
        for language, code, line in code_blocks(path):
            if language != "bash":
                continue
            for command in re.findall(r"(?:^|&&|;|\|)\s*linkspider (\S+)", code, re.M):
                if command.startswith("-"):
                    continue
                assert command in commands, f"{path.name}:{line}: linkspider {command}"
    assert shlex.split("linkspider demo")[1] in commands


def test_scrapyd_page_lists_every_locked_setting() -> None:
    """docs/scrapyd.md names every setting a Scrapyd job may not change (the code's list)."""
    from linkspider.scrapyd_jobs import LOCKED_SETTINGS

    page = (DOCS / "scrapyd.md").read_text("utf-8")
    section = page.split("## Safety settings are locked", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))
    assert not set(LOCKED_SETTINGS) - named, sorted(set(LOCKED_SETTINGS) - named)


def first_column(page: str, header: str) -> list[str]:
    """The `code` values of the first column of the table whose header row starts with
    ``| header |``, in order."""
    text = (DOCS / page).read_text("utf-8")
    table = text.split(f"| {header} |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", table, re.M)


def test_vocabulary_tables_are_the_codes() -> None:
    """The lost reasons, placement statuses and exit codes the guide tabulates are the code's,
    in the code's order (first match wins in both)."""
    from linkspider import output
    from linkspider.extract.placement_check import STATUSES
    from linkspider.monitor.reasons import LOST_REASONS

    assert first_column("monitoring.md", "`lost_reason`") == list(LOST_REASONS)
    assert first_column("verifying.md", "status") == list(STATUSES)
    text = (DOCS / "verifying.md").read_text("utf-8")
    codes = text.split("| exit code |", 1)[1].split("\n\n", 1)[0]
    shown = [int(code) for code in re.findall(r"^\| (\d) \|", codes, re.M)]
    assert shown == [
        output.EXIT_OK,
        output.EXIT_CRAWL_ERROR,
        output.EXIT_USAGE,
        output.EXIT_INCOMPLETE,
    ]
    for status in (
        output.FINISHED,
        output.STOPPED,
        output.INTERRUPTED,
        output.EXPORT_FAILED,
        output.FAILED,
    ):
        assert f"`{status}`" in codes, status
