"""One pass over the DOM: text and link-text length per element, and the main-content block.

Pages without any region hints (old table layouts, bare ``div`` soup) can only be read the
way a reader skims them: the article is where long runs of text sit, boilerplate is where
almost all text is link text. This module walks the tree once, bottom-up sums the visible
text length of every element and the part of it inside links, records each element's
position in document order (so "is X inside Y" is an interval test), and picks the
main-content block with a Readability-style score: every paragraph-like element with enough
non-link text credits its parent fully and its grandparent by half; the best-scoring element,
discounted by its link density, is the main block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose text a reader never sees as page text.
_INVISIBLE: Final = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "title", "iframe", "select",
     "option", "textarea", "-comment"}
)
# Elements that hold a paragraph of prose on real pages.
_PARAGRAPH: Final = frozenset(
    {"p", "pre", "td", "blockquote", "li", "dd", "div", "section", "span", "font", "article",
     "h2", "h3", "h4"}
)
# A paragraph needs this many non-link characters to count as prose.
_MIN_PARAGRAPH: Final = 25


@dataclass
class PageStats:
    """Per-element facts for one page, keyed by ``LexborNode.mem_id``."""

    text: dict[int, int] = field(default_factory=dict)
    """Visible text characters (whitespace stripped per text node) in the subtree."""
    link_text: dict[int, int] = field(default_factory=dict)
    """The part of ``text`` that sits inside ``a`` elements."""
    links: dict[int, int] = field(default_factory=dict)
    """Number of ``a`` elements in the subtree."""
    order: dict[int, int] = field(default_factory=dict)
    """Document (preorder) position."""
    end: dict[int, int] = field(default_factory=dict)
    """Largest preorder position inside the subtree: X contains Y iff order[X] <= order[Y] <= end[X]."""
    parent: dict[int, int] = field(default_factory=dict)
    tag: dict[int, str] = field(default_factory=dict)
    nodes: dict[int, LexborNode] = field(default_factory=dict)
    candidates: list[tuple[float, int]] = field(default_factory=list)
    """Main-content candidates, best first: (score, mem_id)."""
    main: int | None = None
    """mem_id of the main-content block (set by the caller from ``candidates``)."""
    main_score: float = 0.0
    total_text: int = 0

    def contains(self, outer: int, inner: int) -> bool:
        o = self.order.get(outer)
        i = self.order.get(inner)
        if o is None or i is None:
            return False
        return o <= i <= self.end[outer]

    def link_density(self, node: int) -> float:
        t = self.text.get(node, 0)
        return self.link_text.get(node, 0) / t if t else 1.0


def page_stats(tree: LexborHTMLParser) -> PageStats:
    """Walk the tree once and return :class:`PageStats`."""
    st = PageStats()
    root = tree.root
    if root is None:
        return st
    text = st.text
    parent = st.parent
    tag = st.tag
    order = st.order
    own: list[int] = []  # element ids in preorder
    pos = 0
    for node in root.traverse(include_text=True):
        t = node.tag
        if t == "-text":
            p = node.parent
            if p is None:
                continue
            pid = p.mem_id
            if tag.get(pid, "-") in _INVISIBLE:
                continue
            raw = node.text_content
            if raw:
                n = len(raw.strip())
                if n:
                    text[pid] = text.get(pid, 0) + n
            continue
        if t is None or t[0] == "-":
            continue
        nid = node.mem_id
        p = node.parent
        pid = p.mem_id if p is not None else 0
        # Children of invisible elements inherit invisibility through the tag map.
        tag[nid] = t if tag.get(pid) not in _INVISIBLE else "script"
        st.nodes[nid] = node
        parent[nid] = pid
        order[nid] = pos
        pos += 1
        own.append(nid)

    link_text = st.link_text
    links = st.links
    end = st.end
    for nid in own:
        end[nid] = order[nid]
    # Reverse preorder visits every child before its parent: sum subtrees bottom-up.
    for nid in reversed(own):
        pid = parent[nid]
        t = tag[nid]
        if t in _INVISIBLE:
            text.pop(nid, None)
            continue
        n = text.get(nid, 0)
        if t == "a":
            link_text[nid] = n
            links[nid] = links.get(nid, 0) + 1
        if pid in tag:
            if n:
                text[pid] = text.get(pid, 0) + n
            lt = link_text.get(nid, 0)
            if lt:
                link_text[pid] = link_text.get(pid, 0) + lt
            lk = links.get(nid, 0)
            if lk:
                links[pid] = links.get(pid, 0) + lk
            if end[nid] > end[pid]:
                end[pid] = end[nid]
    st.total_text = text.get(root.mem_id, 0)
    _find_main(st, own)
    return st


_POSITIVE: Final = re.compile(
    r"article|body|content|entry|main|page|post|text|blog|story|prose|richtext", re.I
)
_NEGATIVE: Final = re.compile(
    r"comment|foot|masthead|meta|outbrain|promo|related|scroll|shoutbox|sidebar|sponsor|"
    r"shopping|tags|tool|widget|share|social|nav|menu|header|banner|breadcrumb|popup|modal|"
    r"cookie|newsletter|subscribe|recirc|author|byline|card",
    re.I,
)
# Class/id weight, in the unit of the score (one 100-character paragraph is worth 2).
_CLASS_WEIGHT: Final = 25.0
_MAX_CANDIDATES: Final = 5


def _find_main(st: PageStats, elements: list[int]) -> None:
    """Readability-style scoring of the main-content block.

    Every paragraph-like element with at least ``_MIN_PARAGRAPH`` characters of non-link text
    credits ``1 + min(chars, 1000) / 100`` to its parent and half that to its grandparent, so
    the element that directly holds most paragraphs wins over its wrappers. Class/id words
    that name content (``entry-content``) or boilerplate (``sidebar``, ``related``) add or
    subtract a fixed weight, as in Readability, and the total is discounted by link density.
    """
    scores: dict[int, float] = {}
    text = st.text
    link_text = st.link_text
    parent = st.parent
    tag = st.tag
    for nid in elements:
        if tag[nid] not in _PARAGRAPH:
            continue
        prose = text.get(nid, 0) - link_text.get(nid, 0)
        if prose < _MIN_PARAGRAPH:
            continue
        credit = min(prose, 1000) / 100.0 + 1.0
        pid = parent.get(nid)
        if pid is None or pid not in tag:
            continue
        scores[pid] = scores.get(pid, 0.0) + credit
        gid = parent.get(pid)
        if gid is not None and gid in tag:
            scores[gid] = scores.get(gid, 0.0) + credit / 2
    ranked: list[tuple[float, int]] = []
    for nid, s in scores.items():
        if tag[nid] in ("body", "html"):
            continue
        attrs = st.nodes[nid].attributes
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if names.strip():
            if _POSITIVE.search(names):
                s += _CLASS_WEIGHT
            if _NEGATIVE.search(names):
                s -= _CLASS_WEIGHT
        s *= 1.0 - st.link_density(nid)
        if s > 0:
            ranked.append((s, nid))
    ranked.sort(reverse=True)
    st.candidates = ranked[:_MAX_CANDIDATES]
