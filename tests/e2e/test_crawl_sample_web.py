"""End to end: the real ``scrapy crawl backlinks`` over the local multi-site sample web.

The expected rows below are the complete truth for the sample web in
``linkspider/testweb/sites``: every target link in every form is found, and nothing else
(robots-disallowed pages, ``<template>`` content, look-alike domains, internal links,
non-HTML bodies).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkspider.core.items import BACKLINK_COLUMNS
from linkspider.reports.authority import AUTHORITY_COLUMNS
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl

OB = "https://outdoor-blog.com"
TN = "http://trail-news.co.uk"  # no https: the bare-domain seed fell back to http
GF = "https://gear-forum.net"

# (source_url, target_url, anchor_text, link_type, image_alt, rel, nofollow, ugc, sponsored)
EXPECTED = {
    (f"{OB}/", "https://www.acme-boots.com/boots/trail-x", "Acme Boots", "text", "", "", "false", "false", "false"),
    (f"{OB}/", "https://globex.co.uk/", "Globex", "text", "", "nofollow", "true", "false", "false"),
    (f"{OB}/reviews/", "https://shop.acme-boots.com/sale", "hiking boots sale", "text", "", "", "false", "false", "false"),
    (f"{OB}/reviews/", "https://acme-boots.com/", "", "image", "Acme logo", "", "false", "false", "false"),
    (f"{OB}/reviews/", "https://initech.com.au/", "", "empty", "", "", "false", "false", "false"),
    (f"{OB}/reviews/", "https://initech.com.au/pricing?plan=pro", "Initech pricing", "text", "", "sponsored noopener", "false", "false", "true"),
    (f"{OB}/reviews/", "https://acme-boots.com:8443/api", "Acme API", "text", "", "", "false", "false", "false"),
    (f"{OB}/reviews/", "http://acme-boots.com/Stores?city=Bern", "Acme stores", "text", "", "", "false", "false", "false"),
    (f"{OB}/about.html", "https://initech.com.au/packs", "", "image", "Initech packs", "", "false", "false", "false"),
    (f"{OB}/about.html", "https://globex.co.uk/contact", "Globex contact page", "text", "", "", "false", "false", "false"),
    (f"{OB}/partners.html", "https://acme-boots.com/gear/tents/", "Acme tents", "text", "", "", "false", "false", "false"),
    (f"{OB}/partners.html", "https://acme-boots.com/", "Acme home", "text", "", "", "false", "false", "false"),
    (f"{TN}/", "https://www.acme-boots.com/Boots/?ref=news", "Waterproof hiking boots", "text", "", "", "false", "false", "false"),
    (f"{TN}/", "https://xn--bcher-kva.de/wandern", "Wanderbücher", "text", "", "", "false", "false", "false"),
    (f"{TN}/story-2024.html", "https://globex.co.uk/reports/2024.pdf", "Globex annual report", "text", "", "", "false", "false", "false"),
    (f"{TN}/story-2024.html", "https://xn--bcher-kva.de/wandern", "Wanderbücher", "text", "", "", "false", "false", "false"),
    (f"{TN}/malformed.html", "https://globex.co.uk/archive-1", "Globex archive", "text", "", "", "false", "false", "false"),
    (f"{TN}/malformed.html", "https://initech.com.au/archive-2", "Initech archive", "text", "", "", "false", "false", "false"),
    (f"{TN}/malformed.html", "https://acme-boots.com/deep", "deep link", "text", "", "", "false", "false", "false"),
    (f"{TN}/malformed.html", "https://acme-boots.com/after-html", "after the end", "text", "", "", "false", "false", "false"),
    (f"{GF}/thread/1.html", "https://acme-boots.com/alps", "Acme Alps GTX", "text", "", "ugc nofollow", "true", "true", "false"),
    (f"{GF}/thread/1.html", "https://www.globex.co.uk/boots", "globex.co.uk", "text", "", "UGC", "false", "true", "false"),
    (f"{GF}/thread/1.html", "https://acme-boots.com/alps", "acme-boots.com/alps", "text", "", "", "false", "false", "false"),
    (f"{GF}/thread/1.html", "https://acme-boots.com/alps", "again", "text", "", "", "false", "false", "false"),
    ("https://www.trailguide.io/guides/boots.html", "https://globex.co.uk/fit-guide", "Globex's fit guide", "text", "", "", "false", "false", "false"),
    ("https://docs.trailguide.io/", "https://initech.com.au/docs", "Initech docs", "text", "", "", "false", "false", "false"),
    ("http://ru-pohod.ru/", "https://acme-boots.com/ru/", "походные ботинки Acme", "text", "", "", "false", "false", "false"),
    ("http://yama-nobori.jp/", "https://acme-boots.com/ja/", "登山靴", "text", "", "", "false", "false", "false"),
}  # fmt: skip
#: Sites whose rows are listed above; the link-intelligence sites of the sample web are
#: asserted row by row in test_link_intelligence.py.
BASIC_SITES = {"outdoor-blog.com", "trail-news.co.uk", "gear-forum.net", "trailguide.io",
               "ru-pohod.ru", "yama-nobori.jp"}  # fmt: skip
INTEL_SITES = {"wp-hiking.com", "bootstrap-gear.net", "aria-news.org", "oldtable-club.com"}
KEY = ("source_url", "target_url", "anchor_text", "link_type", "image_alt", "rel",
       "nofollow", "ugc", "sponsored")  # fmt: skip


@pytest.fixture(scope="module")
def sample_crawl(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_crawl(sample_web, tmp_path_factory.mktemp("sample"))
    assert run.process.returncode == 0, run.log
    return run


def test_finds_every_target_link_and_nothing_else(sample_crawl: CrawlRun) -> None:
    rows = sample_crawl.rows()
    assert {row["source_domain"] for row in rows} == BASIC_SITES | INTEL_SITES
    found = [tuple(row[k] for k in KEY) for row in rows if row["source_domain"] in BASIC_SITES]
    assert sorted(found) == sorted(EXPECTED)  # each link element exactly once


def test_csv_columns_and_types(sample_crawl: CrawlRun) -> None:
    rows = sample_crawl.rows()
    assert tuple(rows[0]) == BACKLINK_COLUMNS + AUTHORITY_COLUMNS  # empty: no release
    assert all(row[c] == "" for row in rows for c in AUTHORITY_COLUMNS)
    for row in rows:
        assert row["source_status"] == "200"
        assert row["first_seen"].endswith("Z") and row["first_seen"] == row["last_seen"]
        assert row["nofollow"] in ("true", "false")
    by_target = {r["target_url"]: r for r in rows}
    stores = by_target["http://acme-boots.com/Stores?city=Bern"]
    assert stores["href"] == "http://ACME-boots.com:80/Stores?city=Bern&fbclid=zz"
    assert (stores["target_host"], stores["target_domain"], stores["target"]) == (
        "acme-boots.com", "acme-boots.com", "acme-boots.com",
    )  # fmt: skip
    assert by_target["https://globex.co.uk/contact"]["href"] == "  https://globex.co.uk/contact\n "
    tents = by_target["https://acme-boots.com/gear/tents/"]
    assert (tents["source_title"], tents["source_domain"]) == ("Partners", "outdoor-blog.com")
    assert by_target["https://acme-boots.com/ru/"]["source_title"] == "Поход в горы"


def test_parquet_and_jsonl_match_csv(sample_crawl: CrawlRun) -> None:
    frame = pd.read_parquet(sample_crawl.output_dir / "backlinks.parquet")
    assert list(frame.columns) == list(BACKLINK_COLUMNS + AUTHORITY_COLUMNS)
    assert len(frame) == len(sample_crawl.rows())
    assert frame["nofollow"].dtype == bool and frame["source_status"].dtype == "int64"
    lines = (sample_crawl.output_dir / "backlinks.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == len(frame)


def test_aggregates(sample_crawl: CrawlRun) -> None:
    out = sample_crawl.output_dir
    domains = pd.read_csv(out / "referring_domains.csv").set_index("source_domain")
    forum = domains.loc["gear-forum.net"]
    assert (forum.backlinks, forum.linking_pages, forum.dofollow, forum.nofollow) == (4, 1, 2, 2)
    assert set(domains.index) == BASIC_SITES | INTEL_SITES
    pages = pd.read_csv(out / "target_pages.csv").set_index("target_url")
    wander = pages.loc["https://xn--bcher-kva.de/wandern"]
    assert (wander.backlinks, wander.referring_domains, wander.linking_pages) == (2, 1, 2)
    anchors = pd.read_csv(out / "anchors.csv", keep_default_na=False).set_index("anchor")
    assert (
        anchors.set_index("anchor_category", append=True).loc[("Wanderbücher", "exact")].backlinks
        == 2
    )
    assert anchors.loc["Acme logo"].backlinks == 1  # image links use their alt text
    assert anchors.loc[""].backlinks == 1  # the empty link


def test_pages_errors_and_run_json(sample_crawl: CrawlRun) -> None:
    pages = {row["url"]: row for row in sample_crawl.rows("pages.csv")}
    assert len(pages) == len(sample_crawl.rows("pages.csv"))  # no page fetched twice
    story = pages[f"{TN}/story-2024.html"]
    assert story["requested_url"] == f"{TN}/old-story"  # final URL after the redirect
    assert pages["https://www.trailguide.io/"]["requested_url"] == "https://hiking-guide.com/"
    for url in (f"{OB}/download?file=guide", f"{OB}/api/status", f"{OB}/brand-logo"):
        assert (pages[url]["parsed"], pages[url]["note"]) == ("false", "not-html")
    assert pages["http://ru-pohod.ru/"]["encoding"] == "cp1251"
    assert f"{OB}/drafts/secret.html" not in pages  # robots.txt
    assert f"{GF}/private/admin.html" not in pages  # robots.txt, linkspider group
    errors = {(row["url"], row["error"]) for row in sample_crawl.rows("errors.csv")
              if not any(site in row["url"] for site in INTEL_SITES)}  # fmt: skip
    assert errors == {
        (f"{OB}/reviews/old-review.html", "http-404"), (f"{TN}/missing.html", "http-404"),
        (f"{TN}/broken", "http-500"), (f"{TN}/gone", "http-410"),
        ("http://down-hiking.com/", "connection-refused"),
    }  # fmt: skip
    info = sample_crawl.run_info()
    assert info["status"] == "finished"
    assert info["pages_crawled"] == len(pages)
    assert info["backlinks"] == len(sample_crawl.rows())
    assert (info["targets_found"], info["referring_domains"]) == (4, 10)
    assert info["errors"] == len(sample_crawl.rows("errors.csv"))
    assert info["robots_blocked"] == 2
    assert info["links_found"] > info["backlinks"]
    assert info["arguments"]["scope"] == "site"
    assert info["versions"]["scrapy"]
    assert "backlinks: " not in sample_crawl.log  # no usage error
    backlinks = len(sample_crawl.rows())
    assert f"{backlinks} backlinks to 4 target(s) from 10 referring domain(s)" in sample_crawl.log


def test_outlink_graph_mode(sample_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(sample_web, tmp_path, "*", "https://www.trailguide.io/", "-a", "scope=page")
    assert run.process.returncode == 0, run.log
    assert {r["target_url"] for r in run.rows()} == set()  # docs.trailguide.io is internal
    run = run_crawl(sample_web, tmp_path, "*", "http://trail-news.co.uk/malformed.html",
                    "-a", "scope=page")  # fmt: skip
    assert {r["target_domain"] for r in run.rows()} == {"globex.co.uk", "initech.com.au",
                                                         "acme-boots.com"}  # fmt: skip


def test_page_scope_fetches_only_listed_urls(sample_web: TestWeb, tmp_path: Path) -> None:
    seeds = tmp_path / "prospects.txt"
    seeds.write_text(f"{OB}/reviews/\n# a comment\n\n{GF}/thread/1.html\n", encoding="utf-8")
    run = run_crawl(sample_web, tmp_path, "acme-boots.com", str(seeds), "-a", "scope=page")
    assert run.process.returncode == 0, run.log
    assert {r["url"] for r in run.rows("pages.csv")} == {f"{OB}/reviews/", f"{GF}/thread/1.html"}
    assert {r["target"] for r in run.rows()} == {"acme-boots.com"}
    assert len(run.rows()) == 7


def test_page_budget_and_depth(sample_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(sample_web, tmp_path, "acme-boots.com", "outdoor-blog.com",
                    "-a", "max_pages_per_site=2", output_dir=tmp_path / "budget")  # fmt: skip
    assert run.process.returncode == 0, run.log
    assert len(run.rows("pages.csv")) == 2
    assert run.run_info()["budget_dropped"] > 0
    run = run_crawl(sample_web, tmp_path, "acme-boots.com", "outdoor-blog.com", "-a", "depth=0")
    assert [r["url"] for r in run.rows("pages.csv")] == [f"{OB}/"]


def test_scrapy_settings_from_command_line_win(sample_web: TestWeb, tmp_path: Path) -> None:
    log_file = tmp_path / "crawl.log"
    run = run_crawl(
        sample_web, tmp_path, "acme-boots.com", "http://ru-pohod.ru/",
        settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "USER_AGENT": "custom-agent/1.0",
                  "LOG_FILE": str(log_file)},
    )  # fmt: skip
    assert run.process.returncode == 0, run.log
    settings = run.run_info()["settings"]
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == "1"
    assert settings["USER_AGENT"] == "custom-agent/1.0"
    assert "linkspider: 1 pages crawled" in log_file.read_text("utf-8")


def test_default_output_folder_and_latest_link(sample_web: TestWeb, tmp_path: Path) -> None:
    import subprocess

    from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env

    command = crawl_command("acme-boots.com", "http://ru-pohod.ru/",
                            {**DEMO_SETTINGS, **sample_web.scrapy_settings()})  # fmt: skip
    process = subprocess.run(command, cwd=tmp_path, env=crawl_env(), capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    latest = tmp_path / "output" / "latest"
    assert latest.is_symlink()
    assert (latest / "backlinks.csv").is_file()
    assert latest.resolve().parent == (tmp_path / "output").resolve()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "targets=acme-boots.com"], "missing argument(s) -a seeds=..."),
        (["-a", "targets=nope.toml", "-a", "seeds=a.com"], "targets file not found: nope.toml"),
        (["-a", "targets=a.com", "-a", "seeds=a.com", "-a", "scope=everything"], "scope"),
    ],
)
def test_bad_arguments_fail_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    import subprocess
    import sys

    from linkspider.cli import crawl_env

    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks", *args]
    process = subprocess.run(command, cwd=tmp_path, env=crawl_env(), capture_output=True, text=True)
    assert process.returncode != 0
    assert message in process.stderr + process.stdout
    assert "Traceback" not in process.stderr


#: The rule each anchor category's ``anchor_rule`` starts with.
RULE_PREFIX = {"empty": "empty", "image": "image", "url": "url", "compound": "brand:",
               "branded": "brand:", "exact": "keyword:", "partial": "keyword:",
               "generic": "generic:", "other": "other"}  # fmt: skip
INDEX_REASONS = {"indexable", "noindex-meta", "noindex-header", "canonical-elsewhere",
                 "http-status"}  # fmt: skip


def test_every_row_carries_link_intelligence(sample_crawl: CrawlRun) -> None:
    """Issue 3's columns hold real, mutually consistent values on every row."""
    rows = sample_crawl.rows()
    for row in rows:
        category, rule = row["anchor_category"], row["anchor_rule"]
        assert rule.startswith(RULE_PREFIX[category]), row
        assert category != "compound" or "+keyword:" in rule, row
        rel = [name for name in ("nofollow", "sponsored", "ugc") if row[name] == "true"]
        if rel:
            assert (row["follow"], row["follow_reason"]) == ("false", "rel:" + "+".join(rel))
        assert row["follow"] == ("true" if row["follow_reason"] == "follow" else "false"), row
        reason = row["source_index_reason"]
        assert (
            reason in INDEX_REASONS
            and row["source_indexable"] == str(reason == "indexable").lower()
        ), row
        assert row["sitewide"] in ("true", "false") and int(row["links_in_group"]) >= 1, row
        assert row["placement"] and row["xpath"].startswith("/html/"), row
        moved = row["source_url"] == f"{TN}/story-2024.html"
        chain = f"{TN}/old-story [301] -> {TN}/story-2024.html" if moved else ""
        assert row["source_redirects"] == chain, row
    # Only links that are the whole text of their block have no context on either side.
    alone = {(r["source_domain"], r["anchor_text"]) for r in rows
             if not r["context_before"] and not r["context_after"]}  # fmt: skip
    assert alone == {("bootstrap-gear.net", "Initech"), ("outdoor-blog.com", ""),
                     ("trail-news.co.uk", "Globex archive"), ("trail-news.co.uk", "deep link"),
                     ("wp-hiking.com", "Shop")}  # fmt: skip
    story = {r["anchor_text"]: (r["context_before"], r["context_after"]) for r in rows
             if r["source_url"] == f"{TN}/story-2024.html"}  # fmt: skip
    assert story == {"Globex annual report": ("Read the", "and the Wanderbücher list. Back home."),
                     "Wanderbücher": ("Read the Globex annual report and the", "list. Back home.")}  # fmt: skip
    assert {r["source_lang"] for r in rows if r["source_domain"] == "aria-news.org"} == {"fr"}
