"""Trends over time: the history's per-run numbers, ``linkspider history`` and report.html.

Run folders are built from hand-made JSON Lines (``report_folder``) through the real
exports, recorded into a real history store; the CLI runs as a real process.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from linkspider.cli import crawl_env
from linkspider.core.items import PageItem
from linkspider.monitor.trends import csv_columns, read_trends, trend_row, trend_rows
from linkspider.reports.options import ExportOptions
from tests.support.report_folder import link, make_folder, page

TARGETS = "acme-boots.com"


def gone(host: str, n: int, status: int) -> PageItem:
    item = page(host, n)
    item.status, item.parsed, item.links, item.backlinks = status, False, 0, 0
    return item


def record(work: Path, name: str, pages: list[PageItem], links: list[object],
           started: str) -> Path:  # fmt: skip
    folder = work / name
    options = ExportOptions(history=True, history_dir=work / "history")
    make_folder(folder, pages, links, options, {"targets": TARGETS, "started_at": started})  # type: ignore[arg-type]
    return folder


def three_runs(work: Path) -> list[Path]:
    """Run 1: a.com (2 pages), b.com, c.com (nofollow). Run 2: a.com's p1 lost its link,
    b.com answers 404, d.com is new. Run 3: b.com back, a.com p0 not crawled."""
    one = record(
        work, "r1",
        [page("a.com", 0), page("a.com", 1), page("b.com", 0), page("c.com", 0)],
        [link("a.com", 0), link("a.com", 1), link("b.com", 0), link("c.com", 0, follow=False)],
        "2026-01-01T00:00:00Z",
    )  # fmt: skip
    two = record(
        work, "r2",
        [page("a.com", 0), page("a.com", 1), gone("b.com", 0, 404), page("c.com", 0),
         page("d.com", 0)],
        [link("a.com", 0), link("c.com", 0, follow=False), link("d.com", 0)],
        "2026-02-01T00:00:00Z",
    )  # fmt: skip
    three = record(
        work, "r3",
        [page("a.com", 1), page("b.com", 0), page("c.com", 0), page("d.com", 0)],
        [link("a.com", 1), link("b.com", 0), link("c.com", 0, follow=False), link("d.com", 0)],
        "2026-03-01T00:00:00Z",
    )  # fmt: skip
    return [one, two, three]


def store(work: Path) -> Path:
    (path,) = (work / "history").glob("*.sqlite")
    return path


def test_trend_rows_pure() -> None:
    runs = [(2, "t2", "/r2", 5, 1, 2, 0, 1), (1, "t1", "/r1", 6, 6, 0, 0, 0)]
    stats = [(2, 3, 4)]  # run 1 recorded by an older linkspider: no stats
    lost = [(2, "link-removed", 1), (2, "page-not-found", 1), (2, "not-crawled", 3)]
    first, second = trend_rows(runs, stats, lost)
    assert (first.run, first.referring_domains, first.lost_reasons) == (1, None, None)
    assert trend_row(first)["lost_link_removed"] is None  # unknown, not zero
    assert (second.referring_domains, second.followed, second.net) == (3, 4, -1)
    row = trend_row(second)
    assert row["lost_link_removed"] == 1 and row["lost_noindex"] == 0
    assert row["lost_not_crawled"] == 3
    assert list(row) == csv_columns()


def test_history_records_each_runs_numbers(tmp_path: Path) -> None:
    folders = three_runs(tmp_path)
    trends = read_trends(store(tmp_path))
    assert trends.targets == TARGETS and trends.total_runs == 3
    rows = [
        (t.run, t.started_at, t.backlinks, t.referring_domains, t.followed, t.new, t.lost,
         t.not_crawled)
        for t in trends.runs
    ]  # fmt: skip
    assert rows == [
        (1, "2026-01-01T00:00:00Z", 4, 3, 3, 4, 0, 0),
        (2, "2026-02-01T00:00:00Z", 3, 3, 2, 1, 2, 0),
        (3, "2026-03-01T00:00:00Z", 4, 4, 3, 2, 0, 1),
    ]
    assert trends.runs[1].lost_reasons == {"link-removed": 1, "page-not-found": 1}
    assert trends.runs[2].lost_reasons == {"not-crawled": 1}
    assert [t.run_folder for t in trends.runs] == [str(f.resolve()) for f in folders]
    # up to a given run (the report of an older run shows its past only)
    older = read_trends(store(tmp_path), up_to=str(folders[1].resolve()))
    assert [t.run for t in older.runs] == [1, 2] and older.total_runs == 3
    assert read_trends(store(tmp_path), up_to="/not/a/run").runs == ()


def test_recording_the_latest_run_again_counts_nothing_twice(tmp_path: Path) -> None:
    folders = three_runs(tmp_path)
    before = read_trends(store(tmp_path)).runs
    options = ExportOptions(history=True, history_dir=tmp_path / "history")
    from linkspider.reports.exports import build_exports

    build_exports(folders[2], options)  # the latest run again (linkspider export)
    build_exports(folders[0], options)  # an older run: kept
    assert read_trends(store(tmp_path)).runs == before


def history(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkspider.cli", "history", *args],
        cwd=cwd, env=crawl_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.e2e  # linkspider history as a process
def test_history_command_table_and_csv(tmp_path: Path) -> None:
    three_runs(tmp_path)
    hist = str(tmp_path / "history")
    shown = history(TARGETS, "--history-dir", hist, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].endswith("(targets acme-boots.com): 3 run(s)")
    assert lines[1].split()[:3] == ["run", "started", "backlinks"]
    assert lines[3].split() == ["2", "2026-02-01T00:00:00Z", "3", "3", "2", "1", "2", "-1",
                                "0", "0", "link-removed", "1,", "page-not-found", "1"]  # fmt: skip
    # the same numbers as CSV, on stdout and into a file; spelling of targets does not matter
    out = history("ACME-boots.com,", "--history-dir", hist, "--csv", "-", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    expected = [trend_row(t) for t in read_trends(store(tmp_path)).runs]
    assert rows == [{k: "" if v is None else str(v) for k, v in r.items()} for r in expected]
    assert history(TARGETS, "--history-dir", hist, "--csv", "t.csv", cwd=tmp_path).returncode == 0
    assert (tmp_path / "t.csv").read_text("utf-8").splitlines() == out.stdout.splitlines()
    last = history(TARGETS, "--history-dir", hist, "--last", "1", "--csv", "-", cwd=tmp_path)
    assert [r["run"] for r in csv.DictReader(io.StringIO(last.stdout))] == ["3"]
    # a store file given directly, or a run folder (the store its monitoring.json names)
    direct = history(str(store(tmp_path)), cwd=tmp_path)
    assert direct.returncode == 0 and direct.stdout == shown.stdout
    by_run = history(str(tmp_path / "r2"), cwd=tmp_path)
    assert by_run.returncode == 0 and by_run.stdout == shown.stdout


@pytest.mark.e2e  # linkspider history as a process
def test_history_from_a_store_of_an_older_linkspider_says_n_a(tmp_path: Path) -> None:
    three_runs(tmp_path)
    db = sqlite3.connect(store(tmp_path))
    db.execute("DROP TABLE run_stats")
    db.execute("DROP TABLE run_lost")
    db.commit()
    db.close()
    trends = read_trends(store(tmp_path))
    assert [t.referring_domains for t in trends.runs] == [None, None, None]
    assert [t.backlinks for t in trends.runs] == [4, 3, 4]  # runs still has these
    shown = history(TARGETS, "--history-dir", str(tmp_path / "history"), cwd=tmp_path)
    assert shown.returncode == 0 and "n/a: not recorded for that run" in shown.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch.com"], "no history for targets 'nosuch.com'"),
        (["*.acme.com"], "error: targets"),
        (["missing.sqlite"], "missing.sqlite: no such history store"),
        (["junk.sqlite"], "not a linkspider history store"),
        ([TARGETS, "--last", "0"], "--last must be 1 or more"),
        ([TARGETS, "--csv", "no/such/dir/t.csv"], "t.csv"),
        (["history"], "is a folder but not a run folder with a link history"),
        ([TARGETS, "--csv", "history"], "history"),  # a folder: nothing half-written
    ],
)
def test_history_command_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    record(tmp_path, "r1", [page("a.com", 0)], [link("a.com", 0)], "2026-01-01T00:00:00Z")
    (tmp_path / "junk.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    done = history(*args, "--history-dir", str(tmp_path / "history"), cwd=tmp_path)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert (tmp_path / "history").is_dir() and not list(tmp_path.glob("no"))
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.e2e  # linkspider history as a process
def test_history_default_folder_is_output_history(tmp_path: Path) -> None:
    record(tmp_path / "output", "r1", [page("a.com", 0)], [link("a.com", 0)],
           "2026-01-01T00:00:00Z")  # fmt: skip
    shown = history(TARGETS, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "1 run(s)" in shown.stdout


def test_runs_of_one_day_are_told_apart_by_time() -> None:
    from linkspider.reports.report_trends import _labels

    runs = trend_rows(
        [(1, "2026-03-01T09:05:00Z", "/a", 1, 1, 0, 0, 0),
         (2, "2026-03-01T17:40:00Z", "/b", 1, 0, 0, 0, 0),
         (3, "2026-03-02T08:00:00Z", "/c", 1, 0, 0, 0, 0)], [], [],
    )  # fmt: skip
    assert _labels(runs) == ["03-01 09:05", "03-01 17:40", "03-02 08:00"]
    assert _labels([runs[0], runs[2]]) == ["2026-03-01", "2026-03-02"]
