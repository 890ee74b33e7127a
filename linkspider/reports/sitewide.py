"""Sitewide links: the same link in the same place on many pages of one host.

A link group is (referring host, target URL, anchor text, placement). A link is
*sitewide* when its group spans at least ``min_share`` of the HTML pages crawled on that
host and at least ``min_pages`` pages. ``links_in_group`` is the number of link rows in the
group. Computed with Arrow over the written Parquet file: memory grows with the number of
distinct groups, not with rows, and the table is rewritten batch by batch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

GROUP_KEYS = ["source_host", "target_url", "anchor_text", "placement"]


@dataclass(frozen=True)
class SitewideRule:
    min_pages: int = 3
    min_share: float = 0.5


def host_page_counts(pages_csv: Path) -> Counter[str]:
    """HTML pages parsed per host, from the exported ``pages.csv``."""
    counts: Counter[str] = Counter()
    if not pages_csv.exists():
        return counts
    convert = pa_csv.ConvertOptions(
        include_columns=["host", "parsed"],
        column_types={"host": pa.string(), "parsed": pa.bool_()},
    )
    reader = pa_csv.open_csv(str(pages_csv), convert_options=convert)
    for batch in reader:
        table = pa.Table.from_batches([batch]).filter(pc.field("parsed"))
        for row in table.group_by("host").aggregate([("parsed", "count")]).to_pylist():
            counts[row["host"]] += row["parsed_count"]
    return counts


def group_table(parquet: Path, host_pages: Counter[str], rule: SitewideRule) -> pa.Table:
    """One row per link group with ``links_in_group`` and ``sitewide``."""
    links = pq.read_table(parquet, columns=[*GROUP_KEYS, "source_url"])
    groups = links.group_by(GROUP_KEYS).aggregate(
        [("source_url", "count"), ("source_url", "count_distinct")]
    )
    hosts = groups.column("source_host").to_pylist()
    pages = groups.column("source_url_count_distinct").to_pylist()
    sitewide = [
        n >= rule.min_pages and n >= rule.min_share * host_pages.get(host, 0)
        for host, n in zip(hosts, pages, strict=True)
    ]
    return pa.table(
        {
            **{key: groups.column(key) for key in GROUP_KEYS},
            "_links": groups.column("source_url_count").cast(pa.int64()),
            "_sitewide": pa.array(sitewide, pa.bool_()),
        }
    )


def apply_sitewide(parquet: Path, csv_path: Path, pages_csv: Path, rule: SitewideRule) -> int:
    """Fill ``sitewide`` / ``links_in_group`` in the backlink Parquet and CSV files.

    Returns the number of sitewide rows.
    """
    if not parquet.exists():
        return 0
    groups = group_table(parquet, host_page_counts(pages_csv), rule)
    source = pq.ParquetFile(parquet)
    schema = source.schema_arrow
    tmp_parquet = parquet.with_suffix(".parquet.sitewide.tmp")
    tmp_csv = csv_path.with_suffix(".csv.sitewide.tmp")
    sitewide_rows = 0
    options = pa_csv.WriteOptions(quoting_style="needed")
    with (
        pq.ParquetWriter(str(tmp_parquet), schema) as writer,
        pa_csv.CSVWriter(str(tmp_csv), schema, write_options=options) as csv_writer,
    ):
        for batch in source.iter_batches(batch_size=100_000):
            table = pa.Table.from_batches([batch], schema=schema)
            table = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
            joined = table.join(groups, keys=GROUP_KEYS, join_type="left outer")
            joined = joined.sort_by("_row")
            flags = pc.fill_null(joined.column("_sitewide"), False)
            counts = pc.fill_null(joined.column("_links"), 0)
            out = joined.select(schema.names)
            out = out.set_column(schema.get_field_index("sitewide"), "sitewide", flags)
            out = out.set_column(schema.get_field_index("links_in_group"), "links_in_group", counts)
            out = out.cast(schema)
            sitewide_rows += pc.sum(flags).as_py() or 0
            writer.write_table(out)
            csv_writer.write_table(out)
    tmp_parquet.replace(parquet)
    tmp_csv.replace(csv_path)
    return int(sitewide_rows)
