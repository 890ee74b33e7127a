"""backlinks.xlsx, read back with openpyxl: sheets, frozen header, autofilter, typed cells,
hyperlinks, text that stays text, and Excel's row and hyperlink limits.

Run folders are built by the real ``build_exports`` from hand-made JSON Lines.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from linkspider.engines.headers import SpreadsheetOptions
from linkspider.reports import xlsx
from linkspider.reports.options import ExportOptions
from tests.support.report_folder import link, make_folder, page

FORMULA = '=HYPERLINK("http://evil","click")'
ANCHOR = "Wanderbücher 登山靴"


def build(tmp_path: Path, headers: str = "linkspider", links: int = 3, name: str = "run") -> Path:
    pages = [page("blog.example", n) for n in range(links)]
    rows = [link("blog.example", n, anchor="Acme", path=f"/p{n}") for n in range(links)]
    rows[0] = link("blog.example", 0, anchor=FORMULA, follow=False, path="/p0")
    if links > 1:
        rows[1] = link("blog.example", 1, anchor=ANCHOR + "\x01bell", path="/p1")
    spreadsheet = SpreadsheetOptions(xlsx=True, csv_bom=True, headers=headers)  # type: ignore[arg-type]
    options = ExportOptions(history=True, history_dir=tmp_path / "history", spreadsheet=spreadsheet)
    folder = tmp_path / name
    make_folder(folder, pages, rows, options, run={"targets": "acme-boots.com"})
    return folder


def sheet_rows(sheet: Worksheet) -> list[dict[str, object]]:
    values = list(sheet.iter_rows(values_only=True))
    names = [str(v) for v in values[0]]
    return [dict(zip(names, row, strict=True)) for row in values[1:]]


def test_workbook_sheets_header_filter_and_types(tmp_path: Path) -> None:
    folder = build(tmp_path)
    book = openpyxl.load_workbook(folder / "backlinks.xlsx")
    assert book.sheetnames == [
        "backlinks", "referring domains", "anchors", "target pages", "new links", "lost links",
    ]  # fmt: skip
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.b for cell in sheet[1]), sheet.title
    links = book["backlinks"]
    rows = sheet_rows(links)
    assert len(rows) == 3
    assert links.auto_filter.ref == f"A1:{links.cell(1, links.max_column).column_letter}4"
    row = rows[0]
    assert row["nofollow"] is True and row["follow"] is False  # booleans
    assert row["source_status"] == 200 and isinstance(row["link_index"], int)  # numbers
    assert isinstance(row["first_seen"], datetime)  # dates, in UTC
    assert links.cell(2, 1).number_format == "General"
    first_seen = list(rows[0]).index("first_seen") + 1
    assert links.cell(2, first_seen).number_format == "yyyy-mm-dd hh:mm:ss"
    assert links.column_dimensions["A"].width > 20  # a URL column is wide enough to read
    # xlsxwriter's row files lived in a scratch folder of their own, gone with it
    assert not [p.name for p in folder.iterdir() if p.name.startswith((".xlsx-", "tmp"))]


def test_text_stays_text_and_urls_are_links(tmp_path: Path) -> None:
    folder = build(tmp_path)
    book = openpyxl.load_workbook(folder / "backlinks.xlsx")
    links = book["backlinks"]
    header = [cell.value for cell in links[1]]
    anchor = header.index("anchor_text") + 1
    cells = [links.cell(row, anchor) for row in range(2, 5)]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.value == FORMULA and formula.data_type == "s"  # the raw text, never a formula
    other = next(c for c in cells if str(c.value).startswith(ANCHOR))
    assert other.value == ANCHOR + "\ufffdbell"  # XML-illegal control character replaced
    url = links.cell(2, header.index("source_url") + 1)
    assert url.hyperlink is not None and url.hyperlink.target == url.value
    assert str(url.value).startswith("https://blog.example/p")
    href = links.cell(2, header.index("href") + 1)
    assert href.hyperlink is None  # only URL columns link
    domains = sheet_rows(book["referring domains"])
    assert domains[0]["source_domain"] == "blog.example" and domains[0]["backlinks"] == 3
    assert isinstance(domains[0]["sitewide"], bool)


def test_familiar_headers_in_the_workbook(tmp_path: Path) -> None:
    folder = build(tmp_path, headers="ahrefs")
    book = openpyxl.load_workbook(folder / "backlinks.xlsx", read_only=True)
    first = [c.value for c in next(book["backlinks"].iter_rows(max_row=1))]
    assert first[:2] == ["Referring page URL", "Referring host"]
    assert {
        "Anchor",
        "Nofollow",
        "UGC",
        "Sponsored",
        "Content",
        "Left context",
        "First seen",
    } <= set(first)
    lost = [c.value for c in next(book["lost links"].iter_rows(max_row=1))]
    assert "Lost reason" in lost
    domains = [c.value for c in next(book["referring domains"].iter_rows(max_row=1))]
    assert domains[:2] == ["Domain", "Links to target"]


def test_rows_past_a_sheet_go_to_the_next_and_links_past_the_limit_are_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel's limits (1,048,575 rows, 65,530 links a sheet) made small: the mechanism."""
    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)
    monkeypatch.setattr(xlsx, "MAX_LINKS", 5)
    folder = build(tmp_path, links=10)
    summary = xlsx.write_xlsx(folder)
    book = openpyxl.load_workbook(folder / "backlinks.xlsx")
    assert [n for n in book.sheetnames if n.startswith("backlinks")] == [
        "backlinks", "backlinks (2)", "backlinks (3)",
    ]  # fmt: skip
    parts = [sheet_rows(book[n]) for n in ("backlinks", "backlinks (2)", "backlinks (3)")]
    assert [len(p) for p in parts] == [4, 4, 2]
    every = [row["source_url"] for part in parts for row in part]
    assert sorted(every) == sorted(f"https://blog.example/p{n}" for n in range(10))
    first = book["backlinks"]
    linked = [c for row in first.iter_rows(min_row=2) for c in row if c.hyperlink is not None]
    assert len(linked) == 5  # the limit, per sheet
    links = next(s for s in summary.sheets if s.name == "backlinks")
    assert links.sheets == 3 and links.rows == 10 and links.plain_urls > 0
    assert any("10 rows in 3 sheets" in note for note in summary.notes)


def test_no_workbook_when_switched_off_and_no_stale_one(tmp_path: Path) -> None:
    folder = build(tmp_path)
    assert (folder / "backlinks.xlsx").exists()
    from linkspider.reports.exports import build_exports

    build_exports(folder, ExportOptions(spreadsheet=SpreadsheetOptions(xlsx=False)))
    assert not (folder / "backlinks.xlsx").exists()
    assert not list(folder.glob("*.tmp"))


def test_odd_values_never_break_the_workbook(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "source_url": ["https://a.example/" + "x" * 3000, "not a url", None],
        "value": [float("nan"), float("inf"), 1.5],
        "first_seen": ["2026-01-01T10:00:00+02:00", "", None],
        "anchor_text": ["x" * 40_000, "@SUM(1)", ""],
    })  # fmt: skip
    pq.write_table(table, tmp_path / "backlinks.parquet")
    xlsx.write_xlsx(tmp_path)
    rows = sheet_rows(openpyxl.load_workbook(tmp_path / "backlinks.xlsx")["backlinks"])
    assert [r["value"] for r in rows] == [None, None, 1.5]  # no NaN/inf in Excel: empty
    assert rows[0]["first_seen"] == datetime(2026, 1, 1, 8, 0)  # in UTC
    assert rows[1]["source_url"] == "not a url"
    assert len(str(rows[0]["source_url"])) > 3000  # too long to link: kept as text
    assert len(str(rows[0]["anchor_text"])) == xlsx.MAX_TEXT
    assert rows[1]["anchor_text"] == "@SUM(1)"
