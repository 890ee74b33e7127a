"""Sitewide links: the same link in the same place on many pages of one host.

A link group is (referring host, target URL, anchor text, placement). A link is
*sitewide* when its group spans at least ``min_share`` of the HTML pages crawled on that
host and at least ``min_pages`` pages. ``links_in_group`` is the number of link rows in the
group. Computed by DuckDB over the written Parquet file, out of core (its memory limit
holds whatever the number of groups); the table is then rewritten batch by batch, with 9
bytes per row held for the flags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from linkspider.engines._duckdb import connect
from linkspider.engines.spreadsheet import safe_table
from linkspider.engines.tables import ROW_GROUP_ROWS
from linkspider.reports._encoded import encode
from linkspider.reports.options import SitewideRule

GROUP_KEYS = ["source_host", "target_url", "anchor_text", "placement"]


#: Shares are compared with this slack: 0.3 x 10 pages is 3.0000000000000004 in floats.
_SHARE_SLACK = 1e-9


def host_page_counts(pages_csv: Path, work_dir: Path | None = None) -> Counter[str]:
    """Distinct HTML pages parsed per host, from the exported ``pages.csv``.

    A page is its final URL: two requested URLs that redirect to one page (rows of
    ``pages.csv`` differ by ``requested_url``) count once, as they do in a link group.
    """
    counts: Counter[str] = Counter()
    if not pages_csv.exists():
        return counts
    convert = pa_csv.ConvertOptions(
        include_columns=["host", "url", "parsed"],
        column_types={"host": pa.string(), "url": pa.string(), "parsed": pa.bool_()},
    )
    reader = pa_csv.open_csv(str(pages_csv), convert_options=convert)
    with connect(work_dir or pages_csv.parent) as db:
        db.register("pages", reader)
        found = db.sql(
            "SELECT host, count(DISTINCT url) FROM pages WHERE parsed AND host IS NOT NULL "
            "GROUP BY host"
        ).fetchall()
    for host, pages in found:
        counts[host] = int(pages)
    return counts


def row_flags(
    parquet: Path, host_pages: Counter[str], rule: SitewideRule, work_dir: Path
) -> tuple[np.ndarray, np.ndarray]:
    """``(links_in_group, sitewide)`` for every row of ``parquet``, in file order.

    The key columns are encoded as integer ids, then DuckDB partitions the rows (exact
    distinct pages per group, spilling past its memory limit); rows with a null key belong
    to no group (0, False).
    """
    rows = pq.ParquetFile(parquet).metadata.num_rows
    links = np.zeros(rows, np.int64)
    sitewide = np.zeros(rows, np.bool_)
    keys = ", ".join(GROUP_KEYS)
    rows_table = encode(parquet, text=[*GROUP_KEYS, "source_url"])
    host_ids = pc.index_in(pa.array(list(host_pages), pa.string()),
                           value_set=rows_table.dictionaries["source_host"])  # fmt: skip
    hosts = pa.table({"host": host_ids, "pages": pa.array(list(host_pages.values()), pa.int64())})
    table = rows_table.table.append_column("_row", pa.array(np.arange(rows, dtype=np.int64)))
    with connect(work_dir) as db:
        db.register("rows", table)
        db.register("host_pages", hosts.filter(pc.is_valid(hosts.column("host"))))
        # Window functions, not GROUP BY + join back: one partitioning of the rows gives
        # each row its group's size, and the largest dense rank of its page in the group
        # is the group's number of distinct pages.
        flags = db.sql(
            f"""WITH ranked AS (
                  SELECT _row, source_host, count(*) OVER g AS links,
                         dense_rank() OVER (g ORDER BY source_url) AS page_rank,
                         {keys}
                  FROM rows WHERE {" AND ".join(f"{key} IS NOT NULL" for key in GROUP_KEYS)}
                  WINDOW g AS (PARTITION BY {keys})),
                grouped AS (
                  SELECT _row, source_host, links,
                         max(page_rank) OVER (PARTITION BY {keys}) AS pages
                  FROM ranked)
                SELECT _row, links,
                       grouped.pages >= $min_pages
                       AND grouped.pages + $slack >= $min_share * coalesce(h.pages, 0)
                       AS sitewide
                FROM grouped LEFT JOIN host_pages h ON grouped.source_host = h.host""",
            params={
                "min_pages": int(rule.min_pages),
                "min_share": float(rule.min_share),
                "slack": _SHARE_SLACK,
            },
        )
        for batch in flags.to_arrow_reader(batch_size=1_000_000):
            index = batch.column("_row").to_numpy()
            links[index] = batch.column("links").to_numpy()
            sitewide[index] = batch.column("sitewide").to_numpy(zero_copy_only=False)
    return links, sitewide


def apply_sitewide(
    parquet: Path,
    csv_path: Path,
    pages_csv: Path,
    rule: SitewideRule,
    first_seen: pa.Array | None = None,
    extend: Callable[[pa.Table], pa.Table] | None = None,
) -> int:
    """Fill ``sitewide`` / ``links_in_group`` in the backlink Parquet and CSV files, and
    ``first_seen`` when given (the link history's dates, one per row in file order).
    ``extend`` adds columns to each batch (the open authority columns) in the same pass.

    Returns the number of sitewide rows.
    """
    if not parquet.exists():
        return 0
    counts, flags = row_flags(parquet, host_page_counts(pages_csv), rule, parquet.parent)
    source = pq.ParquetFile(parquet)
    schema = source.schema_arrow
    tmp_parquet = parquet.with_suffix(".parquet.sitewide.tmp")
    tmp_csv = csv_path.with_suffix(".csv.sitewide.tmp")
    options = pa_csv.WriteOptions(quoting_style="needed")
    sitewide_at = schema.get_field_index("sitewide")
    links_at = schema.get_field_index("links_in_group")
    first_at = schema.get_field_index("first_seen")
    written = schema if extend is None else extend(schema.empty_table()).schema
    done = 0
    with (
        pq.ParquetWriter(str(tmp_parquet), written) as writer,
        pa_csv.CSVWriter(str(tmp_csv), written, write_options=options) as csv_writer,
        ThreadPoolExecutor(max_workers=1) as csv_thread,  # Arrow writes without the GIL
    ):
        pending: Future[None] | None = None
        for batch in source.iter_batches(batch_size=ROW_GROUP_ROWS):
            table = pa.Table.from_batches([batch], schema=schema)
            end = done + table.num_rows
            table = table.set_column(sitewide_at, "sitewide", pa.array(flags[done:end]))
            table = table.set_column(links_at, "links_in_group", pa.array(counts[done:end]))
            if first_seen is not None:
                table = table.set_column(first_at, "first_seen", first_seen[done:end])
            table = table.cast(schema)
            if extend is not None:
                table = extend(table)
            done = end
            if pending is not None:
                pending.result()
            pending = csv_thread.submit(csv_writer.write_table, safe_table(table))
            writer.write_table(table)
        if pending is not None:
            pending.result()
    tmp_parquet.replace(parquet)
    tmp_csv.replace(csv_path)
    return int(flags.sum())
