"""Trends over time: per run of a target set, its links, referring domains, new and lost.

The history store (:mod:`linkspider.monitor.history`) keeps one row per run in ``runs``
(counted links, new, lost, not crawled, changed), and in ``run_stats`` / ``run_lost`` the
referring domains, followed links and lost links per ``lost_reason``. :func:`read_trends`
reads them (read-only: a crawl recording at the same time is not disturbed) and
:func:`trend_rows` turns them into the rows that ``linkspider history`` prints and writes as
CSV and that ``report.html`` draws: one function, so the numbers are the same everywhere.

A run recorded by a linkspider without ``run_stats`` has no referring-domain, followed or
lost-reason numbers: they are ``None`` (blank in CSV, ``n/a`` on screen), never 0.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkspider.monitor.reasons import LOST_REASONS, NOT_CRAWLED

#: Columns of ``linkspider history --csv`` (then one ``lost_<reason>`` column per reason).
TREND_COLUMNS = (
    "run", "started_at", "backlinks", "referring_domains", "followed", "new", "lost",
    "net", "not_crawled", "changed", "run_folder",
)  # fmt: skip
#: The lost reasons that are claimed losses, in the vocabulary's order.
CLAIMED_REASONS = tuple(r for r in LOST_REASONS if r != NOT_CRAWLED)


class TrendsError(ValueError):
    """The history store cannot be read as one (missing, not a linkspider store)."""


@dataclass(frozen=True)
class RunTrend:
    """One recorded run. ``None``: not recorded for that run (an older linkspider)."""

    run: int
    started_at: str
    run_folder: str
    backlinks: int  # counted links (on indexable pages), as monitoring counts them
    referring_domains: int | None
    followed: int | None
    new: int
    lost: int  # claimed losses (not-crawled excluded)
    not_crawled: int
    changed: int
    lost_reasons: Mapping[str, int] | None  # claimed reasons and not-crawled

    @property
    def net(self) -> int:
        return self.new - self.lost

    def lost_for(self, reason: str) -> int | None:
        return None if self.lost_reasons is None else self.lost_reasons.get(reason, 0)


@dataclass(frozen=True)
class Trends:
    store: Path
    targets: str
    runs: tuple[RunTrend, ...]
    total_runs: int  # runs in the store (``runs`` may stop at a given run)


def trend_rows(
    runs: Sequence[Sequence[Any]],
    stats: Sequence[Sequence[Any]],
    lost: Sequence[Sequence[Any]],
) -> list[RunTrend]:
    """The runs in order, from the store's rows (pure).

    ``runs``: (seq, started_at, run_id, links, new, lost, not_crawled, changed);
    ``stats``: (seq, referring_domains, followed); ``lost``: (seq, lost_reason, links).
    """
    by_seq = {int(seq): (int(domains), int(followed)) for seq, domains, followed in stats}
    reasons: dict[int, dict[str, int]] = {}
    for seq, reason, links in lost:
        reasons.setdefault(int(seq), {})[str(reason)] = int(links)
    trends = []
    for seq, started, run_id, links, new, lost_n, not_crawled, changed in sorted(
        runs, key=lambda r: int(r[0])
    ):
        known = by_seq.get(int(seq))
        trends.append(
            RunTrend(
                run=int(seq),
                started_at=str(started),
                run_folder=str(run_id),
                backlinks=int(links),
                referring_domains=known[0] if known else None,
                followed=known[1] if known else None,
                new=int(new),
                lost=int(lost_n),
                not_crawled=int(not_crawled),
                changed=int(changed),
                # run_stats and run_lost are written together: no stats row, no reasons
                lost_reasons=reasons.get(int(seq), {}) if known else None,
            )
        )
    return trends


def trend_row(trend: RunTrend) -> dict[str, Any]:
    """One run as a flat row: :data:`TREND_COLUMNS`, then ``lost_<reason>`` per reason."""
    row: dict[str, Any] = {
        "run": trend.run,
        "started_at": trend.started_at,
        "backlinks": trend.backlinks,
        "referring_domains": trend.referring_domains,
        "followed": trend.followed,
        "new": trend.new,
        "lost": trend.lost,
        "net": trend.net,
        "not_crawled": trend.not_crawled,
        "changed": trend.changed,
        "run_folder": trend.run_folder,
    }
    for reason in LOST_REASONS:
        row[lost_column(reason)] = trend.lost_for(reason)
    return row


def lost_column(reason: str) -> str:
    return "lost_" + reason.replace("-", "_")


def csv_columns() -> list[str]:
    return [*TREND_COLUMNS, *(lost_column(r) for r in LOST_REASONS)]


def _fetch(db: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a store from before run_stats / run_lost
        raise


def read_trends(store: Path, up_to: str | None = None) -> Trends:
    """The trends of one history store, read-only; with ``up_to`` (a run folder's absolute
    path, as ``runs.run_id``), only the runs up to that one. :class:`TrendsError` when the
    file is not a readable linkspider history store."""
    if not store.is_file():
        raise TrendsError(f"{store}: no such history store")
    try:
        db = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise TrendsError(f"{store}: cannot open: {exc}") from exc
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        runs = db.execute(
            "SELECT seq, started_at, run_id, links, new, lost, not_crawled, changed FROM runs"
        ).fetchall()
        stats = _fetch(db, "SELECT seq, referring_domains, followed FROM run_stats")
        lost = _fetch(db, "SELECT seq, lost_reason, links FROM run_lost")
    except sqlite3.Error as exc:
        raise TrendsError(f"{store}: not a linkspider history store ({exc})") from exc
    finally:
        db.close()
    trends = trend_rows(runs, stats, lost)
    total = len(trends)
    if up_to is not None:
        last = next((t.run for t in trends if t.run_folder == up_to), None)
        trends = [t for t in trends if last is not None and t.run <= last]
    return Trends(store, str(meta.get("targets", "")), tuple(trends), total)
