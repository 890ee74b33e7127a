"""Spreadsheet-facing CSV files: UTF-8 BOM, familiar headers, and linkspider reading them.

Run folders are built by the real ``build_exports`` from hand-made JSON Lines
(tests/support/report_folder.py); the CLI runs as a subprocess.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from linkspider.engines.cells import raw_text, safe_text
from linkspider.engines.headers import (
    SPREADSHEET_FILES,
    SpreadsheetOptions,
    column_names,
    header_style,
    headers,
)
from linkspider.engines.spreadsheet import BOM, finish_spreadsheet_csvs
from linkspider.reports.options import ExportOptions
from linkspider.reports.report_data import csv_batches, csv_columns
from tests.support.report_folder import link, make_folder, page

ANCHOR = "Wanderbücher für Anfänger \u2013 походные ботинки 登山靴"
FORMULA = '=HYPERLINK("http://evil","x")'
AHREFS = SpreadsheetOptions(xlsx=False, csv_bom=True, headers="ahrefs")
PLAIN = SpreadsheetOptions()


def folder_with_history(tmp_path: Path, spreadsheet: SpreadsheetOptions, name: str = "run") -> Path:
    pages = [page("blog.example", n) for n in range(3)]
    links = [
        link("blog.example", 0, anchor=ANCHOR),
        link("blog.example", 1, anchor=FORMULA, follow=False),
        link("blog.example", 2, anchor="Acme", path="/shop"),
    ]
    options = ExportOptions(history=True, history_dir=tmp_path / "history", spreadsheet=spreadsheet)
    folder = tmp_path / name
    make_folder(folder, pages, links, options, run={"targets": "acme-boots.com"})
    return folder


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_familiar_headers_are_the_ahrefs_names_and_map_back(tmp_path: Path) -> None:
    folder = folder_with_history(tmp_path, PLAIN)
    written = [name for name in SPREADSHEET_FILES if (folder / name).exists()]
    assert {"backlinks.csv", "referring_domains.csv", "lost_links.csv"} <= set(written)
    for name in written:
        columns = csv_columns(folder / name)
        familiar = headers(name, columns, "ahrefs")
        assert len(set(familiar)) == len(familiar), name  # no two columns share a header
        assert column_names(name, familiar) == columns, name  # and each maps back
        assert column_names(name, columns) == columns
    backlinks = headers("backlinks.csv", csv_columns(folder / "backlinks.csv"), "ahrefs")
    for title in ("Referring page URL", "Anchor", "Nofollow", "UGC", "Sponsored", "Content",
                  "Left context", "Right context", "First seen", "Last seen", "Target URL"):  # fmt: skip
        assert title in backlinks
    assert "Lost reason" in headers(
        "lost_links.csv", csv_columns(folder / "lost_links.csv"), "ahrefs"
    )
    domains = headers(
        "referring_domains.csv", csv_columns(folder / "referring_domains.csv"), "ahrefs"
    )
    assert domains[:3] == ["Domain", "Links to target", "Referring pages"]
    assert "Dofollow links" in domains


def test_a_non_ascii_anchor_survives_the_bom(tmp_path: Path) -> None:
    folder = folder_with_history(tmp_path, AHREFS)
    data = (folder / "backlinks.csv").read_bytes()
    assert data.startswith(BOM) and not data.startswith(BOM + BOM)
    # Excel reads a file with a BOM as UTF-8: decoded so, the anchor is intact.
    assert ANCHOR in data[len(BOM) :].decode("utf-8")
    rows = read_rows(folder / "backlinks.csv")
    assert ANCHOR in [row["Anchor"] for row in rows]
    assert safe_text(FORMULA) in [row["Anchor"] for row in rows]  # still neutralised
    for name in SPREADSHEET_FILES:
        if (folder / name).exists():
            assert (folder / name).read_bytes().startswith(BOM), name
    for name in ("pages.csv", "errors.csv"):  # machine-facing: as they were
        assert not (folder / name).read_bytes().startswith(BOM), name
        assert (folder / name).read_text("utf-8").startswith('"url"'), name


def test_bom_off_and_linkspider_names_by_default_for_bare_options(tmp_path: Path) -> None:
    folder = folder_with_history(tmp_path, PLAIN)
    data = (folder / "backlinks.csv").read_bytes()
    assert not data.startswith(BOM)
    assert data.startswith(b'"source_url"') or data.startswith(b"source_url")


def test_settings_give_bom_and_xlsx_by_default_and_refuse_bad_styles() -> None:
    settings = Settings()
    assert SpreadsheetOptions.from_settings(settings) == SpreadsheetOptions(
        True, True, "linkspider"
    )
    settings.set("LINKSPIDER_CSV_BOM", "false")
    settings.set("LINKSPIDER_EXPORT_HEADERS", "Ahrefs")
    settings.set("LINKSPIDER_XLSX", "0")
    assert SpreadsheetOptions.from_settings(settings) == SpreadsheetOptions(False, False, "ahrefs")
    with pytest.raises(ValueError, match="LINKSPIDER_EXPORT_HEADERS must be linkspider or ahrefs"):
        header_style("semrush")


def test_finishing_is_idempotent_and_reversible(tmp_path: Path) -> None:
    folder = folder_with_history(tmp_path, AHREFS)
    before = {
        name: (folder / name).read_bytes() for name in SPREADSHEET_FILES if (folder / name).exists()
    }
    assert finish_spreadsheet_csvs(folder, AHREFS) == []  # nothing to do: no rewrite
    assert {n: (folder / n).read_bytes() for n in before} == before
    finish_spreadsheet_csvs(folder, PLAIN)  # back: linkspider names, no BOM
    rows = read_rows(folder / "backlinks.csv")
    assert ANCHOR in [row["anchor_text"] for row in rows]
    assert not (folder / "backlinks.csv").read_bytes().startswith(BOM)
    finish_spreadsheet_csvs(folder, AHREFS)
    assert {n: (folder / n).read_bytes() for n in before} == before


def test_report_reads_renamed_files_with_raw_values(tmp_path: Path) -> None:
    folder = folder_with_history(tmp_path, AHREFS)
    path = folder / "backlinks.csv"
    assert csv_columns(path)[0] == "source_url"
    anchors = [
        a for table in csv_batches(path, ["anchor_text"]) for a in table.column(0).to_pylist()
    ]
    assert FORMULA in anchors and ANCHOR in anchors  # the quote against formulas is gone
    assert raw_text(safe_text("-1")) == "-1" and raw_text("'quoted") == "'quoted"


def test_report_is_the_same_from_finished_files(tmp_path: Path) -> None:
    """Re-exporting an older run keeps its monitoring files as they are (finished): the
    report built from them says what the one from plain files says."""
    from linkspider.reports.html_report import write_reports

    folder = folder_with_history(tmp_path, PLAIN)
    options = ExportOptions()

    def report() -> str:  # chart ids count up in the process: not content
        write_reports(folder, options)
        return re.sub(r"chart-[0-9]+", "chart-N", (folder / "report.html").read_text("utf-8"))

    plain = report()
    assert "new_links.csv: rows by source_domain" in plain
    finish_spreadsheet_csvs(folder, AHREFS)
    assert report() == plain


def cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "linkspider.cli", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


@pytest.mark.e2e
def test_export_and_diff_read_and_write_finished_files(tmp_path: Path) -> None:
    old = folder_with_history(tmp_path, AHREFS, "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    # linkspider export with familiar headers: the files are rebuilt, the same rows
    result = cli("export", str(new), "-s", "LINKSPIDER_EXPORT_HEADERS=ahrefs",
                 "-s", "LINKSPIDER_HISTORY=false", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read_rows(new / "backlinks.csv") == read_rows(old / "backlinks.csv")
    assert (new / "backlinks.xlsx").exists()  # written by default
    # linkspider diff reads both folders and writes files for people (BOM by default)
    result = cli("diff", str(old), str(new), "--out", str(tmp_path / "diff"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 lost" in result.stdout
    assert (tmp_path / "diff" / "lost_links.csv").read_bytes().startswith(BOM)
    # a bad setting is one line, exit 2
    result = cli("export", str(new), "-s", "LINKSPIDER_EXPORT_HEADERS=semrush", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "LINKSPIDER_EXPORT_HEADERS" in result.stderr
    # with the xlsx switched off, no stale workbook is left
    result = cli("export", str(new), "-s", "LINKSPIDER_XLSX=false",
                 "-s", "LINKSPIDER_HISTORY=false", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (new / "backlinks.xlsx").exists()
    assert read_rows(new / "backlinks.csv")[0].keys() >= {"source_url", "anchor_text"}
