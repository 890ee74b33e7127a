"""Common Crawl as an archive input: the columnar index, byte ranges, and their bad input.

A Common Crawl-style crawl (WARC files + columnar URL index, CC's layout and schema) is
generated from WARC files of the sample web and served by the local test web from a site
folder named ``127.0.0.1``, so ``http://127.0.0.1:PORT/`` plays ``data.commoncrawl.org``.
Routes of that site answer one copy of a WARC file with 200 to every Range request
(``ranges = false``) and cut another short (``truncate_at``).
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from linkspider.archive.byteranges import RangeError, RangeReader, RemoteFile
from linkspider.archive.ccdomains import domain_choice, load_domains, parse_domains
from linkspider.archive.ccindex import (
    INDEX_SCHEMA,
    CCIndexError,
    DomainChoice,
    IndexQuery,
    SelectedRecord,
    Selection,
    listing_path,
    select_records,
)
from linkspider.archive.ccinput import CCInputs, selection_info, summary_line
from linkspider.config.sources import ConfigError
from linkspider.testweb import TestWeb, python_env
from linkspider.testweb.cccrawl import (
    CCCrawl,
    build_cc_crawl,
    surt,
    synthetic_rows,
    write_index,
    write_listing,
)
from tests.conftest import SAMPLE_TARGETS
from tests.support.archive_warcs import sample_web_warcs

#: The module fixture crawls the sample web; the archive commands run Spark (local mode).
pytestmark = pytest.mark.e2e

CRAWL = "CC-MAIN-2026-49"
BIG_CRAWL = "CC-MAIN-2026-50"
BAD_CRAWL = "CC-MAIN-2026-51"
HOST = "127.0.0.1"
SAMPLE_REFERRERS = (
    "outdoor-blog.com",
    "trail-news.co.uk",
    "gear-forum.net",
    "trailguide.io",
    "hiking-guide.com",  # only a redirect to www.trailguide.io
)


@dataclass
class CCWeb:
    web: TestWeb
    crawl: CCCrawl
    mirror: Path  # the same files on disk

    @property
    def base(self) -> str:
        return self.web.url(HOST)

    def warc(self, subset: str = "warc") -> str:
        return next(name for name in self.crawl.warc_files if f"/{subset}/" in name)


@pytest.fixture(scope="module")
def cc_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CCWeb]:
    root = tmp_path_factory.mktemp("ccweb")
    warcs, _ = sample_web_warcs(root / "recorded")
    mirror = root / "sites" / HOST
    crawl = build_cc_crawl([warcs], mirror, CRAWL, row_group_rows=3, index_parts=2)
    first = next(name for name in crawl.warc_files if "/warc/" in name)
    (mirror / "bad").mkdir()
    shutil.copy(mirror / first, mirror / "bad" / "no-ranges.warc.gz")
    shutil.copy(mirror / first, mirror / "bad" / "cut.warc.gz")
    (mirror / "_site.toml").write_text(
        '[[route]]\npath = "/bad/no-ranges.warc.gz"\nranges = false\n\n'
        '[[route]]\npath = "/bad/cut.warc.gz"\ntruncate_at = 100\n\n'
        '[[route]]\npath = "/bad/busy.warc.gz"\nstatus = 503\n',
        encoding="utf-8",
    )
    # a bigger index of made-up domains: pruning shows in the bytes transferred
    big = synthetic_rows(domains=3000, pages=5)
    names = write_index(mirror, BIG_CRAWL, "warc", big, row_group_rows=1000, parts=1)
    write_listing(mirror / listing_path(BIG_CRAWL), names)
    write_bad_crawl(mirror, crawl)
    with TestWeb([root / "sites"]) as web:
        yield CCWeb(web, crawl, mirror)


def write_bad_crawl(mirror: Path, crawl: CCCrawl) -> None:
    """BAD_CRAWL: outdoor-blog.com's rows, plus rows whose records cannot be read as asked."""
    rows = [
        row
        for name in crawl.index_files
        if "/subset=warc/" in name
        for row in pq.read_table(mirror / name).to_pylist()
        if row["url_host_registered_domain"] == "outdoor-blog.com"
    ]
    first = rows[0]
    size = (mirror / first["warc_filename"]).stat().st_size

    def bad(path: str, **changes: Any) -> dict[str, Any]:
        url = f"http://outdoor-blog.com{path}"
        return {**first, "url": url, "url_surtkey": surt(url), "url_path": path, **changes}

    rows += [
        bad("/past-the-end", warc_record_offset=size + 100),
        bad("/runs-past-the-end", warc_record_offset=size - 10, warc_record_length=500),
        bad("/answered-200", warc_filename="bad/no-ranges.warc.gz"),
        bad("/cut-short", warc_filename="bad/cut.warc.gz", warc_record_offset=0),
        # inside the file, but one byte into a record: no gzip member starts there
        bad("/misaligned", warc_record_offset=first["warc_record_offset"] + 1),
    ]
    names = write_index(mirror, BAD_CRAWL, "warc", rows, row_group_rows=100, parts=1)
    write_listing(mirror / listing_path(BAD_CRAWL), names)


def query(*domains: str) -> IndexQuery:
    return IndexQuery(CRAWL, tuple(domain_choice(d) for d in domains))


# -- the generator writes Common Crawl's layout -------------------------------------------


def test_generated_crawl_has_common_crawl_layout_schema_and_order(cc_web: CCWeb) -> None:
    mirror = cc_web.mirror
    listed = gzip.decompress((mirror / listing_path(CRAWL)).read_bytes()).decode().split()
    assert listed == cc_web.crawl.index_files
    assert {p.split("/subset=")[1].split("/")[0] for p in listed} == {
        "warc",
        "crawldiagnostics",
        "robotstxt",
    }
    for name in listed:
        assert name.startswith(f"cc-index/table/cc-main/warc/crawl={CRAWL}/subset=")
        assert name.endswith(".c000.gz.parquet")
        parquet = pq.ParquetFile(mirror / name)
        assert parquet.schema_arrow.names == INDEX_SCHEMA.names
        assert parquet.metadata.row_group(0).column(0).compression == "GZIP"
        keys = parquet.read(columns=["url_surtkey"]).column(0).to_pylist()
        assert keys == sorted(keys)
    warcs = gzip.decompress((mirror / f"crawl-data/{CRAWL}/warc.paths.gz").read_bytes())
    for name in warcs.decode().split():
        assert name.startswith(f"crawl-data/{CRAWL}/segments/") and name.endswith(".warc.gz")


def test_every_index_row_points_at_its_response_record(cc_web: CCWeb) -> None:
    reader = RangeReader()
    for name in cc_web.crawl.index_files:
        for row in pq.read_table(cc_web.mirror / name).to_pylist():
            data = reader.read(
                str(cc_web.mirror / row["warc_filename"]),
                row["warc_record_offset"],
                row["warc_record_length"],
            )
            record = gzip.decompress(data)  # one whole gzip member
            head = record.split(b"\r\n\r\n", 1)[0].decode()
            assert "WARC-Type: response" in head
            assert f"WARC-Target-URI: {row['url']}" in head
            subset = name.split("/subset=")[1].split("/")[0]
            assert f"/{subset}/" in row["warc_filename"]
            status = row["fetch_status"]
            assert (subset == "warc") == (status == 200 and not row["url"].endswith("robots.txt"))


def test_surt_keys_as_common_crawl_writes_them() -> None:
    assert surt("https://www.Example.com/Path/x.html?b=2&a=1") == "com,example)/path/x.html?a=1&b=2"
    assert surt("http://blog.example.co.uk:8080/") == "uk,co,example,blog:8080)/"


# -- the index query ------------------------------------------------------------------------


def test_query_over_http_reads_only_the_row_groups_that_can_hold_the_domains(
    cc_web: CCWeb,
) -> None:
    reader = RangeReader()
    one = select_records(cc_web.base, query("outdoor-blog.com"), reader)
    assert one.records and {r.host for r in one.records} == {"outdoor-blog.com"}
    assert 0 < one.row_groups_read < one.row_groups  # pruned on min/max statistics
    every = select_records(cc_web.base, query(*SAMPLE_REFERRERS), reader)
    # 15,000 rows in 15 row groups: one domain costs the footer and one row group's columns
    big_query = IndexQuery(BIG_CRAWL, (domain_choice("site01234.com"),))
    big = select_records(cc_web.base, big_query, RangeReader())
    assert [r.url for r in big.records] == [
        f"https://site01234.com/page-{n}.html" for n in range(5)
    ]
    assert (big.row_groups, big.row_groups_read) == (15, 1)
    big_file = next((cc_web.mirror / "cc-index").rglob(f"crawl={BIG_CRAWL}/*/*.parquet"))
    assert big.bytes_read < big_file.stat().st_size / 4
    assert set(every.captures_by_domain()) == set(SAMPLE_REFERRERS)
    assert all(count > 0 for count in every.captures_by_domain().values())
    # the same answer from a local mirror of the files
    local = select_records(str(cc_web.mirror), query(*SAMPLE_REFERRERS), RangeReader())
    assert local.records == every.records


def test_selected_records_are_the_html_200_captures_of_the_domains(cc_web: CCWeb) -> None:
    selection = select_records(cc_web.base, query(*SAMPLE_REFERRERS), RangeReader())
    expected = []
    for name in cc_web.crawl.index_files:
        if "/subset=warc/" not in name:
            continue
        for row in pq.read_table(cc_web.mirror / name).to_pylist():
            html = "html" in (row["content_mime_type"] or "") or "html" in (
                row["content_mime_detected"] or ""
            )
            if row["url_host_registered_domain"] in SAMPLE_REFERRERS and html:
                expected.append((row["warc_filename"], row["warc_record_offset"], row["url"]))
    got = [(r.warc_filename, r.offset, r.url) for r in selection.records if r.kind == "page"]
    assert got == sorted(expected)
    # and the redirects of those domains (for the chains of the pages they lead to)
    redirects = [r for r in selection.records if r.kind == "redirect"]
    assert redirects and all(r.fetch_status in (301, 302, 303, 307, 308) for r in redirects)
    assert all("/crawldiagnostics/" in r.warc_filename for r in redirects)
    assert all(r.fetch_status == 200 and r.mime_type for r in selection.records if r.kind == "page")
    assert all(r.fetch_time.endswith("Z") and r.fetch_time[:4].isdigit() for r in selection.records)
    # not-HTML captures of the chosen domains exist in the sample and are left out
    assert selection.skipped["not-html"] > 0


def test_a_host_entry_selects_that_host_only(cc_web: CCWeb) -> None:
    whole = select_records(cc_web.base, query("trailguide.io"), RangeReader())
    assert {r.host for r in whole.records} >= {"www.trailguide.io", "docs.trailguide.io"}
    docs = select_records(cc_web.base, query("docs.trailguide.io"), RangeReader())
    assert docs.records and {r.host for r in docs.records} == {"docs.trailguide.io"}
    assert docs.skipped["other-host"] > 0


def test_unknown_crawl_and_broken_index_files_are_one_line_errors(
    cc_web: CCWeb, tmp_path: Path
) -> None:
    with pytest.raises(CCIndexError, match=r"crawl CC-MAIN-2019-01: cannot read its index"):
        select_records(
            cc_web.base,
            IndexQuery("CC-MAIN-2019-01", (domain_choice("outdoor-blog.com"),)),
            RangeReader(),
        )
    with pytest.raises(CCIndexError, match="not a Common Crawl crawl name"):
        IndexQuery("2024-10", (domain_choice("outdoor-blog.com"),))
    broken = tmp_path / "mirror"
    shutil.copytree(cc_web.mirror, broken)
    victim = broken / next(n for n in cc_web.crawl.index_files if "/subset=warc/" in n)
    victim.write_bytes(b"this is not parquet")
    with pytest.raises(CCIndexError, match="is not a readable Parquet file") as failure:
        select_records(str(broken), query("outdoor-blog.com"), RangeReader())
    assert "\n" not in str(failure.value)
    (broken / listing_path(CRAWL)).write_bytes(b"plain text")
    with pytest.raises(CCIndexError, match="is not a gzipped paths listing"):
        select_records(str(broken), query("outdoor-blog.com"), RangeReader())


# -- byte ranges: every answer checked -----------------------------------------------------


def test_a_range_is_read_with_206_and_exact_content_range(cc_web: CCWeb) -> None:
    name = cc_web.warc()
    local = (cc_web.mirror / name).read_bytes()
    reader = RangeReader()
    assert reader.read(cc_web.base + name, 10, 50) == local[10:60]
    remote = RemoteFile(reader, cc_web.base + name)
    assert remote.size == len(local)
    remote.seek(5)
    assert remote.read(7) == local[5:12]


def test_a_range_answered_200_is_refused_without_reading_the_file(cc_web: CCWeb) -> None:
    reader = RangeReader()
    with pytest.raises(RangeError, match="answered 200") as failure:
        reader.read(cc_web.base + "bad/no-ranges.warc.gz", 0, 100)
    assert failure.value.kind == "range-ignored"
    assert reader.stats.bytes == 0  # the whole file was not downloaded


def test_an_index_row_past_the_end_of_the_file(cc_web: CCWeb) -> None:
    name = cc_web.warc()
    size = (cc_web.mirror / name).stat().st_size
    for location in (cc_web.base + name, str(cc_web.mirror / name)):
        with pytest.raises(RangeError, match="past the end") as beyond:
            RangeReader().read(location, size + 10, 100)
        assert beyond.value.kind == "past-end"
        with pytest.raises(RangeError, match="past the end") as across:
            RangeReader().read(location, size - 10, 100)
        assert across.value.kind == "past-end"


def test_a_body_cut_short_is_refused(cc_web: CCWeb) -> None:
    with pytest.raises(RangeError, match="100 of 500 bytes arrived") as failure:
        RangeReader().read(cc_web.base + "bad/cut.warc.gz", 0, 500)
    assert failure.value.kind == "short-body"


def test_a_busy_server_is_asked_again_then_the_record_is_listed(cc_web: CCWeb) -> None:
    pauses: list[float] = []
    reader = RangeReader(sleep=pauses.append)
    with pytest.raises(RangeError, match=r"bytes 0-99: HTTP 503") as failure:
        reader.read(cc_web.base + "bad/busy.warc.gz", 0, 100)
    assert failure.value.kind == "http-error"
    assert pauses == [1.0, 2.0, 4.0]  # 3 retries, each pause twice the one before


def test_a_missing_file_and_a_refused_connection(cc_web: CCWeb) -> None:
    with pytest.raises(RangeError, match="HTTP 404") as missing:
        RangeReader().read(cc_web.base + "crawl-data/none.warc.gz", 0, 10)
    assert missing.value.kind == "http-error"
    refused = RangeReader(sleep=lambda _: None)
    with pytest.raises(RangeError, match="cannot connect") as down:
        refused.read("http://127.0.0.1:9/x.warc.gz", 0, 10)
    assert down.value.kind == "unreachable"


# -- --domains -----------------------------------------------------------------------------


def test_domains_from_lists_seeds_and_discover_csv(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# candidates\nhttps://outdoor-blog.com/\nwww.trail-news.co.uk  # x\n")
    assert [c.name for c in load_domains(str(seeds))] == [
        "outdoor-blog.com",
        "www.trail-news.co.uk",
    ]
    candidates = tmp_path / "referring_candidates.csv"
    candidates.write_text(
        "domain,level,targets\nbücher-blog.de,domain,x\nx.blogspot.com,domain,y\n"
    )
    choices = load_domains(str(candidates))
    assert choices == (
        DomainChoice("xn--bcher-blog-9db.de", "xn--bcher-blog-9db.de"),
        DomainChoice("x.blogspot.com", "blogspot.com"),
    )
    assert [c.name for c in load_domains("a.com, b.org a.com")] == ["a.com", "b.org"]


def test_bad_domains_are_named_with_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "domains.txt"
    bad.write_text("outdoor-blog.com\nco.uk\n")
    with pytest.raises(ConfigError, match=r"domains.txt:2: 'co.uk' is a public suffix"):
        load_domains(str(bad))
    with pytest.raises(ConfigError, match="not a domain name"):
        parse_domains("localhost\n", "x")
    with pytest.raises(ConfigError, match="holds no domain"):
        parse_domains("# nothing\n", "x")
    with pytest.raises(ConfigError, match="not found"):
        load_domains(str(tmp_path / "missing.txt"))


# -- linkspider archive --crawl ... --domains ... ------------------------------------------


def archive(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkspider.cli", "archive", "--targets", SAMPLE_TARGETS,
         "--master", "local[2]", *args],
        cwd=cwd, env=python_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_archive_command_reads_common_crawl_and_gives_the_whole_files_rows(
    cc_web: CCWeb, tmp_path: Path
) -> None:
    domains = tmp_path / "domains.txt"
    domains.write_text("\n".join(SAMPLE_REFERRERS) + "\n", encoding="utf-8")
    recorded = cc_web.mirror.parent.parent / "recorded" / "warcs"
    whole = archive("--warc", str(recorded), "--out", str(tmp_path / "whole"), cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr[-2000:]
    cc = archive(
        "--crawl", CRAWL, "--domains", str(domains), "--cc-base-url", cc_web.base,
        "--out", str(tmp_path / "cc"), cwd=tmp_path,
    )  # fmt: skip
    assert cc.returncode == 0, cc.stderr[-2000:]
    assert f"{CRAWL}: " in cc.stdout and "capture(s) of 5 domain(s)" in cc.stdout
    info = json.loads((tmp_path / "cc" / "archive.json").read_text())
    assert info["status"] == "finished"
    assert info["common_crawl"]["crawl"] == CRAWL
    assert info["common_crawl"]["domains_without_captures"] == []

    def comparable(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
        kept = [r for r in rows if r["source_domain"] in SAMPLE_REFERRERS]
        return sorted(tuple(v for k, v in sorted(r.items()) if k != "depth") for r in kept)

    got = csv_rows(tmp_path / "cc" / "backlinks.csv")
    assert got and comparable(got) == comparable(csv_rows(tmp_path / "whole" / "backlinks.csv"))
    # first seen: the capture time the index gives (fetch_time) of the page
    selected = csv_rows(tmp_path / "cc" / "cc_records.csv")
    captured = {r["url"]: r["fetch_time"] for r in selected}
    assert all(row["first_seen"] == captured[row["source_url"]] for row in got)
    assert len(selected) == info["common_crawl"]["records_selected"]
    assert info["inputs_by_status"] == {"read": len(selected)}  # every record read whole
    # redirect chains are rebuilt from the domains' redirect captures (crawldiagnostics)
    assert any("[301] -> " in r["source_redirects"] for r in got)
    pages = {r["url"]: r for r in csv_rows(tmp_path / "cc" / "pages.csv")}
    assert pages["https://www.trailguide.io/"]["requested_url"] == "https://hiking-guide.com/"


def test_archive_command_with_unreadable_records_is_partial(cc_web: CCWeb, tmp_path: Path) -> None:
    run = archive(
        "--crawl", BAD_CRAWL, "--domains", "outdoor-blog.com", "--cc-base-url", cc_web.base,
        "--out", str(tmp_path / "out"), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 3, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    partial = [line for line in run.stderr.splitlines() if line.startswith("partial:")]
    assert len(partial) == 1 and "5 problem(s)" in partial[0]
    info = json.loads((tmp_path / "out" / "archive.json").read_text())
    assert info["status"] == "partial"
    listed = csv_rows(tmp_path / "out" / "archive_records.csv")
    details = [r["detail"] for r in listed if r["kind"] == "range-error"]
    assert len(details) == 4
    text = " | ".join(details)
    for kind in ("(past-end)", "(range-ignored)", "(short-body)"):
        assert kind in text
    # the misaligned range was read, and its bytes are not a record: listed too
    assert [r for r in listed if r["kind"] in ("broken-gzip", "not-warc", "garbage")]
    # the readable records still gave their rows
    assert csv_rows(tmp_path / "out" / "backlinks.csv")


def test_archive_command_refuses_bad_common_crawl_input_in_one_line(
    cc_web: CCWeb, tmp_path: Path
) -> None:
    cases = [
        (("--crawl", "CC-MAIN-2019-01", "--domains", "outdoor-blog.com"), "CC-MAIN-2019-01"),
        (("--crawl", CRAWL, "--domains", "co.uk"), "public suffix"),
        (("--crawl", CRAWL), "--crawl and --domains go together"),
        (("--crawl", CRAWL, "--domains", "discover"), "--discover-graph"),
    ]
    for flags, message in cases:
        run = archive(
            *flags, "--cc-base-url", cc_web.base, "--out", str(tmp_path / "x"), cwd=tmp_path
        )
        assert run.returncode == 2, (flags, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (flags, run.stderr)
    assert not (tmp_path / "x").exists()  # a refused command makes no run folder
    # nor a dated one under the output root, nor moves output/latest to an empty folder
    run = archive(*cases[0][0], "--cc-base-url", cc_web.base, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert not [p.name for p in tmp_path.rglob("*archive*")]


def test_archive_json_names_at_most_a_thousand_domains() -> None:
    choices = tuple(domain_choice(f"site{n:05d}.com") for n in range(1500))
    found = SelectedRecord(
        url="https://site00001.com/", host="site00001.com", domain="site00001.com",
        fetch_time="2026-11-24T03:14:15Z", fetch_status=200, mime_type="text/html",
        warc_filename="crawl-data/x.warc.gz", offset=0, length=10,
    )  # fmt: skip
    selection = Selection(IndexQuery(CRAWL, choices), "http://127.0.0.1:1/", [found])
    info = selection_info(selection)
    assert (info["domains"], info["domains_with_captures"]) == (1500, 1)
    assert info["domains_without_captures_count"] == 1499
    assert len(info["domains_without_captures"]) == 1000
    assert next(iter(info["captures_by_domain"])) == "site00001.com"
    line = summary_line(CCInputs([], selection, info))
    assert "1 capture(s) of 1500 domain(s) in 1 WARC file(s)" in line
    assert "no capture for 1499 domain(s): site00000.com, site00002.com" in line
