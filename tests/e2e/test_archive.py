"""``linkspider archive`` on Spark (local mode, real Java): a crawl of the sample web is
recorded into WARC files, and archiving them gives exactly the live crawl's rows.

One Spark session serves every test (``spark`` fixture); the command runs in-process
(``linkspider.cli.main``), so it uses that session instead of starting a JVM of its own.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from linkspider.cli import main
from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_TARGETS, CrawlRun, run_crawl
from tests.support.paths import WEBS

#: Fields the archive takes from the WARC record (WARC-Date), not from the crawl's clock.
FETCH_TIME = {"first_seen", "last_seen", "fetched_at", "occurred_at"}


@dataclass
class Recorded:
    live: CrawlRun
    warc_dir: Path
    workdir: Path


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from linkspider.archive.spark import start_session

    session = start_session("local[2]", shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session


@pytest.fixture(scope="module")
def recorded(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    workdir = tmp_path_factory.mktemp("archive")
    warc_dir = workdir / "warc"
    live = run_crawl(sample_web, workdir, settings={"LINKSPIDER_WARC_DIR": str(warc_dir)})
    assert live.process.returncode == 0, live.log[-3000:]
    assert sorted(p.name for p in warc_dir.iterdir())  # closed files, no *.open
    assert not list(warc_dir.glob("*.open"))
    return Recorded(live, warc_dir, workdir)


def archive(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["archive", *args])
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def comparable(rows: list[dict[str, Any]], drop: set[str] = FETCH_TIME) -> Counter[str]:
    return Counter(
        json.dumps({k: v for k, v in row.items() if k not in drop}, sort_keys=True) for row in rows
    )


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_archive_of_a_recorded_crawl_gives_the_live_crawls_rows(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = recorded.workdir / "archived"
    code, stdout, err = archive(
        capsys, "--targets", SAMPLE_TARGETS, "--warc", str(recorded.warc_dir), "--out", str(out)
    )
    assert code == 0, err
    live = recorded.live.output_dir
    live_links = jsonl(live / "backlinks.jsonl")
    assert len(live_links) > 50
    assert comparable(jsonl(out / "backlinks.jsonl")) == comparable(live_links)
    assert comparable(jsonl(out / "pages.jsonl")) == comparable(jsonl(live / "pages.jsonl"))
    fetched_errors = [e for e in jsonl(live / "errors.jsonl") if e["error"].startswith("http-")]
    assert comparable(jsonl(out / "errors.jsonl")) == comparable(fetched_errors)
    # redirects followed by the crawl: the chain is in the rows, as the crawl wrote it
    assert any(r["source_redirects"] for r in live_links)
    # the exports are the crawl's: sitewide groups, aggregates (dates aside)
    assert comparable(csv_rows(out / "backlinks.csv")) == comparable(
        csv_rows(live / "backlinks.csv")
    )
    dated = {"first_seen", "last_seen", "first_seen_min", "last_seen_max"}
    assert comparable(csv_rows(out / "referring_domains.csv"), dated) == comparable(
        csv_rows(live / "referring_domains.csv"), dated
    )
    info = json.loads((out / "archive.json").read_text("utf-8"))
    assert info["status"] == "finished" and info["problems"] == 0
    assert info["records"]["page"] + info["records"]["not-html"] == sum(
        1 for p in jsonl(live / "pages.jsonl") if p["status"] == 200
    )
    assert info["records"]["robots"] > 0 and info["records"]["redirect"] > 0
    assert json.loads((out / "run.json").read_text("utf-8"))["status"] == "finished"
    assert f"{len(live_links)} backlinks" in stdout
    assert (out / "report.html").exists()
    # the row tables Spark wrote are Parquet, typed
    import pyarrow.parquet as pq

    table = pq.read_table(out / "rows" / "backlinks")
    assert table.num_rows == len(live_links)
    assert str(table.schema.field("link_index").type) == "int64"


def rewrite_warc(source: Path, target: Path, metadata: bool = True, day: str = "") -> None:
    """The WARC file without linkspider's metadata records (as another crawler's), or
    captured on another ``day`` (its WARC-Dates moved)."""
    with source.open("rb") as handle, target.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for record in ArchiveIterator(handle, no_record_parse=True):
            if record.rec_type == "metadata" and not metadata:
                continue
            body = record.raw_stream.read()
            date = record.rec_headers.get_header("WARC-Date")
            if day and date:
                record.rec_headers.replace_header("WARC-Date", day + date[10:])
            copy = writer.create_warc_record(
                record.rec_headers.get_header("WARC-Target-URI") or "", record.rec_type,
                payload=io.BytesIO(body), warc_headers=record.rec_headers, length=len(body),
            )  # fmt: skip
            writer.write_record(copy)


def strip_metadata(source: Path, target: Path) -> None:
    rewrite_warc(source, target, metadata=False)


def test_a_warc_of_another_crawler_gives_the_same_rows_but_depth(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No metadata records: redirect chains are rebuilt from the redirect records."""
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    for path in recorded.warc_dir.glob("*.warc.gz"):
        strip_metadata(path, foreign / path.name)
    out = tmp_path / "out"
    code, _, err = archive(
        capsys, "--targets", SAMPLE_TARGETS, "--warc", str(foreign), "--out", str(out)
    )
    assert code == 0, err
    live = recorded.live.output_dir
    drop = FETCH_TIME | {"depth"}  # the crawl's link depth is not in a WARC
    assert comparable(jsonl(out / "backlinks.jsonl"), drop) == comparable(
        jsonl(live / "backlinks.jsonl"), drop
    )
    assert comparable(jsonl(out / "pages.jsonl"), drop) == comparable(
        jsonl(live / "pages.jsonl"), drop
    )
    assert "metadata" not in json.loads((out / "archive.json").read_text("utf-8"))["records"]


def test_a_damaged_warc_gives_a_partial_run_with_every_readable_row(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from linkspider.archive.framing import frames

    source = next(recorded.warc_dir.glob("*.warc.gz"))
    data = source.read_bytes()
    members = list(frames(data))
    middle = members[len(members) // 2]
    cut = members[-1]
    damaged = (
        data[: middle.offset] + b"\x00GARBAGE\x00" * 40 + data[middle.offset : cut.offset]
        + data[cut.offset : cut.offset + cut.length // 2]
    )  # fmt: skip
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "damaged.warc.gz").write_bytes(damaged)
    out = tmp_path / "out"
    code, _, err = archive(
        capsys, "--targets", SAMPLE_TARGETS, "--warc", str(tmp_path / "in"), "--out", str(out)
    )
    assert code == 3
    assert "partial" in err and "archive.json" in err
    info = json.loads((out / "archive.json").read_text("utf-8"))
    assert info["status"] == "partial"
    assert info["records"]["garbage"] == 1 and info["records"]["truncated"] == 1
    assert {p["kind"] for p in info["problems_listed"]} == {"garbage", "truncated"}
    assert json.loads((out / "run.json").read_text("utf-8"))["status"] == "partial"
    listed = {r["kind"] for r in csv_rows(out / "archive_records.csv")}
    assert {"garbage", "truncated"} <= listed
    # rebuilding its exports does not make it look complete
    assert main(["export", str(out)]) == 3
    assert "partial: 2 problem(s)" in capsys.readouterr().err
    assert json.loads((out / "run.json").read_text("utf-8"))["status"] == "partial"
    # every record but the cut last one is read: the rows of the pages before and after
    # the garbage are all there
    whole = tmp_path / "whole"
    whole.mkdir()
    (whole / "w.warc.gz").write_bytes(data[: cut.offset])
    reference = tmp_path / "reference"
    assert (
        archive(capsys, "--targets", SAMPLE_TARGETS, "--warc", str(whole), "--out", str(reference))[
            0
        ]
        == 0
    )
    assert comparable(jsonl(out / "backlinks.jsonl")) == comparable(
        jsonl(reference / "backlinks.jsonl")
    )


def test_a_warc_served_over_http(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    site = tmp_path / "sites" / "localhost"
    site.mkdir(parents=True)
    for index, path in enumerate(sorted(recorded.warc_dir.glob("*.warc.gz"))):
        shutil.copy(path, site / f"crawl-{index}.warc.gz")
    (site / "page.warc.gz").write_bytes(gzip.compress(b"<html>not a warc</html>"))
    (site / "_site.toml").write_text(
        '[[route]]\npath = "/cut.warc.gz"\nfile = "crawl-0.warc.gz"\ntruncate_at = 30000\n'
        '[[route]]\npath = "/cut-early.warc.gz"\nfile = "crawl-0.warc.gz"\ntruncate_at = 1000\n',
        "utf-8",
    )
    with TestWeb([tmp_path / "sites"]) as web:
        base = f"http://localhost:{web.http_port}"
        urls = [f"{base}/{p.name}" for p in sorted(site.glob("crawl-*.warc.gz"))]
        out = tmp_path / "out"
        code, _, err = archive(
            capsys, "--targets", SAMPLE_TARGETS, "--warc", *urls, "--out", str(out)
        )
        assert code == 0, err
        bad = archive(capsys, "--targets", SAMPLE_TARGETS, "--warc", f"{base}/page.warc.gz")
        missing = archive(capsys, "--targets", SAMPLE_TARGETS, "--warc", f"{base}/nope.warc.gz")
        early = archive(capsys, "--targets", SAMPLE_TARGETS, "--warc", f"{base}/cut-early.warc.gz")
        cut_out = tmp_path / "cut"
        cut = archive(
            capsys, "--targets", SAMPLE_TARGETS, "--warc", f"{base}/cut.warc.gz",
            "--out", str(cut_out),
        )  # fmt: skip
    # a download cut short: what arrived is read, the cut is listed, the run is partial
    assert cut[0] == 3 and "partial" in cut[2]
    info = json.loads((cut_out / "archive.json").read_text("utf-8"))
    assert info["status"] == "partial" and info["records"]["unreadable"] == 1
    assert "download cut short after 30000 bytes" in str(info["problems_listed"])
    reference = tmp_path / "first-bytes"
    reference.mkdir()
    (reference / "w.warc.gz").write_bytes((site / "crawl-0.warc.gz").read_bytes()[:30000])
    ref_out = tmp_path / "ref"
    assert (
        archive(
            capsys, "--targets", SAMPLE_TARGETS, "--warc", str(reference), "--out", str(ref_out)
        )[0]
        == 3
    )
    assert comparable(jsonl(cut_out / "backlinks.jsonl")) == comparable(
        jsonl(ref_out / "backlinks.jsonl")
    )
    assert jsonl(cut_out / "backlinks.jsonl")  # the records before the cut
    assert early[0] == 3 and "partial" in early[2]  # cut inside its first records
    assert comparable(jsonl(out / "backlinks.jsonl")) == comparable(
        jsonl(recorded.live.output_dir / "backlinks.jsonl")
    )
    assert bad[0] == 2 and bad[2].count("\n") == 1 and "not a WARC file" in bad[2]
    assert missing[0] == 2 and "HTTP 404" in missing[2]


REDIRECT_SITES = WEBS / "archive"


def test_redirects_meta_refresh_and_redirects_to_seen_urls_as_in_the_crawl(
    spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Chains of two hops, a meta refresh (never parsed), two redirects to one page (the
    crawl drops one: a redirected-to-seen-url row): the archive's rows are the crawl's,
    from linkspider's metadata records; without them, the unambiguous chains are rebuilt."""
    with TestWeb([REDIRECT_SITES]) as web:
        live = run_crawl(
            web, tmp_path, "target-shop.com", "redirect-blog.com",
            settings={"LINKSPIDER_WARC_DIR": str(tmp_path / "warc")},
        )  # fmt: skip
    assert live.process.returncode == 0, live.log[-3000:]
    live_links = jsonl(live.output_dir / "backlinks.jsonl")
    live_pages = jsonl(live.output_dir / "pages.jsonl")
    by_url = {r["source_url"].rsplit("/", 1)[-1]: r for r in live_links}
    assert "refresh.html" not in by_url and "landing.html" in by_url
    assert by_url["deep.html"]["source_redirects"].count("->") == 2
    assert "meta refresh" in by_url["landing.html"]["source_redirects"]
    assert any(p["note"] == "redirected-to-seen-url" for p in live_pages)
    out = tmp_path / "archived"
    code, _, err = archive(
        capsys, "--targets", "target-shop.com", "--warc", str(tmp_path / "warc"), "--out", str(out)
    )
    assert code == 0, err
    assert comparable(jsonl(out / "backlinks.jsonl")) == comparable(live_links)
    assert comparable(jsonl(out / "pages.jsonl")) == comparable(live_pages)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        strip_metadata(path, foreign / path.name)
    out = tmp_path / "foreign-out"
    code, _, err = archive(
        capsys, "--targets", "target-shop.com", "--warc", str(foreign), "--out", str(out)
    )
    assert code == 0, err
    rows = {r["source_url"].rsplit("/", 1)[-1]: r for r in jsonl(out / "backlinks.jsonl")}
    assert set(rows) == set(by_url)
    for name in ("deep.html", "landing.html"):  # one way to reach each: rebuilt exactly
        assert rows[name]["source_redirects"] == by_url[name]["source_redirects"]


def test_rows_only_leaves_the_parquet_tables_as_the_result(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    code, stdout, err = archive(
        capsys, "--targets", SAMPLE_TARGETS, "--warc", str(recorded.warc_dir), "--out", str(out),
        "--rows-only", "--part-bytes", "20000",  # read in parts, in parallel
    )  # fmt: skip
    assert code == 0, err
    assert "row tables in" in stdout
    assert not (out / "backlinks.csv").exists() and not (out / "backlinks.jsonl").exists()
    info = json.loads((out / "archive.json").read_text("utf-8"))
    assert info["status"] == "finished" and info["records"]["page"] > 0
    assert info["inputs"] == 1 and info["input_parts"] >= 3
    live = jsonl(recorded.live.output_dir / "backlinks.jsonl")
    rows = pq.read_table(out / "rows" / "backlinks").to_pylist()
    assert comparable(rows) == comparable(live)  # every row once, depth and chains kept


RENDER_SITES = WEBS / "render"


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_a_rendered_crawl_gives_its_rendered_rows(
    spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """render=always: the DOMs the browser built are recorded as conversion records; the
    archive merges them with the raw HTML as the crawl did (origin, rendered_changes)."""
    targets = str(RENDER_SITES / "targets.toml")
    with TestWeb([RENDER_SITES]) as web:
        live = run_crawl(
            web, tmp_path, targets, str(RENDER_SITES / "seeds.txt"), "-a", "render=always",
            settings={"LINKSPIDER_WARC_DIR": str(tmp_path / "warc")},
        )  # fmt: skip
    assert live.process.returncode == 0, live.log[-3000:]
    live_links = jsonl(live.output_dir / "backlinks.jsonl")
    assert {r["origin"] for r in live_links} >= {"rendered", "both"}
    out = tmp_path / "archived"
    code, _, err = archive(
        capsys, "--targets", targets, "--warc", str(tmp_path / "warc"), "--out", str(out)
    )
    assert code == 0, err
    assert comparable(jsonl(out / "backlinks.jsonl")) == comparable(live_links)
    drop = FETCH_TIME | {"render_reason"}  # why the crawl rendered is not recorded
    assert comparable(jsonl(out / "pages.jsonl"), drop) == comparable(
        jsonl(live.output_dir / "pages.jsonl"), drop
    )
    reasons = {p["render_reason"] for p in jsonl(out / "pages.jsonl") if p["rendered"]}
    assert reasons == {"recorded-dom"}
    info = json.loads((out / "archive.json").read_text("utf-8"))
    assert info["records"]["conversion"] > 0 and info["problems"] == 0


def test_two_captures_of_the_same_pages_give_one_row_each_first_and_last_seen(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    later = tmp_path / "later"
    later.mkdir()
    for path in recorded.warc_dir.glob("*.warc.gz"):
        rewrite_warc(path, later / path.name, day="2031-01-02")
    out = tmp_path / "out"
    code, _, err = archive(
        capsys, "--targets", SAMPLE_TARGETS, "--warc", str(recorded.warc_dir), str(later),
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    live = csv_rows(recorded.live.output_dir / "backlinks.csv")
    rows = csv_rows(out / "backlinks.csv")
    assert len(rows) == len(live)  # one row per link element, not per capture
    assert {r["last_seen"][:10] for r in rows} == {"2031-01-02"}
    captured = {r["first_seen"] for r in jsonl(out / "backlinks.jsonl")}
    assert len(captured) >= 1 and all(not c.startswith("2031") for c in captured)
    assert len(jsonl(out / "pages.jsonl")) == 2 * len(
        jsonl(recorded.live.output_dir / "pages.jsonl")
    )


def test_a_failed_spark_job_is_one_line_and_a_failed_run(
    recorded: Recorded, spark: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = tmp_path / "out"
    code, _, err = archive(
        capsys, "--targets", SAMPLE_TARGETS, "--warc", str(recorded.warc_dir), "--out", str(out),
        "--rows", str(blocker / "rows"),  # Spark cannot write there
    )  # fmt: skip
    assert code == 3
    assert err.count("\n") == 1 and err.startswith("error: the Spark job failed")
    assert json.loads((out / "run.json").read_text("utf-8"))["status"] == "failed"
    assert not (out / "backlinks.csv").exists()
