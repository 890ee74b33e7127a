"""The edge scan: every edge into a set of target vertices, in one pass, bounded memory.

Edge lines are ``<from id> \\t <to id>``. The scan keeps only the target ids and the
matching source ids. With few targets it searches each block for ``TAB <id> NEWLINE``
(a memchr-speed byte search per target); with many, it parses the block's to-ids with
numpy and tests them against the sorted targets.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from linkspider.discover.errors import CorruptFileError
from linkspider.discover.gzlines import ReadProgress, line_blocks

#: Up to this many targets, byte search per target beats parsing every line (measured:
#: one search costs about a third of the numpy parse of a block).
FIND_LIMIT = 4
#: Hits per block above which the numpy parse takes over from the byte search.
FIND_MAX_HITS = 2000

IdArray = npt.NDArray[np.int64]


@dataclass
class EdgeScan:
    """What a scan found and read."""

    sources: dict[int, IdArray] = field(default_factory=dict)  # target id -> sorted source ids
    edges: int = 0  # edge lines scanned
    bytes_compressed: int = 0
    bytes_text: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)


def scan_edges(
    files: Sequence[Path],
    target_ids: Collection[int],
    progress: Callable[[Path], ReadProgress | None] | None = None,
    workers: int | None = None,
) -> EdgeScan:
    """Sources of every edge into ``target_ids`` in ``files`` (all read; self-loops kept).

    With ``workers`` > 1 (default: :func:`scan_workers`) and at least
    ``PARALLEL_MIN_BYTES`` of edge files in more than one file, the files are scanned by
    that many processes at once, one file each (each with its own decompressor); progress
    is then reported per file, when it is done.
    """
    started = time.perf_counter()
    targets = np.unique(np.fromiter(target_ids, dtype=np.int64))
    found: dict[int, list[IdArray]] = {int(t): [] for t in targets}
    scan = EdgeScan()
    scan.files = list(files)
    scan.bytes_compressed = sum(path.stat().st_size for path in files)
    workers = scan_workers() if workers is None else workers
    parallel = workers > 1 and len(files) > 1 and scan.bytes_compressed >= PARALLEL_MIN_BYTES
    if parallel:
        results = _scan_parallel(files, targets, progress, min(workers, len(files)))
    else:
        results = (
            _scan_file(path, targets, progress(path) if progress else None) for path in files
        )
    for part in results:
        scan.edges += part.edges
        scan.bytes_text += part.bytes_text
        for target, sources in part.found.items():
            found[target].extend(sources)
    for target, parts in found.items():
        scan.sources[target] = np.unique(np.concatenate(parts)) if parts else _EMPTY
    scan.seconds = time.perf_counter() - started
    return scan


#: Below this many compressed bytes of edge files, one process scans them all (starting
#: worker processes costs more than it saves).
PARALLEL_MIN_BYTES = 64 << 20


def scan_workers() -> int:
    """Processes for an edge scan: ``$LINKSPIDER_DISCOVER_WORKERS``, else the CPU count."""
    value = os.environ.get("LINKSPIDER_DISCOVER_WORKERS")
    if value is not None and value.strip():
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"LINKSPIDER_DISCOVER_WORKERS must be a whole number, not {value!r}"
            ) from None
    return os.cpu_count() or 1


@dataclass
class _FileScan:
    edges: int = 0
    bytes_text: int = 0
    found: dict[int, list[IdArray]] = field(default_factory=dict)


def _scan_file(path: Path, targets: IdArray, progress: ReadProgress | None = None) -> _FileScan:
    """One edge file (a top-level function: worker processes run it)."""
    part = _FileScan(found={int(t): [] for t in targets})
    patterns = [(int(t), b"\t%d\n" % t) for t in targets]
    for block in line_blocks(path, progress):
        part.edges += block.count(b"\n")
        part.bytes_text += len(block)
        if not len(targets):
            continue
        try:
            searched = len(patterns) <= FIND_LIMIT and _find_block(block, patterns, part.found)
        except ValueError:
            raise CorruptFileError(f"{path}: a line is not <from id> TAB <to id>") from None
        if not searched:
            _numpy_block(block, targets, part.found, path)
    part.found = {t: v for t, v in part.found.items() if v}
    return part


def _scan_parallel(
    files: Sequence[Path],
    targets: IdArray,
    progress: Callable[[Path], ReadProgress | None] | None,
    workers: int,
) -> Iterator[_FileScan]:
    # spawn, not fork: discover also runs inside a crawl, whose process has threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_scan_file, path, targets): path for path in files}
        try:
            for future in as_completed(futures):
                part = future.result()
                path = futures[future]
                report = progress(path) if progress else None
                if report is not None:
                    report(path.stat().st_size)
                yield part
        except BaseException:
            for future in futures:
                future.cancel()
            raise


_EMPTY: IdArray = np.zeros(0, dtype=np.int64)


def _find_block(
    block: bytes, patterns: list[tuple[int, bytes]], found: dict[int, list[IdArray]]
) -> bool:
    """Search ``block`` for each target; False (nothing kept) if the hits are so many
    that parsing the whole block is cheaper (a target with millions of links)."""
    kept: list[tuple[int, IdArray]] = []
    budget = FIND_MAX_HITS
    for target, pattern in patterns:
        pos = block.find(pattern)
        if pos < 0:
            continue
        hits = []
        while pos >= 0:
            budget -= 1
            if budget < 0:
                return False
            start = block.rfind(b"\n", 0, pos) + 1
            hits.append(int(block[start:pos]))
            pos = block.find(pattern, pos + 1)
        kept.append((target, np.array(hits, dtype=np.int64)))
    for target, hits_array in kept:
        found[target].append(hits_array)
    return True


def _parse_ints(buf: npt.NDArray[np.uint8], starts: IdArray, ends: IdArray) -> IdArray:
    """The decimal numbers in ``buf[starts[i]:ends[i]]``, right-aligned digit by digit."""
    lengths = ends - starts
    values = np.zeros(len(starts), dtype=np.int64)
    if not len(starts):
        return values
    longest = int(lengths.max())
    if longest > 18 or int(lengths.min()) < 1:
        raise ValueError("number out of range")
    bad = np.zeros(len(starts), dtype=bool)
    scale = 1
    for d in range(longest):
        live = lengths > d
        digits = buf[np.maximum(ends - 1 - d, 0)] - np.uint8(48)  # wraps below '0': > 9
        bad |= live & (digits > 9)
        digits[~live] = 0
        values += digits * np.int64(scale)
        scale *= 10
    if bad.any():
        raise ValueError("not a digit")
    return values


def _numpy_block(
    block: bytes, targets: IdArray, found: dict[int, list[IdArray]], path: Path
) -> None:
    buf = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10).astype(np.int64)
    tabs = np.flatnonzero(buf == 9).astype(np.int64)
    if len(tabs) != len(newlines):
        raise CorruptFileError(f"{path}: a line is not <from id> TAB <to id>")
    try:
        to_ids = _parse_ints(buf, tabs + 1, newlines)
        hit = np.flatnonzero(np.isin(to_ids, targets))
        if not len(hit):
            return
        line_starts = np.concatenate(([0], newlines[:-1] + 1))[hit]
        from_ids = _parse_ints(buf, line_starts, tabs[hit])
    except ValueError:
        raise CorruptFileError(f"{path}: a line is not <from id> TAB <to id>") from None
    hit_to = to_ids[hit]
    order = np.argsort(hit_to, kind="stable")
    hit_to, from_ids = hit_to[order], from_ids[order]
    bounds = np.flatnonzero(np.diff(hit_to)) + 1
    for group_to, group_from in zip(
        np.split(hit_to, bounds), np.split(from_ids, bounds), strict=True
    ):
        found[int(group_to[0])].append(group_from)
