"""Stream JSON Lines item files into CSV and Parquet, in bounded memory.

Lines that are not valid JSON (a crawl killed mid-write leaves at most one) are skipped and
counted, never fatal. CSV booleans are written ``true``/``false``; Parquet keeps types.

Rows can be de-duplicated by a key (for backlinks: page URL, link position, href and
anchor): the last row with a key wins. A resumed crawl (``JOBDIR``) fetches again the pages
that were in flight when it stopped, so their rows are in the JSON Lines twice (or once
partly); the exports hold each row once. De-duplication costs a first pass over the file and about
100 bytes of memory per row.
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Iterator, Sequence
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
    duplicates: int = 0  # rows left out because a later row has the same key


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(line number, record)`` for each non-blank line; ``None`` for unreadable lines."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                yield number, None
                continue
            yield number, record if isinstance(record, dict) else None


def last_rows(path: Path, key: Sequence[str]) -> set[int] | None:
    """Line numbers of the last row of each ``key``; None when no key repeats."""
    if not path.exists():
        return None
    last: dict[bytes, int] = {}
    count = 0
    for number, record in _records(path):
        if record is None:
            continue
        values = json.dumps([record.get(name) for name in key], ensure_ascii=False)
        last[hashlib.blake2b(values.encode(), digest_size=12).digest()] = number
        count += 1
    return None if len(last) == count else set(last.values())


def read_jsonl_batches(
    path: Path,
    schema: pa.Schema,
    result: TableResult,
    batch_rows: int = 50_000,
    keep: set[int] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Record batches of ``schema`` from a JSON Lines file; bad lines counted in ``result``.

    ``keep``: line numbers to read (from :func:`last_rows`); other rows are duplicates.
    """
    names = schema.names
    if not path.exists():
        return
    columns: dict[str, list[Any]] = {name: [] for name in names}
    count = 0
    for number, record in _records(path):
        if record is None:
            result.bad_lines += 1
            continue
        if keep is not None and number not in keep:
            result.duplicates += 1
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
    jsonl: Path,
    schema: pa.Schema,
    csv_path: Path,
    parquet_path: Path | None = None,
    key: Sequence[str] = (),
) -> TableResult:
    """Write ``csv_path`` (and ``parquet_path``) from ``jsonl``; empty files get headers.

    With a ``key``, only the last row of each key is written.
    """
    result = TableResult()
    keep = last_rows(jsonl, key) if key else None
    options = pa_csv.WriteOptions(quoting_style="needed")
    tmp_csv = csv_path.with_suffix(csv_path.suffix + ".tmp")
    tmp_parquet = parquet_path.with_suffix(".parquet.tmp") if parquet_path else None
    with pa_csv.CSVWriter(str(tmp_csv), schema, write_options=options) as csv_writer:
        parquet_writer = pq.ParquetWriter(str(tmp_parquet), schema) if tmp_parquet else None
        try:
            for batch in read_jsonl_batches(jsonl, schema, result, keep=keep):
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
