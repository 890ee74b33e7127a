"""The committed data files are what their generators make today."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from tests.data.sample_backlinks import SAMPLE_BACKLINKS, crawl_sample_web, from_crawl


def test_sample_backlinks_parquet_is_its_generators_output(tmp_path: Path) -> None:
    made = from_crawl(crawl_sample_web(tmp_path / "demo"))
    committed = pq.read_table(SAMPLE_BACKLINKS)
    assert made.schema.equals(committed.schema)
    stale = "stale: regenerate it with `python -m tests.data.sample_backlinks`"
    assert made.num_rows == committed.num_rows, stale
    for name in made.column_names:
        assert made[name].to_pylist() == committed[name].to_pylist(), f"{name}: {stale}"
