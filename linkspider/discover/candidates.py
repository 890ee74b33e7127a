"""From targets to referring domains (or hosts) in a release: the discovery itself.

1. each target's vertex keys (``com.acme-boots``) -> its vertices (the name and the
   names below it), by one streaming pass over the sorted vertex list;
2. one pass over the edge files keeps the sources of edges into those vertices;
3. the source ids -> names (a pass over the vertex list that reads only the blocks
   holding them) and their ranks (from the rank file).

Every step stores what it learned in the release's :class:`GraphIndex`, so a repeated
run with the same targets reads no edge file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linkspider.core.domains import host_matches, registrable_domain
from linkspider.discover.edges import scan_edges
from linkspider.discover.fetch import default_cache_dir
from linkspider.discover.gzlines import ReadProgress
from linkspider.discover.index import GraphIndex
from linkspider.discover.layout import Release
from linkspider.discover.names import display_name, graph_name, reverse_name
from linkspider.discover.ranks import Rank, read_ranks
from linkspider.discover.vertices import find_vertices, names_for_ids

#: ``progress(what, path)`` -> a per-file byte callback (or None): stages report here.
StageProgress = Callable[[str, Path], "ReadProgress | None"]


@dataclass(frozen=True)
class Candidate:
    """A domain or host that links to one or more targets in the graph."""

    name: str  # normal (not reversed) name, punycode
    level: str
    links_to: tuple[str, ...]  # the targets it links to, as the targets were given
    rank: Rank | None  # None: not in the rank file

    @property
    def display(self) -> str:
        return display_name(self.name)

    def sort_key(self) -> tuple[int, int, str]:
        pos = self.rank.harmonic_pos if self.rank else None
        return (pos is None, pos or 0, self.name)


@dataclass
class DiscoverStats:
    """What a discovery read (``edges_scanned`` is 0 when the index answered)."""

    files_read: list[tuple[str, int]] = field(default_factory=list)  # (path, size)
    bytes_read: int = 0
    edges_scanned: int = 0
    edge_bytes_text: int = 0
    edge_scan_seconds: float = 0.0
    seconds: float = 0.0
    from_index: bool = False

    def read(self, path: Path) -> None:
        if all(p != str(path) for p, _ in self.files_read):
            size = path.stat().st_size
            self.files_read.append((str(path), size))
            self.bytes_read += size


@dataclass
class DiscoverResult:
    release: str
    level: str
    candidates: list[Candidate]
    target_vertices: dict[str, list[str]]  # target -> normal names of its vertices
    absent_targets: list[str]  # targets with no vertex in the graph
    stats: DiscoverStats


def _target_key(target: str, level: str) -> str:
    return reverse_name(graph_name(target, level) or target)


def find_candidates(
    release: Release,
    targets: Sequence[str],
    level: str = "domain",
    cache_dir: Path | None = None,
    progress: StageProgress | None = None,
) -> DiscoverResult:
    """The domains (hosts) linking to ``targets`` (registrable domains or hosts)."""
    started = time.perf_counter()
    files = release.files(level)
    stats = DiscoverStats()

    def reading(stage: str) -> Callable[[Path], ReadProgress | None]:
        def per_file(path: Path) -> ReadProgress | None:
            stats.read(path)
            return progress(stage, path) if progress else None

        return per_file

    keys = {t: _target_key(t, level) for t in targets}
    with GraphIndex(release, files, cache_dir or default_cache_dir()) as index:
        vertices = index.targets(keys.values())
        missing = sorted(set(keys.values()) - set(vertices))
        if missing:
            found = find_vertices(files.vertices, missing, reading("vertices"))
            index.store_targets(found)
            vertices.update(found)
        target_ids = {vid for key in set(keys.values()) for vid, _ in vertices[key]}
        sources = index.incoming(target_ids)
        todo = target_ids - set(sources)
        if todo:
            scan = scan_edges(files.edges, todo, reading("edges"))
            index.store_incoming(scan.sources)
            sources.update(scan.sources)
            stats.edges_scanned = scan.edges
            stats.edge_bytes_text = scan.bytes_text
            stats.edge_scan_seconds = scan.seconds
        stats.from_index = not missing and not todo
        links: dict[int, set[str]] = {}
        for target, key in keys.items():
            own = {vid for vid, _ in vertices[key]}
            for vid in own:
                for src in sources[vid].tolist():
                    if src not in own:
                        links.setdefault(src, set()).add(target)
        names = index.names(links)
        if len(names) < len(links):
            more = names_for_ids(files.vertices, set(links) - set(names), reading("vertices"))
            index.store_names(more)
            names.update(more)
        normal = {vid: reverse_name(name) for vid, name in names.items()}
        ranks = _ranks(index, files.ranks, set(names.values()), reading("ranks"))
    candidates = []
    for vid, linked in links.items():
        name = normal.get(vid)
        if name is None:
            continue
        # internal links (a subdomain of the target, the target's own domain) are not backlinks
        kept = tuple(t for t in targets if t in linked and not _same_site(name, t, level))
        if kept:
            candidates.append(Candidate(name, level, kept, ranks.get(names[vid])))
    candidates.sort(key=Candidate.sort_key)
    stats.seconds = time.perf_counter() - started
    return DiscoverResult(
        release=release.name,
        level=level,
        candidates=candidates,
        target_vertices={t: [reverse_name(n) for _, n in vertices[k]] for t, k in keys.items()},
        absent_targets=[t for t, k in keys.items() if not vertices[k]],
        stats=stats,
    )


def _same_site(name: str, target: str, level: str) -> bool:
    target_name = graph_name(target, level) or target
    if host_matches(name, target_name):
        return True
    return registrable_domain(name) == registrable_domain(target_name)


def _ranks(
    index: GraphIndex,
    ranks_file: Path,
    reversed_names: set[str],
    reading: Callable[[Path], ReadProgress | None],
) -> dict[str, Rank]:
    found, absent = index.ranks(reversed_names)
    todo = reversed_names - set(found) - absent
    if todo:
        more = read_ranks(ranks_file, todo, reading(ranks_file))
        index.store_ranks(more, todo - set(more))
        found.update(more)
    return found


def lookup_ranks(
    release: Release,
    names: Iterable[str],
    level: str = "domain",
    cache_dir: Path | None = None,
    progress: StageProgress | None = None,
) -> dict[str, Rank]:
    """Ranks of ``names`` (normal, Unicode or punycode hosts/domains), keyed as given.

    A name is looked up as the graph writes it at ``level`` (``www.`` stripped; at domain
    level its registrable domain). Names not in the rank file are left out. Answers are
    kept in the release's index: asking again for the same names reads no file.
    """
    files = release.files(level)
    wanted = {n: reverse_name(graph_name(n, level)) for n in names if graph_name(n, level)}
    with GraphIndex(release, files, cache_dir or default_cache_dir()) as index:

        def reading(path: Path) -> ReadProgress | None:
            return progress("ranks", path) if progress else None

        ranks = _ranks(index, files.ranks, set(wanted.values()), reading)
    return {name: ranks[key] for name, key in wanted.items() if key in ranks}
