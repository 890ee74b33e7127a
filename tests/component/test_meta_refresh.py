"""linkspider's MetaRefreshMiddleware: Scrapy's redirects, without decoding plain pages."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from linkspider.addon import SCRAPY_SETTINGS
from linkspider.middlewares.meta_refresh import MetaRefreshMiddleware

REFRESH = b'<html><head><meta http-equiv="refresh" content="0;url=/next"></head></html>'
PLAIN = b"<html><head><title>plain</title></head><body>" + b"x" * 50_000 + b"</body></html>"


def _middlewares(**settings: object) -> tuple[MetaRefreshMiddleware, ScrapyMetaRefresh]:
    crawler = get_crawler(Spider, settings)
    ours = build_from_crawler(MetaRefreshMiddleware, crawler)
    return ours, build_from_crawler(ScrapyMetaRefresh, crawler)


def _response(body: bytes, **meta: object) -> HtmlResponse:
    request = Request("http://a.test/page", meta=meta)
    return HtmlResponse(request.url, body=body, request=request,
                        headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip


def _outcome(result: Request | Response) -> tuple[str, str]:
    return type(result).__name__, result.url


def test_it_replaces_scrapys_at_the_same_place() -> None:
    middlewares = SCRAPY_SETTINGS["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["linkspider.middlewares.meta_refresh.MetaRefreshMiddleware"] == 580


@pytest.mark.parametrize(
    ("body", "meta"),
    [(REFRESH, {}), (REFRESH, {"dont_redirect": True}), (PLAIN, {})],
)
def test_same_outcome_as_scrapys(body: bytes, meta: dict[str, object]) -> None:
    ours, scrapys = _middlewares()
    response = _response(body, **meta)
    theirs = scrapys.process_response(response.request, _response(body, **meta))
    assert response.request is not None
    assert _outcome(ours.process_response(response.request, response)) == _outcome(theirs)


def test_a_refresh_is_followed_with_scrapys_bookkeeping() -> None:
    ours, _ = _middlewares()
    response = _response(REFRESH)
    assert response.request is not None
    redirected = ours.process_response(response.request, response)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://a.test/next"
    assert redirected.meta["redirect_urls"] == ["http://a.test/page"]
    assert redirected.meta["redirect_reasons"] == ["meta refresh"]


def test_a_plain_page_is_not_decoded() -> None:
    ours, scrapys = _middlewares()
    response = _response(PLAIN)
    assert response.request is not None
    assert ours.process_response(response.request, response) is response
    assert response._cached_ubody is None  # Scrapy's decodes the whole body to look
    theirs = _response(PLAIN)
    assert theirs.request is not None
    scrapys.process_response(theirs.request, theirs)
    assert theirs._cached_ubody is not None


def test_switched_off_like_scrapys() -> None:
    with pytest.raises(NotConfigured):
        _middlewares(METAREFRESH_ENABLED=False)
