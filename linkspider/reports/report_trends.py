"""The "Trends" section of ``report.html``: the target set's runs over time.

Drawn from the history store that ``monitoring.json`` names, up to the run of the report's
folder (a rebuilt report of an older run shows that run's past, not later runs), with the
numbers of :func:`linkspider.monitor.trends.trend_rows`, the ones ``linkspider history``
prints. No history (``LINKSPIDER_HISTORY=false``, ``linkspider diff`` folders): no section.
"""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import Markup

from linkspider.monitor.step import MONITORING_JSON
from linkspider.monitor.trends import CLAIMED_REASONS, RunTrend, TrendsError, read_trends
from linkspider.reports import svg
from linkspider.reports.html_table import Column, TableView, chart, num, render, table_view

#: Runs drawn in the charts (the latest ones); the CSV of ``linkspider history`` has all.
CHART_RUNS = 30
UNKNOWN_REASON = "reason not recorded"
VELOCITY_CAPTION = (
    "Link velocity: new links up, lost links down (from the second run: the first run "
    "finds every link new)"
)
#: One colour per lost reason, the same in every report.
REASON_COLOURS = {
    **dict(zip(CLAIMED_REASONS, svg.PALETTE, strict=False)),
    UNKNOWN_REASON: svg.EMPTY_COLOUR,
}
LOST_CAPTION = "Lost links by reason (links on pages this run did not crawl are not lost)"


def _store(folder: Path) -> Path | None:
    try:
        info = json.loads((folder / MONITORING_JSON).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    store = info.get("history") if isinstance(info, dict) else None
    if not isinstance(store, str) or info.get("status") not in ("recorded", "re-recorded", "kept"):
        return None
    return Path(store)


def _labels(runs: list[RunTrend]) -> list[str]:
    """The runs' dates; with their times ("03-01 12:35") when two runs share a day."""
    days = [t.started_at[:10] for t in runs]
    if len(set(days)) < len(days):
        return [f"{t.started_at[5:10]} {t.started_at[11:16]}".strip() or f"run {t.run}"
                for t in runs]  # fmt: skip
    return [day or f"run {t.run}" for day, t in zip(days, runs, strict=True)]


def trends_section(folder: Path, top_n: int) -> Markup:
    """The section's body; empty when the folder's run is in no history store."""
    store = _store(folder)
    if store is None:
        return Markup()
    try:
        trends = read_trends(store, up_to=str(folder.resolve()))
    except TrendsError as exc:
        return render("sections/trends.html.j2", error=str(exc))
    runs = list(trends.runs)
    if not runs:
        return Markup()
    data: dict[str, object] = {
        "runs": len(runs),
        "store": store.name,
        "first": len(runs) < 2,
        "listed": _runs_table(runs[::-1][:top_n]),
    }
    if len(runs) < 2:
        return render("sections/trends.html.j2", **data)
    shown = runs[-CHART_RUNS:]
    labels = _labels(shown)
    cut = len(shown) < len(runs)
    data["which"] = f"last {len(shown)} of {len(runs)} runs" if cut else "per run"
    data["domains"] = chart(svg.line_chart(
        labels, [("referring domains", [t.referring_domains for t in shown])],
        "Referring domains per run", "referring domains", (svg.PALETTE[0],),
    ))  # fmt: skip
    data["links"] = chart(svg.line_chart(
        labels,
        [("backlinks", [t.backlinks for t in shown]), ("followed", [t.followed for t in shown])],
        "Backlinks and followed backlinks per run", "backlinks",
        (svg.PALETTE[2], svg.PALETTE[1]),
    ))  # fmt: skip
    # The store's first run finds every link new: it is the baseline, not link velocity.
    moved = [t for t in shown if t is not runs[0]]
    moved_labels = labels[len(shown) - len(moved) :]
    data["velocity"] = chart(svg.column_chart(
        moved_labels,
        [("new", [t.new for t in moved])],
        "New and lost links per run", "links",
        down=[("lost", [t.lost for t in moved])],
        colours=(svg.PALETTE[2], svg.PALETTE[5]),
    ))  # fmt: skip
    reasons = _reason_series(moved)
    data["lost"] = chart(svg.column_chart(
        moved_labels, reasons, "Lost links by reason per run", "links",
        colours=[REASON_COLOURS[name] for name, _ in reasons],
    ))  # fmt: skip
    data["gaps"] = any(t.referring_domains is None for t in shown)
    data["velocity_caption"] = VELOCITY_CAPTION
    data["lost_caption"] = LOST_CAPTION
    return render("sections/trends.html.j2", **data)


def _reason_series(runs: list[RunTrend]) -> list[tuple[str, list[float]]]:
    """Per claimed lost reason that occurs, its links per run; runs without reasons give
    their lost links as :data:`UNKNOWN_REASON`."""
    series: list[tuple[str, list[float]]] = []
    for reason in CLAIMED_REASONS:
        values = [float(t.lost_for(reason) or 0) for t in runs]
        if any(values):
            series.append((reason, values))
    unknown = [float(t.lost) if t.lost_reasons is None else 0.0 for t in runs]
    if any(unknown):
        series.append((UNKNOWN_REASON, unknown))
    return series


def _runs_table(runs: list[RunTrend]) -> TableView:
    def opt(value: int | None) -> str:
        return "n/a" if value is None else f"{value:,}"

    rows = [
        {
            "run": t.run, "started_at": t.started_at, "backlinks": t.backlinks,
            "referring_domains": opt(t.referring_domains), "followed": opt(t.followed),
            "new": t.new, "lost": t.lost, "net": f"{t.net:+,}", "not_crawled": t.not_crawled,
            "changed": t.changed,
        }
        for t in runs
    ]  # fmt: skip
    return table_view(
        [
            num("run", "run"),
            Column("started_at", "started"),
            num("backlinks", "backlinks"),
            Column("referring_domains", "referring domains", numeric=True),
            Column("followed", "followed", numeric=True),
            num("new", "new"),
            num("lost", "lost"),
            Column("net", "net", numeric=True),
            num("not_crawled", "not crawled"),
            num("changed", "changed"),
        ],
        rows,
    )
