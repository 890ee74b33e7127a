"""Verifying placed links (``-a expect=placements.csv``).

The expectation file's loader, the status decision as a table (one row per status), and
one real crawl of ``tests/webs/placement`` where every status occurs, then a rebuild with
``linkspider export`` after a "kill" that lost some statuses (``not-checked``).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import DEMO_SETTINGS, crawl_env
from linkspider.config.args import CrawlConfig
from linkspider.config.placements import ExpectedLink, load_placements
from linkspider.config.sources import ConfigError
from linkspider.extract.page import LinkPage
from linkspider.extract.placement_check import (
    STATUSES,
    FoundLink,
    PageOutcome,
    check_placement,
    page_links,
)
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun
from tests.support.paths import WEBS

SITES = WEBS / "placement"
TARGET = "https://acme-shop.test/boots"


# -- the expectation file -------------------------------------------------------------
def write(tmp_path: Path, text: str, name: str = "placements.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)


def test_loader_keeps_every_row_in_order(tmp_path: Path) -> None:
    spec = write(
        tmp_path,
        "\ufeffSource_URL;Target_URL;Anchor;Follow;client\n"  # BOM, semicolons, any case
        "blog.example/post;https://www.acme.com/boots?utm_source=x#top;Acme  Boots;yes;Ann\n"
        "\n"
        "http://x.example/a;acme.com;;;Bob\n"
        "http://x.example/a;acme.com;;nofollow;Bob\n",
        encoding="utf-8",
    )
    placements = load_placements(spec).links
    assert [(p.row, p.line) for p in placements] == [(1, 2), (2, 4), (3, 5)]
    first = placements[0]
    assert (first.source_url, first.fallback_url) == (
        "https://blog.example/post",
        "http://blog.example/post",
    )
    assert first.target_url == "https://www.acme.com/boots"  # tracking and fragment dropped
    assert (first.anchor, first.follow) == ("Acme  Boots", True)
    assert [(p.anchor, p.follow) for p in placements[1:]] == [(None, None), (None, False)]


def test_inline_csv_text_for_scrapyd_jobs() -> None:
    placements = load_placements("source_url,target_url\nhttp://a.example/,http://b.example/x\n")
    assert placements.links[0].target_url == "http://b.example/x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("source_url,anchor\nhttp://a.example/,x\n", r":1: missing column\(s\) target_url"),
        ("source_url,target_url\n", "header but no rows"),
        ("source_url,target_url\nhttp://a.example/,ftp://b.example/\n", r":2: target_url"),
        ("source_url,target_url\nnot a url,http://b.example/\n", r":2: source_url"),
        ("source_url,target_url\n,http://b.example/\n", r":2: source_url is empty"),
        (
            "source_url,target_url,follow\nhttp://a.example/,http://b.example/,maybe\n",
            r":2: follow must be true/false",
        ),
        (
            "source_url,target_url\n" + "x,y\n" * 7,
            r":2: .*:6: .*\(and 2 more\)",
        ),
    ],
)
def test_loader_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_placements(write(tmp_path, text))


def test_loader_refuses_other_encodings_and_missing_files(tmp_path: Path) -> None:
    latin = write(tmp_path, "source_url,target_url,anchor\nhttp://a.example/,http://b.example/,Café\n",
                  encoding="latin-1")  # fmt: skip
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_placements(latin)
    with pytest.raises(ConfigError, match="not found"):
        load_placements(str(tmp_path / "nope.csv"))


def test_expect_arguments(tmp_path: Path) -> None:
    spec = write(tmp_path, "source_url,target_url\nhttp://a.example/p,https://www.acme.co.uk/x\n"
                 "http://a.example/p,https://globex.com/\n")  # fmt: skip
    config = CrawlConfig.from_kwargs({"expect": spec, "check_targets": "yes"})
    assert config.args.scope == "page" and config.args.check_targets is True
    assert config.targets.describe() == "acme.co.uk,globex.com"  # the targets' sites
    assert [s.url for s in config.seeds.seeds] == ["http://a.example/p"]  # one fetch per page
    with pytest.raises(ConfigError, match="drop -a seeds"):
        CrawlConfig.from_kwargs({"expect": spec, "seeds": "a.example"})
    with pytest.raises(ConfigError, match="scope must be page"):
        CrawlConfig.from_kwargs({"expect": spec, "scope": "site"})
    with pytest.raises(ConfigError, match="check_targets"):
        CrawlConfig.from_kwargs({"expect": spec, "check_targets": "perhaps"})


# -- the decision, as a table ---------------------------------------------------------
def expect(anchor: str | None = "Acme Boots", follow: bool | None = True) -> ExpectedLink:
    return ExpectedLink(row=1, line=2, source_url="http://blog.example/post", target_url=TARGET,
                     anchor=anchor, follow=follow)  # fmt: skip


def link(url: str = TARGET, anchor: str = "Acme Boots", rel: str = "", index: int = 1) -> FoundLink:
    return FoundLink(url=url, href=url, anchor=anchor, rel=rel, index=index)


def page(*links: FoundLink, **facts: Any) -> PageOutcome:
    """A parsed 200 page with ``links``; ``facts`` override its other fields."""
    base = PageOutcome(requested_url="http://blog.example/post",
                       final_url="http://blog.example/post", http_status=200, parsed=True,
                       index_reason="indexable", links=links)  # fmt: skip
    return replace(base, **facts)


CASES = [
    # (case, expectation, outcome, status, link_check)
    ("never fetched", expect(), None, "not-checked", ""),
    ("robots.txt disallows", expect(),
     PageOutcome("http://blog.example/post", blocked="robots-disallowed"), "robots-blocked", ""),
    ("robots.txt unavailable", expect(),
     PageOutcome("http://blog.example/post", blocked="robots-unavailable"), "page-error", ""),
    ("SSRF guard", expect(),
     PageOutcome("http://blog.example/post", blocked="ssrf-blocked"), "not-checked", ""),
    ("timeout", expect(), PageOutcome("http://blog.example/post", error="timeout"),
     "page-error", ""),
    ("HTTP 404", expect(), PageOutcome("http://blog.example/post", "http://blog.example/post",
                                       404, error="http-404"), "page-not-found", ""),
    ("HTTP 410", expect(), PageOutcome("http://blog.example/post", "http://blog.example/post",
                                       410, error="http-410"), "page-not-found", ""),
    ("HTTP 503", expect(), PageOutcome("http://blog.example/post", "http://blog.example/post",
                                       503, error="http-503"), "page-error", ""),
    ("HTTP 403", expect(), PageOutcome("http://blog.example/post", "http://blog.example/post",
                                       403, error="http-403"), "page-error", ""),
    ("a PDF", expect(), PageOutcome("http://blog.example/post", "http://blog.example/post",
                                    200, error="not-html"), "page-error", ""),
    ("redirected elsewhere", expect(), page(link(), final_url="http://blog.example/"),
     "page-redirected", "ok"),
    ("redirected to https and www.", expect(), page(link(), final_url="https://www.blog.example/post/"),
     "ok", "ok"),
    ("noindex", expect(), page(link(), index_reason="noindex-meta"), "noindex", "ok"),
    ("noindex header, link gone", expect(), page(index_reason="noindex-header"), "noindex",
     "link-not-found"),
    ("canonical elsewhere", expect(), page(link(), canonical="http://blog.example/other"),
     "not-canonical", "ok"),
    ("canonical to itself over https", expect(),
     page(link(), canonical="https://blog.example/post"), "ok", "ok"),
    ("no link at all", expect(), page(link("https://globex.example/")), "link-not-found",
     "link-not-found"),
    ("other page of the target site", expect(), page(link("https://www.acme-shop.test/sandals")),
     "wrong-target", "wrong-target"),
    ("anchor differs", expect(), page(link(anchor="click here")), "wrong-anchor", "wrong-anchor"),
    ("anchor differs in case and spacing only", expect(anchor="acme   BOOTS"), page(link()),
     "ok", "ok"),
    ("any anchor", expect(anchor=None), page(link(anchor="")), "ok", "ok"),
    ("nofollow, expected follow", expect(), page(link(rel="nofollow")), "wrong-rel", "wrong-rel"),
    ("sponsored, expected follow", expect(), page(link(rel="Sponsored")), "wrong-rel",
     "wrong-rel"),
    ("follow, expected nofollow", expect(follow=False), page(link()), "wrong-rel", "wrong-rel"),
    ("ugc, expected nofollow", expect(follow=False), page(link(rel="ugc")), "ok", "ok"),
    ("follow not checked", expect(follow=None), page(link(rel="nofollow")), "ok", "ok"),
    ("page nofollow, expected follow", expect(), page(link(), page_nofollow="meta-robots:nofollow"),
     "nofollow-page", "nofollow-page"),
    ("page nofollow, expected nofollow", expect(follow=False),
     page(link(), page_nofollow="meta-robots:nofollow"), "ok", "ok"),
    ("the good one of two links", expect(),
     page(link(rel="nofollow"), link(anchor="x", index=2), link(index=3)), "ok", "ok"),
    ("http and trailing-slash variant", expect(), page(link("http://acme-shop.test/boots/")),
     "ok", "ok"),
    ("wrong anchor wins over wrong rel", expect(), page(link(anchor="x", rel="nofollow")),
     "wrong-anchor", "wrong-anchor"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expected", "outcome", "status", "link_check"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_status_table(
    expected: ExpectedLink, outcome: PageOutcome | None, status: str, link_check: str
) -> None:
    verdict = check_placement(expected, outcome)
    assert (verdict.status, verdict.link_check) == (status, link_check)


def test_table_covers_every_status() -> None:
    assert {case[3] for case in CASES} == set(STATUSES)


def test_evidence_of_the_best_link() -> None:
    outcome = page(link(rel="nofollow"), link(anchor="Acme boots!", index=2))
    verdict = check_placement(expect(), outcome)
    # "!" is not spacing or case: the nofollow link with the right anchor is the closer one
    assert verdict.status == "wrong-rel"
    assert verdict.link is not None and verdict.link.index == 1
    assert verdict.links_to_target == 2


def test_page_links_read_from_html() -> None:
    html = (b'<p><a href="/x">x</a> <a rel="NoFollow" href="https://acme-shop.test/boots#top">'
            b'<img alt="Acme Boots"></a> <a href="mailto:a@b.c">m</a></p>')  # fmt: skip
    links = page_links(LinkPage(html, "http://blog.example/post"))
    assert [(f.url, f.anchor, f.rel, f.index) for f in links] == [
        ("http://blog.example/x", "x", "", 1),
        (TARGET, "Acme Boots", "NoFollow", 2),
    ]


# -- end to end -----------------------------------------------------------------------
#: (source path, anchor, follow) -> expected status, link_check, error.
E2E = [
    ("http://pl-blog.test/ok.html", "acme boots", "true", "ok", "ok", ""),
    ("http://pl-blog.test/image.html", "Acme Boots", "true", "ok", "ok", ""),
    ("http://pl-blog.test/variant.html", "Acme Boots", "", "ok", "ok", ""),
    ("http://pl-blog.test/missing.html", "Acme Boots", "true", "link-not-found",
     "link-not-found", ""),
    ("http://pl-blog.test/wrong-target.html", "Acme Boots", "true", "wrong-target",
     "wrong-target", ""),
    ("http://pl-blog.test/wrong-anchor.html", "Acme Boots", "true", "wrong-anchor",
     "wrong-anchor", ""),
    ("http://pl-blog.test/wrong-rel.html", "Acme Boots", "true", "wrong-rel", "wrong-rel", ""),
    ("http://pl-blog.test/nofollow-page.html", "Acme Boots", "true", "nofollow-page",
     "nofollow-page", ""),
    ("http://pl-blog.test/noindex.html", "Acme Boots", "true", "noindex", "ok", ""),
    ("http://pl-blog.test/canonical.html", "Acme Boots", "true", "not-canonical", "ok", ""),
    ("http://pl-blog.test/twice.html", "Acme Boots", "true", "ok", "ok", ""),
    ("http://pl-blog.test/twice.html", "Acme Boots", "false", "ok", "ok", ""),  # same page
    ("http://pl-blog.test/gone.html", "", "", "page-not-found", "", "http-410"),
    ("http://pl-blog.test/nope.html", "", "", "page-not-found", "", "http-404"),
    ("http://pl-blog.test/broken.html", "", "", "page-error", "", "http-500"),
    ("http://pl-blog.test/moved.html", "", "", "page-redirected", "ok", ""),
    ("http://pl-blog.test/slash", "", "", "ok", "ok", ""),  # only a trailing slash
    ("http://pl-blog.test/report.pdf", "", "", "page-error", "", "not-html"),
    ("http://pl-blog.test/private/page.html", "", "", "robots-blocked", "",
     "robots-disallowed"),
    ("http://pl-robots500.test/", "", "", "page-error", "", "robots-unavailable"),
    ("http://pl-refused.test/a.html", "", "", "page-error", "", "connection-refused"),
    ("http://pl-hang.test/a.html", "", "", "page-error", "", "timeout"),
    ("http://pl-blog.test/ok.html", "acme boots", "true", "ok", "ok", ""),  # a duplicate row
]  # fmt: skip


@pytest.fixture(scope="module")
def placement_web() -> Iterator[TestWeb]:
    with TestWeb([SITES]) as web:
        yield web


def run_expect(web: TestWeb, workdir: Path, *extra: str) -> CrawlRun:
    """``scrapy crawl backlinks -a expect=...`` with no targets and no seeds."""
    output = workdir / "out"
    settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "DOWNLOAD_TIMEOUT": "2"}
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks",
               "-a", "expect=placements.csv", "-a", f"output_dir={output}", *extra]  # fmt: skip
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.run(command, cwd=workdir, env=crawl_env(), capture_output=True,
                             text=True, timeout=120)  # fmt: skip
    return CrawlRun(process, output)


@pytest.fixture(scope="module")
def expect_run(placement_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    workdir = tmp_path_factory.mktemp("expect")
    lines = ["source_url,target_url,anchor,follow"]
    lines += [f"{url},{TARGET},{anchor},{follow}" for url, anchor, follow, *_ in E2E]
    (workdir / "placements.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_expect(placement_web, workdir)
    assert run.process.returncode == 0, run.log[-3000:]
    return run


def test_every_status_end_to_end(expect_run: CrawlRun) -> None:
    rows = expect_run.rows("placements_status.csv")
    got = [(r["source_url"], r["status"], r["link_check"], r["error"]) for r in rows]
    assert got == [(url, status, check, error) for url, _, _, status, check, error in E2E]
    assert [int(r["row"]) for r in rows] == list(range(1, len(E2E) + 1))
    assert [int(r["line"]) for r in rows] == list(range(2, len(E2E) + 2))


def test_evidence_end_to_end(expect_run: CrawlRun) -> None:
    rows = expect_run.rows("placements_status.csv")
    ok, image, variant = rows[0], rows[1], rows[2]
    assert (ok["found_anchor"], ok["found_follow"], ok["placement"], ok["http_status"]) == (
        "Acme  BOOTS".replace("  ", " "), "true", "content", "200")  # fmt: skip
    assert ok["found_href"] == "https://acme-shop.test/boots?utm_source=blog"
    assert ok["found_url"] == TARGET and ok["links_to_target"] == "1"
    assert image["found_anchor"] == "Acme Boots"  # an image link's alt
    assert (
        "variant" in variant["note"] and variant["found_url"] == "http://www.acme-shop.test/boots/"
    )
    wrong_rel = rows[6]
    assert (wrong_rel["found_rel"], wrong_rel["found_follow"]) == ("sponsored nofollow", "false")
    wrong_target = rows[4]
    assert wrong_target["found_url"] == "https://acme-shop.test/sandals"
    twice_follow, twice_nofollow = rows[10], rows[11]
    assert (twice_follow["found_rel"], twice_nofollow["found_rel"]) == ("", "nofollow")
    assert twice_follow["links_to_target"] == "2"
    moved = rows[15]
    assert moved["final_url"] == "http://pl-blog.test/ok.html"
    assert (
        moved["redirects"] == "http://pl-blog.test/moved.html [301] -> http://pl-blog.test/ok.html"
    )
    assert rows[12]["http_status"] == "410" and rows[20]["http_status"] == ""
    assert "placements: 23 expected link(s)" in expect_run.log
    # The pages were crawled like any page: their backlinks are in backlinks.csv.
    sources = {r["source_url"] for r in expect_run.rows()}
    assert "http://pl-blog.test/ok.html" in sources
    info = expect_run.run_info()
    assert info["targets"] == "acme-shop.test"
    assert info["placements"] == Counter(case[3] for case in E2E)
    assert info["broken_backlinks"] is None
    # Targets were not checked: no target_status, no broken_backlinks.csv.
    assert {r["target_status"] for r in expect_run.rows()} == {""}
    assert not (expect_run.output_dir / "broken_backlinks.csv").exists()


def test_listed_pages_are_not_limited_like_crawled_ones(
    placement_web: TestWeb, tmp_path: Path
) -> None:
    """60 listed pages of one pagination pattern: more than the trap rules let a crawl
    follow (50), but these were asked for, one by one."""
    rows = [f"http://pl-blog.test/ok.html?page={n},{TARGET}" for n in range(1, 61)]
    (tmp_path / "placements.csv").write_text("source_url,target_url\n" + "\n".join(rows), "utf-8")
    run = run_expect(placement_web, tmp_path, "-a", "max_pages_per_site=100")
    assert run.process.returncode == 0, run.log[-3000:]
    assert [r["status"] for r in run.rows("placements_status.csv")] == ["ok"] * 60


def test_rebuild_after_a_kill_marks_missing_rows_not_checked(
    expect_run: CrawlRun, tmp_path: Path
) -> None:
    folder = tmp_path / "killed"
    folder.mkdir()
    for path in expect_run.output_dir.glob("*.jsonl"):
        (folder / path.name).write_bytes(path.read_bytes())
    lines = (folder / "placements.jsonl").read_text("utf-8").splitlines(keepends=True)
    kept = [line for line in lines if '"row": 1,' not in line and '"row": 13,' not in line]
    (folder / "placements.jsonl").write_text("".join(kept) + '{"row": 5, "sta', "utf-8")
    result = subprocess.run([sys.executable, "-m", "linkspider.cli", "export", str(folder)],
                            env=crawl_env(), capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (folder / "placements_status.csv").open(encoding="utf-8-sig", newline="") as handle:
        statuses = [row["status"] for row in csv.DictReader(handle)]
    expected = [case[3] for case in E2E]
    expected[0] = expected[12] = "not-checked"
    assert statuses == expected
