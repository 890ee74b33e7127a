"""``linkspider history TARGETS``: a target set's runs over time, as a table or CSV.

The numbers are :func:`linkspider.monitor.trends.trend_rows`, the ones ``report.html``
draws: per run, counted backlinks, referring domains, followed links, new, lost (net), not
crawled, changed, and lost links per reason. Bad input (unknown targets, no store, a file
that is not a store) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

#: Where ``history/`` is for run folders in the default ``output/``.
DEFAULT_HISTORY_DIR = Path("output") / "history"
EXIT_USAGE = 2


def register(sub: Any) -> None:
    """Add ``history`` to the ``linkspider`` subcommands."""
    parser = sub.add_parser(
        "history",
        help="a target set's runs over time: backlinks, referring domains, new and lost",
        description="Print the runs of a target set recorded in its history store: per run, "
        "counted backlinks, referring domains, followed links, new, lost (net), not crawled, "
        "changed, and lost links by reason.",
    )
    parser.add_argument(
        "targets",
        help="the crawl's targets as given to -a targets= (domains, a TOML file, '*'), "
        "a run folder (its history), or a history store file (*.sqlite)",
    )
    parser.add_argument(
        "--history-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"where the stores are (default: {DEFAULT_HISTORY_DIR}, where crawls writing "
        "to output/ keep them; LINKSPIDER_HISTORY_DIR if you set one)",
    )
    parser.add_argument(
        "--csv",
        default=None,
        metavar="FILE",
        help="write CSV instead (every column, one lost_<reason> column per reason) to "
        "FILE; '-' for stdout",
    )
    parser.add_argument(
        "--last", type=int, default=None, metavar="N", help="only the last N runs (default: all)"
    )
    parser.set_defaults(func=run)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def find_store(spec: str, history_dir: Path) -> Path:
    """The store file for ``spec``; ValueError with a one-line message if there is none."""
    from linkspider.config.sources import ConfigError
    from linkspider.config.targets import load_targets
    from linkspider.monitor.history import history_path
    from linkspider.monitor.runs import normalise_targets

    given = Path(spec)
    if spec.endswith(".sqlite"):
        if not given.is_file():
            raise ValueError(f"{spec}: no such history store")
        return given
    if given.is_dir():  # a run folder: the store its monitoring.json names
        return _run_folder_store(given)
    try:
        key = normalise_targets(load_targets(spec).describe())
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc
    store = history_path(history_dir, key)
    if store.is_file():
        return store
    known = sorted(p.name for p in history_dir.glob("*.sqlite")) if history_dir.is_dir() else []
    where = f"; stores there: {', '.join(known)}" if known else ""
    raise ValueError(
        f"no history for targets {key!r} in {history_dir} (expected {store.name}){where}"
    )


def _run_folder_store(folder: Path) -> Path:
    import json

    try:
        info = json.loads((folder / "monitoring.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise ValueError(
            f"{folder} is a folder but not a run folder with a link history "
            "(no readable monitoring.json)"
        ) from None
    store = info.get("history") if isinstance(info, dict) else None
    if not isinstance(store, str) or not Path(store).is_file():
        raise ValueError(f"{folder}: its history store {store or '(none)'} is not there")
    return Path(store)


def run(args: argparse.Namespace) -> int:
    from linkspider.monitor.trends import TrendsError, read_trends

    if args.last is not None and args.last < 1:
        return _error("--last must be 1 or more")
    history_dir = args.history_dir or _settings_dir() or DEFAULT_HISTORY_DIR
    try:
        store = find_store(args.targets, history_dir)
        trends = read_trends(store)
    except (ValueError, TrendsError) as exc:
        return _error(str(exc))
    runs = list(trends.runs)[-args.last :] if args.last else list(trends.runs)
    if args.csv is None:
        print(f"history {trends.store} (targets {trends.targets}): {trends.total_runs} run(s)")
        print(format_table(runs))
        if any(r.referring_domains is None for r in runs):
            print("n/a: not recorded for that run (recorded by an older linkspider)")
        return 0
    if args.csv == "-":
        write_csv(runs, sys.stdout)
        return 0
    target = Path(args.csv)
    tmp = target.with_name(target.name + ".tmp")
    try:  # written whole or not at all
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            write_csv(runs, handle)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return _error(f"{args.csv}: {exc.strerror or exc}")
    print(f"{len(runs)} run(s) -> {args.csv}", file=sys.stderr)
    return 0


def _settings_dir() -> Path | None:
    """``LINKSPIDER_HISTORY_DIR`` from the project settings, if one is set."""
    import os

    if not os.environ.get("SCRAPY_SETTINGS_MODULE"):
        return None
    from scrapy.utils.project import get_project_settings

    folder = get_project_settings().get("LINKSPIDER_HISTORY_DIR")
    return Path(folder) if folder else None


def write_csv(runs: Sequence[Any], handle: IO[str]) -> None:
    from linkspider.engines.cells import csv_cell
    from linkspider.monitor.trends import csv_columns, trend_row

    columns = csv_columns()
    writer = csv.writer(handle)
    writer.writerow(columns)
    for trend in runs:
        row = trend_row(trend)
        writer.writerow([csv_cell(row[c]) for c in columns])


def format_table(runs: Sequence[Any]) -> str:
    """The runs as an aligned text table (lost reasons in one column, most first)."""
    head = ["run", "started", "backlinks", "ref. domains", "followed", "new", "lost", "net",
            "not crawled", "changed", "lost by reason"]  # fmt: skip
    lines = [head]
    for t in runs:
        reasons = "n/a"
        if t.lost_reasons is not None:
            claimed = [(n, r) for r, n in t.lost_reasons.items() if n and r != "not-crawled"]
            reasons = ", ".join(f"{r} {n}" for n, r in sorted(claimed, key=lambda x: (-x[0], x[1])))
        lines.append(
            [str(t.run), t.started_at, str(t.backlinks), _opt(t.referring_domains),
             _opt(t.followed), str(t.new), str(t.lost), f"{t.net:+d}", str(t.not_crawled),
             str(t.changed), reasons or "-"]
        )  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    numeric = set(range(2, 10))
    out = []
    for line in lines:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def _opt(value: int | None) -> str:
    return "n/a" if value is None else str(value)
