"""The archive job on Spark: WARC inputs in, Parquet tables of rows out.

Partitions are the inputs (cc-pyspark's layout: a file is read sequentially, records in
``mapPartitions``): about 64 MB of WARC data a task (:func:`plan_tasks`: big local files
in parts, small files grouped, at least one task per core), record ranges (Common Crawl
index rows) 200 to a task. Each task runs
:func:`linkspider.archive.process.process_inputs`, which yields ``(table, row)`` pairs,
and sends them to the JVM as Arrow batches (``mapInArrow``, :func:`arrow_batches`); the
rows are persisted once and written as one Parquet table per kind under
``rows_path`` (``backlinks/``, ``pages/``, ``errors/``, ``records/``, ``redirects/``,
``inputs/``), a local folder or any path Spark writes (``s3a://``, ``gs://``,
``hdfs://``). Counts come from these tables, not from accumulators, so a retried task
never counts twice.
"""

from __future__ import annotations

import heapq
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from functools import partial
from typing import TYPE_CHECKING, Any

from linkspider.archive.inputs import WarcInput, local_path, split_file
from linkspider.archive.process import TABLES, ExtractOptions, Row, process_inputs
from linkspider.core.items import BacklinkItem, ErrorItem, PageItem

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

#: Rows of one table in one Arrow batch sent from a task to the JVM.
BATCH_ROWS = 5_000
#: Record ranges read by one task (whole files: one each).
RANGES_PER_TASK = 200
#: Local gzip WARC files bigger than this are read in parts of this size, in parallel.
PART_BYTES = 64 * 1024 * 1024
_ITEMS: dict[str, type] = {"backlinks": BacklinkItem, "pages": PageItem, "errors": ErrorItem}
#: Column types of the tables that are not items (strings otherwise).
_TYPES = {
    "records": {"offset": "int", "length": "int"},
    "redirects": {"depth": "int"},  # status: 301... or "meta refresh"
    "inputs": {
        "offset": "int",
        "length": "int",
        "part": "bool",
        "records": "int",
        "problems": "int",
    },
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
    bins = plan_tasks(inputs, context.defaultParallelism, part_bytes or PART_BYTES, tasks)
    # One task per bin: the bins go out pickled, one row each, one partition each
    work = context.parallelize(
        [(number, bytearray(pickle.dumps(bin_))) for number, bin_ in enumerate(bins)],
        numSlices=len(bins),
    )
    tasks_frame = spark.createDataFrame(work, _tasks_schema())
    # Rows leave Python as Arrow batches, each in the struct column of its table (the
    # JVM copies columns instead of unpickling every row); the tables are then split off
    # and written by Spark.
    union = tasks_frame.mapInArrow(partial(arrow_batches, options=options), union_schema())
    union = union.persist(StorageLevel.MEMORY_AND_DISK)
    paths = {}
    try:
        for table in TABLES:
            path = f"{rows_path.rstrip('/')}/{table}"
            frame = union.where(union["table"] == table).select(f"{table}.*")
            frame.write.mode("overwrite").parquet(path)
            paths[table] = path
    finally:
        union.unpersist()
    return paths


def arrow_batches(
    batches: Iterable[pa.RecordBatch], options: ExtractOptions, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """A task: its bins of inputs (pickled, column ``inputs``) -> batches of
    :func:`union_schema`, at most ``batch_rows`` rows of one table each."""
    structs = {table: arrow_struct(table) for table in TABLES}
    pending: dict[str, list[Row]] = {table: [] for table in TABLES}
    for batch in batches:
        for payload in batch.column("inputs").to_pylist():
            for table, row in process_inputs(pickle.loads(payload), options):
                rows = pending[table]
                rows.append(row)
                if len(rows) >= batch_rows:
                    yield union_batch(table, rows, structs)
                    pending[table] = []
    for table, rows in pending.items():
        if rows:
            yield union_batch(table, rows, structs)


def union_batch(
    table: str, rows: Sequence[Row], structs: Mapping[str, pa.StructType]
) -> pa.RecordBatch:
    """``rows`` of ``table`` as a batch of :func:`union_schema`: the table's name, its
    struct column, nulls in the other tables' columns."""
    import pyarrow as pa

    own = structs[table]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(own.num_fields)]
    arrays = [_arrow_column(values, own.field(i).type) for i, values in enumerate(columns)]
    count = len(rows)
    struct = pa.StructArray.from_arrays(arrays, fields=list(own))
    others = [struct if name == table else pa.nulls(count, structs[name]) for name in TABLES]
    return pa.RecordBatch.from_arrays(
        [pa.array([table] * count, pa.string()), *others], names=["table", *TABLES]
    )


def _arrow_column(values: Sequence[object], kind: pa.DataType) -> pa.Array:
    import pyarrow as pa

    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value of another type: cast it
        return pa.array([_cast(value, kind) for value in values], type=kind)


def _cast(value: object, kind: pa.DataType) -> object:
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_boolean(kind):
        return bool(value)
    if pa.types.is_integer(kind):
        return int(value) if isinstance(value, int | float | str) else int(str(value))
    return str(value)


def arrow_struct(table: str) -> pa.StructType:
    """:func:`table_schema` in Arrow types (the ones Spark reads for them)."""
    import pyarrow as pa
    from pyspark.sql.types import BooleanType, LongType

    arrow: dict[type, pa.DataType] = {LongType: pa.int64(), BooleanType: pa.bool_()}
    return pa.struct(
        [(f.name, arrow.get(type(f.dataType), pa.string())) for f in table_schema(table).fields]
    )


def _tasks_schema() -> StructType:
    from pyspark.sql.types import BinaryType, LongType, StructField, StructType

    return StructType(
        [StructField("task", LongType(), False), StructField("inputs", BinaryType(), False)]
    )


def union_schema() -> StructType:
    """Every table in one: its name, then one struct column per table."""
    from pyspark.sql.types import StringType, StructField, StructType

    columns = [StructField(name, table_schema(name), True) for name in TABLES]
    return StructType([StructField("table", StringType(), False), *columns])


def plan_tasks(
    inputs: Sequence[WarcInput], parallelism: int, part_bytes: int, tasks: int | None = None
) -> list[list[WarcInput]]:
    """The inputs of each task: about ``part_bytes`` of WARC data a task (a task costs
    Spark a few hundred milliseconds: small files are grouped), at least one task per
    executor core while there are inputs, ``tasks`` if given. Record ranges weigh
    ``part_bytes / RANGES_PER_TASK`` (their cost is the request, not the bytes).
    """
    if not inputs:
        return [[]]
    weighed = sorted(
        ((_weight(item, part_bytes), number, item) for number, item in enumerate(inputs)),
        reverse=True,
    )
    total = sum(weight for weight, _, _ in weighed)
    count = tasks or max(parallelism, -(-total // part_bytes))
    count = max(1, min(count, len(inputs)))
    heap = [(0, number) for number in range(count)]
    bins: list[list[WarcInput]] = [[] for _ in range(count)]
    for weight, _, item in weighed:  # the heaviest first, into the lightest task
        load, number = heapq.heappop(heap)
        bins[number].append(item)
        heapq.heappush(heap, (load + weight, number))
    return bins


def _weight(item: WarcInput, part_bytes: int) -> int:
    if item.offset is not None and not item.split:
        return max(1, part_bytes // RANGES_PER_TASK)
    if item.split:
        return item.length or part_bytes
    path = local_path(item.location)
    try:
        return path.stat().st_size if path is not None else part_bytes
    except OSError:
        return 1


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
