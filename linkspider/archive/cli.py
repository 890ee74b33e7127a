"""``linkspider archive --targets T --warc FILES|DIRS|URLS [--out DIR]``: backlinks from
WARC files, with the crawl's extraction, on Apache Spark (``local[*]`` by default).

Bad input is refused before Spark starts, in one line with exit code 2: unknown targets,
a path that does not exist, a folder without WARC files, a file or URL that is not a WARC
file, no Java. Damage inside a WARC file (garbage, broken gzip members, truncated
records) is counted and listed, and makes the run ``partial`` (exit code 3): its
exports are built, ``archive.json`` says what is missing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider.output import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from linkspider.archive.inputs import WarcInput

#: File names read from a --warc folder (recursively); ``*.open`` files are being written.
WARC_PATTERNS = ("*.warc", "*.warc.gz")


class UsageError(Exception):
    """Bad command-line input: one line, exit code 2."""


def register(sub: Any) -> None:
    """Add ``archive`` to the ``linkspider`` subcommands."""
    parser = sub.add_parser(
        "archive",
        help="backlinks from WARC files (a recorded crawl, any crawler's archive) on Spark",
        description="Extract backlinks from WARC files with the crawl's own extraction, on "
        "Apache Spark (local[*] by default, or a cluster with --master or spark-submit), "
        "and build the exports of a crawl's run folder.",
    )
    parser.add_argument(
        "--targets", required=True, help="as -a targets= of a crawl (domains, a TOML file, *)"
    )
    parser.add_argument(
        "--warc",
        nargs="+",
        default=[],
        metavar="FILE|DIR|URL",
        help="WARC files (.warc, .warc.gz), folders of them (read recursively), http(s) URLs",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="the run folder (default: a new folder in output/)"
    )
    parser.add_argument(
        "--rows",
        metavar="PATH",
        help="where Spark writes the row tables as Parquet (default: OUT/rows; on a cluster "
        "an s3a://, gs:// or hdfs:// path)",
    )
    parser.add_argument(
        "--rows-only",
        action="store_true",
        help="only the Parquet row tables and archive.json, no exports (more rows than one "
        "machine builds exports from: see docs/archives.md)",
    )
    parser.add_argument(
        "--master", help="Spark master (default: spark-submit's, else local[*]); e.g. local[2]"
    )
    parser.add_argument(
        "--tasks", type=int, metavar="N", help="Spark tasks (default: one per WARC file or part)"
    )
    parser.add_argument(
        "--part-bytes",
        type=int,
        default=None,
        metavar="N",
        help="read local gzip WARC files bigger than N bytes in parts of N, in parallel "
        "(default 64 MiB; 0: never)",
    )
    parser.add_argument("--sitewide-min-pages", type=int, default=None, metavar="N")
    parser.add_argument("--sitewide-min-share", type=float, default=None, metavar="X")
    parser.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE",
        help="a setting (LINKSPIDER_PLACEMENT_RULES, LINKSPIDER_PARSE_MAX_BYTES, export "
        "settings); repeatable",
    )  # fmt: skip
    cc = _common_crawl()
    if cc is not None:
        cc.add_cc_arguments(parser)
    parser.set_defaults(func=run)


def _common_crawl() -> Any:
    """The Common Crawl input module, when it is part of this installation."""
    from importlib.util import find_spec

    if find_spec("linkspider.archive.ccinput") is None:
        return None
    try:
        from linkspider.archive import ccinput
    except ImportError:  # its own dependencies missing: --warc still works
        return None
    return ccinput


def run(args: argparse.Namespace) -> int:
    try:
        _check_extra()
        return _run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _check_extra() -> None:
    """The archive extra's packages, named in one line when one is missing."""
    from importlib.util import find_spec

    missing = [name for name in ("pyspark", "warcio") if find_spec(name) is None]
    if missing:
        raise UsageError(
            f"linkspider archive needs {' and '.join(missing)}: pip install 'linkspider[archive]'"
            " (from a clone: pip install -e '.[archive]')"
        )


def _run(args: argparse.Namespace) -> int:
    from linkspider.archive.export import build_run_folder
    from linkspider.archive.job import PART_BYTES, run_job
    from linkspider.archive.process import ExtractOptions
    from linkspider.archive.spark import (
        SparkUnavailable,
        find_java,
        start_session,
        under_spark_submit,
    )
    from linkspider.config.sources import ConfigError
    from linkspider.config.targets import load_targets
    from linkspider.extract.placement import parse_rules
    from linkspider.output import check_writable, prepare_output_dir, utc_now
    from linkspider.reports.options import ExportOptions

    started = time.monotonic()
    try:
        targets = load_targets(args.targets)
    except ConfigError as exc:
        raise UsageError(f"--targets: {exc}") from None
    settings = _settings(args)
    try:
        rules = parse_rules(settings.get("LINKSPIDER_PLACEMENT_RULES"))
        max_bytes = settings.getint("LINKSPIDER_PARSE_MAX_BYTES", 4 * 1024 * 1024)
        export_options = ExportOptions.from_settings(settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cc = _common_crawl()
    wants_cc = cc is not None and cc.wants_common_crawl(args)
    if not args.warc and not wants_cc:
        raise UsageError("give WARC inputs with --warc FILE|DIR|URL" + _cc_hint(cc))
    inputs = warc_inputs(args.warc)
    out_arg = args.out
    try:
        if out_arg:
            check_writable(Path(out_arg))
        if not under_spark_submit():
            find_java()  # before any folder is made
    except OSError as exc:
        raise UsageError(f"the run folder cannot be written: {exc}") from None
    except SparkUnavailable as exc:
        raise UsageError(str(exc)) from None
    started_at = utc_now()
    selected = None
    if wants_cc:
        try:
            selected = cc.common_crawl_inputs(args, [t.domain for t in targets.targets])
        except cc.CCInputError as exc:
            raise UsageError(str(exc)) from None
        print(cc.summary_line(selected))
        inputs += selected.inputs
    if not inputs:
        raise UsageError("no WARC record to read")
    try:
        spark = start_session(args.master)
    except SparkUnavailable as exc:
        raise UsageError(str(exc)) from None
    spark.sparkContext.setLogLevel("ERROR")
    # Made only now: a refused command leaves no empty run folder (nor output/latest at one).
    out = prepare_output_dir(out_arg, str(settings.get("LINKSPIDER_OUTPUT_ROOT")), "archive")
    info: dict[str, Any] = {
        "command": ["linkspider", "archive", *_arguments(sys.argv[1:])],
        "targets": targets.describe(),
        "started_at": started_at,
        "output_dir": str(out),
        "warc": list(args.warc),
    }
    if selected is not None:
        cc.write_records(out / cc.RECORDS_FILE, selected.selection)
        info["common_crawl"] = selected.info
    info["spark"] = {"master": spark.sparkContext.master, "version": spark.version}
    rows_path = args.rows or str((out / "rows").absolute())
    options = ExtractOptions(
        targets, tuple(rules), max_bytes,
        meta_refresh_max_delay=(
            settings.getfloat("METAREFRESH_MAXDELAY")
            if settings.getbool("METAREFRESH_ENABLED") else None
        ),
        meta_refresh_ignore_tags=tuple(settings.getlist("METAREFRESH_IGNORE_TAGS")),
    )  # fmt: skip
    part_bytes = PART_BYTES if args.part_bytes is None else args.part_bytes
    try:
        tables = run_job(spark, inputs, options, rows_path, args.tasks, part_bytes)
        summary = build_run_folder(spark, tables, out, export_options, info, args.rows_only)
    except Exception as exc:
        if not _from_spark(exc):
            raise
        # a cluster's failure (executors lost, a path Spark cannot write): one line, and a
        # run.json that says the run failed, never a folder that looks complete
        from linkspider.reports.run_folder import write_run_json

        reason = " ".join(str(exc).split())[:300]
        write_run_json(out, {**info, "spider": "archive", "status": "failed", "error": reason})
        print(f"error: the Spark job failed, nothing was exported: {reason}", file=sys.stderr)
        return EXIT_INCOMPLETE
    elapsed = time.monotonic() - started
    exports = summary.exports
    found = (
        f"row tables in {rows_path}"
        if args.rows_only
        else f"{exports.pages} pages, {exports.backlinks} backlinks, "
        f"{exports.referring_domains} referring domains, {exports.errors} errors"
    )
    print(
        f"{out}: {summary.inputs} input(s), {sum(summary.records.values())} record(s): "
        f"{found} ({elapsed:.1f} s)"
    )
    if summary.status != "finished":
        print(
            f"partial: {summary.problem_count} problem(s) in the inputs, rows may be missing; "
            f"see {out}/archive.json and archive_records.csv",
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    return EXIT_OK


def _from_spark(exc: BaseException) -> bool:
    """An error raised by Spark (through py4j or pyspark), not by linkspider's code."""
    return type(exc).__module__.split(".")[0] in ("py4j", "pyspark")


def _arguments(argv: list[str]) -> list[str]:
    """This command's arguments (after ``archive``, or all of them under spark-submit)."""
    return argv[argv.index("archive") + 1 :] if "archive" in argv else argv


def _cc_hint(cc: Any) -> str:
    return " (or --crawl and --domains for Common Crawl)" if cc is not None else ""


def warc_inputs(specs: Sequence[str]) -> list[WarcInput]:
    """The whole-file inputs named on the command line; :class:`UsageError` if one is bad.

    Every file is checked to start like a WARC file (a gzip member holding a WARC record,
    or a plain record) before Spark starts, URLs with their first kilobytes.
    """
    from linkspider.archive.inputs import InputError, WarcInput, is_url, local_path

    found: list[WarcInput] = []
    for spec in specs:
        path = local_path(spec)
        if path is None:
            if not is_url(spec) and "://" not in spec:
                raise UsageError(f"{spec}: not a file, folder or URL")
            if is_url(spec):
                try:
                    _check_head(spec, _url_head(spec))
                except InputError as exc:
                    raise UsageError(str(exc)) from None
            found.append(WarcInput(spec))
            continue
        if path.is_dir():
            files = sorted(p for pattern in WARC_PATTERNS for p in path.rglob(pattern))
            if not files:
                open_files = sorted(path.rglob("*.open"))
                why = f" ({len(open_files)} still being written: *.open)" if open_files else ""
                raise UsageError(f"{spec}: no WARC files (*.warc, *.warc.gz) in this folder{why}")
        elif path.is_file():
            files = [path]
        else:
            raise UsageError(f"{spec}: no such file or folder")
        for file in files:
            try:
                with file.open("rb") as handle:
                    head = handle.read(4096)
            except OSError as exc:
                raise UsageError(f"{file}: {exc.strerror or exc}") from None
            _check_head(str(file), head)
            found.append(WarcInput(str(file.absolute())))
    return list(dict.fromkeys(found))  # a file named twice is read once


def _check_head(name: str, head: bytes) -> None:
    from linkspider.archive.framing import looks_like_warc

    if not head:
        raise UsageError(f"{name}: empty file, not a WARC file")
    if not looks_like_warc(head):
        start = head[:24].decode("latin-1")
        raise UsageError(
            f"{name}: not a WARC file (it starts with {start!r}, a WARC record with 'WARC/1.')"
        )


def _url_head(url: str) -> bytes:
    import http.client
    import urllib.error
    import urllib.request

    from linkspider.archive.inputs import TIMEOUT, USER_AGENT, InputError

    request = urllib.request.Request(
        url, headers={"Range": "bytes=0-4095", "User-Agent": USER_AGENT}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            head: bytes = answer.read(4096)
            return head
    except urllib.error.HTTPError as exc:
        raise InputError("unreadable", f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise InputError("unreadable", f"{url}: {getattr(exc, 'reason', exc)!s}") from None


def _settings(args: argparse.Namespace) -> Settings:
    """The project settings (linkspider's own without a project), ``-s`` and the flags."""
    from linkspider.cli import project_settings

    settings = project_settings()
    for pair in args.set or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        settings.set(name, value, priority="cmdline")
    if args.sitewide_min_pages is not None:
        settings.set("LINKSPIDER_SITEWIDE_MIN_PAGES", args.sitewide_min_pages, "cmdline")
    if args.sitewide_min_share is not None:
        settings.set("LINKSPIDER_SITEWIDE_MIN_SHARE", args.sitewide_min_share, "cmdline")
    return settings
