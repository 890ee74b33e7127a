"""``linkspider`` console script: crawls, the offline demo and export helpers.

* ``linkspider crawl -t TARGETS -s SEEDS``: ``scrapy crawl backlinks`` from any folder
  (:mod:`linkspider.crawl_cli`).
* ``linkspider demo``: serve the bundled sample web on loopback and crawl it with
  ``scrapy crawl backlinks`` (no internet needed); exports land in ``output/``.
* ``linkspider export DIR``: rebuild a run folder's exports from its ``*.jsonl`` files
  (after a killed crawl, or after editing them).
* ``linkspider enqueue TARGETS SEEDS --redis URL --crawl NAME``: queue a distributed crawl
  in Redis for ``scrapy crawl backlinks_distributed`` workers.
* ``linkspider merge DIR``: build a distributed crawl's exports from its workers' parts.
* ``linkspider diff OLD NEW``: new, lost and changed links between two run folders.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider import crawl_cli

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from linkspider.reports.options import ExportOptions

SAMPLE_DIR = Path(__file__).resolve().parent / "testweb" / "sample"

#: The sample web is ours and local: no need to wait between requests, or to wait long for
#: a robots.txt that does not answer. It lives on 127.0.0.1, which the SSRF guard refuses
#: unless told otherwise.
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "5",
    "RETRY_TIMES": "0",
    "LINKSPIDER_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8",
    "LINKSPIDER_ROBOTS_RETRIES": "0",
}


def crawl_command(
    targets: str, seeds: str, settings: dict[str, str], extra: Sequence[str] = ()
) -> list[str]:
    """The ``scrapy crawl backlinks`` command line, run with this Python."""
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks"]
    command += ["-a", f"targets={targets}", "-a", f"seeds={seeds}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command + list(extra)


def crawl_env() -> dict[str, str]:
    """Environment for a crawl subprocess: the project settings wherever it runs from."""
    env = dict(os.environ)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    return env


def demo(args: argparse.Namespace) -> int:
    from linkspider.testweb import TestWeb

    extra = ["-a", f"output_dir={args.output_dir}"] if args.output_dir else []
    with TestWeb() as web:
        ports = f"{web.http_port}/{web.https_port}"
        print(f"sample web: {len(web.hosts)} sites on 127.0.0.1 (ports {ports})")
        command = crawl_command(
            str(SAMPLE_DIR / "targets.toml"),
            str(SAMPLE_DIR / "seeds.txt"),
            {**DEMO_SETTINGS, **web.scrapy_settings()},
            extra + list(args.scrapy_args),
        )
        result = subprocess.run(command, env=crawl_env(), check=False)
    if result.returncode == 0:
        where = args.output_dir or "output/latest"
        print(
            f"\nDone. Open {where}/report.html in a browser: the report to read first.\n"
            f"Spreadsheets: {where}/backlinks.xlsx; tables: backlinks.csv, "
            "referring_domains.csv, anchors.csv; run details: run.json"
        )
    return result.returncode


def project_settings() -> Settings:
    """The user's project settings if there are any, else linkspider's own, with the
    defaults of their add-ons (linkspider's: :mod:`linkspider.addon`)."""
    from scrapy.addons import AddonManager
    from scrapy.settings import Settings
    from scrapy.utils.project import get_project_settings

    # Never by setting SCRAPY_SETTINGS_MODULE here: that would leak into every process
    # started afterwards.
    if os.environ.get("SCRAPY_SETTINGS_MODULE"):
        settings = get_project_settings()
    else:
        settings = Settings()
        settings.setmodule("linkspider.settings", priority="project")
    AddonManager.load_pre_crawler_settings(settings)
    return settings


def export_options(args: argparse.Namespace) -> ExportOptions:
    """Export options from the project settings, ``-s NAME=VALUE`` and the sitewide flags."""
    from linkspider.reports.options import ExportOptions

    settings = project_settings()
    for pair in args.set or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: -s expects NAME=VALUE, got {pair!r}")
        settings.set(name, value, priority="cmdline")
    if args.sitewide_min_pages is not None:
        settings.set("LINKSPIDER_SITEWIDE_MIN_PAGES", args.sitewide_min_pages, "cmdline")
    if args.sitewide_min_share is not None:
        settings.set("LINKSPIDER_SITEWIDE_MIN_SHARE", args.sitewide_min_share, "cmdline")
    return ExportOptions.from_settings(settings)


def export(args: argparse.Namespace) -> int:
    """Build the exports and update ``run.json``; exit code as a crawl's (see output.py)."""
    from linkspider.output import EXIT_INCOMPLETE, EXIT_USAGE, RUNNING, exit_code, utc_now
    from linkspider.reports.blocked import write_blocked_csv
    from linkspider.reports.exports import build_exports
    from linkspider.reports.run_folder import folder_counts, remove_tmp_files, write_run_json

    folder = Path(args.folder)
    if not (folder / "backlinks.jsonl").exists():
        print(f"error: {folder} has no backlinks.jsonl", file=sys.stderr)
        return EXIT_USAGE
    try:
        options = export_options(args)
    except ValueError as exc:  # a bad setting (-s), named
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        info, note = run_before_export(folder)
        if info.get("status") != RUNNING:  # a killed export's leftovers; not a live crawl's
            remove_tmp_files(folder)
        if info:  # first: report.html shows the status
            write_run_json(folder, info)
        write_blocked_csv(folder)  # before the report, whose Crawl section reads it
        summary = build_exports(folder, options)
        if info:
            counts = folder_counts(folder, summary)
            info.update(counts, exported_at=utc_now(), exports_built=True)
            info.pop("export_error", None)
            if info["status"] == "interrupted":
                info["recovered"] = {k: counts[k] for k in _RECOVERED}
            write_run_json(folder, info)
    except OSError as exc:  # disk full, read-only folder: one line, no *.tmp left
        remove_tmp_files(folder)
        print(f"error: {folder}: the exports could not be written: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    print(
        f"{folder}: {summary.backlinks} backlinks, {summary.pages} pages, "
        f"{summary.errors} errors, {summary.referring_domains} referring domains"
        + (f", {summary.bad_lines} unreadable line(s) skipped" if summary.bad_lines else "")
    )
    if note:
        print(f"note: {note}", file=sys.stderr)
    for limit in summary.xlsx_notes:  # Excel's limits: rows split, URLs past 65,530 as text
        print(f"note: backlinks.xlsx: {limit}", file=sys.stderr)
    if not info:
        return 0
    return EXIT_INCOMPLETE if _archive_partial(info) else exit_code(str(info.get("status", "")))


def _archive_partial(info: dict[str, Any]) -> bool:
    """A ``linkspider archive`` run whose inputs had problems: rows may be missing."""
    return info.get("spider") == "archive" and info.get("status") == "partial"


#: What ``run.json`` says was recovered from a killed crawl.
_RECOVERED = ("pages_crawled", "links_found", "backlinks", "errors", "blocked_pages")


def run_before_export(folder: Path) -> tuple[dict[str, Any], str]:
    """``run.json`` with the status it gets from this export, and a note for the user.

    A crawl that was killed (``running``, its process gone) becomes ``interrupted``; its
    last session is taken to have ended at its last write. One whose exports had failed
    gets the status the crawl itself had. ``({}, "")`` when there is no ``run.json``.
    """
    from linkspider.output import FAILED, INTERRUPTED, RUNNING, status_after_export
    from linkspider.reports.run_folder import earlier_sessions

    info = earlier_sessions(folder)  # fills in the killed session's end
    if not info:
        return {}, ""
    alive = _crawl_alive(info)
    status = status_after_export(
        str(info.get("status") or ""), str(info.get("finish_reason") or ""), alive
    )
    info["status"] = status
    sessions = info.get("sessions") or []
    if status == INTERRUPTED and sessions:
        last = sessions[-1]
        info["finished_at"] = last.get("finished_at", "")
        info["finish_reason"] = last.get("finish_reason", "")
        info["elapsed_seconds"] = round(sum(float(s["elapsed_seconds"]) for s in sessions), 3)
        return info, "the crawl was killed: these exports hold what it had written (run.json)"
    if status == RUNNING:
        info["sessions"] = sessions[:-1]  # its session is still going
        return info, f"the crawl (pid {info.get('pid')}) is still running: a snapshot"
    if status == FAILED:
        return info, "the crawl stopped when a write failed: the rows after it are missing"
    if _archive_partial(info):
        return info, (
            f"partial: {info.get('problems', 'some')} problem(s) in the archive's inputs, rows "
            "may be missing; see archive.json and archive_records.csv"
        )
    return info, ""


def _crawl_alive(info: dict[str, Any]) -> bool:
    """Whether the process that wrote ``run.json`` still runs (same host, pid alive)."""
    import socket

    pid = info.get("pid")
    if not isinstance(pid, int) or info.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


def enqueue(args: argparse.Namespace) -> int:
    from linkspider.config.sources import ConfigError
    from linkspider.distributed.frontier import DupefilterSpec, redact_url
    from linkspider.enqueue import enqueue as enqueue_crawl

    spec = DupefilterSpec()
    if args.dupefilter == "bloom":
        spec = DupefilterSpec("bloom", args.bloom_capacity, args.bloom_error_rate)
    try:
        result = enqueue_crawl(
            args.redis, args.crawl, args.targets, args.seeds,
            scope=args.scope, depth=args.depth, max_pages_per_site=args.max_pages_per_site,
            dupefilter=spec, reset=args.reset,
        )  # fmt: skip
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for number, raw, why in result.rejected:
        print(f"seeds: skipped entry #{number} {raw!r}: {why}", file=sys.stderr)
    d = result.definition
    print(
        f"crawl {result.crawl!r} {'created' if result.created else 'extended'}: "
        f"{result.queued} seed(s) queued, {result.already_seen} already seen, "
        f"{result.pending} request(s) waiting; targets {d.targets.describe()}, scope={d.scope}, "
        f"depth={d.depth}, max_pages_per_site={d.max_pages_per_site}, "
        f"dupefilter={d.dupefilter.kind}"
    )
    print(
        "start workers (any number, any machine) with:\n  scrapy crawl backlinks_distributed "
        f"-s LINKSPIDER_REDIS_URL={redact_url(args.redis)} -a crawl={result.crawl} "
        f"-a output_dir=output/{result.crawl}\n"
        f"then build the exports with:\n  linkspider merge output/{result.crawl}"
    )
    return 0


def merge(args: argparse.Namespace) -> int:
    from linkspider.config.sources import ConfigError
    from linkspider.distributed.merge import merge_parts

    folder = Path(args.folder)
    try:
        result = merge_parts(folder, export_options(args))
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = result.summary
    print(
        f"{folder}: merged {len(result.parts)} part(s): {summary.backlinks} backlinks, "
        f"{summary.pages} pages, {summary.errors} errors, "
        f"{summary.referring_domains} referring domains"
        + (f", {summary.bad_lines} unreadable line(s) skipped" if summary.bad_lines else "")
    )
    if result.run.get("status") != "finished":
        print("note: not every worker finished the crawl; see run.json", file=sys.stderr)
    return 0


def diff(args: argparse.Namespace) -> int:
    from linkspider.monitor import NotARunFolder, diff_folders

    old, new = Path(args.old), Path(args.new)
    out = Path(args.out) if args.out else new / f"diff-{old.resolve().name}"
    try:
        result = diff_folders(old, new, out)
    except NotARunFolder as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from linkspider.engines.headers import SpreadsheetOptions
    from linkspider.engines.spreadsheet import finish_spreadsheet_csvs

    try:  # the files are for people: the project's BOM and header settings
        finish_spreadsheet_csvs(out, SpreadsheetOptions.from_settings(project_settings()))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = result.counts()
    print(
        f"{old} -> {new}: {counts['new']} new, {counts['lost']} lost "
        f"({counts['not_crawled']} more on pages not crawled), {counts['changed']} changed "
        f"-> {out}/new_links.csv, lost_links.csv, changed_links.csv"
    )
    return 0


def _export_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sitewide-min-pages", type=int, default=None, metavar="N")
    parser.add_argument("--sitewide-min-share", type=float, default=None, metavar="X")
    parser.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE",
        help="a setting for the exports (e.g. LINKSPIDER_REPORT_EXACT_SHARE=0.1); repeatable",
    )  # fmt: skip


class Parser(argparse.ArgumentParser):
    """``linkspider``'s parsers (subcommands get this class too): help without reST
    markup, whoever wrote it, and a usage error in one line (exit code 2)."""

    def format_help(self) -> str:
        return readable(super().format_help())

    def format_usage(self) -> str:
        return readable(super().format_usage())

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {readable(message)} (see {self.prog} --help)\n")


_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`<]*?)(?:\s*<[^>]*>)?`")


def readable(text: str) -> str:
    """``text`` without reST markup: ``x`` and :mod:`a.b` become x and a.b."""
    text = _ROLE.sub(lambda m: m.group(1), text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    return re.sub(r"`([^`]+)`_", r"\1", text)


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from linkspider import __version__

    try:
        scrapy = version("scrapy")
    except PackageNotFoundError:  # pragma: no cover - scrapy is a dependency
        scrapy = "not installed"
    return f"linkspider {__version__} (Scrapy {scrapy}, Python {sys.version.split()[0]})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the subcommand's parser: its --help is the one to read
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    code: int = args.func(args)
    return code


def build_parser() -> Parser:
    """The ``linkspider`` parser with every subcommand."""
    parser = Parser(prog="linkspider", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_demo = sub.add_parser("demo", help="crawl the bundled offline sample web")
    p_demo.add_argument("--output-dir", help="export folder (default: a new folder in output/)")
    p_demo.add_argument("scrapy_args", nargs="*", help="extra scrapy arguments after --")
    p_demo.set_defaults(func=demo)
    p_export = sub.add_parser("export", help="rebuild exports of a run folder from its JSONL")
    p_export.add_argument("folder")
    _export_flags(p_export)
    p_export.set_defaults(func=export)
    _add_distributed_commands(sub)
    p_diff = sub.add_parser("diff", help="new, lost and changed links between two run folders")
    p_diff.add_argument("old", help="the earlier run folder")
    p_diff.add_argument("new", help="the later run folder")
    p_diff.add_argument("--out", help="where the CSV files go (default: NEW/diff-<OLD name>/)")
    p_diff.set_defaults(func=diff)
    crawl_cli.register(sub)
    __import__("linkspider.monitor.cli", fromlist=["register"]).register(sub)
    __import__("linkspider.discover_cli", fromlist=["register"]).register(sub)
    __import__("linkspider.archive.cli", fromlist=["register"]).register(sub)
    return parser


def _add_distributed_commands(sub: Any) -> None:
    p_enqueue = sub.add_parser(
        "enqueue", help="queue a distributed crawl in Redis (targets, seeds and limits)"
    )
    p_enqueue.add_argument("targets", help="as -a targets= of scrapy crawl backlinks")
    p_enqueue.add_argument("seeds", help="as -a seeds= of scrapy crawl backlinks")
    p_enqueue.add_argument(
        "--redis",
        default=os.environ.get("LINKSPIDER_REDIS_URL", "redis://localhost:6379/0"),
        help="Redis URL (default: $LINKSPIDER_REDIS_URL or redis://localhost:6379/0)",
    )
    p_enqueue.add_argument("--crawl", default="backlinks", help="crawl name (default: backlinks)")
    p_enqueue.add_argument("--scope", default="site", choices=["site", "page"])
    p_enqueue.add_argument("--depth", type=int, help="link depth (default: LINKSPIDER_DEPTH)")
    p_enqueue.add_argument(
        "--max-pages-per-site", type=int, metavar="N", help="default: LINKSPIDER_MAX_PAGES_PER_SITE"
    )
    p_enqueue.add_argument(
        "--dupefilter",
        default="set",
        choices=["set", "bloom"],
        help="set: exact (~90 bytes a URL in Redis); bloom: fixed size, may skip new URLs",
    )
    p_enqueue.add_argument(
        "--bloom-capacity", type=int, default=100_000_000, metavar="N", help="URLs (1e8)"
    )
    p_enqueue.add_argument(
        "--bloom-error-rate", type=float, default=1e-4, metavar="P", help="at capacity (1e-4)"
    )
    p_enqueue.add_argument(
        "--reset", action="store_true", help="delete the crawl's frontier and state first"
    )
    p_enqueue.set_defaults(func=enqueue)
    p_merge = sub.add_parser("merge", help="build a distributed crawl's exports from its parts")
    p_merge.add_argument("folder", help="the workers' output_dir (it holds parts/)")
    _export_flags(p_merge)
    p_merge.set_defaults(func=merge)


if __name__ == "__main__":
    sys.exit(main())
