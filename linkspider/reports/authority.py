"""Open authority: Common Crawl's graph ranks of the referring domains, as export columns.

Common Crawl publishes, with every web-graph release, a rank file per level (host,
domain): every vertex's harmonic centrality and PageRank, with its position when sorted
(1 = the most central). linkspider calls the harmonic-centrality position
``source_authority_rank``: an *open* rank from Common Crawl's graph, lower is more central.
It is not a proprietary "domain rating" and is never rescaled into one.

The columns (:data:`AUTHORITY_COLUMNS`) are written after the crawl's own columns in
``backlinks.csv``/``.parquet`` (keyed by ``source_domain``) and in
``referring_domains.csv``. They are always there; without a configured release, or for a
domain the graph does not hold, they are empty (null), never 0.

Pure code (Arrow and pandas): which release, and reading its rank file, is
:mod:`linkspider.reports.authority_source`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkspider.discover.ranks import Rank

#: The authority columns, in the order they are written, with their Arrow types.
AUTHORITY_FIELDS = (
    pa.field("source_authority_rank", pa.int64()),  # harmonic-centrality position (1 = best)
    pa.field("source_authority_value", pa.float64()),  # harmonic-centrality value
    pa.field("source_pagerank_rank", pa.int64()),  # PageRank position (1 = best)
    pa.field("source_pagerank_value", pa.float64()),  # PageRank value
)
AUTHORITY_COLUMNS = tuple(f.name for f in AUTHORITY_FIELDS)
#: The rank a user sorts by: harmonic centrality, as Common Crawl orders its rank files.
RANK_COLUMN = "source_authority_rank"
#: How the report and the docs name it; never "DR" or "authority score".
RANK_NAME = "Common Crawl harmonic-centrality rank"
RANK_NOTE = "an open rank from Common Crawl's web graph; lower is more central"

#: Rank bands of the report's chart (upper bounds, inclusive).
RANK_BANDS = (
    (1_000, "top 1k"),
    (10_000, "1k-10k"),
    (100_000, "10k-100k"),
    (1_000_000, "100k-1M"),
    (10_000_000, "1M-10M"),
)
NOT_RANKED = "not in the graph"


@dataclass(frozen=True)
class Authority:
    """Ranks of some domains in one release; ``ranks`` holds only the domains found."""

    release: str
    level: str = "domain"
    ranks: Mapping[str, Rank] = field(default_factory=dict)
    looked_up: int = 0  # how many names were asked for

    def table(self) -> pa.Table:
        """``name`` plus the authority columns, one row per ranked name."""
        names = list(self.ranks)
        values = list(self.ranks.values())
        return pa.table(
            {
                "name": pa.array(names, pa.string()),
                "source_authority_rank": pa.array([r.harmonic_pos for r in values], pa.int64()),
                "source_authority_value": pa.array([r.harmonic_val for r in values], pa.float64()),
                "source_pagerank_rank": pa.array([r.pagerank_pos for r in values], pa.int64()),
                "source_pagerank_value": pa.array([r.pagerank_val for r in values], pa.float64()),
            }
        )


def authority_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the authority columns appended (replaced if already there)."""
    for name in AUTHORITY_COLUMNS:
        if name in schema.names:
            schema = schema.remove(schema.get_field_index(name))
    for column in AUTHORITY_FIELDS:
        schema = schema.append(column)
    return schema


class AuthorityColumns:
    """Appends the authority columns to tables of backlink rows, keyed by a name column.

    Built once per export (the lookup table is small: one row per ranked domain), then
    applied batch by batch: an index lookup and four ``take`` calls per batch.
    """

    def __init__(self, authority: Authority | None, key: str = "source_domain") -> None:
        self.key = key
        self._table = authority.table() if authority is not None and authority.ranks else None

    def __call__(self, table: pa.Table) -> pa.Table:
        for name in AUTHORITY_COLUMNS:
            if name in table.column_names:
                table = table.drop_columns([name])
        rows = table.num_rows
        if self._table is None or self.key not in table.column_names:
            for column in AUTHORITY_FIELDS:
                table = table.append_column(column, pa.nulls(rows, column.type))
            return table
        keys = table.column(self.key)
        index = pc.index_in(keys, value_set=self._table.column("name"))
        for column in AUTHORITY_FIELDS:
            values = pc.take(self._table.column(column.name), index)
            table = table.append_column(column, values)
        return table


def with_authority(frame: pd.DataFrame, authority: Authority | None, key: str) -> pd.DataFrame:
    """``frame`` with the authority columns appended, looked up by its ``key`` column.

    Integer ranks stay integers (pandas' nullable ``Int64``), missing ones empty.
    """
    table = pa.Table.from_pandas(frame[[key]], preserve_index=False)
    added = AuthorityColumns(authority, key)(table)
    out = frame.copy()
    for column in AUTHORITY_FIELDS:
        values = added.column(column.name).to_pandas()  # positional: frame's index is sorted
        values.index = out.index
        out[column.name] = values.astype("Int64" if pa.types.is_integer(column.type) else "float64")
    return out


def rank_band(rank: int | None) -> str:
    """The report's band of a harmonic-centrality rank (:data:`RANK_BANDS`)."""
    if rank is None:
        return NOT_RANKED
    for bound, label in RANK_BANDS:
        if rank <= bound:
            return label
    return f"beyond {RANK_BANDS[-1][0] // 1_000_000}M"


def band_labels() -> list[str]:
    """Every band, best first, then the unranked."""
    return [label for _, label in RANK_BANDS] + [rank_band(RANK_BANDS[-1][0] + 1), NOT_RANKED]
