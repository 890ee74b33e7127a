"""The ``linkspider`` command line: readable help, --version, crawl flags and usage errors.

Everything here runs in-process and starts no crawl (the crawls are in
test_cli_crawl.py): a usage error must stop before Scrapy is started.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

import linkspider
from linkspider import cli, crawl_cli
from linkspider.config.args import CrawlArgs
from tests.support.paths import ROOT

#: reST that must never reach a terminal: ``x``, :mod:`x`, :func:`~a.b`, `x`_.
RST = re.compile(r"``|:[a-z]+(:[a-z]+)?:`|`[^`\s]+`_")


def build_parser() -> argparse.ArgumentParser:
    return cli.build_parser()


def all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``parser`` and every subcommand's parser below it, whoever registered them."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += all_parsers(sub)
    return found


def test_every_command_help_is_free_of_rest_markup() -> None:
    parsers = all_parsers(build_parser())
    names = {p.prog for p in parsers}
    assert {"linkspider", "linkspider crawl", "linkspider demo", "linkspider export"} <= names
    for parser in parsers:
        text = parser.format_help() + parser.format_usage()
        assert not RST.search(text), (parser.prog, RST.search(text))


def test_readable_strips_markup_whoever_writes_it() -> None:
    assert cli.readable("``linkspider demo`` in :mod:`linkspider.output`") == (
        "linkspider demo in linkspider.output"
    )
    assert cli.readable(":func:`~linkspider.reports.build_exports` and :py:class:`X`") == (
        "linkspider.reports.build_exports and X"
    )
    assert cli.readable("see `the docs <https://x>`_ and `x`_") == (
        "see the docs <https://x> and x"
    )
    # A subcommand added later with markup in its help gets it stripped too.
    parser = cli.Parser(prog="linkspider")
    sub = parser.add_subparsers()
    later = sub.add_parser("later", help="runs ``scrapy`` (:mod:`x`)", description="``a``")
    later.add_argument("--flag", help="see :class:`linkspider.core.items.PageItem`")
    assert isinstance(later, cli.Parser)
    assert not RST.search(parser.format_help() + later.format_help())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"linkspider {linkspider.__version__} (Scrapy 2.")


def test_console_script_version_from_any_folder(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "linkspider.cli", "--version"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.split()[:2] == ["linkspider", linkspider.__version__]


def crawl_help() -> str:
    parser = next(p for p in all_parsers(build_parser()) if p.prog == "linkspider crawl")
    return parser.format_help()


def test_crawl_flags_are_the_spider_arguments_with_defaults() -> None:
    parser = next(p for p in all_parsers(build_parser()) if p.prog == "linkspider crawl")
    dests = {a.dest for a in parser._actions}
    assert set(CrawlArgs.model_fields) <= dests  # a new spider argument is a new flag
    help_text = " ".join(crawl_help().split())
    for name in CrawlArgs.model_fields:
        action = next(a for a in parser._actions if a.dest == name)
        assert "default: " in (action.help or "") or "required" in (action.help or "")
        assert f"--{name.replace('_', '-')}" in help_text
    # Defaults given by settings show the setting's value and name.
    assert "default: 500 (LINKSPIDER_MAX_PAGES_PER_SITE)" in help_text
    assert "default: 5 (LINKSPIDER_DEPTH)" in help_text
    assert "default: auto (LINKSPIDER_RENDER)" in help_text
    assert "default: site" in help_text
    assert "{site,page}" in help_text and "{off,auto,always}" in help_text


def parse_crawl(*argv: str) -> argparse.Namespace:
    parser = cli.Parser(prog="linkspider")
    crawl_cli.register(parser.add_subparsers())
    return parser.parse_args(["crawl", *argv])


def test_only_given_flags_become_spider_arguments(tmp_path: Path) -> None:
    args = parse_crawl(
        "-t", "acme-boots.com", "-s", "blog1.com,blog2.com", "--depth", "0",
        "--check-targets", "-o", str(tmp_path / "run"), "-S", "DOWNLOAD_DELAY=2",
        "-S", "FEEDS={}", "--", "-O", "links.csv", "-L", "INFO",
    )  # fmt: skip
    assert crawl_cli.scrapy_argv(args) == [
        "scrapy", "crawl", "backlinks",
        "-a", "targets=acme-boots.com", "-a", "seeds=blog1.com,blog2.com",
        "-a", "depth=0", "-a", f"output_dir={tmp_path / 'run'}",
        "-a", "check_targets=true",
        "-s", "DOWNLOAD_DELAY=2", "-s", "FEEDS={}",
        "-O", "links.csv", "-L", "INFO",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-t", "acme-boots.com"], "missing -s"),
        (["-s", "blog.com"], "missing -t"),
        (["-t", "com", "-s", "blog.com"], "'com' is not a valid domain"),
        (["-t", "acme-boots.com", "-s", "blog.com", "--depth", "-1"], "depth"),
        (["-t", "acme-boots.com", "-s", "blog.com", "--depth", "two"], "invalid int value"),
        (["-t", "acme-boots.com", "-s", "blog.com", "--scope", "all"], "invalid choice"),
        (["-t", "acme-boots.com", "-s", "blog.com", "-S", "DOWNLOAD_DELAY"], "NAME=VALUE"),
        (["-t", "a.com", "--expect", "x.csv", "--scope", "site"], "scope must be page"),
        (["-t", "a.com", "-s", "b.com", "--expect", "x.csv"], "drop --seeds"),
        (["-t", "a.com", "-s", "/nonexistent/seeds.txt"], "seeds"),
        (["-t", "acme-boots.com", "-s", "blog.com", "--no-such-flag"], "unrecognized"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = cli.main(["crawl", *argv])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("linkspider crawl: error: "), err
    assert message in err


def test_unwritable_output_folder_is_refused_before_the_crawl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = cli.main(["crawl", "-t", "acme-boots.com", "-s", "blog.com", "-o", str(blocker / "x")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "cannot be written" in err


def test_flag_names_in_spider_messages() -> None:
    assert crawl_cli.flag_names("-a expect=... fetches the pages: drop -a seeds") == (
        "--expect fetches the pages: drop --seeds"
    )
    assert crawl_cli.flag_names("unknown -a foo") == "unknown -a foo"


def test_cli_docs_name_every_crawl_flag() -> None:
    page = (ROOT / "docs" / "cli.md").read_text("utf-8")
    parser = next(p for p in all_parsers(build_parser()) if p.prog == "linkspider crawl")
    for action in parser._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert f"`{flag}`" in page, flag
