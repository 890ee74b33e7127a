"""The href prefilter never drops a backlink: rows with it equal rows without it.

Checked on every page of the sample web and of the shared corpora (when present), and as a
property over generated href spellings (IDN in either form, upper case, ports, userinfo,
backslashes, percent-encoding, whitespace, tabs and newlines, protocol- and
scheme-relative forms).
"""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkspider.config.targets import TargetSet, load_targets
from linkspider.core.domains import registrable_domain
from linkspider.core.urls import resolve_href, split_host
from linkspider.extract.backlinks import FetchContext, backlink_rows, target_links
from linkspider.extract.href_filter import EXTERNAL_FILTER, HrefFilter, target_filter
from linkspider.extract.page import LinkPage
from tests.support.paths import CORPORA, ROOT

SITES = ROOT / "linkspider" / "testweb" / "sites"
SAMPLE_TARGETS = ROOT / "linkspider" / "testweb" / "sample" / "targets.toml"
POPULAR = "wikipedia.org,twitter.com,facebook.com,youtube.com,github.com,google.com"


def _target_sets() -> dict[str, TargetSet]:
    return {
        "sample": load_targets(str(SAMPLE_TARGETS)),
        "popular": load_targets(POPULAR),
        "all": load_targets("*"),
    }


def _sample_pages() -> list[tuple[bytes, str]]:
    pages = []
    for path in sorted(SITES.rglob("*.html")):
        rel = path.relative_to(SITES)
        pages.append((path.read_bytes(), f"https://{rel.parts[0]}/{'/'.join(rel.parts[1:])}"))
    return pages


def _corpus_pages() -> list[tuple[bytes, str]]:
    pages = []
    for corpus in ("wcxb-dev", "aeb"):
        folder = CORPORA / corpus
        urls: dict[str, str] = {}
        for line in (folder / "labels.jsonl").open(encoding="utf-8"):
            record = json.loads(line)
            if str(record.get("page_url", "")).startswith("http"):
                urls.setdefault(record["file_id"], record["page_url"])
        for path in sorted((folder / "html").glob("*.html.gz")):
            url = urls.get(path.name.split(".")[0], "https://www.example.com/page")
            pages.append((gzip.decompress(path.read_bytes()), url))
    return pages


def _matches(page: LinkPage, targets: TargetSet, prefilter: bool) -> list[tuple[int, str, str]]:
    return [(link.index, link.url, target.domain)
            for link, target in target_links(page, targets, prefilter)]  # fmt: skip


def test_sample_web_rows_are_the_same_with_and_without_the_prefilter() -> None:
    ctx = FetchContext(fetched_at="T")
    checked = 0
    for body, url in _sample_pages():
        for targets in _target_sets().values():
            fast = backlink_rows(LinkPage(body, url), targets, ctx)
            full = backlink_rows(LinkPage(body, url), targets, ctx, prefilter=False)
            assert fast == full, url
            checked += len(full)
    assert checked > 50


@pytest.mark.skipif(not (CORPORA / "wcxb-dev").is_dir(), reason="shared corpora not present")
def test_corpus_pages_match_the_same_links_with_and_without_the_prefilter() -> None:
    """781 real pages: the prefilter changes which hrefs are resolved, never the matches."""
    sets = _target_sets()
    found = 0
    for body, url in _corpus_pages():
        for targets in sets.values():
            fast = _matches(LinkPage(body, url), targets, True)
            assert fast == _matches(LinkPage(body, url), targets, False), url
            found += len(fast)
    assert found > 5_000


def test_a_base_element_on_a_target_turns_the_filter_off() -> None:
    html = b'<base href="https://acme.com/"><a href="/boots">x</a><a href="p">y</a>'
    page = LinkPage(html, "https://blog.example.org/post")
    assert [link.url for link, _ in target_links(page, load_targets("acme.com"))] == [
        "https://acme.com/boots",
        "https://acme.com/p",
    ]


def test_relative_links_after_an_off_site_base_are_external_in_star_mode() -> None:
    html = b'<base href="https://cdn.other.net/"><a href="/x">x</a>'
    page = LinkPage(html, "https://blog.example.org/post")
    assert [t.domain for _, t in target_links(page, load_targets("*"))] == ["other.net"]


def test_ipv4_like_targets_get_no_filter() -> None:
    assert target_filter(("10.0.0.1",)) is None
    assert target_filter(("acme.0x1f",)) is None
    assert target_filter(("acme.com",)) is not None


# -- properties over href spellings ------------------------------------------------------

_TARGETS = ("acme-boots.com", "xn--bcher-kva.de", "blog.globex.co.uk")
_HOSTS = st.sampled_from(
    [
        "acme-boots.com", "www.acme-boots.com", "ACME-BOOTS.COM", "Shop.Acme-Boots.Com",
        "bücher.de", "BÜCHER.DE", "www.xn--bcher-kva.de", "XN--BCHER-KVA.DE",
        "acme%2Dboots.com", "acme-boots%2ecom", "acme-boots\u3002com", "\uff41\uff43\uff4d\uff45-boots.com",
        "acme\u00adboots.com", "blog.globex.co.uk", "BLOG.GLOBEX.CO.UK", "globex.co.uk",
        "other.org", "acme-boots.com.evil.net", "evil.net", "127.0.0.1", "[::1]",
        "acme-boots.com.", "acme-\tboots.com", "acme-boots.c\nom",
    ]
)  # fmt: skip
_PREFIXES = st.sampled_from(
    ["https://", "http://", "HTTPS://", "//", "\\\\", "https:\\\\", "https:/\\", "https:",
     "http:", " https://", "\thttps://", "h\tttps://", "ftp://", "javascript://", ""]
)  # fmt: skip
_AUTH = st.sampled_from(["", "user@", "user:pw@", "acme-boots.com@", "a%40b@"])
_PORTS = st.sampled_from(["", ":443", ":8080", ":"])
_TAILS = st.sampled_from(
    ["", "/", "/path", "\\path", "?q=1", "#frag", "/p?u=https%3A%2F%2Facme-boots.com", " ",
     "/ü", "?x=bücher.de"]
)  # fmt: skip
_HREFS = st.builds(lambda *parts: "".join(parts), _PREFIXES, _AUTH, _HOSTS, _PORTS, _TAILS)
_RELATIVE = st.sampled_from(["", "/", "page", "../x", "?q", "#top", "/%41", "a b", "ü"])
_BASES = st.sampled_from(
    ["https://www.example.org/dir/page", "http://news.example.org/", "https://example.org"]
)


def _is_target(host: str) -> bool:
    return any(host == t or host.endswith("." + t) for t in _TARGETS)


@settings(max_examples=600, deadline=None)
@given(href=st.one_of(_HREFS, _RELATIVE), base=_BASES)
def test_target_filter_passes_every_href_that_resolves_to_a_target(href: str, base: str) -> None:
    candidate = target_filter(_TARGETS)
    assert candidate is not None
    url = resolve_href(href, base)
    if url is not None and _is_target(split_host(url)):
        assert candidate(href), (href, url)


@settings(max_examples=600, deadline=None)
@given(href=st.one_of(_HREFS, _RELATIVE), base=_BASES)
def test_external_filter_passes_every_href_that_leaves_the_base_host(href: str, base: str) -> None:
    url = resolve_href(href, base)
    if url is not None and registrable_domain(split_host(url)) != "example.org":
        assert EXTERNAL_FILTER(href), (href, url)


@settings(max_examples=300, deadline=None)
@given(hrefs=st.lists(st.one_of(_HREFS, _RELATIVE), max_size=12))
def test_page_at_once_equals_href_by_href(hrefs: list[str]) -> None:
    for candidate in (target_filter(_TARGETS), EXTERNAL_FILTER, HrefFilter(("acme-boots.com",))):
        assert candidate is not None
        assert candidate.candidates(hrefs) == [i for i, h in enumerate(hrefs) if candidate(h)]
