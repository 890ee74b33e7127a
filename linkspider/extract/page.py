"""``LinkPage``: the page object for link extraction (HTML bytes + URL in, data out).

Parsing uses selectolax's Lexbor engine, an HTML5-conformant parser: on the 781 real pages
of the shared corpora its links match the html5lib reference exactly, while lxml's tree
differs from a browser's (links inside ``<template>``, unclosed ``<a>`` not re-opened,
content after an early ``</html>`` outside the root) and is ~2.8x slower
(``docs/parsers.md``). Everything is computed lazily
and once, so callers pay only for what they read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from selectolax.lexbor import LexborHTMLParser, LexborNode

from linkspider.extract.anchors import Anchor, collapse, read_anchor
from linkspider.extract.html import decode_html
from linkspider.extract.urls import resolve_href, split_host

LINK_SELECTOR = "a[href], area[href]"


@dataclass(frozen=True)
class RawLink:
    """A link element whose href resolves to an http(s) URL."""

    node: LexborNode
    index: int  # 1-based position among the page's link elements
    href: str  # the attribute as written
    url: str  # resolved against the base URL, WHATWG-canonical, fragment kept
    host: str


class LinkPage:
    """One fetched HTML page. ``url`` is the final URL, after redirects.

    ``max_bytes`` (the parse cap): only the first ``max_bytes`` of a longer body are
    parsed, and ``truncated`` says so. Links come first in most pages; a cut page still
    gives the links in its start rather than none.
    """

    def __init__(
        self,
        body: bytes,
        url: str,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.truncated = max_bytes is not None and 0 < max_bytes < len(body)
        self.body = body[:max_bytes] if self.truncated else body
        self.url = url
        self.content_type = content_type

    @cached_property
    def _decoded(self) -> tuple[str, str]:
        return decode_html(self.body, self.content_type)

    @property
    def text(self) -> str:
        return self._decoded[0]

    @property
    def encoding(self) -> str:
        return self._decoded[1]

    @cached_property
    def tree(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.text)

    @cached_property
    def title(self) -> str:
        node = self.tree.css_first("title")
        return collapse(node.text(deep=True)) if node is not None else ""

    @cached_property
    def base_url(self) -> str:
        """The document base URL: the first ``<base href>`` resolved against the page URL."""
        node = self.tree.css_first("base[href]")
        if node is not None:
            resolved = resolve_href(node.attributes.get("href") or "", self.url)
            if resolved is not None:
                return resolved
        return self.url

    @cached_property
    def link_nodes(self) -> list[LexborNode]:
        """Every ``<a href>`` and ``<area href>`` in document order (``<template>`` excluded)."""
        return list(self.tree.css(LINK_SELECTOR))

    @cached_property
    def links(self) -> list[RawLink]:
        """Web links (http/https) in document order; other schemes are not links."""
        base = self.base_url
        links = []
        for index, node in enumerate(self.link_nodes, start=1):
            # A valueless <a href> is an empty href (the page itself), not a missing one.
            href = node.attributes.get("href") or ""
            url = resolve_href(href, base)
            if url is None:
                continue
            links.append(RawLink(node=node, index=index, href=href, url=url, host=split_host(url)))
        return links

    def anchor(self, link: RawLink) -> Anchor:
        return read_anchor(link.node)
