"""DuckDB for out-of-core exports: bounded memory, spilling beside the run.

DuckDB does every table operation over link rows (docs/decisions.md, "Data engines"): it
reads the JSON Lines files into tables (:func:`load_jsonl`), reads the Parquet tables
column by column, and spills to disk past its memory limit, so de-duplication, grouping and
exact distinct counts over tens of millions of link rows fit in a bounded amount of memory
(``benchmarks/results/aggregates.md``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from linkspider.core.jsonl import MAX_LINE_BYTES
from linkspider.output import DUCKDB_SCRATCH

#: DuckDB's own memory ceiling (its hash tables and buffers; it spills beyond it). Python,
#: Arrow and pandas hold only the grouped results on top of it.
MEMORY_LIMIT = "3GB"

#: The ceiling of the JSON Lines -> CSV/Parquet step (:func:`load_jsonl`): the rows of a
#: table live in DuckDB's buffers and spill to disk beyond it, so the step's memory does
#: not grow with the crawl.
TABLES_MEMORY_LIMIT = "128MB"

#: What DuckDB's allocator may keep for reuse once a query is done (its default: 128 MB,
#: held on top of what the next step needs). The exports of a 50,000-page crawl folder:
#: 305 -> 286 MB at the JSON Lines step (benchmarks/results/memory.md).
ALLOCATOR_KEEPS = "8MB"


@contextmanager
def connect(
    work_dir: Path,
    memory_limit: str = MEMORY_LIMIT,
    *,
    keep_order: bool = False,
    on_disk: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A database whose spill files go to a new temporary folder in ``work_dir`` (removed
    at the end). ``keep_order``: scans and new tables keep the order of their input (file
    order); otherwise results are ordered only where a query says so. ``on_disk`` puts the
    database itself in that folder: its tables (whole JSON Lines files) are then paged out
    to disk like spilled intermediates, instead of held in memory. DuckDB's write failures
    (a full disk) are raised as :class:`OSError`, as Python's own are."""
    spill = Path(tempfile.mkdtemp(prefix=DUCKDB_SCRATCH, suffix=".tmp", dir=work_dir))
    try:
        connection = duckdb.connect(
            str(spill / "tables.duckdb") if on_disk else ":memory:",
            config={
                "memory_limit": memory_limit,
                "temp_directory": str(spill),
                "threads": os.cpu_count() or 1,
                "preserve_insertion_order": keep_order,
                "allocator_flush_threshold": ALLOCATOR_KEEPS,
                "allocator_bulk_deallocation_flush_threshold": ALLOCATOR_KEEPS,
            },
        )
    except duckdb.Error as exc:
        shutil.rmtree(spill, ignore_errors=True)
        raise _os_error(exc) from exc
    try:
        yield connection
    except duckdb.Error as exc:
        raise _os_error(exc) from exc
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)
        # Arrow keeps freed buffers for reuse; the crawl process lives on after exporting.
        pa.default_memory_pool().release_unused()


def give_back_freed_memory() -> None:
    """Have Arrow's jemalloc return freed pages to the system at once (its default waits
    about a second, and the next export step's peak lands on top of them). The exports of
    a 50,000-page crawl folder: 326 -> 304 MB peak (benchmarks/results/memory.md)."""
    if pa.default_memory_pool().backend_name == "jemalloc":  # then pyarrow has it built in
        pa.jemalloc_set_decay_ms(0)


def _os_error(exc: duckdb.Error) -> Exception:
    """A write failure (disk full, read-only) as an :class:`OSError`; others unchanged."""
    if isinstance(exc, duckdb.IOException) or "Could not write file" in str(exc):
        return OSError(f"DuckDB: {exc}")
    return exc


_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.float64(): "DOUBLE",
}


@dataclass
class LoadedLines:
    """What :func:`load_jsonl` read: rows kept, bad lines, rows replaced by a later one."""

    rows: int = 0
    bad_lines: int = 0
    duplicates: int = 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_jsonl(
    db: duckdb.DuckDBPyConnection,
    path: Path,
    schema: pa.Schema,
    table: str,
    key: Sequence[str] = (),
) -> LoadedLines:
    """Read the JSON object lines of ``path`` into a new table ``table`` (``schema``'s
    columns, in file order); with a ``key``, only the last row of each key is kept.

    The tolerance is :mod:`linkspider.core.jsonl`'s: a missing file is empty, blank lines
    are skipped, a line that is not a JSON object (cut short, garbled, longer than
    ``MAX_LINE_BYTES``) is skipped and counted, and bytes that are not UTF-8 are read as
    U+FFFD. Values are cast to the column types (``"7"`` in a number column is 7, a value
    that does not cast is empty). Memory is DuckDB's: its limit holds, it spills beyond.
    """
    columns = ", ".join(f"{_quote(f.name)} {_DUCKDB_TYPES[f.type]}" for f in schema)
    db.execute(f"CREATE TABLE {table} ({columns})")
    if not path.exists():
        return LoadedLines()
    spill = Path(str(db.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]))
    source, longest = _readable(path, spill / f"{table}.jsonl")
    structure = json.dumps({f.name: _DUCKDB_TYPES[f.type] for f in schema})
    size = _LONG_LINE_BYTES
    if longest > _LONG_LINE_BYTES:  # DuckDB's read buffers grow with the longest line
        size = MAX_LINE_BYTES + 1
        db.execute(f"SET memory_limit = '{_LONG_LINES_MEMORY_LIMIT}'")
    # One row per non-blank line, in file order; NULL for a line that is not an object.
    # One thread: keeping the order of parallel reads buffers far more than the limit.
    db.execute("SET threads = 1")
    db.execute(
        f"""CREATE TABLE {table}_lines AS
        SELECT CASE WHEN json_type(json) = 'OBJECT' THEN from_json(json, $structure) END AS r
        FROM read_ndjson_objects($path, ignore_errors = true, maximum_object_size = $size)""",
        {"structure": structure, "path": str(source), "size": size},
    )
    db.execute(f"SET threads = {os.cpu_count() or 1}")
    if source != path:
        source.unlink()
    lines = _count(db, f"SELECT count(*) FROM {table}_lines")
    bad = _count(db, f"SELECT count(*) FROM {table}_lines WHERE r IS NULL")
    if key:  # the last row of each key wins; rowid follows the file's order
        partition = ", ".join(f"r.{_quote(name)}" for name in key)
        db.execute(
            f"""DELETE FROM {table}_lines WHERE rowid IN (
                SELECT rowid FROM {table}_lines WHERE r IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY rowid DESC) > 1)"""
        )
    names = ", ".join(f"r.{_quote(f.name)}" for f in schema)
    db.execute(f"INSERT INTO {table} SELECT {names} FROM {table}_lines WHERE r IS NOT NULL")
    db.execute(f"DROP TABLE {table}_lines")
    rows = _count(db, f"SELECT count(*) FROM {table}")
    return LoadedLines(rows=rows, bad_lines=bad, duplicates=lines - bad - rows)


def _count(db: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(db.execute(sql).fetchall()[0][0])


_CHUNK = 8 << 20
#: Lines up to this long are read within the tables step's memory limit; a file with a
#: longer line (up to ``MAX_LINE_BYTES``, never written by a crawl) is read with a larger one.
_LONG_LINE_BYTES = 4 << 20
_LONG_LINES_MEMORY_LIMIT = "1GB"


def _readable(path: Path, repaired: Path) -> tuple[Path, int]:
    """``path`` if DuckDB reads it as :mod:`linkspider.core.jsonl` does, else a repaired
    copy (bytes that are not UTF-8 as U+FFFD, over-long lines as one bad line each); and
    a bound on its longest line (exact past ``_LONG_LINE_BYTES``, else ``_LONG_LINE_BYTES``).

    Crawl files are valid UTF-8 with short lines: the check streams through them in 8 MB
    chunks (about 1 GB/s) and the copy is made only for a broken file.
    """
    longest = 0
    broken = False
    with path.open("rb") as handle:
        carry = b""
        while chunk := handle.read(_CHUNK):
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            whole, carry = data[:cut], data[cut:]
            # Only the line carried over from the chunks before can be longer than a chunk.
            longest = max(longest, data.find(b"\n") if cut else 0, len(carry))
            try:
                whole.decode("utf-8")
            except UnicodeDecodeError:
                broken = True
        try:
            carry.decode("utf-8")
        except UnicodeDecodeError:
            broken = True
    if not broken and longest <= MAX_LINE_BYTES:
        return path, longest
    _repair(path, repaired)
    return repaired, min(longest, MAX_LINE_BYTES)


def _repair(path: Path, repaired: Path) -> None:
    with path.open("rb") as source, repaired.open("wb") as out:
        while line := source.readline(MAX_LINE_BYTES + 1):
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := source.readline(_CHUNK)) and not rest.endswith(b"\n"):
                    pass
                out.write(b"-\n")  # a bad line, counted as such
                continue
            out.write(line.decode("utf-8", errors="replace").encode("utf-8"))
