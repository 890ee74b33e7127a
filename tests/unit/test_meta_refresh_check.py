"""The byte check that lets a page skip decoding for Scrapy's meta refresh: never "no"
when Scrapy would find a refresh (checked against Scrapy's own reading, many ways round)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh

from linkspider.extract.html import META_REFRESH_HEAD_BYTES, may_have_meta_refresh
from tests.support.paths import CORPORA, WEBS

TAG = '<meta http-equiv="refresh" content="0; url=http://b.test/next">'


def _scrapy_refreshes(body: bytes, content_type: str | None) -> bool:
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse("http://a.test/", body=body, headers=headers)
    return get_meta_refresh(response)[1] is not None


def _page(tag: str = TAG, before: str = "") -> str:
    return f"<html><head><title>t</title>{before}{tag}</head><body>x</body></html>"


REFRESHING = [
    (_page().encode(), "text/html"),
    (_page().encode(), None),
    (_page(TAG.upper()).encode(), "text/html; charset=utf-8"),
    (_page(TAG.replace("refresh", "Refresh")).encode(), "text/html"),
    # UTF-16 and UTF-32, with a BOM or declared
    (_page().encode("utf-16"), "text/html"),
    (_page().encode("utf-16-be"), "text/html; charset=utf-16be"),
    (_page().encode("utf-32"), "text/html"),
    # 4-byte characters before the tag: still within the 4,096 characters Scrapy reads
    (_page(before="\U0001f600" * 4000).encode(), "text/html; charset=utf-8"),
    (_page(before="\u20ac" * 4000).encode("gb18030"), "text/html; charset=gb18030"),
    # EBCDIC: "refresh" is other bytes
    (_page().encode("cp500"), "text/html; charset=cp500"),
]


@pytest.mark.parametrize(("body", "content_type"), REFRESHING)
def test_every_page_scrapy_refreshes_is_looked_at(body: bytes, content_type: str | None) -> None:
    assert _scrapy_refreshes(body, content_type)
    assert may_have_meta_refresh(body, content_type)
    assert may_have_meta_refresh(body, content_type.encode() if content_type else None)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_page("").encode(), "text/html"),
        (_page("").encode(), None),
        # w3lib matches the attributes as written: a character reference is not a refresh
        (_page(TAG.replace("refresh", "&#114;efresh")).encode(), "text/html"),
        (_page('<meta charset="utf-8">').encode(), "text/html; charset=bogus-charset"),
        (_page("", before="\u00e9" * 20_000).encode(), "text/html; charset=utf-8"),
        # Past the part Scrapy reads: neither looks there.
        (_page(before=" " * META_REFRESH_HEAD_BYTES).encode(), "text/html"),
    ],
)
def test_plain_pages_are_not_decoded(body: bytes, content_type: str | None) -> None:
    assert not _scrapy_refreshes(body, content_type)
    assert not may_have_meta_refresh(body, content_type)


def test_a_charset_that_is_no_text_encoding_is_left_to_scrapy() -> None:
    assert may_have_meta_refresh(_page("").encode(), "text/html; charset=hex")


def _real_pages() -> Iterator[tuple[str, bytes]]:
    for path in sorted(WEBS.rglob("*.html")):
        yield str(path), path.read_bytes()
    for path in sorted(CORPORA.glob("*/html/*.html.gz")):
        yield str(path), gzip.decompress(path.read_bytes())


def test_real_pages_agree_with_scrapy() -> None:
    pages = list(_real_pages())
    assert len(pages) > 50
    skipped = 0
    for name, body in pages:
        if _scrapy_refreshes(body, "text/html"):
            assert may_have_meta_refresh(body, "text/html"), name
        skipped += not may_have_meta_refresh(body, "text/html")
    assert skipped > len(pages) / 2  # most pages need no decoding
