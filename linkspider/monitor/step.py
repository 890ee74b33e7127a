"""The monitoring step of ``build_exports``, and ``linkspider diff OLD NEW``.

Before the backlink CSV and the aggregates are written, :func:`update_monitoring` compares
the run with the history of its target set (:mod:`linkspider.monitor.history`), records
it, and writes ``new_links.csv``, ``lost_links.csv``, ``changed_links.csv`` and
``monitoring.json`` into the run folder; :func:`history_first_seen` then gives the
exports the history's ``first_seen`` of each link. :func:`diff_folders` compares two run
folders the same way, without touching any history.

Settings (read into ``ExportOptions``): ``LINKSPIDER_HISTORY`` (default true),
``LINKSPIDER_HISTORY_DIR`` (default ``history/`` next to the run folder),
``LINKSPIDER_HISTORY_LOCK_TIMEOUT`` (seconds to wait for another run recording into the
same store; default 60).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from linkspider.engines._duckdb import TABLES_MEMORY_LIMIT, connect
from linkspider.monitor.compare import Comparison, compare, write_comparison
from linkspider.monitor.history import HistoryError, HistoryStore, history_path
from linkspider.monitor.runs import KEY, NotARunFolder, load_run, numbered_links

logger = logging.getLogger(__name__)

MONITORING_JSON = "monitoring.json"


@dataclass
class MonitorSummary:
    status: str  # recorded, re-recorded, kept, no-targets, failed
    counts: dict[str, int] = field(default_factory=dict)
    history: str = ""
    files: list[str] = field(default_factory=list)
    #: KEY + ``first_seen`` from the history, for the run's links it holds (None: no store).
    first_seen: pd.DataFrame | None = None


def _write_json(folder: Path, info: dict[str, Any]) -> None:
    path = folder / MONITORING_JSON
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)


def update_monitoring(
    output_dir: Path, history_dir: Path, lock_timeout: float = 60.0
) -> MonitorSummary:
    """Record the run in its target set's history and write the new/lost/changed files.

    Problems with the store
    (locked too long, another target set's file) are logged and written to
    ``monitoring.json``; they never fail the other exports.
    """
    run = load_run(output_dir)
    info: dict[str, Any] = {"targets": run.targets, "started_at": run.started_at}
    if not run.targets:
        logger.warning(f"{output_dir}: run.json names no targets; link history not updated")
        summary = MonitorSummary("no-targets")
        _write_json(output_dir, info | {"status": summary.status})
        return summary
    path = history_path(history_dir, run.targets)
    info["history"] = str(path)
    try:
        recorded = HistoryStore(path, run.targets, lock_timeout).record(run)
    except HistoryError as exc:
        logger.error(f"{output_dir}: new/lost/changed links not written: {exc}")
        _write_json(output_dir, info | {"status": "failed", "error": str(exc)})
        return MonitorSummary("failed", history=str(path))
    if recorded.comparison is None:  # an older run of this history: its files stand
        logger.warning(
            f"{output_dir}: a later run of these targets is already in {path}; the history "
            "and this folder's new/lost/changed files are left as they were "
            "(use `linkspider diff OLD NEW` to compare any two folders)"
        )
        _write_json(output_dir, info | {"status": "kept"})
        return MonitorSummary("kept", history=str(path), first_seen=recorded.first_seen)
    files = write_comparison(recorded.comparison, output_dir)
    counts = recorded.comparison.counts()
    _write_json(
        output_dir,
        info | {"status": recorded.status, "run": recorded.seq,
                "previous_run": recorded.previous, "counts": counts, "files": files},
    )  # fmt: skip
    logger.info(
        f"links since the previous run: {counts['new']} new, {counts['lost']} lost "
        f"({counts['not_crawled']} more not crawled), {counts['changed']} changed; "
        f"history {path}"
    )
    return MonitorSummary(recorded.status, counts, str(path), files, recorded.first_seen)


def history_first_seen(parquet: Path, known: pd.DataFrame | None) -> pa.Array | None:
    """``first_seen`` of every row of ``parquet``, in file order: the history's date for the
    links it holds (their first sighting in any run of these targets), the row's own (this
    run's fetch time) for the others; None when the history gave nothing.

    DuckDB numbers the rows as :func:`~linkspider.monitor.runs.with_occurrence` does (the
    anchor of :func:`~linkspider.monitor.runs.anchor_of`; page order, then file order) and
    joins the history's dates, out of core: the table is never loaded whole.
    """
    if known is None or known.empty:
        return None
    dates = pa.Table.from_pandas(known[[*KEY, "first_seen"]], preserve_index=False)
    same = " AND ".join(f"n.{name} IS NOT DISTINCT FROM k.{name}" for name in KEY)
    with connect(parquet.parent, TABLES_MEMORY_LIMIT) as db:
        db.register("known", dates)
        result = db.sql(
            f"""SELECT coalesce(k.first_seen, n.first_seen) AS first_seen
                FROM ({numbered_links()}) n LEFT JOIN known k ON {same}
                ORDER BY n._row""",
            params={"parquet": str(parquet)},
        ).to_arrow_table()
    return result.column("first_seen").combine_chunks().cast(pa.string())


def diff_folders(old: Path, new: Path, out: Path) -> Comparison:
    """Compare two run folders' links and write the three files into ``out``.

    Raises :class:`NotARunFolder` naming the folder that is not a run folder.
    """
    before = load_run(old)
    after = load_run(new)
    result = compare(before.links, after)
    write_comparison(result, out)
    return result


__all__ = [
    "MonitorSummary", "NotARunFolder", "diff_folders", "history_first_seen", "update_monitoring",
]  # fmt: skip
