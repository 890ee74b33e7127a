"""Seeds from a Common Crawl web graph: ``-a discover=RELEASE_OR_DIR [-a discover_top=N]``.

The crawl starts from the referring domains (or hosts, ``discover_level=host``) that the
release's graph says link to the targets (:mod:`linkspider.discover`), most central first,
the top ``discover_top`` of them (default all), added to ``-a seeds`` if given (a seed
listed twice is crawled once).

The graph names a site without its leading ``www.``: a candidate ``example.com`` is
seeded as ``https://example.com/`` (then ``http://``, as any bare-domain seed) and, when
neither answers (DNS, refused, timeout, TLS), as ``https://www.example.com/`` (then
``http://www.``): :func:`seed_urls` is that order, and :data:`Discovered.alternates`
maps a candidate's seed URL to its ``www.`` seed.
"""

from __future__ import annotations

import csv
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkspider.config.seeds import Seed, SeedList, parse_seed
from linkspider.config.sources import ConfigError
from linkspider.config.targets import TargetSet
from linkspider.discover.errors import DiscoverError, ReleaseError
from linkspider.discover.fetch import (
    DEFAULT_DATA_URL,
    DEFAULT_GRAPHINFO_URL,
    Remote,
    default_cache_dir,
    open_release,
)
from linkspider.discover.layout import Release
from linkspider.discover.writer import CANDIDATES_CSV, COLUMNS, candidate_row

logger = logging.getLogger(__name__)

#: Discoveries made in this process: ``scrapy crawl`` checks its arguments, then builds
#: the spider from them; the second discovery is the first one's.
_MEMO: dict[tuple[str, tuple[str, ...], str], tuple[str, tuple[dict[str, Any], ...]]] = {}


def seed_urls(name: str) -> tuple[str, ...]:
    """The URLs a candidate is tried at, in order (the graph stripped its ``www.``)."""
    urls = [f"https://{name}/", f"http://{name}/"]
    if not name.startswith("www."):
        urls += [f"https://www.{name}/", f"http://www.{name}/"]
    return tuple(urls)


def candidate_seed(name: str) -> tuple[Seed, Seed | None]:
    """The seed of a candidate and its ``www.`` alternative (None for a ``www.`` name);
    :class:`ConfigError` for a name that is not a host name (a corrupt vertex line)."""
    if parse_seed(name).url != f"https://{name}/":
        raise ConfigError(f"{name!r} is not a host name as the graph writes them")
    urls = seed_urls(name)
    alternate = Seed(urls[2], urls[3]) if len(urls) > 2 else None
    return Seed(urls[0], urls[1]), alternate


@dataclass(frozen=True)
class Discovered:
    """The candidates a release gives for the targets, and the seeds made from them."""

    release: str  # the release name
    source: str  # what -a discover said (a name or a folder)
    level: str
    #: ``referring_candidates.csv`` rows (name, level, targets, ranks, release), best first
    rows: tuple[Mapping[str, Any], ...]
    seeds: tuple[Seed, ...]
    #: candidate seed URL -> the ``www.`` seed tried when it cannot be reached
    alternates: Mapping[str, Seed] = field(default_factory=dict)
    total: int = 0  # candidates before discover_top

    @property
    def names(self) -> list[str]:
        return [str(row["candidate"]) for row in self.rows]


def discovered_from(
    source: str,
    release: str,
    level: str,
    rows: Sequence[Mapping[str, Any]],
    top: int | None,
) -> Discovered:
    """Seeds for the first ``top`` candidate rows (all with None); rows are best first."""
    kept: list[Mapping[str, Any]] = []
    seeds: list[Seed] = []
    alternates: dict[str, Seed] = {}
    for row in rows:
        if top is not None and len(kept) >= top:
            break
        try:
            seed, alternate = candidate_seed(str(row["candidate"]))
        except ConfigError as exc:
            logger.warning(f"discover: candidate skipped: {exc}")
            continue
        kept.append(row)
        seeds.append(seed)
        if alternate is not None:
            alternates[seed.url] = alternate
    return Discovered(
        release, source, level, tuple(kept), tuple(seeds), alternates, total=len(rows)
    )


def with_discovered(given: SeedList | None, discovered: Discovered) -> SeedList:
    """``-a seeds`` (if any) followed by the discovered seeds; each URL once."""
    seeds: dict[str, Seed] = {}
    for seed in (*(given.seeds if given else ()), *discovered.seeds):
        seeds.setdefault(seed.url, seed)
    return SeedList(
        seeds=tuple(seeds.values()),
        rejected=given.rejected if given else (),
        source=given.source if given else None,
    )


def check_discover_targets(targets: TargetSet) -> None:
    """``discover`` looks up the targets in the graph: ``targets=*`` names none."""
    if targets.all_external:
        raise ConfigError("-a discover=... needs the targets to look up, not targets=*")


def release_arguments(spec: str) -> tuple[Path | None, str | None]:
    """``(graph folder, release name)`` of ``-a discover=``: a folder if it exists or
    looks like a path, else a release name (downloaded into the cache if needed)."""
    value = spec.strip()
    path = Path(value).expanduser()
    if path.exists() or "/" in value or value.startswith("."):
        return path, None
    return None, value


class _DownloadLog:
    """Download progress in the crawl's log: a line per file every 10 seconds, and done."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self.last: dict[str, float] = {}

    def __call__(self, name: str, done: int, total: int | None, rate: float) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self.last.get(name, 0.0) < self.every:
            return
        self.last[name] = now
        size = f"{done / 1e6:,.1f} of {total / 1e6:,.1f} MB" if total else f"{done / 1e6:,.1f} MB"
        eta = f", ETA {(total - done) / rate:,.0f} s" if total and rate > 0 and not finished else ""
        logger.info(f"discover: downloading {name}: {size}, {rate / 1e6:,.1f} MB/s{eta}")


def open_graph(spec: str, level: str) -> Release:
    """The release of ``-a discover`` / ``LINKSPIDER_AUTHORITY_RELEASE``: a folder, or a
    name fetched into the cache (``$LINKSPIDER_CACHE_DIR``) from ``$LINKSPIDER_CC_DATA_URL``
    as ``linkspider discover --release`` does; :class:`DiscoverError` if it cannot be had."""
    graph, name = release_arguments(spec)
    check_folder(spec)
    remote = Remote(
        default_cache_dir(),
        os.environ.get("LINKSPIDER_CC_DATA_URL", DEFAULT_DATA_URL),
        os.environ.get("LINKSPIDER_CC_GRAPHINFO_URL", DEFAULT_GRAPHINFO_URL),
        progress=_DownloadLog(),
    )
    return open_release(graph=graph, release=name, level=level, remote=remote)


def check_folder(spec: str) -> None:
    """:class:`ReleaseError` when ``spec`` names a folder that does not exist."""
    graph, _name = release_arguments(spec)
    if graph is not None and not graph.exists():
        raise ReleaseError(f"{spec}: no such folder (a release is a folder or a name)")


def discover_seeds(spec: str, targets: TargetSet, top: int | None, level: str) -> Discovered:
    """Run the discovery (or reuse this process's) and make seeds of its candidates.

    Any problem with the release (unknown, not a release folder, a corrupt file, no
    network) is a :class:`ConfigError`: one line, the crawl does not start.
    """
    names = tuple(t.domain for t in targets.targets)
    key = (spec, names, level)
    if key not in _MEMO:
        # Imported here: the edge scan needs numpy, which a crawl without -a discover skips.
        from linkspider.discover.candidates import find_candidates

        try:
            release = open_graph(spec, level)
            result = find_candidates(release, list(names), level)
        except DiscoverError as exc:
            raise ConfigError(f"discover: {exc}") from None
        rows = tuple(candidate_row(c, result.release) for c in result.candidates)
        _MEMO[key] = (result.release, rows)
    release_name, rows = _MEMO[key]
    return discovered_from(spec, release_name, level, rows, top)


def write_candidates(folder: Path, discovered: Discovered) -> Path:
    """The seeded candidates as ``referring_candidates.csv`` (``linkspider discover``'s
    columns), in the run folder: the crawl's statuses are decided against it."""
    path = folder / CANDIDATES_CSV
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(discovered.rows)
    tmp.replace(path)
    return path
