"""Audit data: per referring domain the followed share on indexable pages, TLD and language;
target pages with their URL variants together and by folder; linked domains (targets=*).

Run folders are built from hand-made rows through the real exports (``report_folder``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from report_folder import link, make_folder, page

from linkspider.items import BacklinkItem
from linkspider.reports.exports import build_exports
from linkspider.reports.options import ExportOptions
from linkspider.reports.url_groups import top_level_domain, url_folder, url_group


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("url", "group", "folder"),
    [
        ("https://acme.com/", "acme.com/", "acme.com/"),
        ("http://www.acme.com", "acme.com/", "acme.com/"),
        ("https://WWW.acme.com/boots/", "acme.com/boots", "acme.com/"),
        ("http://acme.com/boots", "acme.com/boots", "acme.com/"),
        ("https://acme.com/boots?b=2&a=1", "acme.com/boots?a=1&b=2", "acme.com/"),
        ("https://acme.com/boots/?a=1&b=2", "acme.com/boots?a=1&b=2", "acme.com/"),
        ("https://acme.com/Boots", "acme.com/Boots", "acme.com/"),  # path case kept
        ("https://acme.com/blog/2024/post", "acme.com/blog/2024/post", "acme.com/blog/"),
        ("https://acme.com/blog/", "acme.com/blog", "acme.com/"),  # the folder's own page
        ("https://shop.acme.com/x/y?q=1", "shop.acme.com/x/y?q=1", "shop.acme.com/x/"),
        ("https://www2.acme.com:8443/a//", "www2.acme.com:8443/a", "www2.acme.com:8443/"),
        ("https://acme.com?x=1", "acme.com/?x=1", "acme.com/"),
        ("https://[::1]/a/b", "[::1]/a/b", "[::1]/a/"),
    ],
)
def test_url_group_and_folder(url: str, group: str, folder: str) -> None:
    assert url_group(url) == group
    assert url_folder(url) == folder


@pytest.mark.parametrize(
    ("host", "tld"),
    [("bbc.co.uk", "uk"), ("Acme.COM.", "com"), ("xn--80ak6aa92e.xn--p1ai", "xn--p1ai"),
     ("192.168.0.1", ""), ("[::1]", ""), ("", ""), ("localhost", "localhost")],
)  # fmt: skip
def test_top_level_domain(host: str, tld: str) -> None:
    assert top_level_domain(host) == tld


def at(item: BacklinkItem, url: str) -> BacklinkItem:
    item.target_url = item.href = url
    return item


def audit_folder(folder: Path, targets: str = "acme-boots.com") -> None:
    pages = [page("blog.co.uk", n) for n in range(6)] + [page("noindex.org", 0, False)]
    links = [
        # blog.co.uk: 4 links on indexable pages (2 followed), 2 followed on noindex pages
        link("blog.co.uk", 0, source_lang="en-GB"),
        link("blog.co.uk", 1, follow=False, source_lang="en"),
        link("blog.co.uk", 2, source_indexable=False, source_lang="DE"),
        link("blog.co.uk", 3, source_indexable=False, source_lang="de-AT"),
        link("blog.co.uk", 4, source_lang="en_US"),
        link("blog.co.uk", 5, source_lang=""),
        # noindex.org: every link on a noindex page: no ratio, not 0
        link("noindex.org", 0, source_indexable=False),
    ]
    links[4].follow = False
    variants = ["http://www.acme-boots.com/boots/", "https://acme-boots.com/boots",
                "https://acme-boots.com/boots?b=2&a=1", "https://acme-boots.com/boots?a=1&b=2",
                "https://acme-boots.com/Boots", "https://acme-boots.com/blog/2024/post",
                "https://acme-boots.com/blog/other"]  # fmt: skip
    for item, url in zip(links, variants, strict=True):
        at(item, url)
    make_folder(folder, pages, links, run={"targets": targets})


def test_referring_domain_audit_columns(tmp_path: Path) -> None:
    audit_folder(tmp_path)
    domains = {r["source_domain"]: r for r in rows(tmp_path / "referring_domains.csv")}
    blog = domains["blog.co.uk"]
    assert (blog["backlinks"], blog["dofollow"]) == ("6", "4")  # every page counted here
    # the ratio counts the 4 links on indexable pages only (p0, p1, p4, p5): 2 followed
    assert (blog["indexable_backlinks"], blog["dofollow_ratio"]) == ("4", "0.5")
    assert blog["tld"] == "uk"
    # languages by linking pages: en (p0, p1, p4) beats de (p2, p3), blank p5 ignored
    assert blog["language"] == "en"
    nothing = domains["noindex.org"]
    assert (nothing["indexable_backlinks"], nothing["dofollow_ratio"]) == ("0", "")
    assert (nothing["tld"], nothing["language"]) == ("org", "")


def test_target_pages_grouped_by_variant_and_folder(tmp_path: Path) -> None:
    audit_folder(tmp_path)
    groups = {r["url_group"]: r for r in rows(tmp_path / "target_page_groups.csv")}
    assert set(groups) == {"acme-boots.com/boots", "acme-boots.com/boots?a=1&b=2",
                           "acme-boots.com/Boots", "acme-boots.com/blog/2024/post",
                           "acme-boots.com/blog/other"}  # fmt: skip
    boots = groups["acme-boots.com/boots"]
    assert (boots["variants"], boots["backlinks"], boots["referring_domains"]) == ("2", "2", "1")
    assert boots["top_variant"] in ("http://www.acme-boots.com/boots/",
                                    "https://acme-boots.com/boots")  # fmt: skip
    query = groups["acme-boots.com/boots?a=1&b=2"]
    assert (query["variants"], query["linking_pages"]) == ("2", "2")
    order = [r["url_group"] for r in rows(tmp_path / "target_page_groups.csv")]
    assert order[:2] == ["acme-boots.com/boots", "acme-boots.com/boots?a=1&b=2"]  # ties: A-Z
    folders = {r["folder"]: r for r in rows(tmp_path / "target_folders.csv")}
    assert set(folders) == {"acme-boots.com/", "acme-boots.com/blog/"}
    top = folders["acme-boots.com/"]
    assert (top["target_pages"], top["backlinks"], top["referring_domains"]) == ("3", "5", "1")
    blog = folders["acme-boots.com/blog/"]
    assert (blog["target_pages"], blog["backlinks"], blog["referring_domains"]) == ("2", "2", "2")
    # target_pages.csv keeps one row per URL as it was
    assert len(rows(tmp_path / "target_pages.csv")) == 7


def test_linked_domains_only_in_all_external_mode(tmp_path: Path) -> None:
    pages = [page("blog.com", n) for n in range(3)] + [page("news.net", 0)]
    links = [
        link("blog.com", 0, target="a.org"), link("blog.com", 1, target="a.org", path="/x"),
        link("blog.com", 2, target="b.org", follow=False), link("news.net", 0, target="a.org"),
    ]  # fmt: skip
    make_folder(tmp_path, pages, links, run={"targets": "*"})
    linked = rows(tmp_path / "linked_domains.csv")
    assert [(r["target"], r["referring_domains"], r["backlinks"], r["target_pages"],
             r["dofollow"]) for r in linked] == [("a.org", "2", "3", "2", "3"),
                                                 ("b.org", "1", "1", "1", "0")]  # fmt: skip
    html = (tmp_path / "report.html").read_text("utf-8")
    assert '<section id="linked-domains">' in html and "a.org" in html
    # exported again for named targets: the file of the other mode does not stay behind
    (tmp_path / "run.json").write_text(json.dumps({"targets": "a.org,b.org"}), "utf-8")
    build_exports(tmp_path, ExportOptions())
    assert not (tmp_path / "linked_domains.csv").exists()
    assert '<section id="linked-domains">' not in (tmp_path / "report.html").read_text("utf-8")


def test_report_shows_the_audit_columns_and_tables(tmp_path: Path) -> None:
    audit_folder(tmp_path)
    html = (tmp_path / "report.html").read_text("utf-8")
    domains = html.split('<section id="domains">')[1].split("</section>")[0]
    assert "followed, indexable pages" in domains and ">50.0%<" in domains
    assert "Referring domains by TLD and language" in domains and ".uk" in domains
    targets = html.split('<section id="targets">')[1].split("</section>")[0]
    assert "URL variants together (2 of the top 5 have several variants)" in targets
    assert "Target pages by folder (2 folders)" in targets
