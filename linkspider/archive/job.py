"""The archive job on Spark: WARC inputs in, Parquet tables of rows out.

Partitions are the inputs: one task per whole WARC file (cc-pyspark's layout: a file is
read sequentially, records in ``mapPartitions``), and record ranges (Common Crawl index
rows) grouped a few hundred to a task. Each task runs
:func:`linkspider.archive.process.process_inputs`, which yields ``(table, row)`` pairs;
the pairs are persisted once and written as one Parquet table per kind under
``rows_path`` (``backlinks/``, ``pages/``, ``errors/``, ``records/``, ``redirects/``,
``inputs/``), a local folder or any path Spark writes (``s3a://``, ``gs://``,
``hdfs://``). Counts come from these tables, not from accumulators, so a retried task
never counts twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from functools import partial
from typing import TYPE_CHECKING, Any

from linkspider.archive.inputs import WarcInput, split_file
from linkspider.archive.process import TABLES, ExtractOptions, Row, process_inputs
from linkspider.items import BacklinkItem, ErrorItem, PageItem

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

#: Record ranges read by one task (whole files: one each).
RANGES_PER_TASK = 200
#: Local gzip WARC files bigger than this are read in parts of this size, in parallel.
PART_BYTES = 64 * 1024 * 1024
_ITEMS: dict[str, type] = {"backlinks": BacklinkItem, "pages": PageItem, "errors": ErrorItem}
#: Column types of the tables that are not items (strings otherwise).
_TYPES = {
    "records": {"offset": "int", "length": "int"},
    "redirects": {"depth": "int"},  # status: 301... or "meta refresh"
    "inputs": {"offset": "int", "length": "int", "records": "int", "problems": "int"},
}


def run_job(
    spark: SparkSession,
    inputs: Sequence[WarcInput],
    options: ExtractOptions,
    rows_path: str,
    tasks: int | None = None,
    part_bytes: int = PART_BYTES,
) -> dict[str, str]:
    """Read ``inputs`` on ``spark`` and write the row tables; returns table -> path.

    ``inputs`` may mix whole files and ``(location, offset, length)`` ranges; local gzip
    files bigger than ``part_bytes`` are read in parts (0: never).
    """
    from pyspark import StorageLevel

    inputs = [part for item in inputs for part in split_file(item, part_bytes)]
    context = spark.sparkContext
    slices = tasks or _tasks(inputs)
    pairs = (
        context.parallelize(list(inputs), numSlices=max(1, slices))
        .mapPartitions(lambda items: process_inputs(items, options))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    paths = {}
    try:
        for table in TABLES:
            rows = pairs.filter(partial(_table_rows, name=table)).values()
            path = f"{rows_path.rstrip('/')}/{table}"
            spark.createDataFrame(rows, table_schema(table)).write.mode("overwrite").parquet(path)
            paths[table] = path
    finally:
        pairs.unpersist()
    return paths


def _table_rows(pair: tuple[str, Row], name: str) -> bool:
    return pair[0] == name


def _tasks(inputs: Sequence[WarcInput]) -> int:
    files = sum(1 for item in inputs if item.offset is None or item.split)
    ranges = len(inputs) - files
    return files + -(-ranges // RANGES_PER_TASK)


def table_schema(table: str) -> StructType:
    """The Spark schema of a row table (column types from the item dataclasses)."""
    from pyspark.sql.types import (
        BooleanType,
        DataType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    typed: dict[str, Any] = dict(_TYPES.get(table, {}))
    if table in _ITEMS:
        typed.update({f.name: f.type for f in fields(_ITEMS[table])})
    columns = []
    for name in TABLES[table]:
        kind = typed.get(name)
        spark_type: DataType
        if kind in ("int", int):
            spark_type = LongType()
        elif kind in ("bool", bool):
            spark_type = BooleanType()
        else:
            spark_type = StringType()
        columns.append(StructField(name, spark_type, True))
    return StructType(columns)
