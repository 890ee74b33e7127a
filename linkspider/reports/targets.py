"""Target checks at export time: ``target_status`` in the backlink table, broken backlinks.

``target_status.jsonl`` (written by :mod:`linkspider.middlewares.target_check` while
crawling; the last answer of a target URL wins) gives each checked target URL a status:
the final HTTP status after redirects (``200``, ``404``...), else the failure
(``timeout``, ``connection-refused``...), or why the check was not made
(``robots-disallowed``, ``ssrf-blocked``...). It fills the ``target_status`` column of
``backlinks.parquet`` / ``.csv`` (the rows were written before the checks answered), and
``broken_backlinks.csv`` lists the links whose target answered 4xx/5xx, after redirects
too, or failed: the links worth reclaiming. Targets not checked (check refused, or the
crawl stopped first) are not broken: unknown.

Without ``target_status.jsonl`` (no ``-a check_targets=true``) nothing is done: the column
stays empty and ``broken_backlinks.csv`` is not written, so an absent file never reads as
"nothing broken".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from linkspider.core.jsonl import read_jsonl
from linkspider.engines.cells import csv_cell
from linkspider.engines.spreadsheet import safe_table
from linkspider.output import TARGET_STATUS_JSONL

BROKEN_NAME = "broken_backlinks.csv"
#: Columns of broken_backlinks.csv: the link, then what its target answered.
BROKEN_LINK_COLUMNS = (
    "source_url", "source_domain", "target_url", "anchor_text", "link_type", "rel",
    "follow", "placement", "in_content", "source_indexable", "first_seen", "last_seen",
)  # fmt: skip
BROKEN_COLUMNS = (*BROKEN_LINK_COLUMNS, "target_status", "target_final_url", "target_error")


@dataclass(frozen=True)
class TargetAnswer:
    status: str  # the target_status value
    final_url: str
    error: str
    broken: bool


def load_answers(output_dir: Path) -> dict[str, TargetAnswer] | None:
    """Target URL -> its last answer; None when the crawl did not check targets."""
    path = output_dir / TARGET_STATUS_JSONL
    if not path.exists():
        return None
    answers: dict[str, TargetAnswer] = {}
    for record in read_jsonl(path):
        url = record.get("target_url")
        if not isinstance(url, str):
            continue
        status = record.get("status")
        error = str(record.get("error") or "")
        blocked = bool(record.get("blocked"))
        code = status if isinstance(status, int) else None
        broken = not blocked and (bool(error) or (code is not None and code >= 400))
        value = str(code) if code is not None else error
        answers[url] = TargetAnswer(value, str(record.get("final_url") or ""), error, broken)
    return answers


def apply_target_status(output_dir: Path) -> int | None:
    """Fill ``target_status`` and write ``broken_backlinks.csv``; return its row count
    (None: targets were not checked)."""
    answers = load_answers(output_dir)
    if answers is None:
        return None
    parquet = output_dir / "backlinks.parquet"
    broken: list[list[object]] = []
    if parquet.exists():
        broken = _rewrite(parquet, output_dir / "backlinks.csv", answers)
    path = output_dir / BROKEN_NAME
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BROKEN_COLUMNS)
        writer.writerows(broken)
    tmp.replace(path)
    return len(broken)


def _rewrite(parquet: Path, csv_path: Path, answers: dict[str, TargetAnswer]) -> list[list[object]]:
    """Rewrite the backlink files with ``target_status``; return the broken links' rows."""
    source = pq.ParquetFile(parquet)
    schema = source.schema_arrow
    index = schema.get_field_index("target_status")
    tmp_parquet = parquet.with_suffix(".parquet.targets.tmp")
    tmp_csv = csv_path.with_suffix(".csv.targets.tmp")
    rows: list[list[object]] = []
    options = pa_csv.WriteOptions(quoting_style="needed")
    with (
        pq.ParquetWriter(str(tmp_parquet), schema) as writer,
        pa_csv.CSVWriter(str(tmp_csv), schema, write_options=options) as csv_writer,
    ):
        for batch in source.iter_batches(batch_size=100_000):
            table = pa.Table.from_batches([batch], schema=schema)
            targets = table.column("target_url").to_pylist()
            found = [answers.get(url) for url in targets]
            values = [answer.status if answer else "" for answer in found]
            table = table.set_column(index, "target_status", pa.array(values, pa.string()))
            writer.write_table(table)
            csv_writer.write_table(safe_table(table))
            picked = [i for i, answer in enumerate(found) if answer and answer.broken]
            if picked:
                links = table.take(picked).select(list(BROKEN_LINK_COLUMNS)).to_pylist()
                for i, link in zip(picked, links, strict=True):
                    answer = found[i]
                    assert answer is not None
                    cells = [csv_cell(link[name]) for name in BROKEN_LINK_COLUMNS]
                    rows.append([*cells, answer.status, answer.final_url, answer.error])
    tmp_parquet.replace(parquet)
    tmp_csv.replace(csv_path)
    return rows
