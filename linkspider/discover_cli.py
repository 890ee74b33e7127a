"""``linkspider discover``: the command line of referring-domain discovery."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from linkspider.discover.fetch import DEFAULT_DATA_URL, DEFAULT_GRAPHINFO_URL

EXIT_USAGE = 2


def register(sub: Any) -> None:
    """Add ``discover`` to the ``linkspider`` subcommands."""
    p = sub.add_parser(
        "discover",
        help="find domains linking to targets in a Common Crawl web-graph release",
        description="Find the domains (or hosts) that link to TARGETS in a Common Crawl "
        "web-graph release; write referring_candidates.csv, seeds.txt and discover.json.",
    )
    p.add_argument("targets", help="as -a targets= of scrapy crawl backlinks (file or list)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--graph", metavar="DIR", help="a local folder holding a release")
    where.add_argument(
        "--release", metavar="NAME", help="release name, e.g. cc-main-2024-feb-apr-may "
        "(default: the newest in Common Crawl's graph index), downloaded into the cache",
    )  # fmt: skip
    p.add_argument("--level", choices=["domain", "host"], default="domain")
    p.add_argument("--top", type=int, metavar="N", help="seeds.txt: the N best (default: all)")
    p.add_argument("--out", metavar="DIR", help="default: output/discover-<release>-<level>")
    p.add_argument("--cache-dir", metavar="DIR", help="default: $LINKSPIDER_CACHE_DIR/cc-webgraph")
    p.add_argument(
        "--data-url",
        default=os.environ.get("LINKSPIDER_CC_DATA_URL", DEFAULT_DATA_URL),
        help=f"where releases are downloaded from ($LINKSPIDER_CC_DATA_URL, {DEFAULT_DATA_URL})",
    )
    p.add_argument(
        "--graphinfo-url",
        default=os.environ.get("LINKSPIDER_CC_GRAPHINFO_URL", DEFAULT_GRAPHINFO_URL),
        help="the list of releases ($LINKSPIDER_CC_GRAPHINFO_URL)",
    )
    p.add_argument("--retries", type=int, default=3, help="download retries per file (3)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


class _Progress:
    """Progress lines on stderr: bytes, rate and ETA, at most one a second per stage."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = time.monotonic()  # nothing for the first second: small files say nothing

    def _say(self, text: str, final: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not final and now - self.last < 1.0):
            return
        self.last = now
        end = "\n" if final or not self.tty else ""
        print(("\r" if self.tty else "") + text, end=end, file=sys.stderr, flush=True)

    def download(self, name: str, done: int, total: int | None, rate: float) -> None:
        if total:
            eta = (total - done) / rate if rate > 0 else 0.0
            text = (
                f"download {name}: {_mb(done)} of {_mb(total)} ({100 * done / total:.0f}%), "
                f"{_mb(rate)}/s, ETA {eta:.0f} s"
            )
        else:
            text = f"download {name}: {_mb(done)}, {_mb(rate)}/s"
        self._say(text, final=total is not None and done >= total)

    def stage(self, what: str, path: Path) -> Any:
        total = max(path.stat().st_size, 1)
        started = time.monotonic()

        def report(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            eta = (total - done) / rate if rate > 0 else 0.0
            self._say(
                f"reading {what} {path.name}: {_mb(done)} of {_mb(total)} "
                f"({100 * done / total:.0f}%), {_mb(rate)}/s, ETA {eta:.0f} s"
            )

        return report


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def run(args: argparse.Namespace) -> int:
    from linkspider.config.sources import ConfigError
    from linkspider.config.targets import load_targets
    from linkspider.discover import (
        CorruptFileError,
        DiscoverError,
        Remote,
        default_cache_dir,
        find_candidates,
        open_release,
        summary_of,
        write_outputs,
    )
    from linkspider.discover.fetch import discard_cached

    progress = _Progress(args.quiet)
    cache = Path(args.cache_dir).expanduser() if args.cache_dir else default_cache_dir()
    try:
        targets = load_targets(args.targets)
        if targets.all_external:
            raise ConfigError("discover needs named targets, not '*'")
        if args.top is not None and args.top < 0:
            raise ConfigError("--top must be 0 or more")
        remote = Remote(
            cache, args.data_url, args.graphinfo_url, max(args.retries, 0),
            progress=progress.download,
        )  # fmt: skip
        release = open_release(args.graph, args.release, args.level, remote)
        domains = [t.domain for t in targets.targets]
        result = find_candidates(release, domains, args.level, cache, progress.stage)
        source = (
            str(release.root)
            if args.graph
            else remote.url(f"projects/hyperlinkgraph/{release.name}/")
        )
        out = (
            Path(args.out) if args.out else Path("output") / f"discover-{release.name}-{args.level}"
        )
        paths = write_outputs(out, result, args.top, summary_of(result, source, args.top))
    except CorruptFileError as exc:
        again = ""
        if exc.path is not None and not args.graph and discard_cached(exc.path, cache):
            again = " (removed from the cache: the next run downloads it again)"
        print(f"error: {exc}{again}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, DiscoverError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "interrupted: no result written; a download resumes where it stopped on the next run",
            file=sys.stderr,
        )
        return 130
    for target in result.absent_targets:
        print(
            f"note: {target} is not in release {release.name} ({args.level} level): "
            "no candidates for it",
            file=sys.stderr,
        )
    seeds = len(result.candidates) if args.top is None else min(args.top, len(result.candidates))
    how = (
        "from the index of an earlier run"
        if result.stats.from_index
        else (f"{result.stats.edges_scanned} edges scanned")
    )
    print(
        f"{len(result.candidates)} referring {args.level}(s) in {release.name} ({how}); "
        f"{paths['referring_candidates.csv']}, {seeds} seed(s) in {paths['seeds.txt']}"
    )
    return 0
