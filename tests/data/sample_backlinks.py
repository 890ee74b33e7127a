"""The generator of ``tests/data/sample_backlinks.parquet``: the sample web's backlink rows.

The file is the ``backlinks.parquet`` of ``linkspider demo`` (a real crawl of the bundled
sample web) reduced to the columns the aggregates read, in a fixed row order, with the
crawl's timestamps replaced by one fixed instant so the file is the same on every run.
``tests/unit/test_aggregates.py`` feeds it to the aggregates and to their pandas reference.

Regenerate it after a deliberate change of the extraction (a test says when it is stale)::

    python -m tests.data.sample_backlinks
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.paths import DATA

SAMPLE_BACKLINKS = DATA / "sample_backlinks.parquet"
#: The fixed first/last-seen instant (a crawl's own timestamps change on every run).
SEEN = "2026-11-21T15:22:42Z"
#: The backlink columns kept, in the file's order.
COLUMNS = [
    ("source_url", pa.string()), ("source_host", pa.string()), ("source_domain", pa.string()),
    ("source_title", pa.string()), ("source_status", pa.int64()), ("target_url", pa.string()),
    ("href", pa.string()), ("target_host", pa.string()), ("target_domain", pa.string()),
    ("target", pa.string()), ("anchor_text", pa.string()), ("link_type", pa.string()),
    ("image_alt", pa.string()), ("rel", pa.string()), ("nofollow", pa.bool_()),
    ("ugc", pa.bool_()), ("sponsored", pa.bool_()), ("link_index", pa.int64()),
    ("depth", pa.int64()), ("first_seen", pa.string()), ("last_seen", pa.string()),
    ("placement", pa.string()), ("in_content", pa.bool_()), ("xpath", pa.string()),
    ("anchor_category", pa.string()), ("anchor_rule", pa.string()), ("follow", pa.bool_()),
    ("follow_reason", pa.string()), ("source_indexable", pa.bool_()),
    ("source_index_reason", pa.string()), ("source_canonical", pa.string()),
    ("source_lang", pa.string()), ("source_redirects", pa.string()), ("sitewide", pa.bool_()),
    ("links_in_group", pa.int64()), ("context_before", pa.string()),
    ("context_after", pa.string()),
]  # fmt: skip
SCHEMA = pa.schema(COLUMNS)
ORDER = [("source_url", "ascending"), ("link_index", "ascending"), ("target_url", "ascending")]


def from_crawl(backlinks_parquet: Path) -> pa.Table:
    """The sample file's table, made from a crawl's ``backlinks.parquet``."""
    table = pq.read_table(backlinks_parquet, columns=[name for name, _ in COLUMNS])
    for name in ("first_seen", "last_seen"):
        table = table.set_column(
            table.schema.get_field_index(name), name, pa.array([SEEN] * table.num_rows)
        )
    return table.cast(SCHEMA).sort_by(ORDER)


def crawl_sample_web(output_dir: Path) -> Path:
    """Run ``linkspider demo`` into ``output_dir``; the path of its ``backlinks.parquet``."""
    command = [sys.executable, "-m", "linkspider.cli", "demo", "--output-dir", str(output_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"linkspider demo failed:\n{done.stderr[-3000:]}")
    return output_dir / "backlinks.parquet"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        table = from_crawl(crawl_sample_web(Path(folder) / "demo"))
    pq.write_table(table, SAMPLE_BACKLINKS)
    print(f"{SAMPLE_BACKLINKS}: {table.num_rows} rows, {table.num_columns} columns")


if __name__ == "__main__":
    main()
