"""The history store: every link that counted, per target set, across runs (SQLite).

One file per target set, ``<history dir>/<slug>-<hash>.sqlite`` (the slug names the first
target, the hash is of the sorted target list), with these tables:

``runs``
    ``seq`` (1, 2, ...), ``run_id`` (the run folder's absolute path), ``started_at``,
    ``recorded_at``, and the run's counts: ``links``, ``new``, ``lost``, ``not_crawled``,
    ``changed``.
``links``
    one row per link identity (``source_url``, ``target_url``, ``anchor``, ``occurrence``)
    with its latest attributes (``source_domain``, ``target``, ``link_index``, ``rel``,
    ``follow``, ``follow_reason``, ``placement``), ``first_seen`` / ``last_seen`` (fetch
    times of the pages it was seen on), ``first_run`` / ``last_run`` (``runs.seq``),
    ``status`` (``active`` or ``lost``), and for lost links ``lost_reason``, ``lost_since``
    (the losing run's ``started_at``) and ``lost_run``.
``links_before_latest``
    ``links`` as it was before the latest run, so that run can be recorded again.
``run_stats``
    per run (``seq``): ``referring_domains`` and ``followed`` (links that pass value) among
    the run's counted links, for the trends (:mod:`linkspider.monitor.trends`). Runs
    recorded by a linkspider without this table have no row: their numbers are unknown.
``run_lost``
    per run and ``lost_reason``: how many links that run lost (``not-crawled`` included).
``meta``
    ``schema_version`` and ``targets``.

Recording a run is one ``BEGIN IMMEDIATE`` transaction: two crawls of the same targets that
finish together are recorded one after the other (the second waits up to the lock
timeout), each compared with the state the other left. Recording the latest run again
(``linkspider export DIR``, a resumed crawl) first restores ``links_before_latest``, so
dates and counts never move twice; an older run is not recorded again.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from linkspider.monitor.compare import Comparison, compare
from linkspider.monitor.runs import KEY, LINK_COLUMNS, RunData
from linkspider.output import utc_now

SCHEMA_VERSION = "1"
_KEY_SQL = ", ".join(KEY)
_LINK_TABLE = f"""(
    source_url TEXT NOT NULL, target_url TEXT NOT NULL, anchor TEXT NOT NULL,
    occurrence INTEGER NOT NULL, source_domain TEXT NOT NULL, target TEXT NOT NULL,
    link_index INTEGER NOT NULL, rel TEXT NOT NULL, follow INTEGER NOT NULL,
    follow_reason TEXT NOT NULL, placement TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    first_run INTEGER NOT NULL, last_run INTEGER NOT NULL,
    status TEXT NOT NULL, lost_reason TEXT, lost_since TEXT, lost_run INTEGER,
    PRIMARY KEY ({_KEY_SQL})
) WITHOUT ROWID"""
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL, recorded_at TEXT NOT NULL, links INTEGER NOT NULL,
        new INTEGER NOT NULL, lost INTEGER NOT NULL, not_crawled INTEGER NOT NULL,
        changed INTEGER NOT NULL)""",
    f"CREATE TABLE IF NOT EXISTS links {_LINK_TABLE}",
    f"CREATE TABLE IF NOT EXISTS links_before_latest {_LINK_TABLE}",
    "CREATE INDEX IF NOT EXISTS links_status ON links (status)",
    """CREATE TABLE IF NOT EXISTS run_stats (
        seq INTEGER PRIMARY KEY, referring_domains INTEGER NOT NULL,
        followed INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS run_lost (
        seq INTEGER NOT NULL, lost_reason TEXT NOT NULL, links INTEGER NOT NULL,
        PRIMARY KEY (seq, lost_reason))""",
]
_MATCH = " AND ".join(f"links.{c} = t.{c}" for c in KEY)


class HistoryError(RuntimeError):
    """The history store cannot be used (locked too long, unreadable, other targets)."""


def history_path(history_dir: Path, targets: str) -> Path:
    """The store file of a target set (``targets`` as :func:`runs.targets_key` gives it)."""
    digest = hashlib.sha256(targets.encode()).hexdigest()[:10]
    if targets == "*":
        slug = "all-external"
    else:
        domains = targets.split(",")
        slug = re.sub(r"[^a-z0-9.-]+", "-", domains[0])[:60]
        if len(domains) > 1:
            slug += f"-and-{len(domains) - 1}-more"
    return history_dir / f"{slug}-{digest}.sqlite"


@dataclass
class Recorded:
    """What recording a run did."""

    status: str  # "recorded", "re-recorded", or "kept" (an older run: store not changed)
    seq: int
    previous: dict[str, Any] | None  # the run compared with: run_id, started_at
    comparison: Comparison | None
    #: The store's ``first_seen`` of the run's links it knows (KEY + ``first_seen``): the
    #: earliest date across runs, which the run's exports show.
    first_seen: pd.DataFrame | None = None


@contextmanager
def _connect(path: Path, timeout: float) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        yield db
    finally:
        db.close()


def _rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Plain Python tuples (SQLite does not take numpy scalars)."""
    return frame[columns].astype(object).itertuples(index=False, name=None)


class HistoryStore:
    """One target set's store file. Settings: ``LINKSPIDER_HISTORY_DIR`` (via options)."""

    def __init__(self, path: Path, targets: str, lock_timeout: float = 60.0) -> None:
        self.path = path
        self.targets = targets
        self.lock_timeout = lock_timeout

    def record(self, run: RunData) -> Recorded:
        """Compare ``run`` with the active links, and record it (one transaction)."""
        run_id = str(run.folder.resolve())
        try:
            with _connect(self.path, self.lock_timeout) as db:
                db.execute("BEGIN IMMEDIATE")  # waits up to lock_timeout for other writers
                try:
                    recorded = self._record(db, run, run_id)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return recorded
        except sqlite3.Error as exc:
            raise HistoryError(f"history store {self.path}: {exc}") from exc

    def _record(self, db: sqlite3.Connection, run: RunData, run_id: str) -> Recorded:
        for statement in _SCHEMA:
            db.execute(statement)
        self._check_meta(db)
        latest = db.execute("SELECT seq, run_id FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
        again = latest is not None and latest[1] == run_id
        if not again and db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
            # A later run exists: the history moved on (its dates still hold).
            return Recorded("kept", 0, None, None, self._first_seen(db, run.links))
        if again:
            db.execute("DELETE FROM links")
            db.execute("INSERT INTO links SELECT * FROM links_before_latest")
            db.execute("DELETE FROM runs WHERE seq = ?", (latest[0],))
            db.execute("DELETE FROM run_stats WHERE seq = ?", (latest[0],))
            db.execute("DELETE FROM run_lost WHERE seq = ?", (latest[0],))
        else:
            db.execute("DELETE FROM links_before_latest")
            db.execute("INSERT INTO links_before_latest SELECT * FROM links")
        previous = db.execute(
            "SELECT run_id, started_at FROM runs ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        result = compare(self.active_links(db), run)
        counts = result.counts()
        cursor = db.execute(
            "INSERT INTO runs (seq, run_id, started_at, recorded_at, links, new, lost,"
            " not_crawled, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (latest[0] if again else None, run_id, run.started_at, utc_now(), len(run.links),
             counts["new"], counts["lost"], counts["not_crawled"], counts["changed"]),
        )  # fmt: skip
        seq = int(cursor.lastrowid or 0)  # recorded again: the same number
        self._record_stats(db, run, result, seq)
        self._apply(db, run, result, seq)
        return Recorded(
            "re-recorded" if again else "recorded",
            seq,
            {"run_id": previous[0], "started_at": previous[1]} if previous else None,
            result,
            self._first_seen(db, run.links),
        )

    @staticmethod
    def _record_stats(db: sqlite3.Connection, run: RunData, result: Comparison, seq: int) -> None:
        """The run's numbers the trends need and ``links`` cannot give back later."""
        links = run.links
        db.execute(
            "INSERT INTO run_stats (seq, referring_domains, followed) VALUES (?, ?, ?)",
            (seq, int(links["source_domain"].nunique()), int(links["follow"].sum())),
        )
        if len(result.lost):
            reasons = result.lost.groupby("lost_reason", sort=True).size()
            db.executemany(
                "INSERT INTO run_lost (seq, lost_reason, links) VALUES (?, ?, ?)",
                [(seq, str(reason), int(n)) for reason, n in reasons.items()],
            )

    @staticmethod
    def _first_seen(db: sqlite3.Connection, links: pd.DataFrame) -> pd.DataFrame:
        """KEY and the store's ``first_seen`` of the ``links`` (KEY columns) it holds."""
        db.execute(f"CREATE TEMP TABLE wanted ({_KEY_SQL}, PRIMARY KEY ({_KEY_SQL}))")
        db.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?)", _rows(links, KEY))
        found = db.execute(
            f"SELECT {', '.join(f't.{c}' for c in KEY)}, links.first_seen "
            f"FROM wanted t JOIN links ON {_MATCH}"
        ).fetchall()
        db.execute("DROP TABLE temp.wanted")
        frame = pd.DataFrame(found, columns=[*KEY, "first_seen"])
        return frame.astype({"occurrence": "int64"})

    def _check_meta(self, db: sqlite3.Connection) -> None:
        stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if not stored:
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("schema_version", SCHEMA_VERSION), ("targets", self.targets)],
            )
            return
        if stored.get("schema_version") != SCHEMA_VERSION:
            raise HistoryError(
                f"history store {self.path} has schema version "
                f"{stored.get('schema_version')!r}; this linkspider writes {SCHEMA_VERSION}"
            )
        if stored.get("targets") != self.targets:
            raise HistoryError(
                f"history store {self.path} is for targets {stored.get('targets')!r}, "
                f"not {self.targets!r}"
            )

    @staticmethod
    def active_links(db: sqlite3.Connection) -> pd.DataFrame:
        """The links that counted at the latest run (LINK_COLUMNS)."""
        columns = ", ".join(LINK_COLUMNS)
        query = f"SELECT {columns} FROM links WHERE status = 'active'"
        frame = pd.DataFrame(db.execute(query).fetchall(), columns=LINK_COLUMNS)
        frame["follow"] = frame["follow"].astype(bool)
        for name in ("occurrence", "link_index"):
            frame[name] = frame[name].astype("int64")
        return frame

    def _apply(self, db: sqlite3.Connection, run: RunData, result: Comparison, seq: int) -> None:
        """Write the run's outcome into ``links``; fill ``result.new``'s ``first_seen``."""
        columns = ", ".join(LINK_COLUMNS)
        marks = ", ".join("?" for _ in LINK_COLUMNS)
        db.execute(f"CREATE TEMP TABLE seen ({columns}, PRIMARY KEY ({_KEY_SQL}))")
        db.executemany(f"INSERT INTO seen ({columns}) VALUES ({marks})",
                       _rows(run.links, LINK_COLUMNS))  # fmt: skip
        updates = ", ".join(
            f"{c} = excluded.{c}"
            for c in LINK_COLUMNS
            if c not in KEY and c not in ("first_seen", "last_seen")
        )
        db.execute(
            f"INSERT INTO links ({columns}, first_run, last_run, status) "
            f"SELECT {columns}, ?, ?, 'active' FROM seen WHERE true "
            f"ON CONFLICT ({_KEY_SQL}) DO UPDATE SET {updates}, "
            "first_seen = min(links.first_seen, excluded.first_seen), "
            "last_seen = max(links.last_seen, excluded.last_seen), last_run = excluded.last_run, "
            "status = 'active', lost_reason = NULL, lost_since = NULL, lost_run = NULL",
            (seq, seq),
        )
        # A changed link (anchor or target URL) keeps the first_seen of its old identity.
        old_key = [f"old_{c}" for c in KEY]
        db.execute(
            f"CREATE TEMP TABLE renamed ({', '.join(old_key)}, {_KEY_SQL}, "
            f"PRIMARY KEY ({_KEY_SQL}))"
        )
        db.executemany(
            f"INSERT INTO renamed VALUES ({', '.join('?' * (2 * len(KEY)))})",
            _rows(result.renamed, old_key + KEY),
        )
        old_match = " AND ".join(f"o.{c} = r.old_{c}" for c in KEY)
        db.execute(
            "UPDATE links SET (first_seen, first_run) = ("
            "SELECT min(links.first_seen, o.first_seen), min(links.first_run, o.first_run) "
            f"FROM renamed r JOIN links o ON {old_match} "
            f"WHERE {' AND '.join(f'r.{c} = links.{c}' for c in KEY)}) "
            f"WHERE ({_KEY_SQL}) IN (SELECT {_KEY_SQL} FROM renamed)"
        )
        db.execute(
            f"DELETE FROM links WHERE ({_KEY_SQL}) IN (SELECT {', '.join(old_key)} FROM renamed)"
        )
        lost = result.lost[result.lost["lost"]]
        db.execute(f"CREATE TEMP TABLE gone ({_KEY_SQL}, reason, PRIMARY KEY ({_KEY_SQL}))")
        db.executemany(
            "INSERT INTO gone VALUES (?, ?, ?, ?, ?)", _rows(lost, [*KEY, "lost_reason"])
        )
        db.execute(
            "UPDATE links SET status = 'lost', lost_since = ?, lost_run = ?, "
            f"lost_reason = (SELECT reason FROM gone t WHERE {_MATCH}) "
            f"WHERE ({_KEY_SQL}) IN (SELECT {_KEY_SQL} FROM gone)",
            (run.started_at, seq),
        )
        # A new link that had counted once before (lost since) keeps its first first_seen.
        known = self._first_seen(db, result.new)
        if len(known):
            first = known.rename(columns={"first_seen": "_first"})
            merged = result.new.merge(first, on=KEY, how="left")
            result.new["first_seen"] = merged["_first"].fillna(merged["first_seen"]).to_numpy()
        for table in ("seen", "renamed", "gone"):
            db.execute(f"DROP TABLE temp.{table}")
