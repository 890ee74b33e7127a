"""The one JSON Lines writer and reader (``linkspider.core.jsonl``) against the code they
replaced, on backlink-sized rows.

Run from the repo root::

    python benchmarks/jsonl_io.py [--rows 200000] [--dir DIR]

Steps, each timed (CPU seconds: the machine is shared, wall time is mostly waiting):

* ``write, before``: ``handle.write(json.dumps(row, ensure_ascii=False) + "\\n")`` and
  ``flush()`` per row, as the crawl streams did;
* ``write, JsonlWriter``: :class:`JsonlWriter` with ``flush_each`` (the crawl streams now);
* ``read, before``: text-mode iteration with ``errors="replace"`` and ``json.loads`` (the
  four private readers);
* ``read, read_jsonl``: the tolerant reader (binary lines, capped length, counted).

Peak memory of the reader is not measured here: both stream a line at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkspider.core.jsonl import JsonlWriter, read_jsonl


def row(i: int) -> dict[str, Any]:
    host = f"site-{i % 5000}.example"
    return {
        "source_url": f"https://{host}/blog/{i}/a-long-enough-slug-for-a-post",
        "source_host": host, "source_domain": host, "source_title": f"Post {i} \u2013 Wanderbücher",
        "source_status": 200, "target_url": "https://acme-boots.com/boots/hiking",
        "href": "/boots/hiking", "target_host": "acme-boots.com",
        "target_domain": "acme-boots.com", "target": "acme-boots.com",
        "anchor_text": "Acme hiking boots", "link_type": "text", "image_alt": "", "rel": "",
        "nofollow": False, "ugc": False, "sponsored": False, "link_index": i % 80,
        "depth": 2, "first_seen": "2026-12-05T12:00:00Z", "last_seen": "2026-12-05T12:00:00Z",
        "placement": "content", "in_content": True, "anchor_category": "branded",
        "follow": True, "follow_reason": "follow",
        "context_before": "we walked for days in these and", "context_after": "never let us down",
    }  # fmt: skip


def write_before(path: Path, rows: int) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for i in range(rows):
            handle.write(json.dumps(row(i), ensure_ascii=False) + "\n")
            handle.flush()


def write_now(path: Path, rows: int) -> None:
    with JsonlWriter(path) as writer:
        for i in range(rows):
            writer.write(row(i))


def read_before(path: Path) -> int:
    count = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                count += 1
    return count


def read_now(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path))


def timed(step: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="jsonl-bench-"))
    before, now = folder / "before.jsonl", folder / "now.jsonl"
    for path in (before, now):
        path.unlink(missing_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results = [
        ("write, before", timed(lambda: write_before(before, args.rows))),
        ("write, JsonlWriter", timed(lambda: write_now(now, args.rows))),
        ("read, before", timed(lambda: read_before(before))),
        ("read, read_jsonl", timed(lambda: read_now(now))),
    ]
    assert before.read_bytes() == now.read_bytes()
    size = now.stat().st_size / 1e6
    print(f"{args.rows:,} rows, {size:.1f} MB; load average after: {os.getloadavg()[0]:.2f}")
    print("| step | wall s | CPU s | rows/s (CPU) |")
    print("| --- | --- | --- | --- |")
    for name, (wall, cpu) in results:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {args.rows / cpu:,.0f} |")


if __name__ == "__main__":
    main()
