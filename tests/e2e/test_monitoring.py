"""Monitoring over time: three real crawls of a local web that changes between them.

Run 1 sees the links of ``tests/webs/monitor``; before run 2 the test edits the web (a
link removed, pages made 404 / 500 / redirected / noindex / canonical elsewhere / robots
disallowed, an anchor changed, rel=nofollow added and removed, a target URL changed, a link
added, a page no longer linked, a whole site refused); run 3 restores two links. Each
step's new / lost / changed rows are checked exactly, with the history store's dates,
re-export idempotence and ``linkspider diff``.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkspider.cli import crawl_env, main
from linkspider.core.items import BacklinkItem
from linkspider.engines.tables import arrow_schema
from linkspider.monitor.runs import KEY, LINK_COLUMNS, anchor_of, read_links, with_occurrence
from linkspider.monitor.step import history_first_seen
from linkspider.reports.options import ExportOptions
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.support.paths import WEBS
from tests.support.report_folder import link, make_folder, page

SITES = WEBS / "monitor"
TARGETS = "acme.example,globex.example"
SEEDS = "http://blog.example/,http://down.example/"
BLOG = "http://blog.example"
FILES = ("new_links.csv", "lost_links.csv", "changed_links.csv")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), "utf-8")


def crawl(web_dir: Path, workdir: Path, name: str) -> CrawlRun:
    with TestWeb([web_dir]) as web:
        run = run_crawl(
            web, workdir, TARGETS, SEEDS,
            settings={"LINKSPIDER_HISTORY_DIR": str(workdir / "history")},
            output_dir=workdir / name,
        )  # fmt: skip
    assert run.process.returncode == 0, run.log
    return run


def change_the_web(web: Path) -> None:
    """Every kind of change between run 1 and run 2."""
    blog = web / "blog.example"
    edit(blog / "removed.html", '<a href="https://acme.example/boots">Acme hiking boots</a>', "")
    (blog / "_site.toml").write_text(
        '[[route]]\npath = "/gone.html"\nstatus = 404\n\n'
        '[[route]]\npath = "/broken.html"\nstatus = 500\n\n'
        '[[route]]\npath = "/moved.html"\nlocation = "/moved-new.html"\n',
        "utf-8",
    )
    edit(blog / "noindex.html", "<head>", '<head><meta name="robots" content="noindex">')
    edit(blog / "canon.html", "<head>", f'<head><link rel="canonical" href="{BLOG}/stable.html">')
    edit(blog / "robots.txt", "Disallow: /nothing-here/", "Disallow: /private.html")
    edit(blog / "anchor.html", ">Acme boots<", ">Buy Acme hiking boots<")
    edit(blog / "nofollow.html", "<a href", '<a rel="nofollow" href')
    edit(blog / "follow.html", ' rel="nofollow"', "")
    edit(blog / "target.html", "/old-product", "/new-product")
    edit(
        blog / "added.html",
        "No links yet.",
        'New: <a href="https://globex.example/new">Globex</a>.',
    )
    edit(blog / "double.html", ' and again <a href="https://acme.example/double">Acme</a>', "")
    edit(blog / "index.html", '<li><a href="/orphan.html">orphan</a></li>', "")
    shutil.rmtree(web / "down.example")
    (web / "_web.toml").write_text('refused_hosts = ["down.example"]\n', "utf-8")


def brief(rows: list[dict[str, str]], *columns: str) -> set[tuple[str, ...]]:
    return {tuple(row[c] for c in columns) for row in rows}


def store_links(history: Path) -> dict[tuple[str, str], dict[str, Any]]:
    (path,) = history.glob("*.sqlite")
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM links ORDER BY source_url, target_url").fetchall()
    db.close()
    return {(r["source_url"], r["target_url"]): dict(r) for r in rows}


def store_runs(history: Path) -> list[dict[str, Any]]:
    (path,) = history.glob("*.sqlite")
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY seq")]
    db.close()
    return rows


def seen(run: CrawlRun, source: str, column: str) -> str:
    (row,) = [r for r in run.rows() if r["source_url"] == source]
    return row[column]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("monitor")
    web = work / "web"
    shutil.copytree(SITES, web)
    first = crawl(web, work, "run1")
    change_the_web(web)
    second = crawl(web, work, "run2")
    after_second = store_links(work / "history")
    blog = web / "blog.example"
    edit(
        blog / "removed.html",
        "here.",
        'here: <a href="https://acme.example/boots">Acme hiking boots</a>.',
    )
    edit(blog / "index.html", "</ul>", '<li><a href="/orphan.html">orphan</a></li></ul>')
    third = crawl(web, work, "run3")
    return {"work": work, "run1": first, "run2": second, "run3": third, "store2": after_second}


def test_first_run_every_counted_link_is_new(runs: dict[str, Any]) -> None:
    run1: CrawlRun = runs["run1"]
    new = read(run1.output_dir / "new_links.csv")
    counted = [r for r in run1.rows() if r["source_indexable"] == "true"]
    assert len(new) == len(counted) == 16
    assert brief(new, "source_url", "target_url") == brief(counted, "source_url", "target_url")
    # a link on a page that was never indexable does not count
    assert not [r for r in new if r["source_url"] == f"{BLOG}/always-noindex.html"]
    for name in ("lost_links.csv", "changed_links.csv"):
        path = run1.output_dir / name
        assert read(path) == [] and path.read_text("utf-8-sig").startswith("source_url,")


def test_second_run_new_links(runs: dict[str, Any]) -> None:
    new = read(runs["run2"].output_dir / "new_links.csv")
    assert brief(new, "source_url", "target_url", "anchor") == {
        (f"{BLOG}/added.html", "https://globex.example/new", "Globex"),
        (f"{BLOG}/moved-new.html", "https://acme.example/moved", "Acme moved"),
    }


def test_second_run_lost_links_with_reasons(runs: dict[str, Any]) -> None:
    lost = read(runs["run2"].output_dir / "lost_links.csv")
    got = brief(
        lost, "source_url", "target_url", "occurrence", "lost_reason", "lost", "lost_detail"
    )
    assert got == {
        (f"{BLOG}/removed.html", "https://acme.example/boots", "1", "link-removed", "true", ""),
        (f"{BLOG}/double.html", "https://acme.example/double", "2", "link-removed", "true", ""),
        (f"{BLOG}/gone.html", "https://acme.example/gone", "1", "page-not-found", "true", "http-404"),
        (f"{BLOG}/broken.html", "https://acme.example/broken", "1", "page-error", "true", "http-500"),
        (f"{BLOG}/moved.html", "https://acme.example/moved", "1", "page-redirected", "true", f"{BLOG}/moved-new.html"),
        (f"{BLOG}/noindex.html", "https://acme.example/noindex", "1", "noindex", "true", "noindex-meta"),
        (f"{BLOG}/canon.html", "https://acme.example/canon", "1", "not-canonical", "true", f"{BLOG}/stable.html"),
        (f"{BLOG}/private.html", "https://acme.example/private", "1", "robots-blocked", "true", "robots-disallowed"),
        ("http://down.example/", "https://globex.example/", "1", "page-error", "true", "connection-refused"),
        (f"{BLOG}/orphan.html", "https://globex.example/orphan", "1", "not-crawled", "false", ""),
    }  # fmt: skip


def test_second_run_changed_links(runs: dict[str, Any]) -> None:
    changed = read(runs["run2"].output_dir / "changed_links.csv")
    assert brief(changed, "source_url", "change", "old_value", "new_value", "target_url") == {
        (f"{BLOG}/anchor.html", "anchor-changed", "Acme boots", "Buy Acme hiking boots", "https://acme.example/anchor"),
        (f"{BLOG}/nofollow.html", "became-nofollow", "follow", "rel:nofollow", "https://acme.example/nofollow"),
        (f"{BLOG}/follow.html", "became-follow", "rel:nofollow", "follow", "https://globex.example/follow"),
        (f"{BLOG}/target.html", "target-changed", "https://acme.example/old-product", "https://acme.example/new-product", "https://acme.example/new-product"),
    }  # fmt: skip
    run1: CrawlRun = runs["run1"]
    for row in changed:  # a changed link keeps the date it was first seen
        assert row["first_seen"] == seen(run1, row["source_url"], "first_seen")


def test_history_dates_and_status(runs: dict[str, Any]) -> None:
    run1: CrawlRun = runs["run1"]
    run2: CrawlRun = runs["run2"]
    links = runs["store2"]
    stable = links[(f"{BLOG}/stable.html", "https://acme.example/")]
    assert stable["status"] == "active"
    assert stable["first_seen"] == seen(run1, f"{BLOG}/stable.html", "first_seen")
    assert stable["last_seen"] == seen(run2, f"{BLOG}/stable.html", "last_seen")
    assert stable["first_seen"] < stable["last_seen"]
    # run 2's own exports show the history's first_seen, not run 2's fetch time
    assert seen(run2, f"{BLOG}/stable.html", "first_seen") == stable["first_seen"]
    assert (stable["first_run"], stable["last_run"]) == (1, 2)
    gone = links[(f"{BLOG}/gone.html", "https://acme.example/gone")]
    assert (gone["status"], gone["lost_reason"], gone["lost_run"]) == ("lost", "page-not-found", 2)
    assert gone["last_seen"] == seen(run1, f"{BLOG}/gone.html", "last_seen")
    assert gone["lost_since"] == run2.run_info()["started_at"]
    orphan = links[(f"{BLOG}/orphan.html", "https://globex.example/orphan")]
    assert (orphan["status"], orphan["last_run"]) == ("active", 1)  # not crawled: not lost
    # the changed target replaced the old identity and kept its first_seen
    assert (f"{BLOG}/target.html", "https://acme.example/old-product") not in links
    moved = links[(f"{BLOG}/target.html", "https://acme.example/new-product")]
    assert moved["first_seen"] == seen(run1, f"{BLOG}/target.html", "first_seen")
    assert moved["first_run"] == 1


def test_third_run_uses_history(runs: dict[str, Any]) -> None:
    run1: CrawlRun = runs["run1"]
    out = runs["run3"].output_dir
    new = read(out / "new_links.csv")
    # the restored link is new again, with the date it was first seen in run 1; the orphan
    # page's link (not crawled in run 2, so never claimed lost) is not new
    assert brief(new, "source_url", "target_url", "first_seen") == {
        (
            f"{BLOG}/removed.html",
            "https://acme.example/boots",
            seen(run1, f"{BLOG}/removed.html", "first_seen"),
        )
    }
    # links lost in run 2 are not lost again
    assert read(out / "lost_links.csv") == [] and read(out / "changed_links.csv") == []
    links = store_links(runs["work"] / "history")
    assert links[(f"{BLOG}/orphan.html", "https://globex.example/orphan")]["last_run"] == 3


def test_reexport_is_idempotent(runs: dict[str, Any]) -> None:
    work: Path = runs["work"]
    history = work / "history"
    before = {name: (runs["run3"].output_dir / name).read_text("utf-8") for name in FILES}
    links_before, runs_before = store_links(history), store_runs(history)
    setting = f"LINKSPIDER_HISTORY_DIR={history}"
    # the latest run, again: recorded again from the state before it, same result
    assert main(["export", str(runs["run3"].output_dir), "-s", setting]) == 0
    after = {name: (runs["run3"].output_dir / name).read_text("utf-8") for name in FILES}
    assert after == before
    assert store_links(history) == links_before
    assert [r["run_id"] for r in store_runs(history)] == [r["run_id"] for r in runs_before]
    # an older run: the history has moved on, nothing changes
    older = {name: (runs["run2"].output_dir / name).read_text("utf-8") for name in FILES}
    assert main(["export", str(runs["run2"].output_dir), "-s", setting]) == 0
    assert {n: (runs["run2"].output_dir / n).read_text("utf-8") for n in FILES} == older
    assert store_links(history) == links_before
    assert '"status": "kept"' in (runs["run2"].output_dir / "monitoring.json").read_text("utf-8")


def test_diff_gives_the_same_rows(runs: dict[str, Any], tmp_path: Path) -> None:
    run1, run2 = runs["run1"].output_dir, runs["run2"].output_dir
    assert main(["diff", str(run1), str(run2), "--out", str(tmp_path / "d")]) == 0
    for name in FILES:
        assert read(tmp_path / "d" / name) == read(run2 / name), name
    assert main(["diff", str(run1), str(run2)]) == 0  # default: NEW/diff-<OLD name>/
    assert read(run2 / "diff-run1" / "lost_links.csv") == read(run2 / "lost_links.csv")


def test_diff_refuses_a_folder_that_is_not_a_run(
    runs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(tmp_path), str(runs["run2"].output_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is not a linkspider run folder" in err
    assert main(["diff", str(runs["run1"].output_dir), str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_concurrent_exports_share_the_store_safely(runs: dict[str, Any], tmp_path: Path) -> None:
    history = tmp_path / "history"
    folders = []
    for name in ("a", "b"):
        shutil.copytree(runs["run2"].output_dir, tmp_path / name)
        folders.append(tmp_path / name)
    command = [sys.executable, "-m", "linkspider.cli", "export"]
    setting = ["-s", f"LINKSPIDER_HISTORY_DIR={history}"]
    procs = [
        subprocess.Popen([*command, str(f), *setting], env=crawl_env(), cwd=tmp_path)
        for f in folders
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    recorded = store_runs(history)
    assert sorted(r["run_id"] for r in recorded) == sorted(str(f.resolve()) for f in folders)
    # whichever came second found every link already known
    counted = [r for r in read(folders[0] / "backlinks.csv") if r["source_indexable"] == "true"]
    assert [r["new"] for r in recorded] == [len(counted), 0]
    (path,) = history.glob("*.sqlite")
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_history_off_and_default_place(runs: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(runs["run1"].output_dir, folder)
    for name in (*FILES, "monitoring.json"):
        (folder / name).unlink()
    assert main(["export", str(folder), "-s", "LINKSPIDER_HISTORY=false"]) == 0
    assert not any((folder / name).exists() for name in FILES)
    assert not (tmp_path / "history").exists()
    # on by default, next to the run folder
    assert main(["export", str(folder)]) == 0
    assert len(read(folder / "new_links.csv")) == 16
    (store,) = (tmp_path / "history").glob("*.sqlite")
    assert store.name.startswith("acme.example-and-1-more-")


def test_exports_show_the_history_first_seen(tmp_path: Path) -> None:
    """``first_seen`` in backlinks.csv/.parquet and the aggregates is the link's first
    sighting in any run of the same targets (Ahrefs' meaning), not this run's fetch time."""
    january, february = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
    options = ExportOptions(history=True, history_dir=tmp_path / "history")
    run = {"targets": "acme-boots.com"}

    def links(at: str, extra: bool) -> list[Any]:
        rows = [link("blog.example", 0, anchor="Acme"), link("blog.example", 1, anchor="Acme")]
        if extra:  # new in the second run, and a link on a page that is not indexable
            rows += [link("blog.example", 2, anchor="New"), link("other.example", 0)]
            rows[-1].source_indexable = False
        for row in rows:
            row.first_seen = row.last_seen = at
        return rows

    pages = [page("blog.example", n) for n in range(3)] + [page("other.example", 0, False)]
    make_folder(tmp_path / "jan", pages, links(january, False), options, run=run)
    make_folder(tmp_path / "feb", pages, links(february, True), options, run=run)
    feb = tmp_path / "feb"
    got = {(r["source_url"], r["first_seen"], r["last_seen"]) for r in read(feb / "backlinks.csv")}
    assert got == {
        ("https://blog.example/p0", january, february),
        ("https://blog.example/p1", january, february),
        ("https://blog.example/p2", february, february),  # new this run
        ("https://other.example/p0", february, february),  # not counted: not in the history
    }
    parquet = pq.read_table(feb / "backlinks.parquet", columns=["first_seen"])
    assert sorted(parquet.column("first_seen").to_pylist()) == [january] * 2 + [february] * 2
    domains = {r["source_domain"]: r["first_seen"] for r in read(feb / "referring_domains.csv")}
    assert domains == {"blog.example": january, "other.example": february}
    # The raw JSON Lines keep this run's fetch time (the history is recorded from them).
    assert january not in (feb / "backlinks.jsonl").read_text("utf-8")


def _first_seen_with_pandas(parquet: Path, known: pd.DataFrame) -> list[str | None]:
    """The previous pandas history_first_seen (whole columns in memory): the reference."""
    frame = pq.read_table(parquet).to_pandas()
    frame["_row"] = range(len(frame))
    frame["anchor"] = anchor_of(frame)
    frame = with_occurrence(frame)
    merged = frame.merge(known.rename(columns={"first_seen": "_known"}), on=KEY, how="left")
    merged = merged.sort_values("_row")
    return merged["_known"].where(merged["_known"].notna(), merged["first_seen"]).tolist()


def test_history_first_seen_matches_the_pandas_reference(tmp_path: Path) -> None:
    """Repeated links of a page are numbered in page order, then file order; image links
    are keyed by their alt text; links the history does not hold keep their own date."""

    def row(host: str, anchor: str, seen: str, **changes: Any) -> BacklinkItem:
        return replace(link(host, int(host == "a.com") or 2, anchor=anchor), first_seen=seen,
                       **changes)  # fmt: skip

    rows = [
        row("a.com", "x", "R1"),
        row("a.com", "x", "R2", link_index=0),  # first on the page
        row("a.com", "x", "R3"),  # same position: file order
        row("a.com", "", "R4", link_type="image", image_alt="logo"),
        row("b.com", "y", "R5"),
        row("a.com", "x", "R6", link_index=5),
    ]
    schema = arrow_schema(BacklinkItem)
    parquet = tmp_path / "backlinks.parquet"
    pq.write_table(pa.Table.from_pylist([asdict(r) for r in rows], schema=schema), parquet)
    url, target = "https://a.com/p1", "https://acme-boots.com/"
    known = pd.DataFrame(
        {
            "source_url": [url, url, url, "https://b.com/p2"],
            "target_url": [target] * 4,
            "anchor": ["x", "x", "logo", "other"],
            "occurrence": [1, 3, 1, 1],
            "first_seen": ["H-first", "H-third", "H-logo", "H-unused"],
        }
    )
    got = history_first_seen(parquet, known)
    assert got is not None
    assert got.to_pylist() == _first_seen_with_pandas(parquet, known)
    assert got.to_pylist() == ["R1", "H-first", "H-third", "H-logo", "R5", "R6"]


def _links_with_pandas(parquet: Path) -> pd.DataFrame:
    """The previous pandas read_links (whole columns in memory): the reference."""
    frame = pq.read_table(parquet).to_pandas()
    frame = frame[frame["source_indexable"].fillna(False).astype(bool)].copy()
    frame["anchor"] = anchor_of(frame)
    for name in ("rel", "follow_reason", "placement", "source_domain", "target"):
        frame[name] = frame[name].fillna("")
    frame["follow"] = frame["follow"].fillna(False).astype(bool)
    return with_occurrence(frame)[LINK_COLUMNS]


def test_read_links_matches_the_pandas_reference(tmp_path: Path) -> None:
    """Counted links only (indexable pages), numbered after that filter, in page order."""
    rows = [
        replace(link("b.com", 2, anchor="x"), link_index=4),
        replace(link("a.com", 1, anchor="x"), source_indexable=False),  # does not count
        replace(link("a.com", 1, anchor="x"), link_index=3, rel="nofollow", follow=False),
        replace(link("a.com", 1, anchor="x"), link_index=2),
        replace(link("a.com", 1, anchor=""), link_type="image", image_alt="logo"),
        replace(link("a.com", 1, anchor="x"), link_index=2, placement="footer"),
    ]
    parquet = tmp_path / "backlinks.parquet"
    table = pa.Table.from_pylist([asdict(r) for r in rows], schema=arrow_schema(BacklinkItem))
    pq.write_table(table.set_column(table.schema.get_field_index("rel"), "rel",
                                    pa.array([None, "", "nofollow", "", "", ""])), parquet)  # fmt: skip
    got = read_links(parquet)
    pd.testing.assert_frame_equal(got, _links_with_pandas(parquet))
    assert got[["anchor", "link_index", "occurrence", "placement"]].values.tolist() == [
        ["logo", 1, 1, "content"], ["x", 2, 1, "content"], ["x", 2, 2, "footer"],
        ["x", 3, 3, "content"], ["x", 4, 1, "content"],
    ]  # fmt: skip
    assert got["rel"].tolist() == ["", "", "", "nofollow", ""]
