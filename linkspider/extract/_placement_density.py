"""One pass over the DOM: text and link-text length per element, and the main-content block.

Pages without any region hints (old table layouts, bare ``div`` soup) can only be read the
way a reader skims them: the article is where long runs of text sit, boilerplate is where
almost all text is link text. This module walks the tree once, bottom-up sums the visible
text length of every element and the part of it inside links, records each element's
position in document order (so "is X inside Y" is an interval test), and picks the
main-content block with a Readability-style score: every paragraph-like element with enough
non-link text credits its parent fully and its grandparent by half; the best-scoring element,
discounted by its link density, is the main block.

The walk is the expensive part of placement (Python visits every node), so it skips what
cannot matter: invisible subtrees (``script``, ``svg``, ``select``, ``head``...) and
page-level ``nav``/``aside``/``footer``, whose links markup places on its own and whose
text Lexbor measures in C as one block of links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

_TEXT_ID: Final = LexborHTMLParser("x").body.child.tag_id  # type: ignore[union-attr]
# Elements whose text a reader never sees as page text.
_INVISIBLE: Final = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "head",
        "title",
        "iframe",
        "select",
        "option",
        "textarea",
        "-comment",
    }
)
# Page-level landmarks (not inside a scoping element): markup places all their links
# (a page-level header is walked: inside a class-named content region it is content).
_LANDMARKS: Final = frozenset({"nav", "aside", "footer"})
_SCOPING: Final = frozenset({"article", "aside", "main", "nav", "section"})
# Elements that hold a paragraph of prose on real pages.
_PARAGRAPH: Final = frozenset(
    {
        "p",
        "pre",
        "td",
        "blockquote",
        "li",
        "dd",
        "div",
        "section",
        "span",
        "font",
        "article",
        "h2",
        "h3",
        "h4",
    }
)
# A paragraph needs this many non-link characters to count as prose.
_MIN_PARAGRAPH: Final = 25


@dataclass
class PageStats:
    """Per-element facts for one page.

    Elements are numbered by document (preorder) position; every list is indexed by that
    number, so "is X inside Y" is ``Y <= X <= end[Y]`` and ancestor walks are list look-ups.
    ``pos_of`` maps ``LexborNode.mem_id`` to the position.
    """

    pos_of: dict[int, int] = field(default_factory=dict)
    nodes: list[LexborNode] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    """Parent position, -1 for the root element."""
    end: list[int] = field(default_factory=list)
    """Largest position inside the subtree."""
    text: list[int] = field(default_factory=list)
    """Visible text characters (whitespace stripped per text node) in the subtree."""
    link_text: list[int] = field(default_factory=list)
    """The part of ``text`` that sits inside ``a`` elements."""
    links: list[int] = field(default_factory=list)
    """Number of ``a`` elements in the subtree."""
    candidates: list[tuple[float, int]] = field(default_factory=list)
    """Main-content candidates, best first: (score, position)."""
    main: int = -1
    """Position of the main-content block, -1 if none (set by the caller from candidates)."""
    main_score: float = 0.0

    def contains(self, outer: int, inner: int) -> bool:
        return outer <= inner <= self.end[outer]

    def link_density(self, pos: int) -> float:
        t = self.text[pos]
        return self.link_text[pos] / t if t else 1.0


def page_stats(tree: LexborHTMLParser, shown: frozenset[int] = frozenset()) -> PageStats:
    """Walk the tree once and return :class:`PageStats`.

    ``shown`` holds the ``mem_id`` of invisible elements to read anyway: a ``noscript`` that
    holds the page itself for readers without JavaScript (see ``placement.crawler_view``).
    """
    st = PageStats()
    root = tree.root
    if root is None:
        return st
    pos_of = st.pos_of
    nodes = st.nodes
    tags = st.tag
    parent = st.parent
    text: list[int] = []
    scoped: list[bool] = []
    # Page-level landmarks are measured in C as one block of links (see ``_LANDMARKS``).
    link_text = st.link_text
    links = st.links
    # Tag names by Lexbor tag id, per page (a custom element's id is the page's own): a
    # name read from Lexbor is a new string each time, the id an int.
    names: dict[int, str] = {}
    # Depth-first over child/next pointers: each node's parent position is known from the
    # walk itself, so no text node costs a ``parent`` DOM call or a dictionary look-up.
    stack: list[tuple[LexborNode, int]] = [(root, -1)]
    while stack:
        cur: LexborNode | None
        cur, pp = stack.pop()
        while cur is not None:
            tag_id = cur.tag_id
            if tag_id == _TEXT_ID:
                if pp >= 0:
                    raw = cur.text_content
                    # Whitespace between tags is most text nodes.
                    if raw and not raw.isspace():
                        text[pp] += len(raw.strip())
                cur = cur.next
                continue
            t = names.get(tag_id)
            if t is None:
                t = names[tag_id] = cur.tag or "-"
            if t[0] == "-":
                cur = cur.next
                continue
            i = len(tags)
            pos_of[cur.mem_id] = i
            tags.append(t)
            nodes.append(cur)
            parent.append(pp)
            inner = pp >= 0 and scoped[pp]
            scoped.append(inner or t in _SCOPING)
            if t in _LANDMARKS and not inner:
                # Markup alone places every link in a page-level nav, aside or footer,
                # so the walk does not go inside (mega-menus are a large share of nodes): Lexbor
                # measures its text, counted as link text, and its links.
                anchors = cur.css("a")
                size = len(cur.text(deep=True, strip=True))
                text.append(size)
                link_text.append(size)
                links.append(len(anchors))
                cur = cur.next
                continue
            text.append(0)
            link_text.append(0)
            links.append(0)
            # Nothing inside an invisible element is text or a visible link: skip its subtree
            # (inline SVG paths, option lists, script bodies are a large share of nodes).
            child = None if t in _INVISIBLE and cur.mem_id not in shown else cur.child
            if child is None:
                cur = cur.next
                continue
            sibling = cur.next
            if sibling is not None:
                stack.append((sibling, pp))
            cur, pp = child, i

    n = len(tags)
    end = list(range(n))
    # Reverse preorder visits every child before its parent: sum subtrees bottom-up.
    for i in range(n - 1, -1, -1):
        pp = parent[i]
        if tags[i] == "a":
            link_text[i] = text[i]
            links[i] += 1
        if pp >= 0:
            text[pp] += text[i]
            link_text[pp] += link_text[i]
            links[pp] += links[i]
            if end[i] > end[pp]:
                end[pp] = end[i]
    st.text = text
    st.end = end
    _find_main(st)
    return st


# Searched in lower-cased class and id names (``re.I`` on this alternation is ~3x slower).
_POSITIVE: Final = re.compile(
    r"article|body|content|entry|main|page|post|text|blog|story|prose|richtext"
)
_NEGATIVE: Final = re.compile(
    r"comment|foot|masthead|meta|outbrain|promo|related|scroll|shoutbox|sidebar|sponsor|"
    r"shopping|tags|tool|widget|share|social|nav|menu|header|banner|breadcrumb|popup|modal|"
    r"cookie|newsletter|subscribe|recirc|author|byline|card"
)
# Class/id weight, in the unit of the score (one 100-character paragraph is worth 2).
_CLASS_WEIGHT: Final = 25.0
_MAX_CANDIDATES: Final = 5
# Elements that hold text but never the page's main block: the page itself, and a code block
# or inline element whose own children (spans, lines) scored it.
_NOT_CANDIDATE: Final = frozenset(
    {
        "body",
        "html",
        "pre",
        "code",
        "span",
        "font",
        "a",
        "p",
        "em",
        "strong",
        "b",
        "i",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "label",
        "button",
        "small",
    }
)


@lru_cache(maxsize=4096)
def _class_weight(names: str) -> float:
    """What an element's class and id words add to its score (a site's pages repeat them)."""
    lower = names.lower()
    return _CLASS_WEIGHT * (bool(_POSITIVE.search(lower)) - bool(_NEGATIVE.search(lower)))


def _find_main(st: PageStats) -> None:
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
    # Lines inside a ``pre`` block are one paragraph (the block), not many.
    in_code: set[int] = set()
    for i, t in enumerate(tag):
        if t == "pre" and i not in in_code:
            # Once per outermost ``pre``: nested ones are inside it already (linear, even
            # for a hostile page of 20,000 nested ``pre``).
            in_code.update(range(i + 1, st.end[i] + 1))
    for i, t in enumerate(tag):
        if t not in _PARAGRAPH or i in in_code:
            continue
        prose = text[i] - link_text[i]
        if prose < _MIN_PARAGRAPH:
            continue
        credit = min(prose, 1000) / 100.0 + 1.0
        pp = parent[i]
        if pp < 0:
            continue
        scores[pp] = scores.get(pp, 0.0) + credit
        gp = parent[pp]
        if gp >= 0:
            scores[gp] = scores.get(gp, 0.0) + credit / 2
    ranked: list[tuple[float, int]] = []
    raw = sorted(
        (
            (s * (1.0 - st.link_density(i)), i)
            for i, s in scores.items()
            if tag[i] not in _NOT_CANDIDATE
        ),
        reverse=True,
    )
    # Class words move a candidate by at most the class weight: only the head can win.
    floor = raw[0][0] - 2 * _CLASS_WEIGHT if raw else 0.0
    for _, i in raw[:40]:
        s = scores[i]
        if s * (1.0 - st.link_density(i)) < floor:
            break
        attrs = st.nodes[i].attributes
        s += _class_weight(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")
        s *= 1.0 - st.link_density(i)
        if s > 0:
            ranked.append((s, i))
    ranked.sort(reverse=True)
    st.candidates = ranked[:_MAX_CANDIDATES]
