"""Audit blocks of ``report.html``: referring domains by TLD and language, target pages with
their URL variants and folders, and (``targets=*``) the linked domains.

They read the files :mod:`linkspider.reports.aggregates` writes (``referring_domains.csv``
columns ``tld`` and ``language``, ``target_page_groups.csv``, ``target_folders.csv``,
``linked_domains.csv``), streamed, top rows only; a file that is missing (an older run
folder) leaves its block out.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from markupsafe import Markup

from linkspider.extract.placement import POSITIONS
from linkspider.reports import svg
from linkspider.reports.aggregates import LINKED_DOMAINS_FILE
from linkspider.reports.html_table import Column, as_int, chart, num, render, table_view, url_cell
from linkspider.reports.report_data import count_by, csv_columns, top_rows

CHART_ROWS = 10
POSITION_LABELS = {"first-paragraph": "first paragraph", "upper-half": "upper half",
                   "lower-half": "lower half", "": "not measured"}  # fmt: skip


def domain_mix_block(folder: Path) -> Markup:
    """Referring domains by TLD and by language (two bar charts)."""
    path = folder / "referring_domains.csv"
    if not {"tld", "language"} <= set(csv_columns(path)):
        return Markup()
    _, by_tld = count_by(path, "tld")
    _, by_language = count_by(path, "language")
    if not by_tld:
        return Markup()
    tld = svg.bar_chart(
        [(f".{k}" if k != "(blank)" else "(IP address)", n) for k, n in by_tld[:CHART_ROWS]],
        "Referring domains by top-level domain", "domains", svg.PALETTE[4],
    )  # fmt: skip
    language = svg.bar_chart(
        [(k if k != "(blank)" else "(not declared)", n) for k, n in by_language[:CHART_ROWS]],
        "Referring domains by language of their linking pages", "domains", svg.PALETTE[3],
    )  # fmt: skip
    top_tld = ", ".join(f".{k} {n}" for k, n in by_tld[:3] if k != "(blank)")
    top_language = ", ".join(f"{k} {n}" for k, n in by_language[:3] if k != "(blank)")
    return render(
        "sections/domain_mix.html.j2",
        summary=f"Referring domains by TLD ({top_tld or 'none'}) and language "
        f"({top_language or 'none declared'})",
        tld=chart(tld),
        tlds=len(by_tld),
        language=chart(language),
        languages=len(by_language),
    )


def target_groups_block(folder: Path, top_n: int) -> Markup:
    """Target pages with their URL variants together, and by folder (collapsed)."""
    data: dict[str, object] = {"groups": None, "folders": None}
    groups = folder / "target_page_groups.csv"
    if csv_columns(groups):
        rows = top_rows(groups, ["referring_domains", "backlinks"], top_n)
        data["merged"] = sum(1 for r in rows if as_int(r.get("variants")) > 1)
        data["groups"] = table_view(
            [
                Column("url_group", "page (all variants)", wide=True),
                num("variants", "variants"),
                num("referring_domains", "referring domains"),
                num("backlinks", "backlinks"),
                num("dofollow", "followed"),
                Column("top_variant", "most linked variant", url_cell, wide=True),
            ],
            rows,
        )
    folders = folder / "target_folders.csv"
    if csv_columns(folders):
        rows = top_rows(folders, ["referring_domains", "backlinks"], top_n)
        data["chart"] = chart(
            svg.bar_chart(
                [(str(r["folder"]), as_int(r.get("referring_domains")))
                 for r in rows[:CHART_ROWS]],
                "Folders of your site by referring domains", "referring domains",
                svg.PALETTE[2],
            )
        )  # fmt: skip
        data["folders"] = table_view(
            [
                Column("folder", "folder", wide=True),
                num("target_pages", "pages"),
                num("referring_domains", "referring domains"),
                num("backlinks", "backlinks"),
                num("dofollow", "followed"),
                num("content_backlinks", "in content"),
            ],
            rows,
        )
    return render("sections/target_groups.html.j2", **data)


def linked_domains_section(folder: Path, top_n: int) -> Markup:
    """The outlink graph's summary (``targets=*``); empty without ``linked_domains.csv``."""
    path = folder / LINKED_DOMAINS_FILE
    if not csv_columns(path):
        return Markup()
    total, _ = count_by(path, "")
    if not total:
        return render("sections/linked_domains.html.j2", total=total)
    rows = top_rows(path, ["referring_domains", "backlinks"], top_n)
    drawn = svg.bar_chart(
        [(str(r["target"]), as_int(r.get("referring_domains"))) for r in rows[:CHART_ROWS]],
        "Most linked domains by referring domains", "referring domains", svg.PALETTE[0],
    )  # fmt: skip
    listing = table_view(
        [
            Column("target", "linked domain", wide=True),
            num("referring_domains", "referring domains"),
            num("linking_pages", "linking pages"),
            num("backlinks", "links"),
            num("target_pages", "pages linked"),
            num("dofollow", "followed"),
            num("content_backlinks", "in content"),
        ],
        rows,
    )
    return render(
        "sections/linked_domains.html.j2",
        total=total,
        file_name=LINKED_DOMAINS_FILE,
        chart=chart(drawn),
        shown=f"top {len(rows)} of {total:,}" if len(rows) < total else f"all {total:,}",
        listing=listing,
    )


def position_counts(parquet: Path) -> list[tuple[str, int, int]]:
    """Content links per ``position``: (position, links, followed), in reading order;
    [] when the table has no ``position`` column (an older run)."""
    if not parquet.exists():
        return []
    source = pq.ParquetFile(parquet)
    if not {"position", "in_content", "follow"} <= set(source.schema_arrow.names):
        return []
    counts = {p: [0, 0] for p in (*POSITIONS, "")}
    for batch in source.iter_batches(columns=["position", "in_content", "follow"]):
        table = pa.Table.from_batches([batch])
        table = table.filter(pc.fill_null(table.column("in_content"), False))
        grouped = table.group_by("position").aggregate([("position", "count"), ("follow", "sum")])
        for value, n, followed in zip(*(grouped.column(c).to_pylist() for c in
                                        ("position", "position_count", "follow_sum")),
                                      strict=True):  # fmt: skip
            count = counts.setdefault(value or "", [0, 0])
            count[0] += n
            count[1] += followed or 0
    return [(p, n, f) for p, (n, f) in counts.items()]


def position_block(folder: Path) -> Markup:
    """Content links by where they sit in the main content."""
    counts = position_counts(folder / "backlinks.parquet")
    if not sum(n for _, n, _ in counts):
        return Markup()
    labels = [POSITION_LABELS.get(p, p) for p, _, _ in counts]
    drawn = svg.stacked_bar_chart(
        labels,
        [("followed", [f for _, _, f in counts]), ("not followed", [n - f for _, n, f in counts])],
        "Content links by position in the main text", "backlinks", ("#0072B2", "#E69F00"),
    )  # fmt: skip
    shown = ", ".join(f"{n:,} {POSITION_LABELS.get(p, p)}" for p, n, _ in counts if n)
    return render("sections/positions.html.j2", chart=chart(drawn), shown=shown)
