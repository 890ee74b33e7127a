"""The archive job's tasks send their rows to Spark as Arrow batches (``mapInArrow``): each
batch holds rows of one table, in that table's struct column, with the column types of
the Parquet tables; the rows are exactly what the extraction yields. Spark itself runs in
``tests/e2e/test_archive.py``."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pyarrow as pa
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linkspider.archive.inputs import WarcInput
from linkspider.archive.job import arrow_batches, arrow_struct, union_batch
from linkspider.archive.process import TABLES, ExtractOptions, process_inputs
from linkspider.config.targets import load_targets

pytest.importorskip("pyspark")

PAGE = (
    "<html><head><title>Post {n}</title></head><body><article><p>Read "
    '<a href="https://shop.test/p{n}">the shop</a> and '
    '<a href="https://shop.test/" rel="nofollow">home</a>.</p></article></body></html>'
)


def warc_of_pages(path: Path, count: int) -> Path:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for n in range(count):
        http = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        body = io.BytesIO(PAGE.format(n=n).encode())
        record = writer.create_warc_record(
            f"http://blog.test/post-{n}", "response", payload=body, http_headers=http
        )
        writer.write_record(record)
    path.write_bytes(out.getvalue())
    return path


def task_batch(*bins: list[WarcInput]) -> pa.RecordBatch:
    """The task's input: one row per bin of inputs, pickled, as the job sends it."""
    return pa.RecordBatch.from_arrays(
        [pa.array(range(len(bins)), pa.int64()), pa.array([pickle.dumps(b) for b in bins])],
        names=["task", "inputs"],
    )


def test_rows_leave_in_batches_of_one_table_and_are_the_extractions(tmp_path: Path) -> None:
    warc = warc_of_pages(tmp_path / "a.warc.gz", 5)
    options = ExtractOptions(load_targets("shop.test"))
    inputs = [WarcInput(str(warc))]
    expected: dict[str, list[dict[str, object]]] = {table: [] for table in TABLES}
    for table, row in process_inputs(iter(inputs), options):
        expected[table].append(dict(zip(TABLES[table], row, strict=True)))
    assert len(expected["backlinks"]) == 10 and len(expected["pages"]) == 5

    batches = list(arrow_batches([task_batch(inputs)], options, batch_rows=3))

    got: dict[str, list[dict[str, object]]] = {table: [] for table in TABLES}
    for batch in batches:
        assert batch.schema.names == ["table", *TABLES]
        assert batch.num_rows <= 3
        (table,) = set(batch.column("table").to_pylist())
        for other in TABLES:
            assert batch.column(other).null_count == (0 if other == table else batch.num_rows)
        assert batch.column(table).type == arrow_struct(table)
        got[table] += batch.column(table).to_pylist()
    assert got == expected  # every row, in the extraction's order, typed as in Parquet


def test_a_task_with_several_bins_and_an_empty_one(tmp_path: Path) -> None:
    first = warc_of_pages(tmp_path / "a.warc.gz", 2)
    second = warc_of_pages(tmp_path / "b.warc.gz", 3)
    options = ExtractOptions(load_targets("shop.test"))
    batch = task_batch([WarcInput(str(first))], [], [WarcInput(str(second))])
    pages = [
        row
        for out in arrow_batches([batch], options)
        if out.column("table")[0].as_py() == "pages"
        for row in out.column("pages").to_pylist()
    ]
    assert len(pages) == 5
    assert list(arrow_batches([task_batch([])], options)) == []


def test_a_value_of_another_type_is_cast_to_the_columns_type() -> None:
    struct = arrow_struct("redirects")
    row = [None] * struct.num_fields
    depth = struct.get_field_index("depth")
    status = struct.get_field_index("status")
    row[depth], row[status] = "2", 301  # a text depth, a number status
    batch = union_batch("redirects", [tuple(row)], {t: arrow_struct(t) for t in TABLES})
    (got,) = batch.column("redirects").to_pylist()
    assert got["depth"] == 2 and got["status"] == "301"
