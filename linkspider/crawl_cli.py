"""``linkspider crawl``: ``scrapy crawl backlinks`` from any folder, its arguments as flags.

The flags are generated from the spider's argument model
(:class:`linkspider.config.args.CrawlArgs`): a new spider argument is a new flag, with its
description and default, without touching this module. Only the flags given are passed on
(``-a name=value``), so the crawl is exactly the one ``scrapy crawl backlinks`` runs with
the same arguments: same settings, same run folder, same exit codes
(:mod:`linkspider.output`). No ``scrapy.cfg`` is needed: the project settings are
``linkspider.settings`` unless ``SCRAPY_SETTINGS_MODULE`` names others.

Bad arguments stop before anything starts, with one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from linkspider.config.args import CrawlArgs

#: Short flags of the arguments used every time; every argument also has ``--long-name``.
SHORT_FLAGS = {"targets": "-t", "seeds": "-s", "output_dir": "-o"}
METAVARS = {"output_dir": "DIR", "expect": "CSV"}

DESCRIPTION = """\
Crawl the seed sites (or pages) and write every link to the target sites into a run
folder: backlinks.csv, backlinks.xlsx, the aggregate tables and report.html. It runs
`scrapy crawl backlinks` with the flags given as spider arguments, from any folder."""

EPILOG = """\
examples:
  linkspider crawl -t acme-boots.com -s blog1.com,blog2.com
  linkspider crawl -t targets.toml -s prospects.txt --scope page -o out/prospects
  linkspider crawl -t acme-boots.com -s blog1.com -S DOWNLOAD_DELAY=2 -- -O links.csv

Exit codes: 0 the exports are complete, 1 the crawl failed, 2 bad arguments,
3 the exports are missing or incomplete (see run.json)."""


class CrawlUsageError(ValueError):
    """A bad flag value, found before the crawl starts."""


def register(sub: Any) -> None:
    """Add the ``crawl`` subcommand to ``linkspider``'s subparsers."""
    parser = sub.add_parser(
        "crawl",
        help="crawl seed sites for links to your targets (scrapy crawl backlinks)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_argument_flags(parser)
    parser.add_argument(
        "-S", "--set", action="append", default=[], metavar="NAME=VALUE",
        help="a Scrapy setting, as scrapy crawl -s (e.g. -S DOWNLOAD_DELAY=2); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "scrapy_args", nargs="*", metavar="-- SCRAPY_ARGS",
        help="more scrapy crawl options after -- (e.g. -- -O links.csv -L INFO)",
    )  # fmt: skip
    parser.set_defaults(func=crawl)


def add_argument_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per field of :class:`CrawlArgs`, with its description and default."""
    for name, field in CrawlArgs.model_fields.items():
        flags = [SHORT_FLAGS[name]] if name in SHORT_FLAGS else []
        flags.append("--" + name.replace("_", "-"))
        kind, choices = _flag_type(field.annotation)
        help_text = f"{field.description or name}; {_default_text(name)}"
        if kind is bool:
            parser.add_argument(
                *flags, dest=name, action="store_const", const="true", help=help_text
            )
            continue
        metavar = None if choices else "N" if kind is int else METAVARS.get(name, name.upper())
        parser.add_argument(
            *flags, dest=name, type=kind, choices=choices, metavar=metavar, help=help_text
        )


def _flag_type(annotation: Any) -> tuple[type, list[str] | None]:
    """``(type, choices)`` of a field: ``Literal`` gives choices; ``X | None`` is ``X``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _flag_type(args[0])
    if origin is Literal:
        return str, [str(a) for a in args]
    if annotation in (int, bool, float):
        return typing.cast(type, annotation), None
    return str, None


def _default_text(name: str) -> str:
    """What a flag left out means: the field's default, or the setting that gives it."""
    field = CrawlArgs.model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    setting = extra.get("setting")
    if field.default is None and isinstance(setting, str):
        current = _project_setting(setting)
        if current is None or current == "":
            return f"default: none ({setting})"
        value = str(extra.get("default", "{}")).format(current)
        return f"default: {value} ({setting})"
    if field.default is None:
        return "default: none" if name not in ("targets", "seeds") else _required_text(name)
    value = str(field.default).lower() if isinstance(field.default, bool) else field.default
    return f"default: {value}"


def _required_text(name: str) -> str:
    if name == "seeds":
        return "required (not with --expect; optional with --discover)"
    return "required (with --expect: the expected targets' sites)"


def _project_setting(setting: str) -> Any:
    from linkspider.settings_reference import by_name

    return by_name()[setting].default


def crawl(args: argparse.Namespace) -> int:
    """Check the flags, then run ``scrapy crawl backlinks`` in this process."""
    try:
        argv = scrapy_argv(args)
    except CrawlUsageError as exc:
        print(f"linkspider crawl: error: {exc}", file=sys.stderr)
        return 2
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    from scrapy.cmdline import execute

    try:
        execute(argv)
    except SystemExit as exc:  # Scrapy ends with sys.exit(exit code)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def spider_arguments(args: argparse.Namespace) -> dict[str, str]:
    """The flags given, as ``-a`` spider arguments (text, as Scrapy passes them)."""
    return {
        name: str(getattr(args, name))
        for name in CrawlArgs.model_fields
        if getattr(args, name, None) is not None
    }


def scrapy_argv(args: argparse.Namespace) -> list[str]:
    """The ``scrapy crawl backlinks`` command line; :class:`CrawlUsageError` if bad."""
    from linkspider.config.args import CrawlConfig
    from linkspider.config.sources import ConfigError

    spargs = spider_arguments(args)
    if not spargs.get("expect"):
        needed = ("targets",) if spargs.get("discover") else ("targets", "seeds")
        missing = [SHORT_FLAGS[n] for n in needed if not spargs.get(n)]
        if missing:
            raise CrawlUsageError(
                f"missing {' and '.join(missing)} "
                "(e.g. -t acme-boots.com -s seeds.txt; see linkspider crawl --help)"
            )
    try:
        CrawlConfig.from_kwargs(dict(spargs))
    except ConfigError as exc:
        raise CrawlUsageError(flag_names(str(exc))) from None
    settings = list(_settings(args.set))
    _check_settings(settings)
    if spargs.get("output_dir"):
        _check_folder(Path(spargs["output_dir"]))
    argv = ["scrapy", "crawl", "backlinks"]
    for name, value in spargs.items():
        argv += ["-a", f"{name}={value}"]
    for name, value in settings:
        argv += ["-s", f"{name}={value}"]
    return argv + list(args.scrapy_args)


def flag_names(message: str) -> str:
    """A spider message in this command's terms: ``-a depth=...`` becomes ``--depth``."""

    def flag(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in CrawlArgs.model_fields:
            return match.group(0)
        value = match.group(2) or ""
        long_flag = "--" + name.replace("_", "-")
        return long_flag + (" " + value[1:] if value and value != "=..." else "")

    return re.sub(r"-a (\w+)(=[^\s,;)]*)?", flag, message)


def _settings(pairs: Sequence[str]) -> list[tuple[str, str]]:
    found = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrawlUsageError(f"-S expects NAME=VALUE, got {pair!r}")
        found.append((name.strip(), value))
    return found


def _check_settings(pairs: Sequence[tuple[str, str]]) -> None:
    """Settings that would otherwise stop the crawl at its start or end (exports)."""
    from scrapy.addons import AddonManager
    from scrapy.settings import Settings

    from linkspider.middlewares.ssrf import allow_setting
    from linkspider.reports.options import ExportOptions

    settings = Settings()
    settings.setmodule(os.environ.get("SCRAPY_SETTINGS_MODULE") or "linkspider.settings")
    AddonManager.load_pre_crawler_settings(settings)  # linkspider's add-on: its defaults
    for name, value in pairs:
        settings.set(name, value, priority="cmdline")
    try:
        allow_setting(settings)
        ExportOptions.from_settings(settings)
    except ValueError as exc:
        raise CrawlUsageError(str(exc)) from None


def _check_folder(folder: Path) -> None:
    from linkspider.output import check_writable

    try:
        check_writable(folder)
    except OSError as exc:
        raise CrawlUsageError(
            f"output folder {folder} cannot be written: {exc.strerror or exc}"
        ) from None
