"""Resumable crawls lose nothing and write nothing twice.

Export-time de-duplication on hand-made files, then the real thing: crawls of the local
web stopped with Ctrl-C or SIGKILL and resumed with the same command give the rows of an
uninterrupted crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

from linkspider.items import ErrorItem
from linkspider.reports.tables import TableResult, arrow_schema, last_rows, read_jsonl_batches


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), "utf-8")


def test_last_row_of_each_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "errors.jsonl"
    rows = [
        {"url": "https://a.com/1", "error": "timeout"},
        {"url": "https://a.com/2", "error": "http-404"},
        {"url": "https://a.com/1", "error": "dns-error"},  # fetched again after a resume
    ]
    _write(path, [json.dumps(r) for r in rows[:2]] + ['{"url": "half a li', json.dumps(rows[2])])
    keep = last_rows(path, ("url",))
    assert keep == {1, 3}
    result = TableResult()
    schema = arrow_schema(ErrorItem)
    table = [b.to_pylist() for b in read_jsonl_batches(path, schema, result, keep=keep)]
    assert [(r["url"], r["error"]) for r in table[0]] == [
        ("https://a.com/2", "http-404"), ("https://a.com/1", "dns-error"),
    ]  # fmt: skip
    assert (result.rows, result.duplicates, result.bad_lines) == (2, 1, 1)


def test_no_repeated_key_reads_everything(tmp_path: Path) -> None:
    path = tmp_path / "errors.jsonl"
    _write(path, [json.dumps({"url": f"https://a.com/{n}"}) for n in range(3)])
    assert last_rows(path, ("url",)) is None
    assert last_rows(tmp_path / "missing.jsonl", ("url",)) is None
