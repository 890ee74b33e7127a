"""Open authority: Common Crawl's ranks of the referring domains in the exports and report.

A release is written by the test web's generator (Common Crawl's layout and formats);
expected values are read straight from its rank file, not through linkspider.discover.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from scrapy.settings import Settings

from linkspider.discover.ranks import Rank
from linkspider.reports.authority import AUTHORITY_COLUMNS, Authority, with_authority
from linkspider.reports.candidates import (
    NO_LINK,
    NOT_CRAWLED,
    UNREACHABLE,
    VERIFIED,
    CrawlShape,
    Evidence,
    decide,
)
from linkspider.reports.disavow import DisavowRules
from linkspider.reports.options import ExportOptions
from linkspider.testweb.ccgraph import write_release
from tests.support.report_folder import link, make_folder, page, site

RELEASE = "cc-main-2026-test"
#: hub.com is linked from 12 hosts (most central), small.net from 1; absent.io is not in
#: the graph at all.
LINKS = [(f"fan{i}.org", "hub.com") for i in range(12)] + [
    ("hub.com", "acme-boots.com"),
    ("small.net", "acme-boots.com"),
    ("fan0.org", "small.net"),
]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKSPIDER_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def release(tmp_path: Path) -> Path:
    root = tmp_path / "release"
    write_release(root, RELEASE, LINKS, noise_hosts=30, noise_edges=200, seed=3)
    return root


def rank_file(root: Path) -> dict[str, tuple[int, float, int, float]]:
    """Domain -> (hc pos, hc value, pr pos, pr value), read from the gzip file itself."""
    found = {}
    with gzip.open(root / "domain" / f"{RELEASE}-domain-ranks.txt.gz", "rt") as handle:
        next(handle)
        for line in handle:
            hc_pos, hc_val, pr_pos, pr_val, name = line.rstrip("\n").split("\t")[:5]
            domain = ".".join(reversed(name.split(".")))
            found[domain] = (int(hc_pos), float(hc_val), int(pr_pos), float(pr_val))
    return found


def crawl_folder(folder: Path, release: Path | None, **settings: object) -> None:
    pages, links = [], []
    for host, count in (("hub.com", 2), ("small.net", 1), ("absent.io", 1)):
        p, lk = site(host, count)
        pages += p
        links += lk
    base = {"LINKSPIDER_HISTORY": False}
    if release is not None:
        base["LINKSPIDER_AUTHORITY_RELEASE"] = str(release)
    options = ExportOptions.from_settings(Settings({**base, **settings}))
    make_folder(folder, pages, links, options, run={"started_at": "2026-01-01T00:00:00Z"})


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:  # a BOM or not
        return list(csv.DictReader(handle))


def test_backlinks_and_referring_domains_carry_the_rank_files_values(
    tmp_path: Path, release: Path
) -> None:
    crawl_folder(tmp_path / "run", release)
    ranks = rank_file(release)
    assert ranks["hub.com"][0] < ranks["small.net"][0]  # lower is more central
    links = pq.read_table(tmp_path / "run" / "backlinks.parquet").to_pandas()
    assert list(links.columns[-4:]) == list(AUTHORITY_COLUMNS)
    for domain, rows in links.groupby("source_domain"):
        got = rows[list(AUTHORITY_COLUMNS)].drop_duplicates()
        assert len(got) == 1
        if domain == "absent.io":  # not in the graph: empty, never 0
            assert got.isna().all(axis=None)
        else:
            assert tuple(got.iloc[0]) == pytest.approx(ranks[domain])
    by_domain = {
        r["source_domain"]: r for r in csv_rows(tmp_path / "run" / "referring_domains.csv")
    }
    assert by_domain["hub.com"]["source_authority_rank"] == str(ranks["hub.com"][0])
    assert by_domain["small.net"]["source_pagerank_rank"] == str(ranks["small.net"][2])
    assert by_domain["absent.io"]["source_authority_rank"] == ""
    csv_links = csv_rows(tmp_path / "run" / "backlinks.csv")
    assert {r["source_authority_rank"] for r in csv_links if r["source_domain"] == "hub.com"} == {
        str(ranks["hub.com"][0])
    }
    info = json.loads((tmp_path / "run" / "authority.json").read_text())
    assert (info["release"], info["referring_domains"], info["ranked"]) == (RELEASE, 3, 2)
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Common Crawl harmonic-centrality rank" in report
    assert report.index(">hub.com<", report.index("Most central")) < report.index(
        ">small.net<", report.index("Most central")
    )
    assert "Domain Rating" not in report and ">DR<" not in report


def test_without_a_release_the_columns_are_there_and_empty(tmp_path: Path) -> None:
    crawl_folder(tmp_path / "run", None)
    links = csv_rows(tmp_path / "run" / "backlinks.csv")
    domains = csv_rows(tmp_path / "run" / "referring_domains.csv")
    for rows in (links, domains):
        assert all(r[c] == "" for r in rows for c in AUTHORITY_COLUMNS)
    parquet = pq.read_schema(tmp_path / "run" / "backlinks.parquet")
    assert [str(parquet.field(c).type) for c in AUTHORITY_COLUMNS] == [
        "int64", "double", "int64", "double"
    ]  # fmt: skip
    assert not (tmp_path / "run" / "authority.json").exists()
    assert (
        "No Common Crawl web-graph release is configured"
        in (tmp_path / "run" / "report.html").read_text()
    )


def test_a_folder_that_is_not_a_release_stops_at_start(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for value in (tmp_path / "empty", tmp_path / "missing"):
        with pytest.raises(ValueError, match="LINKSPIDER_AUTHORITY_RELEASE: "):
            ExportOptions.from_settings(Settings({"LINKSPIDER_AUTHORITY_RELEASE": str(value)}))


def test_a_corrupt_rank_file_loses_no_export(tmp_path: Path, release: Path) -> None:
    ranks = release / "domain" / f"{RELEASE}-domain-ranks.txt.gz"
    ranks.write_bytes(ranks.read_bytes()[:-20])  # cut short: the gzip trailer is gone
    crawl_folder(tmp_path / "run", release)
    info = json.loads((tmp_path / "run" / "authority.json").read_text())
    assert info["error"] and str(ranks.name) in info["error"]
    rows = csv_rows(tmp_path / "run" / "backlinks.csv")
    assert len(rows) == 4 and all(r["source_authority_rank"] == "" for r in rows)
    assert "could not be read" in (tmp_path / "run" / "report.html").read_text()


def test_disavow_never_lists_one_of_the_most_central_domains(tmp_path: Path, release: Path) -> None:
    pages = [page("hub.com", n) for n in range(4)]
    money = {"anchor": "waterproof hiking boots", "category": "exact", "placement": "footer"}
    links = [link("hub.com", n, **money) for n in range(4)]  # type: ignore[arg-type]
    settings = {"LINKSPIDER_HISTORY": False, "LINKSPIDER_AUTHORITY_RELEASE": str(release)}
    hc_pos = rank_file(release)["hub.com"][0]
    for keep, listed in ((0, True), (hc_pos - 1, True), (hc_pos, False)):
        folder = tmp_path / f"keep{keep}"
        options = ExportOptions.from_settings(
            Settings({**settings, "LINKSPIDER_DISAVOW_KEEP_RANK": keep})
        )
        make_folder(folder, pages, links, options)
        text = (folder / "disavow_candidates.txt").read_text()
        assert ("domain:hub.com" in text) is listed, keep
        if listed:
            assert f"# authority: Common Crawl harmonic-centrality rank {hc_pos}" in text
    with pytest.raises(ValueError, match="LINKSPIDER_DISAVOW_KEEP_RANK"):
        DisavowRules(keep_rank=-1)


def test_with_authority_keeps_each_row_with_its_domain() -> None:
    frame = pd.DataFrame({"source_domain": ["b.com", "a.com", "c.com"]}, index=[7, 2, 5])
    ranks = {"a.com": Rank(1, 9.0, 2, 0.5), "b.com": Rank(5, 1.0, 4, 0.1)}
    out = with_authority(frame, Authority("r", "domain", ranks, 3), "source_domain")
    assert out["source_authority_rank"].tolist() == [5, 1, pd.NA]
    assert out["source_pagerank_value"].tolist()[:2] == [0.1, 0.5]
    assert list(out.index) == [7, 2, 5]


DONE, BUDGET5, PAGE = CrawlShape(), CrawlShape(page_budget=5, depth=3), CrawlShape(scope="page")
STOPPED = CrawlShape(page_budget=5, complete=False)


@pytest.mark.parametrize(
    ("evidence", "shape", "status", "detail"),
    [
        (Evidence(pages_ok=3, backlinks=2, linking_pages=1, targets={"a.com"}), DONE, VERIFIED,
         "2 backlink(s) on 1 page to a.com"),
        (Evidence(pages_ok=1, backlinks=1, failure="dns-error"), STOPPED, VERIFIED, "1 backlink"),
        (Evidence(pages_ok=5, pages=5), BUDGET5, NO_LINK, "its page budget (5) used"),
        (Evidence(pages_ok=2, pages=2), BUDGET5, NO_LINK, "to depth 3 within the page budget"),
        (Evidence(pages_ok=1, pages=1), PAGE, NO_LINK, "scope=page"),
        (Evidence(pages_ok=2, pages=2), STOPPED, NOT_CRAWLED, "before the crawl stopped"),
        (Evidence(failure="connection-refused: refused"), STOPPED, UNREACHABLE,
         "connection-refused"),
        (Evidence(pages=1, failure="http-404"), DONE, UNREACHABLE, "http-404"),
        (Evidence(pages=1), DONE, UNREACHABLE, "no HTML page"),
        (Evidence(), STOPPED, NOT_CRAWLED, "stopped before it"),
        (Evidence(), DONE, NOT_CRAWLED, "no page, error or refusal"),
    ],
)  # fmt: skip
def test_candidate_status_rules(
    evidence: Evidence, shape: CrawlShape, status: str, detail: str
) -> None:
    got_status, got_detail = decide(evidence, shape)
    assert got_status == status
    assert detail in got_detail


def test_linkspider_merge_keeps_the_authority_columns(tmp_path: Path, release: Path) -> None:
    """A distributed crawl's parts merged with a release configured (``linkspider merge``)."""
    from dataclasses import asdict

    from linkspider.cli import main

    for worker, host in (("w1", "hub.com"), ("w2", "small.net")):
        part = tmp_path / "crawl" / "parts" / worker
        part.mkdir(parents=True)
        pages, links = site(host, 2)
        for name, items in (("pages.jsonl", pages), ("backlinks.jsonl", links)):
            lines = "".join(json.dumps(asdict(item)) + "\n" for item in items)
            (part / name).write_text(lines, "utf-8")
    setting = f"LINKSPIDER_AUTHORITY_RELEASE={release}"
    assert (
        main(["merge", str(tmp_path / "crawl"), "-s", setting, "-s", "LINKSPIDER_HISTORY=0"]) == 0
    )
    ranks = rank_file(release)
    rows = csv_rows(tmp_path / "crawl" / "referring_domains.csv")
    assert {r["source_domain"]: r["source_authority_rank"] for r in rows} == {
        "hub.com": str(ranks["hub.com"][0]),
        "small.net": str(ranks["small.net"][0]),
    }
