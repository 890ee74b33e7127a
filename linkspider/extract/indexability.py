"""Is the linking page indexable, and does it let its links pass value?

``page_facts`` gathers what a search engine would look at: HTTP status, robots
directives (meta and header), the canonical URL (``<link rel=canonical>`` or a ``Link``
header), the language, and the redirect chain that led to the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from linkspider.core.urls import resolve_href
from linkspider.extract.directives import first_with, header_directives, meta_directives
from linkspider.extract.page import LinkPage

_CANONICAL = "canonical"
#: ASCII whitespace as HTML and CSS attribute selectors split tokens on.
_HTML_SPACE = re.compile(r"[ \t\n\f\r]+")
#: One link of a ``Link`` header with its ``rel`` value (quoted: a space-separated list).
_LINK_REL = re.compile(r"<\s*([^>]+?)\s*>[^<]*?;\s*rel\s*=\s*(?:\"([^\"]*)\"|([^\s;,]+))", re.I)
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
#: Directives that stop a page's links from passing value (``none`` = noindex, nofollow).
_NOFOLLOW = ("nofollow", "none")


@dataclass(frozen=True)
class PageFacts:
    indexable: bool
    index_reason: (
        str  # "indexable", "noindex-meta", "noindex-header", "canonical-elsewhere", "http-status"
    )
    canonical: str
    lang: str
    redirects: str
    nofollow_source: str  # "" or where the page-level nofollows came from, "; "-separated


def _canonical(page: LinkPage, link_headers: Sequence[str]) -> str:
    node = _canonical_link(page.head.links)
    if node is not None:
        resolved = resolve_href(node.attrs.get("href") or "", page.base_url)
        if resolved:
            return resolved.split("#", 1)[0]
    for header in link_headers:
        for match in _LINK_REL.finditer(header):
            rel = match.group(2) if match.group(2) is not None else match.group(3)
            if _CANONICAL not in rel.lower().split():
                continue
            resolved = resolve_href(match.group(1), page.url)
            if resolved:
                return resolved.split("#", 1)[0]
    return ""


def _comparable(url: str) -> str:
    """``url`` as the canonical check compares it: WHATWG-canonical (host case, default
    port, empty path), no fragment, percent-escapes in upper case. Path case and a
    trailing slash still make another URL, as they do for search engines."""
    resolved = resolve_href(url, url) or url
    return _PERCENT.sub(lambda m: m.group(0).upper(), resolved.split("#", 1)[0])


def _canonical_link(links: Sequence[LexborNode]) -> LexborNode | None:
    """The first ``<link rel=canonical href>``: rel tokens split on HTML whitespace and
    compared ASCII case-insensitively (CSS ``[rel~="canonical" i]``), else the first whose
    rel holds the token in a looser reading (any Unicode space or case)."""
    loose = None
    for node in links:
        rel = node.attrs.get("rel")
        if rel is None:
            continue
        if _strict_canonical(rel):
            return node
        if loose is None and _CANONICAL in rel.lower().split():
            loose = node
    return loose


def _strict_canonical(rel: str) -> bool:
    return any(token.isascii() and token.lower() == _CANONICAL for token in _HTML_SPACE.split(rel))


def _lang(page: LinkPage, headers: Mapping[str, Sequence[str]]) -> str:
    html = page.tree.css_first("html")
    lang = (html.attributes.get("lang") or "").strip() if html is not None else ""
    if not lang:
        values = headers.get("content-language") or ()
        lang = values[0].split(",")[0].strip() if values else ""
    if not lang:
        for meta in page.head.metas:
            attrs = meta.attrs
            equiv = attrs.get("http-equiv")
            if equiv and "content" in attrs and _ascii_lower(equiv) == "content-language":
                return (attrs.get("content") or "").split(",")[0].strip()
    return lang


def _ascii_lower(text: str) -> str:
    return text.lower() if text.isascii() else text


def format_redirects(urls: Sequence[str], statuses: Sequence[int], final_url: str) -> str:
    """``http://a/ [301] -> https://a/ [302] -> https://b/``; '' when there was no redirect."""
    if not urls:
        return ""
    parts = []
    for index, url in enumerate(urls):
        status = statuses[index] if index < len(statuses) else None
        parts.append(f"{url} [{status}]" if status else url)
    return " -> ".join([*parts, final_url])


def page_facts(
    page: LinkPage,
    status: int,
    headers: Mapping[str, Sequence[str]],
    redirect_urls: Sequence[str] = (),
    redirect_statuses: Sequence[int] = (),
) -> PageFacts:
    """Indexability facts of an HTML page. ``headers`` keys are lower-case."""
    meta = meta_directives(page.head.metas)
    header = header_directives(headers.get("x-robots-tag") or ())
    canonical = _canonical(page, headers.get("link") or ())
    # Every page-level nofollow (meta and header), each named once: all reasons are given.
    nofollow = "; ".join(
        dict.fromkeys(f"{d.source}:{d.rule}" for d in (*meta, *header) if d.rule in _NOFOLLOW)
    )
    if not 200 <= status < 300:
        indexable, reason = False, "http-status"
    elif first_with(meta, "noindex") is not None:
        indexable, reason = False, "noindex-meta"
    elif first_with(header, "noindex") is not None:
        indexable, reason = False, "noindex-header"
    elif canonical and _comparable(canonical) != _comparable(page.url):
        indexable, reason = False, "canonical-elsewhere"
    else:
        indexable, reason = True, "indexable"
    return PageFacts(
        indexable=indexable,
        index_reason=reason,
        canonical=canonical,
        lang=_lang(page, headers),
        redirects=format_redirects(redirect_urls, redirect_statuses, page.url),
        nofollow_source=nofollow,
    )


def follow_verdict(
    nofollow: bool, ugc: bool, sponsored: bool, page_nofollow: str
) -> tuple[bool, str]:
    """``(follow, follow_reason)``: every reason a link passes no value, ``; ``-separated,
    the link's own rel first, then the page's (``rel:nofollow; meta-robots:nofollow``)."""
    tokens = [name for name, on in (("nofollow", nofollow), ("sponsored", sponsored),
                                    ("ugc", ugc)) if on]  # fmt: skip
    reasons = ["rel:" + "+".join(tokens)] if tokens else []
    if page_nofollow:
        reasons.append(page_nofollow)
    return (False, "; ".join(reasons)) if reasons else (True, "follow")
