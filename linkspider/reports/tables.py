"""Stream JSON Lines item files into CSV and Parquet, in bounded memory.

Lines that are not valid JSON (a crawl killed mid-write leaves at most one) are skipped and
counted, never fatal. CSV booleans are written ``true``/``false``; Parquet keeps types.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

_ARROW_TYPES: dict[Any, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    bool: pa.bool_(),
    float: pa.float64(),
}


def arrow_schema(item_cls: type) -> pa.Schema:
    """Arrow schema from an item dataclass's field types, in field order."""
    hints = typing.get_type_hints(item_cls)
    return pa.schema([(f.name, _ARROW_TYPES[hints[f.name]]) for f in fields(item_cls)])


@dataclass
class TableResult:
    rows: int = 0
    bad_lines: int = 0


def read_jsonl_batches(
    path: Path, schema: pa.Schema, result: TableResult, batch_rows: int = 50_000
) -> Iterator[pa.RecordBatch]:
    """Record batches of ``schema`` from a JSON Lines file; bad lines counted in ``result``."""
    names = schema.names
    if not path.exists():
        return
    columns: dict[str, list[Any]] = {name: [] for name in names}
    count = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                result.bad_lines += 1
                continue
            if not isinstance(record, dict):
                result.bad_lines += 1
                continue
            for name in names:
                columns[name].append(record.get(name))
            count += 1
            if count >= batch_rows:
                yield pa.RecordBatch.from_pydict(columns, schema=schema)
                result.rows += count
                columns = {name: [] for name in names}
                count = 0
    if count:
        yield pa.RecordBatch.from_pydict(columns, schema=schema)
        result.rows += count


def export_jsonl(
    jsonl: Path, schema: pa.Schema, csv_path: Path, parquet_path: Path | None = None
) -> TableResult:
    """Write ``csv_path`` (and ``parquet_path``) from ``jsonl``; empty files get headers."""
    result = TableResult()
    options = pa_csv.WriteOptions(quoting_style="needed")
    tmp_csv = csv_path.with_suffix(csv_path.suffix + ".tmp")
    tmp_parquet = parquet_path.with_suffix(".parquet.tmp") if parquet_path else None
    with pa_csv.CSVWriter(str(tmp_csv), schema, write_options=options) as csv_writer:
        parquet_writer = pq.ParquetWriter(str(tmp_parquet), schema) if tmp_parquet else None
        try:
            for batch in read_jsonl_batches(jsonl, schema, result):
                csv_writer.write_batch(batch)
                if parquet_writer is not None:
                    parquet_writer.write_batch(batch)
        finally:
            if parquet_writer is not None:
                parquet_writer.close()
    tmp_csv.replace(csv_path)
    if tmp_parquet is not None and parquet_path is not None:
        tmp_parquet.replace(parquet_path)
    return result
