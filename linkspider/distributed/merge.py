"""``linkspider merge DIR``: build one crawl's exports from its workers' part files.

Each worker of a distributed crawl streams into ``DIR/parts/<worker>/``
(``backlinks.jsonl``, ``pages.jsonl``, ``errors.jsonl``, ``blocked_pages.jsonl``,
``worker.json``). Merging concatenates the JSON Lines parts into ``DIR/*.jsonl``
(streamed, constant memory; a line cut short by a killed worker stays one unreadable line,
counted and skipped by the export), then builds every export with
:func:`linkspider.reports.exports.build_exports` (and ``blocked_pages.csv``), as a
single-process crawl does, and writes ``DIR/run.json`` with the workers' counts summed.
Parts copied from other machines (``rsync host:DIR/parts/ DIR/parts/``) merge alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from linkspider.config.sources import ConfigError
from linkspider.core.jsonl import concatenate
from linkspider.output import utc_now
from linkspider.reports.blocked import JSONL_NAME as BLOCKED_JSONL
from linkspider.reports.blocked import blocked_summary, write_blocked_csv
from linkspider.reports.exports import ExportSummary, build_exports
from linkspider.reports.options import ExportOptions

STREAMS = ("backlinks.jsonl", "pages.jsonl", "errors.jsonl", BLOCKED_JSONL)
WORKER_FILE = "worker.json"
_WORKER_KEYS = ("worker", "status", "finish_reason", "started_at", "finished_at", "pages",
                "backlinks", "errors")  # fmt: skip


@dataclass
class MergeResult:
    parts: list[str]
    summary: ExportSummary
    run: dict[str, Any] = field(default_factory=dict)


def find_parts(folder: Path) -> list[Path]:
    """The worker folders under ``folder/parts`` that hold rows, sorted by name."""
    parts_dir = folder / "parts"
    if not parts_dir.is_dir():
        return []
    return sorted(
        p for p in parts_dir.iterdir() if p.is_dir() and any((p / n).exists() for n in STREAMS)
    )


def merge_parts(folder: Path, options: ExportOptions | None = None) -> MergeResult:
    """Merge ``folder/parts/*`` into ``folder`` and build its exports."""
    parts = find_parts(folder)
    if not parts:
        raise ConfigError(f"{folder} has no parts/<worker>/ folders with rows to merge")
    for name in STREAMS:
        concatenate([part / name for part in parts], folder / name)
    summary = build_exports(folder, options)
    write_blocked_csv(folder)
    workers = [_worker_info(part) for part in parts]
    run = _run_info(folder, workers, summary)
    path = folder / "run.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)
    summary.files = run["files"]
    return MergeResult([part.name for part in parts], summary, run)


def _worker_info(part: Path) -> dict[str, Any]:
    try:
        info: dict[str, Any] = json.loads((part / WORKER_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        info = {"worker": part.name, "status": "unknown (no readable worker.json)"}
    info.setdefault("worker", part.name)
    return info


def _run_info(
    folder: Path, workers: list[dict[str, Any]], summary: ExportSummary
) -> dict[str, Any]:
    def stat_sum(key: str) -> int:
        return sum(int(w.get("stats", {}).get(key, 0) or 0) for w in workers)

    started = [w["started_at"] for w in workers if w.get("started_at")]
    finished = [w["finished_at"] for w in workers if w.get("finished_at")]
    elapsed = None
    if started and finished:
        elapsed = (_parse_time(max(finished)) - _parse_time(min(started))).total_seconds()
    definition: dict[str, Any] = next(
        (w["definition"] for w in workers if "crawl" in (w.get("definition") or {})), {}
    )
    statuses = {w.get("status") for w in workers}
    return {
        "spider": "backlinks_distributed",
        "status": "finished" if statuses == {"finished"} else "partial",
        "crawl": definition.get("crawl", ""),
        "definition": definition,
        "output_dir": str(folder),
        "started_at": min(started) if started else "",
        "finished_at": max(finished) if finished else "",
        "merged_at": utc_now(),
        "elapsed_seconds": elapsed,
        "pages_crawled": summary.pages,
        "pages_per_second": round(summary.pages / elapsed, 2) if elapsed else None,
        "backlinks": summary.backlinks,
        "referring_domains": summary.referring_domains,
        "targets_found": summary.targets_found,
        "errors": summary.errors,
        **blocked_summary(folder),  # robots_blocked, ssrf_blocked, per host...
        "budget_dropped": stat_sum("linkspider/budget/dropped"),
        "bad_jsonl_lines": summary.bad_lines,
        "workers": [{k: w.get(k) for k in _WORKER_KEYS} for w in workers],
        "files": sorted(
            {p.name for p in folder.iterdir() if p.is_file() and not p.name.endswith(".tmp")}
            | {"run.json"}
        ),
    }


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
