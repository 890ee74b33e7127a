"""Page-level robots directives: ``<meta name="robots|googlebot">`` and ``X-Robots-Tag``.

Directives that apply to *all* crawlers or to Googlebot count (the view link analysts
need: does Google follow/index this page's links?). ``X-Robots-Tag`` values may be scoped
to a user agent (``googlebot: noindex``); values scoped to other crawlers are ignored,
linkspider's own robots token included: ``follow`` and ``source_indexable`` say what a
search engine does with the page, not what linkspider may do (robots.txt decides that).
``none`` means ``noindex, nofollow``. Every ``X-Robots-Tag`` header value counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

#: Meta names and X-Robots-Tag user agents whose directives we apply.
AGENTS = ("robots", "googlebot")
_KNOWN_RULES = {"all", "index", "follow", "noindex", "nofollow", "none", "noarchive",
                "nosnippet", "notranslate", "noimageindex", "unavailable_after",
                "max-snippet", "max-image-preview", "max-video-preview", "indexifembedded",
                "noodp", "noydir"}  # fmt: skip


@dataclass(frozen=True)
class Directive:
    """One directive and where it came from: ``meta-robots``, ``x-robots-tag(googlebot)``."""

    rule: str
    source: str


def _split_rules(value: str) -> list[str]:
    return [part.strip().lower() for part in value.replace(";", ",").split(",") if part.strip()]


def meta_directives(metas: LexborHTMLParser | Iterable[LexborNode]) -> list[Directive]:
    """Directives of ``<meta name="robots|googlebot" content>``, from a parsed page or its
    ``<meta>`` elements in document order."""
    if isinstance(metas, LexborHTMLParser):
        metas = metas.css("meta[name][content]")
    found = []
    for node in metas:
        attrs = node.attrs
        name = attrs.get("name")
        content = attrs.get("content")
        if name is None or content is None:
            continue
        name = name.strip().lower()
        if name in AGENTS:
            for rule in _split_rules(content):
                found.append(Directive(rule, f"meta-{name}"))
    return found


def header_directives(values: Iterable[str]) -> list[Directive]:
    """Directives from every ``X-Robots-Tag`` header value (there may be several)."""
    found = []
    for value in values:
        agent = ""
        for part in value.split(","):
            token = part.strip()
            if not token:
                continue
            head, sep, rest = token.partition(":")
            head_l = head.strip().lower()
            # "googlebot: noindex" starts a group for that agent; "unavailable_after: date"
            # and "max-snippet: 20" are rules with values, not agents.
            if sep and head_l not in _KNOWN_RULES and " " not in head_l:
                agent = head_l
                token = rest.strip()
                if not token:
                    continue
            rule = token.split(":", 1)[0].strip().lower()
            if agent and agent not in AGENTS:
                continue
            source = f"x-robots-tag({agent})" if agent else "x-robots-tag"
            found.append(Directive(rule, source))
    return found


def first_with(directives: Iterable[Directive], *rules: str) -> Directive | None:
    """The first directive that is one of ``rules`` or ``none`` (noindex + nofollow)."""
    for directive in directives:
        if directive.rule in rules or directive.rule == "none":
            return directive
    return None
