"""The files ``linkspider discover`` writes: candidates CSV, seeds and a JSON summary.

Each is written as ``<name>.part`` and renamed only after all three are complete, so
a folder never holds a half-written result that looks finished.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: candidates.py needs numpy
    from linkspider.discover.candidates import Candidate, DiscoverResult

CANDIDATES_CSV = "referring_candidates.csv"
SEEDS_TXT = "seeds.txt"
SUMMARY_JSON = "discover.json"
COLUMNS = (
    "candidate",
    "candidate_unicode",
    "level",
    "links_to",
    "harmonic_centrality_rank",
    "harmonic_centrality",
    "pagerank_rank",
    "pagerank",
    "n_hosts",
    "release",
)


def candidate_row(c: Candidate, release: str) -> dict[str, object]:
    r = c.rank
    return {
        "candidate": c.name,
        "candidate_unicode": c.display,
        "level": c.level,
        "links_to": " ".join(c.links_to),
        "harmonic_centrality_rank": "" if r is None or r.harmonic_pos is None else r.harmonic_pos,
        "harmonic_centrality": "" if r is None or r.harmonic_val is None else r.harmonic_val,
        "pagerank_rank": "" if r is None or r.pagerank_pos is None else r.pagerank_pos,
        "pagerank": "" if r is None or r.pagerank_val is None else r.pagerank_val,
        "n_hosts": "" if r is None or r.n_hosts is None else r.n_hosts,
        "release": release,
    }


def write_outputs(
    folder: Path, result: DiscoverResult, top: int | None, summary: dict[str, Any]
) -> dict[str, Path]:
    """Write the three files into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {n: folder / n for n in (CANDIDATES_CSV, SEEDS_TXT, SUMMARY_JSON)}
    parts = {n: p.with_name(p.name + ".part") for n, p in paths.items()}
    try:
        with parts[CANDIDATES_CSV].open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for candidate in result.candidates:
                writer.writerow(candidate_row(candidate, result.release))
        seeds = result.candidates if top is None else result.candidates[:top]
        parts[SEEDS_TXT].write_text("".join(f"{c.name}\n" for c in seeds), "utf-8")
        parts[SUMMARY_JSON].write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        for name, part in parts.items():
            part.replace(paths[name])
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
    return paths


def summary_of(result: DiscoverResult, source: str, top: int | None) -> dict[str, Any]:
    s = result.stats
    return {
        "release": result.release,
        "level": result.level,
        "source": source,
        "files_read": [{"path": p, "bytes": n} for p, n in s.files_read],
        "bytes_read": s.bytes_read,
        "edges_scanned": s.edges_scanned,
        "from_index": s.from_index,
        "seconds": round(s.seconds, 3),
        "edge_scan_seconds": round(s.edge_scan_seconds, 3),
        "counts": {
            "targets": len(result.target_vertices),
            "target_vertices": sum(len(v) for v in result.target_vertices.values()),
            "absent_targets": len(result.absent_targets),
            "candidates": len(result.candidates),
            "seeds": len(result.candidates) if top is None else min(top, len(result.candidates)),
        },
        "targets": {t: v for t, v in result.target_vertices.items()},
        "absent_targets": result.absent_targets,
    }
