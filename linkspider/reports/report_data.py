"""Read a run folder into the small summaries ``report.html`` and the disavow list need.

Everything comes from the files in the folder (so ``linkspider export DIR`` gives the same
report): the backlink Parquet file is read batch by batch with only the columns needed, and
each summary is an Arrow group-by whose partial results are merged as it goes, so memory
grows with the number of distinct groups (domains, anchors, placements), never with rows.
CSV files are streamed too; tables keep their top rows only. Missing files and columns
(older run folders, files another step did not write) are skipped, never fatal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from linkspider.engines.headers import column_names
from linkspider.engines.spreadsheet import raw_array
from linkspider.reports.risk import (
    CHROME_PLACEMENTS,
    EVIDENCE_ROWS,
    AnchorUse,
    DomainLinks,
    LinkGroup,
    NonIndexableLinks,
    ReportRules,
    RiskInput,
    TargetAnchors,
)

BATCH_ROWS = 131_072
#: Rows of a summary kept for evidence when only the largest matter.
KEPT_ROWS = 100
#: Columns read from the backlink table, with the value used when a file lacks one.
LINK_COLUMNS: dict[str, Any] = {
    "source_domain": "",
    "source_url": "",
    "target": "",
    "target_url": "",
    "anchor_text": "",
    "image_alt": "",
    "link_type": "text",
    "anchor_category": "other",
    "placement": "",
    "follow": True,
    "sitewide": False,
    "source_indexable": True,
    "source_index_reason": "",
}
Row = dict[str, Any]


class GroupSums:
    """Group-by over many batches: per key, the sum or min of some columns.

    Partial results are kept per batch and merged again (sums of sums, min of mins) when
    they grow, so memory follows the number of distinct keys.
    """

    def __init__(
        self, keys: Sequence[str], sums: Sequence[str] = (), mins: Sequence[str] = ()
    ) -> None:
        self.keys = list(keys)
        self.sums = ["_n", *sums]
        self.mins = list(mins)
        self.parts: list[pa.Table] = []
        self.pending = 0
        self.merged_rows = 0

    def _group(self, table: pa.Table) -> pa.Table:
        aggs = [(c, "sum") for c in self.sums] + [(c, "min") for c in self.mins]
        out = table.group_by(self.keys, use_threads=False).aggregate(aggs)
        columns = {k: out.column(k) for k in self.keys}
        columns |= {c: out.column(f"{c}_sum") for c in self.sums}
        columns |= {c: out.column(f"{c}_min") for c in self.mins}
        return pa.table(columns)

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        part = self._group(table.select([*self.keys, *self.sums, *self.mins]))
        self.parts.append(part)
        self.pending += part.num_rows
        if self.pending > max(2 * self.merged_rows, BATCH_ROWS):
            self._merge()

    def _merge(self) -> None:
        merged = self._group(pa.concat_tables(self.parts)) if self.parts else None
        self.parts = [merged] if merged is not None else []
        self.merged_rows = self.pending = merged.num_rows if merged is not None else 0

    def table(self) -> pa.Table | None:
        self._merge()
        return self.parts[0] if self.parts else None

    def rows(self, top: int | None = None, by: str = "_n") -> list[Row]:
        """The groups as dicts; with ``top``, only the ``top`` largest by ``by``."""
        table = self.table()
        if table is None:
            return []
        if top is not None:
            table = table.sort_by([(by, "descending")]).slice(0, top)
        rows: list[Row] = table.to_pylist()
        return rows


@dataclass
class LinkSummary:
    backlinks: int = 0
    followed: int = 0
    content: int = 0
    sitewide: int = 0
    nonindexable: int = 0
    risky: int = 0
    placements: list[Row] = field(default_factory=list)  # placement, _n, followed
    targets: list[TargetAnchors] = field(default_factory=list)
    domains: list[DomainLinks] = field(default_factory=list)
    sitewide_money: list[LinkGroup] = field(default_factory=list)
    nonindexable_rows: list[NonIndexableLinks] = field(default_factory=list)
    target_status: list[Row] = field(default_factory=list)  # target_status, _n


def _int(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.cast(array, pa.int64())


def _link_batches(parquet: Path, extra: Sequence[str]) -> Iterator[pa.Table]:
    source = pq.ParquetFile(parquet)
    present = set(source.schema_arrow.names)
    columns = [c for c in [*LINK_COLUMNS, *extra] if c in present]
    for batch in source.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        table = pa.Table.from_batches([batch])
        for name, default in LINK_COLUMNS.items():
            if name not in present:
                table = table.append_column(name, pa.repeat(default, table.num_rows))
        yield table


def summarise_links(parquet: Path, rules: ReportRules) -> LinkSummary:
    """One streaming pass over ``backlinks.parquet``."""
    summary = LinkSummary()
    if not parquet.exists():
        return summary
    has_status = "target_status" in pq.ParquetFile(parquet).schema_arrow.names
    money_set = pa.array(list(rules.money_categories), pa.string())
    chrome_set = pa.array(list(CHROME_PLACEMENTS), pa.string())
    placements = GroupSums(["placement"], ["followed"])
    profile = GroupSums(["target", "source_domain", "money"])
    money_anchors = GroupSums(["target", "anchor_key", "anchor_category", "source_domain"],
                              mins=["anchor"])  # fmt: skip
    domains = GroupSums(
        ["source_domain"], ["followed", "content", "sitewide_n", "followed_content", "risky"]
    )
    groups = GroupSums(["source_domain", "target_url", "anchor", "anchor_category", "placement"],
                       mins=["source_url"])  # fmt: skip
    nonindexable = GroupSums(["source_index_reason", "source_domain"], ["followed"],
                             mins=["source_url"])  # fmt: skip
    statuses = GroupSums(["target_status"])
    for table in _link_batches(parquet, ["target_status"] if has_status else []):
        n = table.num_rows
        follow = pc.fill_null(table.column("follow"), True)
        content = pc.equal(table.column("placement"), "content")
        sitewide = pc.fill_null(table.column("sitewide"), False)
        money = pc.is_in(table.column("anchor_category"), value_set=money_set)
        chrome = pc.is_in(table.column("placement"), value_set=chrome_set)
        risky = pc.and_(pc.and_(follow, sitewide), pc.and_(chrome, money))
        image = pc.equal(table.column("link_type"), "image")
        anchor = pc.if_else(image, table.column("image_alt"), table.column("anchor_text"))
        indexable = pc.fill_null(table.column("source_indexable"), True)
        derived = {
            "_n": pa.repeat(pa.scalar(1, pa.int64()), n),
            "followed": _int(follow),
            "content": _int(content),
            "sitewide_n": _int(sitewide),
            "followed_content": _int(pc.and_(follow, content)),
            "risky": _int(risky),
            "money": money,
            "anchor": anchor,
            "anchor_key": pc.utf8_lower(anchor),
        }
        for name, values in derived.items():
            table = table.append_column(name, values)
        summary.backlinks += n
        summary.followed += pc.sum(table.column("followed")).as_py() or 0
        summary.content += pc.sum(table.column("content")).as_py() or 0
        summary.sitewide += pc.sum(table.column("sitewide_n")).as_py() or 0
        summary.risky += pc.sum(table.column("risky")).as_py() or 0
        summary.nonindexable += n - (pc.sum(_int(indexable)).as_py() or 0)
        placements.add(table)
        profile.add(table)
        money_anchors.add(table.filter(money))
        domains.add(table)
        groups.add(table.filter(risky))
        nonindexable.add(table.filter(pc.invert(indexable)))
        if has_status:
            statuses.add(table)
    summary.placements = sorted(placements.rows(), key=lambda r: (-r["_n"], r["placement"]))
    summary.targets = _target_anchors(profile.table(), money_anchors.table(), EVIDENCE_ROWS)
    summary.domains = [
        DomainLinks(
            domain=r["source_domain"],
            backlinks=r["_n"],
            followed=r["followed"],
            content=r["content"],
            sitewide=r["sitewide_n"],
            followed_content=r["followed_content"],
            risky=r["risky"],
        )
        for r in _domain_rows(domains)
    ]
    summary.sitewide_money = [
        LinkGroup(
            domain=r["source_domain"],
            target_url=r["target_url"],
            anchor=r["anchor"],
            category=r["anchor_category"],
            placement=r["placement"],
            links=r["_n"],
            example_url=r["source_url"],
        )
        for r in groups.rows()
    ]
    summary.nonindexable_rows = [
        NonIndexableLinks(
            reason=r["source_index_reason"] or "unknown",
            domain=r["source_domain"],
            links=r["_n"],
            followed=r["followed"],
            example_url=r["source_url"],
        )
        for r in nonindexable.rows(top=KEPT_ROWS)
    ]
    summary.target_status = sorted(statuses.rows(), key=lambda r: -r["_n"]) if has_status else []
    return summary


def _target_anchors(
    profile: pa.Table | None, money_rows: pa.Table | None, top: int
) -> list[TargetAnchors]:
    """Per target: referring domains, those with a money anchor, its top money anchors."""
    if profile is None:
        return []
    domains = profile.group_by("target").aggregate([("source_domain", "count_distinct")])
    money = profile.filter(pc.field("money"))
    money_domains = money.group_by("target").aggregate([("source_domain", "count_distinct")])
    with_money = dict(
        zip(
            money_domains.column("target").to_pylist(),
            money_domains.column("source_domain_count_distinct").to_pylist(),
            strict=True,
        )
    )
    anchors: dict[str, list[AnchorUse]] = defaultdict(list)
    if money_rows is not None:
        per_anchor = money_rows.group_by(["target", "anchor_key", "anchor_category"]).aggregate(
            [("source_domain", "count"), ("_n", "sum"), ("anchor", "min")]
        )
        per_anchor = per_anchor.sort_by(
            [
                ("source_domain_count", "descending"),
                ("_n_sum", "descending"),
                ("anchor_min", "ascending"),
            ]
        )
        for r in per_anchor.to_batches(max_chunksize=BATCH_ROWS):
            for row in r.to_pylist():
                kept = anchors[row["target"]]
                if len(kept) < top:
                    kept.append(
                        AnchorUse(row["anchor_min"], row["anchor_category"],
                                  row["source_domain_count"], row["_n_sum"])
                    )  # fmt: skip
    return [
        TargetAnchors(
            target=target,
            referring_domains=n,
            money_domains=with_money.get(target, 0),
            anchors=tuple(anchors[target]),
        )
        for target, n in sorted(
            zip(
                domains.column("target").to_pylist(),
                domains.column("source_domain_count_distinct").to_pylist(),
                strict=True,
            )
        )
    ]


def _domain_rows(domains: GroupSums) -> list[Row]:
    """The largest domains (for the concentration rule) and every one with a sitewide
    money link (for the disavow rules): not all of them."""
    table = domains.table()
    if table is None:
        return []
    largest = table.sort_by([("_n", "descending")]).slice(0, KEPT_ROWS)
    risky = table.filter(pc.greater(table.column("risky"), 0))
    rows: dict[str, Row] = {r["source_domain"]: r for r in largest.to_pylist()}
    for batch in risky.to_batches(max_chunksize=BATCH_ROWS):
        rows.update((r["source_domain"], r) for r in batch.to_pylist())
    return list(rows.values())


def risk_input(links: LinkSummary, referring_domains: int) -> RiskInput:
    return RiskInput(
        backlinks=links.backlinks,
        referring_domains=referring_domains,
        targets=tuple(links.targets),
        domains=tuple(links.domains),
        sitewide_money=tuple(links.sitewide_money),
        nonindexable=tuple(links.nonindexable_rows),
        nonindexable_links=links.nonindexable,
    )


# --- CSV files ---------------------------------------------------------------------------


def csv_columns(path: Path) -> list[str]:
    """The columns of a CSV file (empty when the file is missing or empty), whichever
    header names it was written with (``LINKSPIDER_EXPORT_HEADERS``)."""
    return column_names(path.name, _csv_header(path))


def _csv_header(path: Path) -> list[str]:
    """The header of a CSV file as written (a BOM is skipped)."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    options = pa_csv.ReadOptions(block_size=1 << 16)
    try:
        reader = pa_csv.open_csv(
            str(path),
            read_options=options,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={}),
        )
    except pa.ArrowInvalid:
        return []
    names: list[str] = reader.schema.names
    return names


def csv_batches(path: Path, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
    """A CSV file as tables of strings (every column text: no type guessing per block),
    named by :func:`csv_columns`, with the raw text (no ``'`` against formulas)."""
    written = _csv_header(path)
    if not written:
        return
    names = dict(zip(column_names(path.name, written), written, strict=True))
    wanted = [c for c in (columns if columns is not None else names) if c in names]
    if not wanted:
        return
    reader = pa_csv.open_csv(
        str(path),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in written},
            include_columns=[names[c] for c in wanted],
            strings_can_be_null=False,
        ),
    )
    for batch in reader:
        yield pa.table([raw_array(batch.column(i)) for i in range(len(wanted))], names=wanted)


def _number_column(array: pa.ChunkedArray) -> pa.Array:
    """Text to float, blanks and junk as 0."""
    text = pc.utf8_trim_whitespace(array)
    ok = pc.match_substring_regex(text, r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$")
    return pc.if_else(ok, pc.cast(pc.if_else(ok, text, "0"), pa.float64()), 0.0)


def top_rows(
    path: Path, order: Sequence[str], n: int, columns: Sequence[str] | None = None
) -> list[Row]:
    """The ``n`` rows with the largest ``order`` values (numeric, first key first).

    Rows tie-break on their original order. Values stay text.
    """
    names = csv_columns(path)
    keys = [c for c in order if c in names]
    best: pa.Table | None = None
    offset = 0
    for table in csv_batches(path, None if columns is None else [*columns, *keys]):
        extra = {f"_k{i}": _number_column(table.column(k)) for i, k in enumerate(keys)}
        extra["_pos"] = pa.array(range(offset, offset + table.num_rows), pa.int64())
        offset += table.num_rows
        for name, values in extra.items():
            table = table.append_column(name, values)
        if best is not None:
            table = pa.concat_tables([best, table])
        sort = [(f"_k{i}", "descending") for i in range(len(keys))] + [("_pos", "ascending")]
        best = table.sort_by(sort).slice(0, n)
    if best is None:
        return []
    keep = [c for c in (columns or names) if c in best.column_names]
    rows: list[Row] = best.select(keep).to_pylist()
    return rows


def count_by(path: Path, column: str) -> tuple[int, list[tuple[str, int]]]:
    """Rows of a CSV file, and rows per value of ``column`` (most first; [] if no column)."""
    names = csv_columns(path)
    if not names:
        return 0, []
    counts: dict[str, int] = defaultdict(int)
    total = 0
    for table in csv_batches(path, [column] if column in names else names[:1]):
        total += table.num_rows
        if column in names:
            grouped = table.group_by(column).aggregate([(column, "count")])
            for value, number in zip(
                grouped.column(column).to_pylist(),
                grouped.column(f"{column}_count").to_pylist(),
                strict=True,
            ):
                counts[value or "(blank)"] += number
    return total, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def column_sum(path: Path, column: str) -> int:
    total = 0.0
    for table in csv_batches(path, [column]):
        total += pc.sum(_number_column(table.column(column))).as_py() or 0.0
    return int(total)


def count_true(path: Path, column: str) -> int:
    total = 0
    for table in csv_batches(path, [column]):
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(table.column(column)))
        total += pc.sum(_int(pc.is_in(lowered, value_set=pa.array(["true", "1"])))).as_py() or 0
    return total


def read_run_info(folder: Path) -> dict[str, Any]:
    try:
        info = json.loads((folder / "run.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}
