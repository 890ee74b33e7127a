"""Stream JSON Lines item files into CSV and Parquet, in bounded memory.

Lines that are not valid JSON (a crawl killed mid-write leaves at most one) are skipped and
counted, never fatal. CSV booleans are written ``true``/``false``; Parquet keeps types. CSV
text cells that a spreadsheet would run as a formula get a ``'`` in front
(:mod:`linkspider.engines.spreadsheet`); Parquet keeps the raw text.

Rows can be de-duplicated by a key (for backlinks: page URL, link position, href and
anchor): the last row with a key wins. A resumed crawl (``JOBDIR``) fetches again the pages
that were in flight when it stopped, so their rows are in the JSON Lines twice (or once
partly); the exports hold each row once. :func:`export_jsonl` does it in DuckDB, in a
bounded amount of memory whatever the size of the file (docs/decisions.md, "Data
engines"); :func:`read_jsonl_batches` and :func:`last_rows` read small files in Python.
"""

from __future__ import annotations

import hashlib
import json
import typing
from array import array
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from linkspider.core.jsonl import LineCounts, numbered_records
from linkspider.engines._duckdb import TABLES_MEMORY_LIMIT, connect, load_jsonl
from linkspider.engines.spreadsheet import safe_table

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


class KeptLines(AbstractSet[int]):
    """Line numbers to read, as a bit mask over the file's lines (1 byte per line)."""

    def __init__(self, mask: np.ndarray) -> None:
        self._mask = mask

    def __contains__(self, number: object) -> bool:
        return (
            isinstance(number, int) and 0 <= number < len(self._mask) and bool(self._mask[number])
        )

    def __iter__(self) -> Iterator[int]:
        return iter(np.flatnonzero(self._mask).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self._mask))


def last_rows(path: Path, key: Sequence[str]) -> KeptLines | None:
    """Line numbers of the last row of each ``key``; None when no key repeats.

    Each key is kept as a 16-byte hash next to its line number (24 bytes per row, in
    arrays, not Python objects); sorting them finds the last line of every key.
    """
    if not path.exists():
        return None
    digests = bytearray()
    lines = array("q")
    for number, record in numbered_records(path):
        digests += _key_digest([record.get(name) for name in key])
        lines.append(number)
    if not lines:
        return None
    numbers = np.frombuffer(lines, dtype=np.int64)
    last = _last_of_each(digests, numbers)
    if last is None:
        return None
    mask = np.zeros(int(numbers.max()) + 1, np.bool_)
    mask[last] = True
    return KeptLines(mask)


def _key_digest(values: Sequence[Any]) -> bytes:
    text = json.dumps(list(values), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _last_of_each(digests: bytearray, numbers: np.ndarray) -> np.ndarray | None:
    """``numbers`` of the last row of each distinct 16-byte digest; None if none repeats."""
    hashes = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2)
    order = np.lexsort((numbers, hashes[:, 1], hashes[:, 0]))
    ordered = hashes[order]
    last = np.ones(len(order), np.bool_)  # last of each run of equal hashes (largest number)
    last[:-1] = (ordered[1:] != ordered[:-1]).any(axis=1)
    if last.all():
        return None
    return numbers[order[last]]  # type: ignore[no-any-return]


def read_jsonl_batches(
    path: Path,
    schema: pa.Schema,
    result: TableResult,
    batch_rows: int = 10_000,
    keep: AbstractSet[int] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Record batches of ``schema`` from a JSON Lines file; bad lines counted in ``result``.

    ``keep``: line numbers to read (from :func:`last_rows`); other rows are duplicates.
    """
    names = schema.names
    columns: dict[str, list[Any]] = {name: [] for name in names}
    count = 0
    lines = LineCounts()
    for number, record in numbered_records(path, lines):
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
    result.bad_lines += lines.bad_lines
    if count:
        yield pa.RecordBatch.from_pydict(columns, schema=schema)
        result.rows += count


#: Rows per Parquet row group (and CSV write) in :func:`export_jsonl`: the batch that is
#: in Python's memory at once, whatever the size of the crawl.
ROW_GROUP_ROWS = 20_000
#: JSON Lines files up to this size are loaded into memory (within the limit), larger ones
#: into a database file beside the outputs.
IN_MEMORY_BYTES = 32 << 20


def export_jsonl(
    jsonl: Path,
    schema: pa.Schema,
    csv_path: Path | None,
    parquet_path: Path | None = None,
    key: Sequence[str] = (),
) -> TableResult:
    """Write ``csv_path`` and/or ``parquet_path`` from ``jsonl``; empty files get headers.

    With a ``key``, only the last row of each key is written, in file order. DuckDB reads
    the JSON Lines (:func:`linkspider.engines._duckdb.load_jsonl`: the tolerance of
    :mod:`linkspider.core.jsonl`), de-duplicates in its bounded memory (spilling to a
    folder beside the outputs) and hands the rows over in batches of ``ROW_GROUP_ROWS``.
    """
    result = TableResult()
    first = parquet_path if parquet_path is not None else csv_path
    if first is None:
        return result
    # A large file's rows are paged out to a database file; a small one stays in memory.
    on_disk = jsonl.exists() and jsonl.stat().st_size > IN_MEMORY_BYTES
    with connect(first.parent, TABLES_MEMORY_LIMIT, keep_order=True, on_disk=on_disk) as db:
        loaded = load_jsonl(db, jsonl, schema, "rows", key)
        result = TableResult(loaded.rows, loaded.bad_lines, loaded.duplicates)
        batches = db.sql("SELECT * FROM rows").to_arrow_reader(ROW_GROUP_ROWS)
        _write_rows(batches, schema, csv_path, parquet_path)
    return result


def _write_rows(
    batches: pa.RecordBatchReader,
    schema: pa.Schema,
    csv_path: Path | None,
    parquet_path: Path | None,
) -> None:
    """Write the rows to the CSV and Parquet files (``NAME.tmp``, renamed when done)."""
    options = pa_csv.WriteOptions(quoting_style="needed")
    outputs = [path for path in (csv_path, parquet_path) if path is not None]
    with ExitStack() as stack:
        csv_writer = parquet_writer = None
        if csv_path is not None:
            tmp = str(csv_path) + ".tmp"
            csv_writer = stack.enter_context(pa_csv.CSVWriter(tmp, schema, write_options=options))
        if parquet_path is not None:
            tmp = str(parquet_path) + ".tmp"
            parquet_writer = stack.enter_context(pq.ParquetWriter(tmp, schema))
        for batch in batches:
            table = pa.Table.from_batches([batch]).cast(schema)
            if parquet_writer is not None:
                parquet_writer.write_table(table)
            if csv_writer is not None:  # text that would run as a formula is quoted
                csv_writer.write_table(safe_table(table))
    for path in outputs:
        Path(str(path) + ".tmp").replace(path)
