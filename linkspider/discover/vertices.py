"""Look names up in a sorted vertex list, and ids back to names, in one streaming pass.

The vertex lines (``<id> \\t <reversed name> [\\t <n_hosts>]``) are sorted by reversed
name, so the vertices of a target (the name itself and every name below it) sit in
known places: blocks that cannot hold them are skipped without being split into lines,
and reading stops once every target's range is passed. Ids are the line numbers, so
ids are found the same way. Memory: one block and the matches.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

from linkspider.discover.errors import CorruptFileError
from linkspider.discover.gzlines import ReadProgress, line_blocks

#: Vertices found for one key: (id, reversed name) pairs in id order.
Vertices = list[tuple[int, str]]


def _first_line(block: bytes) -> bytes:
    return block[: block.find(b"\n")]


def _last_line(block: bytes) -> bytes:
    return block[block.rfind(b"\n", 0, len(block) - 1) + 1 : -1]


def _split(line: bytes, path: Path) -> tuple[int, bytes]:
    fields = line.split(b"\t", 2)
    try:
        return int(fields[0]), fields[1]
    except (ValueError, IndexError):
        raise CorruptFileError(
            f"{path}: not a vertex line (<id> TAB <name>): {line[:80]!r}"
        ) from None


class _Order:
    """Checks, block by block, what the lookups rely on: names strictly increasing and ids
    numbered 0, 1, 2... in line order (Common Crawl's vertex lists are)."""

    def __init__(self) -> None:
        self.name = b""
        self.id = -1

    def check(self, block: bytes, path: Path) -> tuple[int, bytes, int, bytes]:
        first_id, first = _split(_first_line(block), path)
        last_id, last = _split(_last_line(block), path)
        if first_id != self.id + 1 or last_id - first_id + 1 != block.count(b"\n"):
            raise CorruptFileError(
                f"{path}: vertex ids are not numbered in line order (id {first_id} after "
                f"{self.id}): not a Common Crawl vertex list"
            )
        if self.id >= 0 and first <= self.name:
            raise CorruptFileError(
                f"{path}: vertices are not sorted by name ({first!r} after {self.name!r})"
            )
        self.id, self.name = last_id, last
        return first_id, first, last_id, last


def find_vertices(
    files: Sequence[Path],
    keys: Collection[str],
    progress: Callable[[Path], ReadProgress | None] | None = None,
) -> dict[str, Vertices]:
    """For each reversed name ``key``: the vertices named ``key`` or ``key.*`` (below it)."""
    wanted = sorted({k.encode("ascii") for k in keys})
    found: dict[str, Vertices] = {k: [] for k in keys}
    if not wanted:
        return found
    ends = [k + b"/" for k in wanted]  # '/' sorts right after '.': k.* < k/
    # Past this name no key can match any more (ends are not sorted like keys).
    stop = max(ends)
    order = _Order()
    for path in files:
        for block in line_blocks(path, progress(path) if progress else None):
            _, first, _, last = order.check(block, path)
            if first >= stop:
                return found
            # keys whose range [k, k/) meets [first, last]: k <= last and k/ > first
            upto = bisect.bisect_right(wanted, last)
            if not any(ends[i] > first for i in range(upto)):
                continue
            _match_block(block, path, wanted[:upto], found)
    return found


def _match_block(block: bytes, path: Path, keys: list[bytes], found: dict[str, Vertices]) -> None:
    for line in block.split(b"\n"):
        if not line:
            continue
        vid, name = _split(line, path)
        for key in keys:
            if name == key or (name.startswith(key) and name[len(key) : len(key) + 1] == b"."):
                found[key.decode("ascii")].append((vid, name.decode("ascii", "replace")))


def names_for_ids(
    files: Sequence[Path],
    ids: Iterable[int],
    progress: Callable[[Path], ReadProgress | None] | None = None,
) -> dict[int, str]:
    """The reversed names of vertex ``ids``; ids not in the list are left out."""
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    if not wanted:
        return names
    order = _Order()
    for path in files:
        for block in line_blocks(path, progress(path) if progress else None):
            first, _, last, _ = order.check(block, path)
            if first > wanted[-1]:
                return names
            lo = bisect.bisect_left(wanted, first)
            if lo == len(wanted) or wanted[lo] > last:
                continue
            want = set(wanted[lo : bisect.bisect_right(wanted, last)])
            for line in block.split(b"\n"):
                if line:
                    vid, name = _split(line, path)
                    if vid in want:
                        names[vid] = name.decode("ascii", "replace")
    return names
