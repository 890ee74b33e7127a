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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkspider.discover.candidates import (
        Candidate,
        DiscoverResult,
        DiscoverStats,
        find_candidates,
        lookup_ranks,
    )
    from linkspider.discover.edges import (
        EdgeScan,
        scan_edges,
    )
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
        default_cache_dir,
        fetch_release,
        list_releases,
        open_release,
    )
    from linkspider.discover.layout import (
        LevelFiles,
        Release,
        open_release_dir,
    )
    from linkspider.discover.names import (
        LEVELS,
        display_name,
        graph_name,
        reverse_name,
    )
    from linkspider.discover.ranks import (
        Rank,
    )
    from linkspider.discover.writer import (
        summary_of,
        write_outputs,
    )

#: Each public name and the module that defines it. The modules are imported on first use
#: (PEP 562): the edge scan and the index need numpy, which ``scrapy crawl`` should not load
#: for a crawl without ``-a discover``; ``from linkspider.discover import X`` works as usual.
_WHERE: dict[str, str] = {
    "Candidate": "candidates",
    "DiscoverResult": "candidates",
    "DiscoverStats": "candidates",
    "find_candidates": "candidates",
    "lookup_ranks": "candidates",
    "EdgeScan": "edges",
    "scan_edges": "edges",
    "CorruptFileError": "errors",
    "DiscoverError": "errors",
    "DownloadError": "errors",
    "ReleaseError": "errors",
    "DEFAULT_DATA_URL": "fetch",
    "DEFAULT_GRAPHINFO_URL": "fetch",
    "Remote": "fetch",
    "default_cache_dir": "fetch",
    "fetch_release": "fetch",
    "list_releases": "fetch",
    "open_release": "fetch",
    "LevelFiles": "layout",
    "Release": "layout",
    "open_release_dir": "layout",
    "LEVELS": "names",
    "display_name": "names",
    "graph_name": "names",
    "reverse_name": "names",
    "Rank": "ranks",
    "summary_of": "writer",
    "write_outputs": "writer",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


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
    "open_release_dir",
    "reverse_name",
    "scan_edges",
    "summary_of",
    "write_outputs",
]
