"""``linkspider discover``: referring domains and open authority from Common Crawl's web graph.

Pure code (no Scrapy): read a web-graph release from a local folder or download it
into a cache, find the domains (hosts) that link to targets, and look up Common Crawl's
harmonic-centrality and PageRank ranks. Public API:

* :func:`open_release` - a release from ``--graph DIR`` or a name (downloaded, cached);
* :func:`find_candidates` - targets -> :class:`DiscoverResult` (candidates with ranks);
* :func:`lookup_ranks` - names -> :class:`Rank` (cached per release and level);
* :func:`scan_edges` - the edge scan (edge files + target ids -> sources);
* :func:`write_outputs` / :func:`summary_of` - the files ``discover`` writes.
"""

from __future__ import annotations

from pathlib import Path

from linkspider.discover.candidates import (
    Candidate,
    DiscoverResult,
    DiscoverStats,
    find_candidates,
    lookup_ranks,
)
from linkspider.discover.edges import EdgeScan, scan_edges
from linkspider.discover.errors import (
    CorruptFileError,
    DiscoverError,
    DownloadError,
    ReleaseError,
)
from linkspider.discover.fetch import (
    DEFAULT_DATA_URL,
    DEFAULT_GRAPHINFO_URL,
    Remote,
    fetch_release,
    list_releases,
)
from linkspider.discover.index import default_cache_dir
from linkspider.discover.layout import LevelFiles, Release, open_release_dir
from linkspider.discover.names import LEVELS, display_name, graph_name, reverse_name
from linkspider.discover.ranks import Rank
from linkspider.discover.writer import summary_of, write_outputs


def open_release(
    graph: Path | str | None = None,
    release: str | None = None,
    level: str = "domain",
    remote: Remote | None = None,
) -> Release:
    """A local release folder (``graph``), else ``release`` (None: the newest) from the cache,
    downloaded first if it is not complete there."""
    if graph is not None:
        found = open_release_dir(Path(graph))
        if release is not None and release != found.name:
            raise ReleaseError(f"--graph {graph} holds release {found.name}, not {release}")
        found.files(level)
        return found
    return fetch_release(release, level, remote or Remote(default_cache_dir()))


__all__ = [
    "DEFAULT_DATA_URL",
    "DEFAULT_GRAPHINFO_URL",
    "LEVELS",
    "Candidate",
    "CorruptFileError",
    "DiscoverError",
    "DiscoverResult",
    "DiscoverStats",
    "DownloadError",
    "EdgeScan",
    "LevelFiles",
    "Rank",
    "Release",
    "ReleaseError",
    "Remote",
    "default_cache_dir",
    "display_name",
    "fetch_release",
    "find_candidates",
    "graph_name",
    "list_releases",
    "lookup_ranks",
    "open_release",
    "reverse_name",
    "scan_edges",
    "summary_of",
    "write_outputs",
]
