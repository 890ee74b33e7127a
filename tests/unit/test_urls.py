"""URL resolution and target_url normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkspider.config.targets import load_targets
from linkspider.core.urls import (
    canonical_host,
    normalise_url,
    resolve_href,
    resolve_link,
    split_host,
)
from linkspider.extract.backlinks import FetchContext, backlink_rows
from linkspider.extract.page import LinkPage

BASE = "https://outdoor-blog.com/reviews/page.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("other.html", "https://outdoor-blog.com/reviews/other.html"),
        ("../about", "https://outdoor-blog.com/about"),
        ("/root", "https://outdoor-blog.com/root"),
        ("//cdn.example.com/x", "https://cdn.example.com/x"),
        ("?q=1", "https://outdoor-blog.com/reviews/page.html?q=1"),
        ("#top", "https://outdoor-blog.com/reviews/page.html#top"),
        ("", "https://outdoor-blog.com/reviews/page.html"),
        ("  https://globex.co.uk/contact\n ", "https://globex.co.uk/contact"),
        ("HTTPS://WWW.ACME-BOOTS.COM:443/Boots/", "https://www.acme-boots.com/Boots/"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_resolve_href(href: str, expected: str) -> None:
    assert resolve_href(href, BASE) == expected


@pytest.mark.parametrize(
    "href",
    ["javascript:void(0)", "JavaScript:go()", "mailto:a@b.com", "tel:+1555", "data:text/html,x",
     "ftp://files.example.com/", "http://a b/", "http://%zz/"],
)  # fmt: skip
def test_non_links(href: str) -> None:
    assert resolve_href(href, BASE) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.com/P?utm_source=a&b=2&UTM_Medium=x#frag", "https://x.com/P?b=2"),
        ("https://x.com/?gclid=1&fbclid=2&mc_eid=3&msclkid=4", "https://x.com/"),
        ("https://x.com/a?z=1&a=2", "https://x.com/a?z=1&a=2"),  # order kept
        ("https://x.com/a?utm%5Fsource=1&k", "https://x.com/a?k"),  # encoded name
        ("https://x.com/Path/Case", "https://x.com/Path/Case"),
        ("https://user:pw@acme-boots.com/", "https://acme-boots.com/"),  # no credentials
        ("https://u@a.com.:8080/x?y=1@b.#f", "https://a.com:8080/x?y=1@b."),
        ("https://acme-boots.com./x", "https://acme-boots.com/x"),  # fully qualified host
        ("https://a.com/x.?q=a.", "https://a.com/x.?q=a."),  # dots elsewhere kept
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_idn_hosts_are_punycode_either_way() -> None:
    unicode_form = resolve_href("https://Bücher.de/ä", BASE)
    puny_form = resolve_href("https://XN--BCHER-KVA.de/%C3%A4", BASE)
    assert unicode_form == puny_form == "https://xn--bcher-kva.de/%C3%A4"
    assert canonical_host("bücher.de") == canonical_host("xn--bcher-kva.de") == "xn--bcher-kva.de"


def test_default_port_dropped_other_ports_kept() -> None:
    assert resolve_href("http://acme.com:80/", BASE) == "http://acme.com/"
    assert resolve_href("https://acme.com:8443/", BASE) == "https://acme.com:8443/"


@pytest.mark.parametrize(
    ("url", "host"),
    [("https://u:p@a.com:8080/x", "a.com"), ("http://[::1]:80/", "[::1]"),
     ("https://a.com?q", "a.com"), ("https://a.com#f", "a.com"),
     ("https://acme-boots.com./x", "acme-boots.com"), ("http://a.com.:81/", "a.com")],
)  # fmt: skip
def test_split_host(url: str, host: str) -> None:
    assert split_host(url) == host


@pytest.mark.parametrize("bad", ["", "a b.com", "a/b", "a..b", "x@y.com"])
def test_canonical_host_rejects(bad: str) -> None:
    assert canonical_host(bad) == ""


def test_trailing_dot_and_userinfo_links_reach_their_target() -> None:
    html = """<a href="https://acme-boots.com./x">fqdn</a>
    <a href="https://user:pw@acme-boots.com/">creds</a>
    <a href="https://shop.acme-boots.com.:8443/y">both</a>"""
    page = LinkPage(html.encode(), "https://outdoor-blog.com/post")
    rows = backlink_rows(page, load_targets("acme-boots.com"), FetchContext())
    assert [(r.target, r.target_host, r.target_url, r.href) for r in rows] == [
        ("acme-boots.com", "acme-boots.com", "https://acme-boots.com/x",
         "https://acme-boots.com./x"),
        ("acme-boots.com", "acme-boots.com", "https://acme-boots.com/",
         "https://user:pw@acme-boots.com/"),  # the raw href keeps what the page wrote
        ("acme-boots.com", "shop.acme-boots.com", "https://shop.acme-boots.com:8443/y",
         "https://shop.acme-boots.com.:8443/y"),
    ]  # fmt: skip


_HREF_CHARS = st.sampled_from([*"/\\\t\n\r .?#%@:;aZ0-é", "..", "//", "/\\"])
_BASES = st.sampled_from(
    [
        BASE,
        "http://User:Pw@Outdoor-Blog.COM:8080/a/b?q=1#f",
        "https://outdoor-blog.com",
        "http://[::1]/x/",
        "http://bücher.de/a\\b",
        "https://acme.com./deep/path/?x",
        "http://192.168.0.1:80/",
    ]
)


@given(rest=st.lists(_HREF_CHARS, max_size=6).map("".join), base=_BASES)
@settings(max_examples=400, deadline=None)
def test_path_absolute_hrefs_resolve_as_against_the_full_base(rest: str, base: str) -> None:
    """``/...`` hrefs are cached per site root: the same URL and host as with the base."""
    href = "/" + rest
    expected = resolve_href(href, base)
    assert resolve_link(href, base) == (
        None if expected is None else (expected, split_host(expected))
    )
