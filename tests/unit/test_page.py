"""The link page object: parsing, anchors, base URLs, encodings, malformed and non-HTML input."""

from __future__ import annotations

import gzip

import pytest

from linkspider.config.targets import load_targets
from linkspider.extract.backlinks import FetchContext, backlink_rows, rel_flags
from linkspider.extract.follow import same_site_links
from linkspider.extract.html import is_html
from linkspider.extract.page import LinkPage
from tests.support.paths import CORPORA

URL = "https://outdoor-blog.com/post"


def page(html: str | bytes, url: str = URL, content_type: str | None = "text/html") -> LinkPage:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return LinkPage(body, url, content_type)


def anchors(html: str) -> list[tuple[str, str, str]]:
    p = page(html)
    return [(a.text, a.link_type, a.image_alt) for a in map(p.anchor, p.links)]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="/x">Globex <span>pricing</span></a>', ("Globex pricing", "text", "")),
        ('<a href="/x">Glo<b>bex</b></a>', ("Globex", "text", "")),
        ('<a href="/x">  two\n\t lines&nbsp;here </a>', ("two lines here", "text", "")),
        ('<a href="/x">one<br>two</a>', ("one two", "text", "")),
        ('<a href="/x"><img src="l.png" alt=" Acme  logo "></a>', ("", "image", "Acme logo")),
        ('<a href="/x"><img src="l.png"></a>', ("", "image", "")),
        ('<a href="/x"><svg><title>t</title></svg></a>', ("", "image", "")),
        ('<a href="/x"></a>', ("", "empty", "")),
        ('<a href="/x"> <!-- c --> </a>', ("", "empty", "")),
        ('<a href="/x">Buy<script>var a=1</script><style>p{}</style></a>', ("Buy", "text", "")),
        ('<a href="/x">Shown<span hidden>hidden</span></a>', ("Shown", "text", "")),
        ('<a href="/x">Acme <img alt="logo"> boots</a>', ("Acme boots", "text", "logo")),
        ('<map><area href="/x" alt="Packs"></map>', ("", "image", "Packs")),
    ],
)
def test_anchor_text_and_type(html: str, expected: tuple[str, str, str]) -> None:
    assert anchors(html) == [expected]


def test_base_href_and_relative_resolution() -> None:
    p = page(
        '<head><base href="https://cdn.example.com/a/"></head><a href="b">x</a><a href="/c">y</a>'
    )
    assert [link.url for link in p.links] == [
        "https://cdn.example.com/a/b",
        "https://cdn.example.com/c",
    ]


def test_relative_base_href_resolves_against_page_url() -> None:
    p = page('<base href="/sub/"><a href="x">x</a>', url="https://a.com/p/q")
    assert p.links[0].url == "https://a.com/sub/x"


def test_template_links_are_not_links() -> None:
    assert page('<template><a href="/t">t</a></template><a href="/v">v</a>').links[0].href == "/v"


def test_malformed_markup_keeps_links_browsers_show() -> None:
    deep = "<div>" * 300 + '<a href="https://a.com/deep">deep</a>' + "</div>" * 300
    html = f"<html><body><table><tr><td><a href='https://a.com/1'>one<b>bold</td></tr></table>{deep}</body></html><a href='https://a.com/after'>after</a>"
    urls = [link.url for link in page(html).links]
    assert urls == ["https://a.com/1", "https://a.com/deep", "https://a.com/after"]


@pytest.mark.parametrize(
    ("encoding", "meta"),
    [("windows-1251", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'),
     ("shift_jis", '<meta charset="Shift_JIS">'),
     ("iso-8859-2", '<meta charset="iso-8859-2">')],
)  # fmt: skip
def test_encodings_declared_only_in_meta(encoding: str, meta: str) -> None:
    text = {"windows-1251": "походные ботинки", "shift_jis": "登山靴", "iso-8859-2": "Żółć buty"}
    html = f"<html><head>{meta}<title>{text[encoding]}</title></head><body><a href='/x'>{text[encoding]}</a></body></html>"
    p = page(html.encode(encoding), content_type="text/html")
    assert p.title == text[encoding]
    assert p.anchor(p.links[0]).text == text[encoding]


def test_header_charset_wins_over_missing_meta() -> None:
    p = page("<a href='/x'>ботинки</a>".encode("koi8-r"), content_type="text/html; charset=koi8-r")
    assert p.anchor(p.links[0]).text == "ботинки"


def test_undecodable_bytes_do_not_lose_links() -> None:
    p = page(b"<meta charset=utf-8><a href='https://a.com/x'>bad \xff\xfe bytes</a>")
    assert p.links[0].url == "https://a.com/x"


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/html; charset=utf-8", b"<p>x</p>", True),
        ("application/xhtml+xml", b"<html/>", True),
        (None, b"  <!DOCTYPE html><html>", True),
        ("application/pdf", b"%PDF-1.4", False),
        ("text/html", b"%PDF-1.4 lying server", False),
        ("text/html", b"\x89PNG\r\n\x1a\n\x00\x00", False),
        ("application/json", b'{"a": "<a href=x>"}', False),
        ("image/png", b"\x89PNG", False),
        ("text/plain", b"just text", False),
        ("text/plain", b"<!DOCTYPE html><html>", True),
        ("text/html", "<a href=x>".encode("utf-16"), True),
    ],
)
def test_is_html(content_type: str | None, body: bytes, expected: bool) -> None:
    assert is_html(content_type, body) is expected


@pytest.mark.parametrize(
    ("rel", "flags"),
    [("", (False, False, False)), ("NoFollow", (True, False, False)),
     ("noopener ugc", (False, True, False)), ("sponsored nofollow", (True, False, True)),
     ("external\tnofollow\nugc", (True, True, False)), ("nofollowing", (False, False, False))],
)  # fmt: skip
def test_rel_flags(rel: str, flags: tuple[bool, bool, bool]) -> None:
    assert rel_flags(rel) == flags


def test_backlink_rows_only_for_targets_and_never_internal() -> None:
    html = """<title> A  post </title>
    <a href="https://Shop.Acme-Boots.com/x?utm_source=a#f" rel="ugc">Acme</a>
    <a href="https://acme-boots.com.evil-mirror.net/">evil</a>
    <a href="https://outdoor-blog.com/self">self</a>
    <a href="https://cdn.outdoor-blog.com/">own subdomain</a>
    <a href="//acme-boots.com/y">again</a>"""
    targets = load_targets("acme-boots.com,outdoor-blog.com")
    rows = backlink_rows(page(html), targets, FetchContext(status=200, depth=2, fetched_at="T"))
    assert [(r.target_url, r.anchor_text, r.ugc, r.link_index) for r in rows] == [
        ("https://shop.acme-boots.com/x", "Acme", True, 1),
        ("https://acme-boots.com/y", "again", False, 5),
    ]
    row = rows[0]
    assert (row.source_title, row.source_domain, row.target_domain, row.target) == (
        "A post", "outdoor-blog.com", "acme-boots.com", "acme-boots.com",
    )  # fmt: skip
    assert (row.depth, row.first_seen, row.last_seen) == (2, "T", "T")


def test_outlink_mode_reports_every_external_link() -> None:
    html = '<a href="https://a.com/">a</a><a href="/in">in</a><a href="https://b.org/">b</a>'
    rows = backlink_rows(page(html), load_targets("*"), FetchContext())
    assert [(r.target_domain, r.target) for r in rows] == [("a.com", "a.com"), ("b.org", "b.org")]


def test_same_site_links_for_crawling() -> None:
    html = """<a href="/a#x">a</a><a href="/a">a again</a><a href="https://blog.outdoor-blog.com/">sub</a>
    <a href="/guide.pdf">pdf</a><a href="/img.JPG">img</a><a href="https://other.com/">other</a>
    <a href="/b?utm_source=x">b</a>"""
    assert same_site_links(page(html)) == [
        "https://outdoor-blog.com/a", "https://blog.outdoor-blog.com/", "https://outdoor-blog.com/b",
    ]  # fmt: skip


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora not present")
def test_real_pages_parse_and_find_labelled_links() -> None:
    """Every page of the AEB corpus parses; labelled hrefs are found as links."""
    import json

    labels: dict[str, set[str]] = {}
    for line in (CORPORA / "aeb" / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        labels.setdefault(record["file_id"], set()).add(record["href"])
    missing = total = 0
    for path in sorted((CORPORA / "aeb" / "html").glob("*.html.gz"))[:60]:
        file_id = path.name.split(".")[0]
        p = LinkPage(gzip.decompress(path.read_bytes()), "https://example.com/", None)
        hrefs = {node.attributes.get("href") for node in p.link_nodes}
        wanted = labels.get(file_id, set())
        total += len(wanted)
        missing += len(wanted - hrefs)
    assert total > 0
    assert missing / total < 0.01
