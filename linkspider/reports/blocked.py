"""``blocked_pages.csv`` and ``run.json``'s blocked counts, from ``blocked_pages.jsonl``.

The crawl's blocked pages extension (:mod:`linkspider.extensions.blocked_pages`) writes
one JSON line per URL it chose not to fetch; these read that file when the crawl ends, in
``linkspider export`` and in ``linkspider merge`` (last line per URL wins, so a resumed
crawl lists a URL once).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from linkspider.core.jsonl import read_jsonl
from linkspider.core.signals import (
    ROBOTS_DISALLOWED,
    ROBOTS_UNAVAILABLE,
    SSRF_BLOCKED,
    BlockedPage,
)

JSONL_NAME = "blocked_pages.jsonl"
CSV_NAME = "blocked_pages.csv"


def write_blocked_csv(output_dir: Path) -> int:
    """Build ``blocked_pages.csv`` from ``blocked_pages.jsonl``; return its row count."""
    # Imported here: the table engines (pyarrow, DuckDB, pandas: ~110 MB) are for the
    # exports at the end, not for the crawl (benchmarks/results/scrapy_machinery.md).
    from linkspider.engines.tables import arrow_schema, export_jsonl

    result = export_jsonl(
        output_dir / JSONL_NAME, arrow_schema(BlockedPage), output_dir / CSV_NAME, key=("url",)
    )
    return result.rows


def ssrf_note(summary: dict[str, Any], shown: int = 5) -> str:
    """``, 3 refused by the SSRF guard (a.test, b.test, c.test)`` for the summary line."""
    hosts = list(summary.get("ssrf_blocked_hosts") or [])
    if not summary.get("ssrf_blocked"):
        return ""
    named = ", ".join(hosts[:shown]) + (
        f" and {len(hosts) - shown} more" if len(hosts) > shown else ""
    )
    allow = "; LINKSPIDER_ALLOW_PRIVATE_NETWORKS allows private networks"
    return f", {summary['ssrf_blocked']} refused by the SSRF guard ({named}{allow})"


def blocked_summary(output_dir: Path) -> dict[str, Any]:
    """Counts for ``run.json``: per reason, robots per host, SSRF and trap totals."""
    last: dict[str, tuple[str, str]] = {}
    for record in read_jsonl(output_dir / JSONL_NAME):
        if "url" in record and "host" in record and "reason" in record:
            last[str(record["url"])] = (str(record["host"]), str(record["reason"]))
    by_reason = Counter(reason for _, reason in last.values())
    ssrf_hosts = sorted({host for host, reason in last.values() if reason == SSRF_BLOCKED})
    robots_by_host: dict[str, dict[str, int]] = {}
    for host, reason in sorted(last.values()):
        if reason in (ROBOTS_DISALLOWED, ROBOTS_UNAVAILABLE):
            counts = robots_by_host.setdefault(host, {"disallowed": 0, "unavailable": 0})
            counts["disallowed" if reason == ROBOTS_DISALLOWED else "unavailable"] += 1
    return {
        "blocked_pages": len(last),
        "blocked_by_reason": dict(sorted(by_reason.items())),
        "robots_blocked": by_reason[ROBOTS_DISALLOWED],
        "robots_unavailable": by_reason[ROBOTS_UNAVAILABLE],
        "robots_blocked_by_host": robots_by_host,
        "ssrf_blocked": by_reason[SSRF_BLOCKED],
        "ssrf_blocked_hosts": ssrf_hosts,
        "traps_blocked": sum(n for reason, n in by_reason.items() if reason.startswith("trap-")),
    }
