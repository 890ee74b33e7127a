"""``python -m benchmarks.compare``: the whole comparison in one command (see ``__init__``)."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType

from benchmarks.compare import report, rss
from benchmarks.compare.contenders import COMMON_SETTINGS, CONTENDERS, Context
from benchmarks.compare.correctness import check
from benchmarks.compare.measure import RunFailed, kill_all, run_steps
from benchmarks.compare.profile import markdown, record_command, summarise
from benchmarks.compare.results import Comparison, Result, ServerCheckResult, machine
from benchmarks.compare.server import (
    Nginx,
    Redis,
    check_server,
    ensure_tools,
    host_delays,
    serving,
    start_redis,
)
from benchmarks.compare.web import ROOT, WebFiles, ensure_web

CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare", description=(__doc__ or "").strip()
    )
    parser.add_argument("--pages", type=int, default=20_000, help="pages of the web (20000)")
    parser.add_argument("--hosts", type=int, default=200, help="hosts of the web (200)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions; medians reported (3)")
    parser.add_argument("--latency", choices=["none", "realistic", "both"], default="both")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=150.0,
        help="median per-host time to first byte in latency mode (150)",
    )
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help=f"comma list of {', '.join(CONTENDERS)}"
    )
    parser.add_argument(
        "--rss-pages",
        type=int,
        default=50_000,
        help="pages of the memory-flatness crawl (0: skip it)",
    )
    parser.add_argument("--rss-hosts", type=int, default=250)
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="try it out: 2,000 pages, 1 rep, no latency, 5,000-page RSS run",
    )
    parser.add_argument(
        "--timeout", type=float, default=0, help="seconds per run (default: 120 + 0.25 s per page)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="Markdown report path")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, outputs)")
    parser.add_argument("--seed", type=int, default=8, help="generator seed (8)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for linkspider's runs only (repeatable; to try a change)",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="WORK",
        help="only render the report again from a work folder kept with --keep",
    )
    args = parser.parse_args(argv)
    bad = [item for item in args.set if "=" not in item]
    if bad:
        parser.error(f"--set takes NAME=VALUE, not {bad[0]!r}")
    args.extra = dict(item.split("=", 1) for item in args.set)
    if args.quick:
        args.pages, args.reps, args.latency = min(args.pages, 2000), 1, "none"
        args.rss_pages = min(args.rss_pages, 5000)
    unknown = set(args.contenders.split(",")) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contender(s): {', '.join(sorted(unknown))}")
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return render_again(args.report_only, args)
    signal.signal(signal.SIGTERM, _terminate)
    modes = {"none": ["none"], "realistic": ["realistic"], "both": ["none", "realistic"]}[
        args.latency
    ]
    contenders = args.contenders.split(",")
    ensure_tools(latency="realistic" in modes)
    print(f"web: {args.pages} pages on {args.hosts} hosts (cached in {CACHE})", flush=True)
    web = ensure_web(CACHE, args.pages, args.hosts, args.seed)
    manifest = web.read_manifest()
    comparison = Comparison(
        command=shlex.join(
            ["python", "-m", "benchmarks.compare", *(argv if argv is not None else sys.argv[1:])]
        ),
        started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
        web={**{k: v for k, v in manifest.items() if k != "hosts"}, "host_count": args.hosts},
        settings=COMMON_SETTINGS,
        reps=args.reps,
        modes=modes,
        latency_ms=args.latency_ms,
    )
    # Outside the repository: Scrapy would find linkspider's scrapy.cfg in any parent folder.
    work = Path(tempfile.mkdtemp(prefix="linkspider-compare-"))
    timeout = args.timeout or 120 + 0.25 * args.pages
    redis: Redis | None = None
    try:
        redis = start_redis() if "distributed" in contenders else None
        for mode in modes:
            run_mode(mode, args, web, work, redis, comparison, timeout)
        if args.rss_pages:
            comparison.rss = rss.run(
                CACHE, work, args.rss_pages, args.rss_hosts, args.seed, timeout
            )
        if not args.no_profile:
            comparison.profile, comparison.profile_note = profile_linkspider(
                web, work, timeout, args.extra
            )
    except KeyboardInterrupt:
        print("interrupted: stopping every process started", file=sys.stderr)
        return 130
    finally:
        kill_all()
        if redis is not None:
            redis.stop()
        comparison.save(work / "results.json")
    comparison.shared_machine_note = load_note(comparison)
    publish(comparison, args)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"work folder kept: {work}", file=sys.stderr)
    return 0


def run_mode(
    mode: str,
    args: argparse.Namespace,
    web: WebFiles,
    work: Path,
    redis: Redis | None,
    comparison: Comparison,
    timeout: float,
) -> None:
    """The server check, then every repetition of every contender, with or without latency."""
    delays = host_delays(web.hosts, args.seed, args.latency_ms) if mode == "realistic" else None
    contenders = args.contenders.split(",")
    with serving(work, mode, web.sites, web.hosts, delays) as (nginx, state):
        urls = web.pages.read_text("utf-8").split()[:: max(1, args.pages // 2000)]
        checked = check_server(nginx.port, urls, 64, 10, work)
        comparison.servers.append(
            ServerCheckResult(
                mode, checked.requests_per_second, checked.megabytes_per_second, 64, 10
            )
        )
        print(f"[{mode}] nginx: {checked.requests_per_second:,.0f} pages/s at 64 connections")
        for rep in range(args.reps):
            turn = rep % len(contenders)
            for key in contenders[turn:] + contenders[:turn]:
                result = run_one(
                    key, mode, rep, web, state, work, nginx, redis, timeout, args.extra
                )
                comparison.results.append(result)
                comparison.save(work / "results.json")


def run_one(
    key: str,
    mode: str,
    rep: int,
    web: WebFiles,
    state: Path,
    work: Path,
    nginx: Nginx,
    redis: Redis | None,
    timeout: float,
    extra: dict[str, str],
) -> Result:
    contender = CONTENDERS[key]
    folder = work / f"{mode}-{rep}-{key}"
    folder.mkdir()
    ctx = Context(web, state, folder, redis.url if redis else "", extra)
    expected = int(web.read_manifest()["pages"])  # type: ignore[call-overload]
    result = Result(key, mode, rep, expected_pages=expected)
    try:
        usage = run_steps(contender.steps(ctx), timeout, nginx.cpu_seconds)
        result.pages = contender.pages(ctx)
    except (RunFailed, OSError, ValueError, KeyError) as exc:
        result.error = str(exc).splitlines()[0][:300]
        print(f"[{mode}] rep {rep + 1} {key}: FAILED {result.error}", flush=True)
        return result
    result.wall, result.cpu, result.peak_rss = usage.wall, usage.cpu, usage.peak_rss
    result.peak_rss_process, result.server_cpu = usage.peak_rss_process, usage.server_cpu
    result.load_before = usage.load_before
    if key in ("linkspider", "distributed"):
        verdict = check(web, folder / "out" / "backlinks.csv")
        result.correct, result.correctness = verdict.ok, verdict.summary()
        if verdict.examples:
            result.correctness += " (e.g. " + "; ".join(verdict.examples[:3]) + ")"
    print(
        f"[{mode}] rep {rep + 1} {key}: {result.pages} pages in {result.wall:.1f} s = "
        f"{result.rate:.1f} pages/s, {result.cpu_ms:.1f} CPU ms/page, peak RSS "
        f"{result.peak_rss / 2**20:.0f} MB, load before {result.load_before:.2f}"
        + (f"; {result.correctness}" if result.correctness else ""),
        flush=True,
    )
    return result


def profile_linkspider(
    web: WebFiles, work: Path, timeout: float, extra: dict[str, str]
) -> tuple[list[str], str]:
    """py-spy profile of one linkspider crawl of the web, no latency (not a timed run)."""
    with serving(work, "profile", web.sites, web.hosts, None) as (_, state):
        folder = work / "profile"
        folder.mkdir()
        steps = CONTENDERS["linkspider"].steps(Context(web, state, folder, extra=extra))
        raw = folder / "profile.txt"
        steps[0][0].argv = record_command(raw, steps[0][0].argv)
        started = time.monotonic()
        try:
            run_steps(steps, timeout)
        except RunFailed as exc:
            return [], f"profile run failed: {str(exc).splitlines()[0]}"
    profile = summarise(raw)
    pages = web.read_manifest()["pages"]
    note = (
        f"py-spy 100 Hz, active threads, one `scrapy crawl backlinks` of the {pages}-page web "
        f"without latency ({time.monotonic() - started:.0f} s, {profile.samples:,} samples; "
        "the exports at the end included)."
    )
    return markdown(profile), note


def render_again(work: Path, args: argparse.Namespace) -> int:
    comparison = Comparison.load(work / "results.json")
    raw = work / "profile" / "profile.txt"
    if raw.exists() and comparison.profile:
        comparison.profile = markdown(summarise(raw))
    comparison.shared_machine_note = load_note(comparison)
    return publish(comparison, args)


def publish(comparison: Comparison, args: argparse.Namespace) -> int:
    text = report.render(comparison)
    print(text)
    if not args.no_write:
        args.output.write_text(text, "utf-8")
        print(f"written: {args.output}", file=sys.stderr)
    return 0


def load_note(comparison: Comparison) -> str:
    loads = [r.load_before for r in comparison.results if r.ok]
    if not loads:
        return ""
    return (
        f"Load average (1 min) before the runs: median {statistics.median(loads):.2f}, "
        f"max {max(loads):.2f} on {os.cpu_count()} cores."
    )


if __name__ == "__main__":
    sys.exit(main())
