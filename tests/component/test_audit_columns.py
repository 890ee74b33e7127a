"""Audit data: per referring domain the followed share on indexable pages, TLD and language;
target pages with their URL variants together and by folder; linked domains (targets=*).

Run folders are built from hand-made rows through the real exports (``report_folder``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from linkspider.core.items import BacklinkItem
from linkspider.reports.exports import build_exports
from linkspider.reports.options import ExportOptions
from linkspider.reports.url_groups import top_level_domain, url_folder, url_group
from tests.support.report_folder import link, make_folder, page


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
    assert "Referring domains by TLD (.org 1, .uk 1) and language (en 1)" in domains  # ties: A-Z
    targets = html.split('<section id="targets">')[1].split("</section>")[0]
    assert "URL variants together (2 of the top 5 have several variants)" in targets
    assert "Target pages by folder (2 folders)" in targets


# --- the link's position in the main content ------------------------------------------

PROSE = "Hiking boots need a stiff sole and a snug heel to keep feet safe on long trails. " * 2


def para(text: str = PROSE, link: str = "") -> str:
    return f"<p>{text}{link}</p>"


def a(ident: str) -> str:
    return f'<a id="{ident}" href="https://acme-boots.com/{ident}">Acme boots</a>'


ARTICLE_PAGE = (
    "<html><head><title>t</title></head><body>"
    f"<header><nav>{a('menu')}</nav></header>"
    "<main><article><h1>A rather long headline about the best hiking boots of the year</h1>"
    '<p class="byline">By the staff</p>'
    + para(PROSE, a("first"))
    + para(PROSE[:40] + a("second") + PROSE)
    + "".join(para() for _ in range(6))
    + para(PROSE, a("last"))
    + f"</article></main><footer>{a('foot')}</footer></body></html>"
)


def positions(html: str) -> dict[str, tuple[str, str]]:
    from linkspider.config.targets import Target, TargetSet
    from linkspider.extract.backlinks import FetchContext, backlink_rows
    from linkspider.extract.page import LinkPage

    page_ = LinkPage(html.encode(), "https://blog.example/post", "text/html")
    targets = TargetSet((Target(domain="acme-boots.com"),))
    found = backlink_rows(page_, targets, FetchContext())
    return {r.target_url.rsplit("/", 1)[1]: (r.placement, r.position) for r in found}


def test_position_of_content_links() -> None:
    assert positions(ARTICLE_PAGE) == {
        "menu": ("navigation", ""),  # not content: no position
        "first": ("content", "first-paragraph"),  # the headline is not prose, a byline short
        "second": ("content", "upper-half"),  # 40 characters into the second paragraph
        "last": ("content", "lower-half"),
        "foot": ("footer", ""),
    }


def test_position_halves_follow_the_prose_not_the_markup() -> None:
    # the same link after 2 long paragraphs and before 1 short one: still the lower half
    # of the text, though the link is in the second-to-last element
    html = (
        "<html><body><main><article>"
        + para(PROSE * 3) + para(PROSE * 3, a("mid")) + para("Thanks for reading.")
        + "</article></main></body></html>"
    )  # fmt: skip
    assert positions(html) == {"mid": ("content", "lower-half")}
    # a list of links at the top of the article is not prose: the next paragraph is first
    html = (
        "<html><body><main><article><ul>"
        + "".join(f'<li><a href="/x{i}">Chapter number {i} of the guide</a></li>' for i in range(5))
        + "</ul>" + para(PROSE, a("lead")) + "".join(para() for _ in range(4))
        + "</article></main></body></html>"
    )  # fmt: skip
    assert positions(html) == {"lead": ("content", "first-paragraph")}


def test_position_not_claimed_when_text_is_not_in_paragraphs() -> None:
    # an old table layout: the text sits in the cell between <br>s, links among it
    cell = (PROSE + "<br>") * 4 + a("inline") + "<br>" + (PROSE + "<br>") * 4
    html = f"<html><body><table><tr><td>{cell}</td></tr></table></body></html>"
    assert positions(html)["inline"] == ("content", "")


def test_report_counts_content_links_by_position(tmp_path: Path) -> None:
    pages = [page("blog.com", n) for n in range(5)]
    links = [link("blog.com", 0, position="first-paragraph"),
             link("blog.com", 1, position="first-paragraph", follow=False),
             link("blog.com", 2, position="lower-half"),
             link("blog.com", 3, position=""),
             link("blog.com", 4, placement="footer")]  # fmt: skip
    make_folder(tmp_path, pages, links)
    html = (tmp_path / "report.html").read_text("utf-8")
    placement = html.split('<section id="placement">')[1].split("</section>")[0]
    assert "Content links by position" in placement
    desc = placement.split("Content links by position in the main text</title>")[1]
    desc = desc.split("</desc>")[0]
    assert "first paragraph: followed 1, not followed 1" in desc
    assert "upper half: followed 0, not followed 0" in desc
    assert "lower half: followed 1, not followed 0" in desc
    assert "not measured: followed 1, not followed 0" in desc  # the footer link is not content


def test_position_on_a_page_too_short_for_a_main_block() -> None:
    html = f"<html><body><p>{PROSE[:90]} {a('only')} for boots.</p></body></html>"
    assert positions(html) == {"only": ("content", "first-paragraph")}


def test_report_reads_the_audit_columns_under_familiar_headers_with_a_bom(tmp_path: Path) -> None:
    from linkspider.engines.headers import SpreadsheetOptions

    options = ExportOptions(spreadsheet=SpreadsheetOptions(csv_bom=True, headers="ahrefs"))
    pages = [page("blog.co.uk", 0)]
    make_folder(tmp_path, pages, [link("blog.co.uk", 0, source_lang="en-GB")], options)
    html = (tmp_path / "report.html").read_text("utf-8")
    domains = html.split('<section id="domains">')[1].split("</section>")[0]
    assert "Referring domains by TLD (.uk 1) and language (en 1)" in domains
    assert ">100.0%<" in domains  # dofollow_ratio read back from its familiar header
