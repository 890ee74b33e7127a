"""Discover, then verify: ``scrapy crawl backlinks -a discover=RELEASE`` against the test web.

The release is generated in Common Crawl's layout from the links a crawl of the known
seeds found, plus what a real graph also holds: a ``www.`` variant and a subdomain of a
referrer, an IDN referrer and an unknown one (not on the test web: unreachable), a
referrer the test web refuses (``down-hiking.com``), a site whose page no longer links
(``gear-reviews-archive.com``: stale), internal links of a target, and noise. Starting
from nothing but the release, the crawl must find the same backlink rows as the crawl of
the known seeds, and say what became of each candidate.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import DEMO_SETTINGS, crawl_env
from linkspider.cli import main as linkspider_main
from linkspider.config.args import CrawlConfig
from linkspider.config.sources import ConfigError
from linkspider.reports.authority import AUTHORITY_COLUMNS
from linkspider.testweb import TestWeb
from linkspider.testweb.ccgraph import planted_referrers, write_graphinfo, write_release
from linkspider.testweb.sites import DEFAULT_SITES_DIR
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, CrawlRun, run_crawl
from tests.support.paths import ROOT, WEBS

RELEASE = "cc-main-2026-discover"
TARGETS = ("acme-boots.com", "globex.co.uk", "initech.com.au", "xn--bcher-kva.de")
STALE = "gear-reviews-archive.com"
#: Links a real graph holds besides the crawl's: www./sub-domain variants, IDN, internal,
#: unreachable referrers, a stale one, and links among other sites.
EXTRA_LINKS = [
    ("www.outdoor-blog.com", "acme-boots.com"),
    ("forum.alpine-club.ch", "www.acme-boots.com"),
    ("bergfreunde-bücher.de", "bücher.de"),
    ("blog.acme-boots.com", "acme-boots.com"),
    ("shop.globex.co.uk", "globex.co.uk"),
    ("down-hiking.com", "globex.co.uk"),
    (STALE, "acme-boots.com"),
    ("gear-forum.net", "unrelated-shop.com"),
    ("unrelated-shop.com", "outdoor-blog.com"),
]
UNREACHABLE = {"alpine-club.ch", "xn--bergfreunde-bcher-f3b.de", "down-hiking.com"}
#: Columns that depend on when or by which way a page was fetched, not on the link.
NOT_COMPARED = {"first_seen", "last_seen", "source_redirects", *AUTHORITY_COLUMNS}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def link_rows(run: CrawlRun) -> set[tuple[tuple[str, str], ...]]:
    return {
        tuple(sorted((k, v) for k, v in row.items() if k not in NOT_COMPARED))
        for row in read_csv(run.output_dir / "backlinks.csv")
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The graph index cache of every crawl in this module, away from the home folder."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LINKSPIDER_CACHE_DIR", str(cache))
        yield cache


@pytest.fixture(scope="module")
def web(env: Path) -> Iterator[TestWeb]:
    with TestWeb([DEFAULT_SITES_DIR, WEBS / "discover"]) as served:
        yield served


@pytest.fixture(scope="module")
def known(web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    """The crawl of the known seeds: the sample web's seed sites, as bare domains (as the
    graph names them: ``http://ru-pohod.ru/`` would make every URL of that site differ)."""
    work = tmp_path_factory.mktemp("known")
    lines = Path(SAMPLE_SEEDS).read_text("utf-8").splitlines()
    sites = [line.split("#")[0].strip().split("://")[-1] for line in lines]
    (work / "seeds.txt").write_text("\n".join(s for s in sites if s) + "\n", "utf-8")
    run = run_crawl(web, work, SAMPLE_TARGETS, str(work / "seeds.txt"))
    assert run.process.returncode == 0, run.log[-3000:]
    return run


@pytest.fixture(scope="module")
def graph_links(known: CrawlRun) -> list[tuple[str, str]]:
    crawled = {(r["source_host"], r["target_host"]) for r in known.rows()}
    return sorted(crawled) + EXTRA_LINKS


@pytest.fixture(scope="module")
def release(graph_links: list[tuple[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("graph") / RELEASE
    write_release(root, RELEASE, graph_links, noise_hosts=300, noise_edges=5000, edge_parts=3)
    return root


@pytest.fixture(scope="module")
def discovered(web: TestWeb, release: Path, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    """The same targets, no seeds: only the release."""
    return crawl(web, tmp_path_factory.mktemp("discovered"), "-a", f"discover={release}")


def crawl(
    web: TestWeb | None,
    work: Path,
    *extra: str,
    targets: str = SAMPLE_TARGETS,
    env: dict[str, str] | None = None,
) -> CrawlRun:
    """``scrapy crawl backlinks -a targets=...`` with ``extra`` arguments and no seeds."""
    output = work / "out"
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks", "-a", f"targets={targets}"]
    command += ["-a", f"output_dir={output}", *extra]
    settings = {**DEMO_SETTINGS, **web.scrapy_settings()} if web is not None else {}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.run(
        command, cwd=work, env={**crawl_env(), **(env or {})}, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    return CrawlRun(process, output)


def test_discover_then_crawl_finds_the_rows_of_the_known_seeds(
    known: CrawlRun, discovered: CrawlRun, graph_links: list[tuple[str, str]]
) -> None:
    assert discovered.process.returncode == 0, discovered.log[-3000:]
    candidates = {
        r["candidate"] for r in read_csv(discovered.output_dir / "referring_candidates.csv")
    }
    planted = set().union(*(planted_referrers(graph_links, t, "domain") for t in TARGETS))
    assert candidates == planted  # exactly the planted referrers, no internal link
    assert link_rows(discovered) == link_rows(known)
    assert len(link_rows(known)) > 20


def test_each_candidate_gets_its_status(discovered: CrawlRun, known: CrawlRun) -> None:
    statuses = {r["name"]: r for r in read_csv(discovered.output_dir / "candidates_status.csv")}
    referring = {r["source_domain"] for r in known.rows()}
    assert {n for n, r in statuses.items() if r["status"] == "verified"} == referring
    assert statuses[STALE]["status"] == "no-link-found-within-budget"
    assert statuses[STALE]["pages_crawled"] == "2"  # both of its pages, none links
    assert {n for n, r in statuses.items() if r["status"] == "unreachable"} == UNREACHABLE
    assert "connection-refused" in statuses["down-hiking.com"]["detail"]
    assert "dns-error" in statuses["alpine-club.ch"]["detail"]
    # the graph names www.trailguide.io "trailguide.io": the crawl tried www. and found it
    assert statuses["trailguide.io"]["status"] == "verified"
    info = discovered.run_info()
    counts = info["candidates_status"]["counts"]
    assert counts == {
        "verified": len(referring),
        "no-link-found-within-budget": 1,
        "unreachable": len(UNREACHABLE),
        "not-crawled": 0,
    }
    assert info["candidates_status"]["by_candidate"][STALE] == "no-link-found-within-budget"
    assert info["discover"]["release"] == RELEASE and info["discover"]["seeded"] == len(statuses)
    report = (discovered.output_dir / "report.html").read_text("utf-8")
    assert 'id="candidates"' in report and "no link found within budget" in report


def test_discover_release_gives_open_authority(discovered: CrawlRun, release: Path) -> None:
    rows = discovered.rows()
    assert rows and all(r["source_authority_rank"].isdigit() for r in rows)
    domains = read_csv(discovered.output_dir / "referring_domains.csv")
    assert all(r["source_pagerank_rank"].isdigit() for r in domains)
    assert discovered.run_info()["authority"]["release"] == RELEASE


def test_export_rebuilds_statuses_and_authority(discovered: CrawlRun) -> None:
    folder = discovered.output_dir
    before = {n: (folder / n).read_text("utf-8") for n in ("candidates_status.csv",)}
    ranks = sorted(r["source_authority_rank"] for r in discovered.rows())
    (folder / "candidates_status.csv").unlink()
    assert linkspider_main(["export", str(folder)]) == 0
    assert (folder / "candidates_status.csv").read_text("utf-8") == before["candidates_status.csv"]
    assert sorted(r["source_authority_rank"] for r in discovered.rows()) == ranks
    assert discovered.run_info()["candidates_status"]["counts"]["verified"] > 0


def test_top_candidates_with_seeds_and_host_level(
    web: TestWeb, release: Path, tmp_path: Path
) -> None:
    run = crawl(
        web, tmp_path, "-a", f"discover={release}", "-a", "discover_top=2",
        "-a", "discover_level=host", "-a", f"seeds={STALE}",
    )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    candidates = read_csv(run.output_dir / "referring_candidates.csv")
    assert len(candidates) == 2 and {c["level"] for c in candidates} == {"host"}
    ranks = [int(c["harmonic_centrality_rank"] or 10**9) for c in candidates]
    assert ranks == sorted(ranks)  # the most central first
    pages = {r["host"] for r in read_csv(run.output_dir / "pages.csv")}
    assert STALE in pages  # -a seeds is crawled too (union)
    info: dict[str, Any] = run.run_info()
    assert info["discover"]["seeded"] == 2 and info["discover"]["candidates"] > 2


def test_a_target_absent_from_the_graph_is_zero_candidates(
    web: TestWeb, release: Path, tmp_path: Path
) -> None:
    run = crawl(web, tmp_path, "-a", f"discover={release}", targets="nobody-links-here.org")
    assert run.process.returncode == 0, run.log[-3000:]
    status = run.run_info()["candidates_status"]
    assert status["candidates"] == 0 and run.rows() == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"discover": "{empty}"}, "is not a Common Crawl web-graph release"),
        ({"discover": "{missing}"}, "no such folder"),
        ({"discover": "{release}", "targets": "*"}, "not targets=*"),
        ({"discover_top": "3", "seeds": SAMPLE_SEEDS}, "need -a discover"),
        ({"discover": "{release}", "discover_top": "0"}, "discover_top"),
        ({"discover": "{release}", "discover_level": "page"}, "discover_level"),
        ({"discover": "{release}", "expect": "x.csv"}, "drop -a discover"),
    ],
)
def test_bad_discover_arguments_are_one_line(
    release: Path, tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    paths = {"empty": tmp_path / "empty", "missing": tmp_path / "missing", "release": release}
    kwargs = {"targets": SAMPLE_TARGETS, **{k: v.format(**paths) for k, v in extra.items()}}
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        CrawlConfig.from_kwargs(kwargs)
    assert "\n" not in str(caught.value)


def test_a_bad_release_stops_the_crawl_before_it_starts(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    process = crawl(None, tmp_path, "-a", f"discover={tmp_path / 'empty'}").process
    assert process.returncode == 2, process.stderr[-2000:]
    errors = [line for line in process.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "is not a Common Crawl web-graph release" in errors[0]
    assert not (tmp_path / "out").exists()


NAMED = "cc-main-2026-named"


@pytest.fixture(scope="module")
def data_server(
    graph_links: list[tuple[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A release served over HTTP as data.commoncrawl.org and index.commoncrawl.org do."""
    sites = tmp_path_factory.mktemp("data-sites")
    data = sites / "127.0.0.1"
    write_release(data / f"projects/hyperlinkgraph/{NAMED}", NAMED, graph_links)
    write_graphinfo(data / "graphinfo.json", [NAMED])
    with TestWeb([sites]) as server:
        yield {
            "LINKSPIDER_CC_DATA_URL": server.url("127.0.0.1", "/"),
            "LINKSPIDER_CC_GRAPHINFO_URL": server.url("127.0.0.1", "/graphinfo.json"),
        }


def test_a_named_release_is_downloaded_then_seeds_the_crawl(
    web: TestWeb, data_server: dict[str, str], discovered: CrawlRun, tmp_path: Path
) -> None:
    run = crawl(web, tmp_path, "-a", f"discover={NAMED}", env=data_server)
    assert run.process.returncode == 0, run.log[-3000:]
    assert "discover: downloading" in run.log  # progress in the crawl log
    info = run.run_info()
    assert (info["discover"]["release"], info["discover"]["source"]) == (NAMED, NAMED)
    assert info["authority"]["release"] == NAMED  # looked up again by name, from the cache
    assert link_rows(run) == link_rows(discovered)
    assert (
        info["candidates_status"]["counts"] == discovered.run_info()["candidates_status"]["counts"]
    )


@pytest.mark.parametrize(
    ("release", "urls", "message"),
    [
        ("cc-main-1999-none", "listed", "unknown release 'cc-main-1999-none'"),
        ("cc-main-2030-offline", "closed", "no network?"),
        ("Not A Release!", "listed", "is not a release name"),
    ],
)
def test_a_release_that_cannot_be_had_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: str, urls: str, message: str
) -> None:
    write_graphinfo(tmp_path / "graphinfo.json", [NAMED])
    listed = (tmp_path / "graphinfo.json").as_uri()
    closed = "http://127.0.0.1:9/"
    monkeypatch.setenv("LINKSPIDER_CC_DATA_URL", closed)
    monkeypatch.setenv("LINKSPIDER_CC_GRAPHINFO_URL", listed if urls == "listed" else closed)
    kwargs = {"targets": SAMPLE_TARGETS, "discover": release}
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        CrawlConfig.from_kwargs(kwargs)
    assert "\n" not in str(caught.value)


def test_the_docs_page_runs_verbatim(tmp_path: Path) -> None:
    """docs/authority.md's blocks, in order, from a folder laid out as the clone's root (the
    sample release is at the same relative path); an output block is what the command
    before it prints."""
    fence = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
    blocks = fence.findall((ROOT / "docs" / "authority.md").read_text("utf-8"))
    assert [lang for lang, _ in blocks].count("bash") >= 3
    (tmp_path / "linkspider").symlink_to(ROOT / "linkspider")
    env = {**crawl_env(), "LINKSPIDER_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SCRAPY_SETTINGS_MODULE", None)  # a user's shell
    printed = ""
    for language, code in blocks:
        if language == "text":
            assert printed == code, (printed, code)
            continue
        command = ["bash", "-e", "-c", code] if language == "bash" else [sys.executable, "-c", code]
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, (code, result.stderr[-3000:])
        printed = result.stdout
    assert (tmp_path / "output" / "authority-demo" / "authority.json").exists()


def test_a_stopped_crawl_never_calls_a_candidate_checked(
    web: TestWeb, release: Path, tmp_path: Path
) -> None:
    """Stopped after 3 pages: a candidate whose site was not crawled to the end is
    not-crawled (no link so far), never no-link-found-within-budget."""
    run = crawl(web, tmp_path, "-a", f"discover={release}", "-s", "CLOSESPIDER_PAGECOUNT=3")
    info = run.run_info()
    assert info["status"] == "stopped", run.log[-3000:]
    statuses = read_csv(run.output_dir / "candidates_status.csv")
    counts = info["candidates_status"]["counts"]
    assert counts["no-link-found-within-budget"] == 0
    assert counts["not-crawled"] > 0
    for row in statuses:
        assert (row["status"] == "verified") == (int(row["backlinks"]) > 0)
        if row["status"] == "not-crawled":
            assert "stopped" in row["detail"]
