"""What earlier runs learned about a release, kept in a small SQLite file per level.

Target vertices, the sources of every edge into a target vertex already scanned for,
names of source ids and ranks already looked up (found or not) are stored, so that a
repeated ``discover`` of the same targets reads no edge file, and ``lookup_ranks`` of
names already seen reads no rank file. The index is bound to the release's files
(path, size, modification time): when they change it starts empty again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from linkspider.discover.edges import IdArray
from linkspider.discover.layout import LevelFiles, Release
from linkspider.discover.ranks import Rank
from linkspider.discover.vertices import Vertices

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS target (key TEXT PRIMARY KEY, vertices TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incoming (target_id INTEGER PRIMARY KEY, sources BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS vertex_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rank (
    name TEXT PRIMARY KEY, found INTEGER NOT NULL, hc_pos INTEGER, hc_val REAL,
    pr_pos INTEGER, pr_val REAL, n_hosts INTEGER
);
"""
_VERSION = "1"


def fingerprint(files: LevelFiles) -> str:
    """Identity of a level's files: paths, sizes and modification times."""
    parts = []
    for path in files.all():
        stat = path.stat()
        parts.append(f"{path.resolve()}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class GraphIndex:
    """The index of one level of one release (a context manager)."""

    def __init__(self, release: Release, files: LevelFiles, cache_dir: Path) -> None:
        where = hashlib.sha256(str(release.root.resolve()).encode()).hexdigest()[:12]
        folder = Path(cache_dir) / "index" / f"{release.name}-{where}"
        self.path: Path | None = folder / f"{files.level}.sqlite"
        self._db = self._open(folder, self.path)
        stamp = f"{_VERSION}:{fingerprint(files)}"
        row = self._db.execute("SELECT value FROM meta WHERE key = 'files'").fetchone()
        if row is None or row[0] != stamp:
            with self._db:
                for table in ("target", "incoming", "vertex_name", "rank", "meta"):
                    self._db.execute(f"DELETE FROM {table}")
                self._db.execute("INSERT INTO meta VALUES ('files', ?)", (stamp,))

    def _open(self, folder: Path, path: Path) -> sqlite3.Connection:
        """The index file; rebuilt if it is not a database; in memory (this run only) if
        the cache cannot be written."""
        for attempt in range(2):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, timeout=60)
                try:
                    db.executescript(_SCHEMA)
                except sqlite3.Error:
                    db.close()
                    raise
                return db
            except sqlite3.DatabaseError:
                if attempt == 0 and path.is_file():
                    with contextlib.suppress(OSError):
                        path.unlink()  # not a database: what it held is lost
                    continue
                break
            except (OSError, sqlite3.Error):
                break
        self.path = None
        db = sqlite3.connect(":memory:")
        db.executescript(_SCHEMA)
        return db

    def __enter__(self) -> GraphIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # target vertices
    def targets(self, keys: Iterable[str]) -> dict[str, Vertices]:
        out: dict[str, Vertices] = {}
        for key in keys:
            row = self._db.execute("SELECT vertices FROM target WHERE key = ?", (key,)).fetchone()
            if row is not None:
                out[key] = [(int(i), str(n)) for i, n in json.loads(row[0])]
        return out

    def store_targets(self, found: Mapping[str, Vertices]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO target VALUES (?, ?)",
                [(key, json.dumps(v)) for key, v in found.items()],
            )

    # incoming edges
    def incoming(self, target_ids: Iterable[int]) -> dict[int, IdArray]:
        out: dict[int, IdArray] = {}
        for tid in target_ids:
            row = self._db.execute(
                "SELECT sources FROM incoming WHERE target_id = ?", (tid,)
            ).fetchone()
            if row is not None:
                out[tid] = np.frombuffer(row[0], dtype="<i8").astype(np.int64)
        return out

    def store_incoming(self, sources: Mapping[int, IdArray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO incoming VALUES (?, ?)",
                [(tid, arr.astype("<i8").tobytes()) for tid, arr in sources.items()],
            )

    # vertex names
    def names(self, ids: Iterable[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for vid in ids:
            row = self._db.execute("SELECT name FROM vertex_name WHERE id = ?", (vid,)).fetchone()
            if row is not None:
                out[vid] = str(row[0])
        return out

    def store_names(self, names: Mapping[int, str]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vertex_name VALUES (?, ?)", names.items())

    # ranks
    def ranks(self, names: Iterable[str]) -> tuple[dict[str, Rank], set[str]]:
        """``(ranks found, names known to be absent)`` among ``names`` (reversed)."""
        found: dict[str, Rank] = {}
        absent: set[str] = set()
        for name in names:
            row = self._db.execute(
                "SELECT found, hc_pos, hc_val, pr_pos, pr_val, n_hosts FROM rank WHERE name = ?",
                (name,),
            ).fetchone()
            if row is None:
                continue
            if row[0]:
                found[name] = Rank(row[1], row[2], row[3], row[4], row[5])
            else:
                absent.add(name)
        return found, absent

    def store_ranks(self, found: Mapping[str, Rank], absent: Iterable[str]) -> None:
        rows = [
            (n, 1, r.harmonic_pos, r.harmonic_val, r.pagerank_pos, r.pagerank_val, r.n_hosts)
            for n, r in found.items()
        ]
        rows += [(n, 0, None, None, None, None, None) for n in absent]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO rank VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
