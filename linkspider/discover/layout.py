"""The file layout of a Common Crawl web-graph release, as published.

A release ``<name>`` (e.g. ``cc-main-2024-feb-apr-may``) lives under
``projects/hyperlinkgraph/<name>/`` on ``https://data.commoncrawl.org/``::

    domain/<name>-domain-vertices.txt.gz    <id> \\t <reversed domain> \\t <number of hosts>
    domain/<name>-domain-edges.txt.gz       <from id> \\t <to id>
    domain/<name>-domain-ranks.txt.gz       #harmonicc_pos #harmonicc_val #pr_pos #pr_val
                                            #host_rev #n_hosts (tab-separated, header line)
    host/<name>-host-vertices.paths.gz      paths of host/vertices/part-*.txt.gz
                                            (<id> \\t <reversed host>)
    host/<name>-host-edges.paths.gz         paths of host/edges/part-*.txt.gz
    host/<name>-host-ranks.txt.gz           as the domain ranks, without #n_hosts

A ``*.paths.gz`` file lists one path per line, relative to the data root
(``projects/hyperlinkgraph/<name>/host/edges/part-00000-<uuid>-c000.txt.gz``). Vertex ids
are 0..n-1 in the order of the (sorted) vertex lines; edge lines are sorted by from id,
then to id. Either level may also come as a single ``.txt.gz`` or a ``.paths.gz`` list.

A local folder is a release when it holds ``domain/`` or ``host/`` with these names (the
folder ``projects/hyperlinkgraph/<name>/`` of a mirror, or a folder containing it).
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from linkspider.discover.errors import CorruptFileError, ReleaseError
from linkspider.discover.names import LEVELS

DATA_PREFIX = "projects/hyperlinkgraph"
KINDS = ("vertices", "edges", "ranks")
#: Release names as Common Crawl spells them: ``cc-main-2024-feb-apr-may``.
RELEASE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def release_prefix(name: str) -> str:
    """``projects/hyperlinkgraph/<name>``: the release's folder on the data server."""
    return f"{DATA_PREFIX}/{name}"


def file_name(name: str, level: str, kind: str, suffix: str) -> str:
    """``<level>/<name>-<level>-<kind>.<suffix>``, relative to the release folder."""
    return f"{level}/{name}-{level}-{kind}.{suffix}"


def index_files(name: str, level: str) -> tuple[tuple[str, ...], ...]:
    """For each kind, the names it may have (single file first, then its paths list)."""
    return (
        (
            file_name(name, level, "vertices", "txt.gz"),
            file_name(name, level, "vertices", "paths.gz"),
        ),
        (file_name(name, level, "edges", "txt.gz"), file_name(name, level, "edges", "paths.gz")),
        (file_name(name, level, "ranks", "txt.gz"),),
    )


def part_path(name: str, entry: str, listing: str) -> str:
    """A ``*.paths.gz`` entry as a path relative to the release folder (checked)."""
    prefix = release_prefix(name) + "/"
    entry = entry.strip()
    relative = entry[len(prefix) :] if entry.startswith(prefix) else ""
    parts = PurePosixPath(relative).parts
    if not relative or ".." in parts or relative.startswith("/") or len(parts) < 2:
        raise CorruptFileError(f"{listing}: {entry!r} is not a path of release {name}")
    return relative


def read_paths_list(path: Path, name: str) -> list[str]:
    """The part files a ``*.paths.gz`` lists, relative to the release folder."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise CorruptFileError(f"{path} is truncated or corrupt: {exc}", path) from exc
    if not lines:
        raise CorruptFileError(f"{path} lists no files", path)
    return [part_path(name, line, str(path)) for line in lines]


@dataclass(frozen=True)
class LevelFiles:
    """The local files of one level of a release, parts in id order."""

    level: str
    vertices: tuple[Path, ...]
    edges: tuple[Path, ...]
    ranks: Path

    def all(self) -> tuple[Path, ...]:
        return (*self.vertices, *self.edges, self.ranks)


@dataclass(frozen=True)
class Release:
    """A release in a local folder (``root`` holds ``domain/`` and/or ``host/``)."""

    name: str
    root: Path

    def levels(self) -> tuple[str, ...]:
        return tuple(level for level in LEVELS if self._has(level))

    def _has(self, level: str) -> bool:
        vertices, _edges, _ranks = index_files(self.name, level)
        return any((self.root / f).is_file() for f in vertices)

    def files(self, level: str) -> LevelFiles:
        """The level's files; :class:`ReleaseError` naming the first one missing."""
        if level not in LEVELS:
            raise ReleaseError(f"unknown level {level!r}: domain or host")
        found: list[tuple[Path, ...]] = []
        for names in index_files(self.name, level):
            paths = self._resolve(names)
            found.append(paths)
        ranks = found[2][0]
        return LevelFiles(level, found[0], found[1], ranks)

    def _resolve(self, names: tuple[str, ...]) -> tuple[Path, ...]:
        single = self.root / names[0]
        if single.is_file():
            return (single,)
        if len(names) > 1 and (self.root / names[1]).is_file():
            listing = self.root / names[1]
            parts = tuple(self.root / p for p in read_paths_list(listing, self.name))
            missing = [p for p in parts if not p.is_file()]
            if missing:
                raise ReleaseError(
                    f"{self.root}: {len(missing)} file(s) listed in {listing.name} are "
                    f"missing, e.g. {missing[0]}"
                )
            return parts
        wanted = " or ".join(names)
        raise ReleaseError(f"{self.root} is not a complete release {self.name}: no {wanted}")


def open_release_dir(folder: Path) -> Release:
    """The release in ``folder`` (its own folder, or a mirror holding exactly one)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ReleaseError(f"--graph {folder}: no such folder")
    for root in (folder, *_mirror_roots(folder)):
        names = _release_names(root)
        if len(names) == 1:
            return Release(names[0], root.resolve())
        if len(names) > 1:
            raise ReleaseError(f"{root} holds several releases ({', '.join(names)}): give one")
    raise ReleaseError(
        f"{folder} is not a Common Crawl web-graph release: no domain/<name>-domain-vertices"
        ".txt.gz nor host/<name>-host-vertices.paths.gz in it"
    )


def _mirror_roots(folder: Path) -> list[Path]:
    base = folder / DATA_PREFIX
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def _release_names(root: Path) -> list[str]:
    names = set()
    for level in LEVELS:
        pattern = re.compile(rf"^(.+)-{level}-vertices\.(txt|paths)\.gz$")
        folder = root / level
        if folder.is_dir():
            for entry in folder.iterdir():
                match = pattern.match(entry.name)
                if match and entry.is_file():
                    names.add(match.group(1))
    return sorted(names)
