"""``LinkPage``: the page object for link extraction (HTML bytes + URL in, data out).

Parsing uses selectolax's Lexbor engine, an HTML5-conformant parser: on the 781 real pages
of the shared corpora its links match the html5lib reference exactly, while lxml's tree
differs from a browser's (links inside ``<template>``, unclosed ``<a>`` not re-opened,
content after an early ``</html>`` outside the root) and is ~2.8x slower
(``docs/parsers.md``). Everything is computed lazily
and once, so callers pay only for what they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from selectolax.lexbor import LexborHTMLParser, LexborNode

from linkspider.core.urls import resolve_link, resolve_links, split_host
from linkspider.extract.anchors import Anchor, collapse, read_anchor
from linkspider.extract.href_filter import HrefFilter
from linkspider.extract.html import decode_html

LINK_SELECTOR = "a[href], area[href]"
#: One Lexbor pass collects the link elements and everything else the page facts read:
#: each separate selector costs a full walk of the tree (as much as resolving 50 hrefs).
_SCAN_SELECTOR = f"{LINK_SELECTOR}, base[href], meta, link[href], title"


def _tag_ids() -> dict[str, int]:
    """Lexbor's numeric tag ids (cheaper to read than tag names)."""
    sample = LexborHTMLParser("<title></title><base><meta><link><a></a><area>")
    return {str(node.tag): node.tag_id for node in sample.css("title, base, meta, link, a, area")}


_IDS = _tag_ids()
_LINK_IDS = frozenset({_IDS["a"], _IDS["area"]})
_META, _LINK, _BASE = _IDS["meta"], _IDS["link"], _IDS["base"]


class RawLink:
    """A link element whose href resolves to an http(s) URL.

    ``index`` is the 1-based position among the page's link elements, ``href`` the attribute
    as written, ``url`` the href resolved against the base URL (WHATWG-canonical, fragment
    kept) and ``host`` the host of ``url``. A slotted class: pages have hundreds of links.
    """

    __slots__ = ("host", "href", "index", "node", "url")

    def __init__(self, node: LexborNode, index: int, href: str, url: str, host: str) -> None:
        self.node = node
        self.index = index
        self.href = href
        self.url = url
        self.host = host

    def __repr__(self) -> str:
        return f"RawLink(index={self.index}, href={self.href!r}, url={self.url!r})"


class HeadNodes:
    """The elements page facts read, in document order (from the one scan of the page)."""

    __slots__ = ("base", "links", "metas", "title")

    def __init__(self) -> None:
        self.base: LexborNode | None = None  # the first <base href>
        self.metas: list[LexborNode] = []  # every <meta>
        self.links: list[LexborNode] = []  # every <link href>
        self.title: LexborNode | None = None  # the first <title>


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
    def host(self) -> str:
        """Host of ``url``, canonical (lower-case, punycode) even if ``url`` is not."""
        resolved = resolve_link(self.url, self.url)
        return resolved[1] if resolved is not None else split_host(self.url)

    @cached_property
    def _scan(self) -> tuple[list[LexborNode], HeadNodes]:
        links: list[LexborNode] = []
        head = HeadNodes()
        for node in self.tree.css(_SCAN_SELECTOR):
            tag = node.tag_id
            if tag in _LINK_IDS:
                links.append(node)
            elif tag == _META:
                head.metas.append(node)
            elif tag == _LINK:
                head.links.append(node)
            elif tag == _BASE:
                if head.base is None:
                    head.base = node
            elif head.title is None:
                head.title = node
        return links, head

    @property
    def head(self) -> HeadNodes:
        """``<base>``, ``<meta>``, ``<link>`` and ``<title>`` elements (anywhere in the page)."""
        return self._scan[1]

    @cached_property
    def title(self) -> str:
        node = self.head.title
        return collapse(node.text(deep=True)) if node is not None else ""

    @cached_property
    def base_url(self) -> str:
        """The document base URL: the first ``<base href>`` resolved against the page URL."""
        node = self.head.base
        if node is not None:
            resolved = resolve_link(node.attrs.get("href") or "", self.url)
            if resolved is not None:
                return resolved[0]
        return self.url

    @property
    def link_nodes(self) -> list[LexborNode]:
        """Every ``<a href>`` and ``<area href>`` in document order (``<template>`` excluded)."""
        return self._scan[0]

    @cached_property
    def hrefs(self) -> list[str]:
        """The ``href`` of each link element, as written (parallel to :attr:`link_nodes`)."""
        # A valueless <a href> is an empty href (the page itself), not a missing one.
        return [node.attrs.get("href") or "" for node in self.link_nodes]

    @cached_property
    def links(self) -> list[RawLink]:
        """Web links (http/https) in document order; other schemes are not links."""
        return self._resolved(range(len(self.hrefs)))

    def links_where(self, candidate: HrefFilter | None) -> list[RawLink]:
        """The web links whose href may pass ``candidate`` (all links for None).

        A prefilter for callers that need only some links (``backlink_rows``): hrefs it
        rejects are never resolved. Once every link is resolved (:attr:`links`), picking
        them is cheaper than testing hrefs one by one: with target domains the page's
        candidates are found in one batch; without (``*`` mode) every link is given, the
        caller tests each anyway. So: the same links as filtering :attr:`links`, or more,
        in the same order, provided ``candidate`` passes every href that could be one of
        them.
        """
        if candidate is None:
            return self.links
        if "links" not in self.__dict__:
            return self._resolved(candidate.candidates(self.hrefs))
        if candidate.needles is None:
            return self.links
        wanted = set(candidate.candidates(self.hrefs))
        return [link for link in self.links if link.index - 1 in wanted]

    def _resolved(self, indices: Sequence[int]) -> list[RawLink]:
        """The links of the link elements at ``indices`` whose href is a web link."""
        nodes = self.link_nodes
        hrefs = self.hrefs
        return [
            RawLink(nodes[index], index + 1, hrefs[index], *resolved)
            for index, resolved in zip(
                indices, resolve_links(hrefs, indices, self.base_url), strict=True
            )
            if resolved is not None
        ]

    def anchor(self, link: RawLink) -> Anchor:
        return read_anchor(link.node)
