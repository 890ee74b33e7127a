"""The rank file of a release: Common Crawl's harmonic centrality and PageRank per vertex.

Lines are ``<hc pos> \\t <hc value> \\t <pr pos> \\t <pr value> \\t <reversed name>``
(plus ``\\t <n_hosts>`` at domain level) after one header line
``#harmonicc_pos #harmonicc_val #pr_pos #pr_val #host_rev [#n_hosts]``, sorted by
harmonic-centrality position (1 = most central). A value Common Crawl could not join is
written ``---``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from linkspider.discover.errors import CorruptFileError
from linkspider.discover.gzlines import ReadProgress, line_blocks

HEADER = ("#harmonicc_pos", "#harmonicc_val", "#pr_pos", "#pr_val", "#host_rev")
#: Up to this many names, search each block for them rather than split it into lines.
FIND_LIMIT = 32


@dataclass(frozen=True)
class Rank:
    """A vertex's open ranks from Common Crawl's graph (positions: 1 = most central)."""

    harmonic_pos: int | None
    harmonic_val: float | None
    pagerank_pos: int | None
    pagerank_val: float | None
    n_hosts: int | None = None


def _int(text: bytes) -> int | None:
    return None if text == b"---" else int(text)


def _float(text: bytes) -> float | None:
    return None if text == b"---" else float(text)


def parse_rank_line(line: bytes) -> tuple[str, Rank]:
    """``(reversed name, Rank)`` of one data line; ValueError if it is not one."""
    fields = line.rstrip(b"\r").split(b"\t")
    if len(fields) < 5:
        raise ValueError("too few columns")
    n_hosts = _int(fields[5]) if len(fields) > 5 and fields[5] else None
    rank = Rank(_int(fields[0]), _float(fields[1]), _int(fields[2]), _float(fields[3]), n_hosts)
    return fields[4].decode("ascii", "replace"), rank


def read_ranks(
    path: Path, names: Collection[str], progress: ReadProgress | None = None
) -> dict[str, Rank]:
    """Ranks of the reversed ``names`` found in the rank file (stops when all are found)."""
    wanted = {n.encode("ascii") for n in names}
    found: dict[str, Rank] = {}
    first = True
    for block in line_blocks(path, progress):
        if first:
            first = False
            header = block[: block.find(b"\n")].split(b"\t")
            if tuple(h.decode("ascii", "replace") for h in header[:5]) != HEADER:
                raise CorruptFileError(
                    f"{path}: not a Common Crawl rank file (header {header[:5]!r})"
                )
            block = block[block.find(b"\n") + 1 :]
        lines = _find_lines(block, wanted) if len(wanted) <= FIND_LIMIT else block.split(b"\n")
        for line in lines:
            if not line:
                continue
            end = line.find(b"\t", line.find(b"\t", line.find(b"\t", line.find(b"\t") + 1) + 1) + 1)
            name = line[end + 1 :].split(b"\t", 1)[0]
            if name not in wanted:
                continue
            try:
                key, rank = parse_rank_line(line)
            except ValueError:
                raise CorruptFileError(f"{path}: not a rank line: {line[:80]!r}") from None
            found[key] = rank
            wanted.discard(name)
        if not wanted:
            break
    if first:
        raise CorruptFileError(f"{path}: empty rank file")
    return found


def _find_lines(block: bytes, wanted: set[bytes]) -> list[bytes]:
    lines = []
    for name in wanted:
        for after in (b"\t", b"\n"):
            pos = block.find(b"\t" + name + after)
            while pos >= 0:
                start = block.rfind(b"\n", 0, pos) + 1
                end = block.find(b"\n", pos + 1)
                lines.append(block[start : end if end >= 0 else len(block)])
                pos = block.find(b"\t" + name + after, pos + 1)
    return lines
