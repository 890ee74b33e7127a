"""report.html: open authority of the referring domains, and the discovered candidates.

* In *Referring domains*: with a release (``authority.json``), a chart of the referring
  domains by band of their Common Crawl harmonic-centrality rank and the most central
  ones first (ascending rank, read from ``referring_domains.csv`` in batches); without
  one, a line saying how to get it; when the lookup failed, why.
* *Discovered candidates* (``candidates_status.csv``, with ``-a discover``): counts per
  status and the candidates, most central first.

The rank is named for what it is, an open rank from Common Crawl's graph where lower is
more central; never a "domain rating".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from linkspider.discover.names import display_name
from linkspider.reports import svg
from linkspider.reports.authority import RANK_BANDS, RANK_NAME, RANK_NOTE, band_labels, rank_band
from linkspider.reports.authority_source import read_authority_info
from linkspider.reports.candidates import LABELS, STATUS_FILE, STATUSES
from linkspider.reports.html_table import Column, Row, chart, fmt_num, num, render, table_view
from linkspider.reports.report_data import csv_batches, csv_columns

RANK = "source_authority_rank"
DOMAIN_COLUMNS = [
    "source_domain", RANK, "source_authority_value", "source_pagerank_rank", "backlinks",
    "dofollow", "content_backlinks",
]  # fmt: skip
STATUS_COLOURS = {"verified": "#009E73", "no-link-found-within-budget": "#E69F00",
                  "unreachable": "#D55E00", "not-crawled": "#7F7F7F"}  # fmt: skip


def _ranks(text: pa.ChunkedArray) -> pa.Array:
    """Rank text to int64, blank or junk as null."""
    trimmed = pc.utf8_trim_whitespace(text)
    ok = pc.match_substring_regex(trimmed, r"^[0-9]+$")
    return pc.if_else(ok, pc.cast(pc.if_else(ok, trimmed, "0"), pa.int64()), None)


def rank_cell(value: object) -> str:
    """A rank with thousands separators; empty (not 0) when there is none."""
    text = "" if value is None else str(value).strip()
    return f"{int(text):,}" if text.isdigit() else ""


def rank_column(key: str, label: str) -> Column:
    return Column(key, label, rank_cell, numeric=True)


def ranked_rows(path: Path, n: int) -> tuple[list[Row], Counter[str]]:
    """The ``n`` most central rows (ascending rank) and the rows per rank band."""
    bands: Counter[str] = Counter()
    if RANK not in csv_columns(path):
        return [], bands
    best: pa.Table | None = None
    for table_ in csv_batches(path, DOMAIN_COLUMNS):
        ranks = _ranks(table_.column(RANK))
        for label in [rank_band(v) for v in ranks.to_pylist()]:
            bands[label] += 1
        table_ = table_.append_column("_rank", ranks).filter(pc.is_valid(ranks))
        if best is not None:
            table_ = pa.concat_tables([best, table_])
        best = table_.sort_by([("_rank", "ascending")]).slice(0, n)
    rows: list[Row] = best.drop_columns(["_rank"]).to_pylist() if best is not None else []
    return rows, bands


def authority_block(folder: Path, top_n: int) -> Markup:
    """The open-authority part of the *Referring domains* section."""
    info = read_authority_info(folder)
    if not info:
        return render("sections/authority.html.j2", state="none", rank_name=RANK_NAME)
    if info.get("error"):
        return render(
            "sections/authority.html.j2",
            state="error",
            rank_name=RANK_NAME,
            source=str(info.get("source")),
            error=str(info.get("error")),
        )
    rows, bands = ranked_rows(folder / "referring_domains.csv", top_n)
    for row in rows:
        row["source_domain"] = display_name(str(row["source_domain"]))
    drawn = svg.bar_chart(
        [(label, bands.get(label, 0)) for label in band_labels()],
        f"Referring domains by {RANK_NAME}",
        "referring domains",
        svg.PALETTE[1],
    )
    listing = table_view(
        [
            Column("source_domain", "domain", wide=True),
            rank_column(RANK, "CC harmonic-centrality rank"),
            Column("source_authority_value", "harmonic centrality", numeric=True),
            rank_column("source_pagerank_rank", "CC PageRank rank"),
            num("backlinks", "backlinks"),
            num("dofollow", "followed"),
            num("content_backlinks", "in content"),
        ],
        rows,
    )
    return render(
        "sections/authority.html.j2",
        state="ranked",
        rank_name=RANK_NAME,
        rank_note=RANK_NOTE,
        release=str(info.get("release")),
        ranked=sum(n for label, n in bands.items() if label != band_labels()[-1]),
        total=sum(bands.values()),
        top_band=RANK_BANDS[-1][0],
        chart=chart(drawn),
        listing=listing,
    )


def candidates_section(folder: Path, top_n: int) -> Markup:
    """The *Discovered candidates* section (empty for a crawl without ``-a discover``)."""
    path = folder / STATUS_FILE
    names = csv_columns(path)
    if not names:
        return Markup()
    counts: Counter[str] = Counter()
    shown: list[Row] = []
    release = level = ""
    for batch in csv_batches(path):
        for row in batch.to_pylist():
            counts[row["status"]] += 1
            release = release or str(row.get("release") or "")
            level = level or str(row.get("level") or "")
            if len(shown) < top_n:
                row["name"] = display_name(str(row["name"]))
                row["status"] = LABELS.get(row["status"], row["status"])
                shown.append(row)
    total = sum(counts.values())
    if not total:
        return render("sections/candidates.html.j2", total=total)
    drawn = svg.bar_chart(
        [(LABELS[s], counts.get(s, 0)) for s in STATUSES if counts.get(s, 0) or s != STATUSES[-1]],
        "Discovered candidates by status",
        "candidates",
        STATUS_COLOURS["verified"],
    )
    listing = table_view(
        [
            Column("name", "candidate", wide=True),
            Column("status", "status"),
            Column("detail", "detail", wide=True),
            rank_column(RANK, "CC harmonic-centrality rank"),
            num("backlinks", "backlinks"),
            num("pages_crawled", "pages crawled"),
            Column("graph_targets", "links to (graph)"),
        ],
        shown,
    )
    return render(
        "sections/candidates.html.j2",
        total=total,
        level=level,
        release=release,
        summary=", ".join(f"{fmt_num(counts[s])} {LABELS[s]}" for s in STATUSES if counts.get(s)),
        chart=chart(drawn),
        heading=f"First {len(shown):,} of {total:,}" if len(shown) < total else "All candidates",
        listing=listing,
    )


def domain_ranks(path: Path, domains: Iterable[str]) -> dict[str, int]:
    """``source_domain`` -> harmonic-centrality rank, for ``domains`` that have one."""
    wanted = set(domains)
    found: dict[str, int] = {}
    if not wanted or RANK not in csv_columns(path):
        return found
    for batch in csv_batches(path, ["source_domain", RANK]):
        ranks = _ranks(batch.column(RANK)).to_pylist()
        for domain, rank in zip(batch.column("source_domain").to_pylist(), ranks, strict=True):
            if domain in wanted and rank is not None:
                found[domain] = int(rank)
    return found
