"""A DuckDB connection for out-of-core exports: bounded memory, spilling beside the run.

DuckDB reads the Parquet tables column by column and spills hash tables to disk past its
memory limit, so grouping and exact distinct counts over tens of millions of link rows fit
in a few GB (``benchmarks/results/aggregates.md``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

#: DuckDB's own memory ceiling (its hash tables and buffers; it spills beyond it). Python,
#: Arrow and pandas hold only the grouped results on top of it.
MEMORY_LIMIT = "3GB"


@contextmanager
def connect(
    work_dir: Path, memory_limit: str = MEMORY_LIMIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory database whose spill files go to a new temporary folder in ``work_dir``
    (removed at the end)."""
    spill = Path(tempfile.mkdtemp(prefix=".duckdb-spill-", suffix=".tmp", dir=work_dir))
    connection = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(spill),
            "threads": os.cpu_count() or 1,
            # Grouped results are ordered explicitly; scans need not keep file order.
            "preserve_insertion_order": False,
        },
    )
    try:
        yield connection
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)
        # Arrow keeps freed buffers for reuse; the crawl process lives on after exporting.
        pa.default_memory_pool().release_unused()
