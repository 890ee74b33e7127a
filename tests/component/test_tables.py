"""JSON Lines -> CSV and Parquet: one parse, last row per key, bad lines counted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from linkspider.core.items import ErrorItem
from linkspider.core.jsonl import LineCounts, numbered_records
from linkspider.engines import _duckdb, tables
from linkspider.engines.tables import arrow_schema, export_jsonl
from linkspider.reports.options import ExportOptions
from tests.support.report_folder import link, make_folder, page

SCHEMA = arrow_schema(ErrorItem)


def _row(url: str, error: str, depth: int = 0) -> str:
    return json.dumps({"url": url, "error": error, "message": "", "depth": depth,
                       "occurred_at": "T"})  # fmt: skip


def _tables(folder: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    parquet = pq.read_table(folder / "e.parquet").to_pylist()
    csv = pa_csv.read_csv(folder / "e.csv").to_pylist() if (folder / "e.csv").exists() else []
    return parquet, csv


@pytest.mark.parametrize("with_csv", [True, False])
def test_last_row_of_each_key_wins_in_file_order(tmp_path: Path, with_csv: bool) -> None:
    lines = [_row("https://a/1", "timeout"), "", _row("https://a/2", "http-404"),
             '{"url": "half a li', _row("https://a/1", "dns-error", 2)]  # fmt: skip
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    csv = tmp_path / "e.csv" if with_csv else None
    result = export_jsonl(tmp_path / "e.jsonl", SCHEMA, csv, tmp_path / "e.parquet", ("url",))
    assert (result.rows, result.duplicates, result.bad_lines) == (2, 1, 1)
    parquet, from_csv = _tables(tmp_path)
    assert [(r["url"], r["error"], r["depth"]) for r in parquet] == [
        ("https://a/2", "http-404", 0), ("https://a/1", "dns-error", 2)]  # fmt: skip
    if with_csv:
        assert [r["url"] for r in from_csv] == ["https://a/2", "https://a/1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["e.jsonl", "e.parquet", *(["e.csv"] if with_csv else [])]
    )  # no staging file left


def test_many_rows_across_row_groups(tmp_path: Path) -> None:
    lines = [_row(f"https://a/{n % 150_000}", f"e{n}") for n in range(160_000)]
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    result = export_jsonl(tmp_path / "e.jsonl", SCHEMA, None, tmp_path / "e.parquet", ("url",))
    assert (result.rows, result.duplicates) == (150_000, 10_000)
    table = pq.read_table(tmp_path / "e.parquet")
    errors = dict(zip(table.column("url").to_pylist(), table.column("error").to_pylist(),
                      strict=True))  # fmt: skip
    assert errors["https://a/0"] == "e150000" and errors["https://a/149999"] == "e149999"


def test_missing_file_gives_empty_files_with_headers(tmp_path: Path) -> None:
    result = export_jsonl(tmp_path / "none.jsonl", SCHEMA, tmp_path / "e.csv",
                          tmp_path / "e.parquet", ("url",))  # fmt: skip
    assert result.rows == 0
    assert (tmp_path / "e.csv").read_text("utf-8").startswith('"url","error"')
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


#: Text from pages anyone can write, as a spreadsheet would run it.
HOSTILE = ['=HYPERLINK("http://evil.example/","click")', "+SUM(1,2)", "=cmd|' /C calc'!A0",
           "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"]  # fmt: skip


def test_csv_text_cells_never_start_a_formula(tmp_path: Path) -> None:
    """Every CSV a user opens quotes formula-like text (OWASP); Parquet and JSONL stay raw."""
    pages = [page("blog.example", n) for n in range(len(HOSTILE))]
    links = []
    for n, text in enumerate(HOSTILE):
        pages[n].title = text
        row = link("blog.example", n, anchor=text, context_after=text, context_before="- dash")
        row.source_title = text
        links.append(row)
    run = {"targets": "acme-boots.com", "started_at": "2026-01-01T00:00:00Z"}
    options = ExportOptions(history=True, history_dir=tmp_path / "history")
    make_folder(tmp_path / "run", pages, links, options, run=run)
    folder = tmp_path / "run"
    quoted = {"'" + text for text in HOSTILE}

    def column(name: str, field: str) -> set[str]:
        with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
            return {row[field] for row in csv.DictReader(handle)}

    for name, field in [
        ("backlinks.csv", "anchor_text"), ("backlinks.csv", "context_after"),
        ("backlinks.csv", "source_title"), ("pages.csv", "title"), ("anchors.csv", "anchor"),
        ("new_links.csv", "anchor"),
    ]:  # fmt: skip
        assert column(name, field) == quoted, (name, field)
    assert column("backlinks.csv", "context_before") == {"'- dash"}
    (top,) = column("referring_domains.csv", "top_anchor")
    assert top in quoted
    # Numbers stay numbers, URLs are untouched.
    assert column("backlinks.csv", "link_index") == {"1"}
    assert column("pages.csv", "url") == {p.url for p in pages}
    # The raw values stay in the Parquet and JSON Lines files.
    table = pq.read_table(folder / "backlinks.parquet", columns=["anchor_text", "source_title"])
    assert set(table.column("anchor_text").to_pylist()) == set(HOSTILE)
    assert set(table.column("source_title").to_pylist()) == set(HOSTILE)
    jsonl = folder / "pages.jsonl"
    assert {json.loads(line)["title"] for line in jsonl.read_text("utf-8").splitlines()} == set(
        HOSTILE
    )


def test_broken_lines_are_read_as_the_jsonl_reader_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB reads the JSON Lines with linkspider.core.jsonl's tolerance (same rows, same
    count of bad lines): blank, garbled, non-object, invalid UTF-8, long, over-long, cut."""
    monkeypatch.setattr(_duckdb, "MAX_LINE_BYTES", 1 << 20)  # over-long: past 1 MB here
    monkeypatch.setattr(_duckdb, "_LONG_LINE_BYTES", 64 << 10)
    lines = [
        _row("https://a/1", "timeout").encode(),
        b"   ",
        b"garbage {",
        b"[1, 2]",
        b'"a string"',
        _row("https://a/2\xff", "bad-byte").encode().replace(b"\\u00ff", b"\xff"),
        _row("https://a/3", "x" * (200 << 10)).encode(),  # long, read with a larger limit
        _row("https://a/4", "y" * (2 << 20)).encode(),  # over-long: skipped, counted
        _row("https://a/5", "after").encode(),
        b'{"url": "https://a/6", "err',  # cut by a kill
    ]
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(lines))
    counts = LineCounts()
    expected = [r["url"] for _, r in numbered_records(path, counts, max_line_bytes=1 << 20)]
    result = export_jsonl(path, SCHEMA, tmp_path / "e.csv", tmp_path / "e.parquet", ("url",))
    parquet, from_csv = _tables(tmp_path)
    assert [r["url"] for r in parquet] == expected
    assert expected == ["https://a/1", "https://a/2\ufffd", "https://a/3", "https://a/5"]
    assert (result.rows, result.bad_lines) == (4, counts.bad_lines) == (4, 5)
    assert [r["url"] for r in from_csv] == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "e.jsonl", "e.parquet"]


def test_values_are_cast_to_the_column_types(tmp_path: Path) -> None:
    """A value of another JSON type is cast (a number as text, "7" as 7); missing fields and
    values that do not cast are empty."""
    lines = ['{"url": 5, "error": true, "depth": "7"}', '{"url": "u", "depth": "deep"}']
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    result = export_jsonl(tmp_path / "e.jsonl", SCHEMA, None, tmp_path / "e.parquet")
    assert result.rows == 2
    assert pq.read_table(tmp_path / "e.parquet").to_pylist() == [
        {"url": "5", "error": "true", "message": None, "depth": 7, "occurred_at": None},
        {"url": "u", "error": None, "message": None, "depth": None, "occurred_at": None},
    ]


def test_large_files_are_loaded_into_a_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past IN_MEMORY_BYTES the rows are paged to disk; the result is the same."""
    monkeypatch.setattr(tables, "IN_MEMORY_BYTES", 0)
    lines = [_row(f"https://a/{n % 900}", f"e{n}") for n in range(1000)]
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    result = export_jsonl(tmp_path / "e.jsonl", SCHEMA, None, tmp_path / "e.parquet", ("url",))
    assert (result.rows, result.duplicates) == (900, 100)
    urls = pq.read_table(tmp_path / "e.parquet").column("url").to_pylist()
    assert urls == [f"https://a/{n}" for n in range(100, 900)] + [
        f"https://a/{n}" for n in range(100)
    ]
