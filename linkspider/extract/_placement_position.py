"""Where a content link sits in the page's main-content block (``position``).

From the text statistics placement already computes (:mod:`._placement_density`): the
*prose* of the main block is its visible text outside links and outside headings, in
document order. A link is

* ``first-paragraph`` when less than :data:`FIRST_PROSE` characters of prose come before
  the block that holds it (its ``p``, ``li``, ``blockquote``, cell...): it sits in the
  first paragraph, the place editors give their most important link;
* ``upper-half`` when less than half of the main block's prose comes before it;
* ``lower-half`` otherwise (towards the end: "related", "sources", the sign-off);
* empty when most of the main block's text sits directly in it, or the link's block holds
  more than :data:`MAX_PARAGRAPH` characters of prose (text laid out with ``<br>``, not in
  paragraphs): where a link falls inside such text is not measured.

A page without a main-content block (too little text for one) is measured over its body.
One linear pass per page builds the prose prefix sums (:func:`prose_prefix`); each link is
then an ancestor walk (at most ``MAX_DEPTH`` steps, as placement's chains) and look-ups.
"""

from __future__ import annotations

from typing import Final

from linkspider.extract._placement_chain import MAX_DEPTH
from linkspider.extract._placement_density import PageStats

FIRST_PARAGRAPH: Final = "first-paragraph"
UPPER_HALF: Final = "upper-half"
LOWER_HALF: Final = "lower-half"
POSITIONS: Final = (FIRST_PARAGRAPH, UPPER_HALF, LOWER_HALF)
#: Prose before a link's block that still leaves it in the first paragraph (a dateline,
#: a byline, an image caption: shorter than a sentence).
FIRST_PROSE: Final = 25
#: Prose of one block beyond which it is not one paragraph but text laid out with <br>.
MAX_PARAGRAPH: Final = 1000
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: The blocks a paragraph of text is written in.
_BLOCKS: Final = frozenset(
    {"p", "li", "blockquote", "dd", "dt", "pre", "td", "th", "figure", "figcaption",
     "address", "summary", *_HEADINGS}
)  # fmt: skip


def prose_prefix(stats: PageStats) -> list[int]:
    """``prefix[i]``: characters of prose (text outside links and headings) in the
    elements before position ``i``, each element counted for its own text nodes."""
    n = len(stats.tag)
    child_text = [0] * n
    child_link = [0] * n
    parent, text, link_text, end, tags = (stats.parent, stats.text, stats.link_text, stats.end,
                                          stats.tag)  # fmt: skip
    for i in range(n):
        up = parent[i]
        if up >= 0:
            child_text[up] += text[i]
            child_link[up] += link_text[i]
    prefix = [0] * (n + 1)
    total = 0
    heading_end = -1
    for i in range(n):
        if i > heading_end and tags[i] in _HEADINGS:
            heading_end = end[i]
        if i > heading_end:
            own = (text[i] - child_text[i]) - (link_text[i] - child_link[i])
            total += max(own, 0)
        prefix[i + 1] = total
    return prefix


def link_position(stats: PageStats, prefix: list[int], main: int, pos: int) -> str:
    """The position of the link at ``pos`` inside the main block at ``main``."""
    if stats.tag[main] in _BLOCKS:  # the main text is one paragraph (or cell, item)
        return "" if prefix[main + 1] - prefix[main] > MAX_PARAGRAPH else FIRST_PARAGRAPH
    block = pos
    up = stats.parent[pos]
    for _ in range(MAX_DEPTH):  # a hostile page's nesting costs at most this per link
        if up <= main:
            break
        if stats.tag[up] in _BLOCKS:
            block = up
            break
        up = stats.parent[up]
    start = prefix[main + 1]
    total = prefix[stats.end[main] + 1] - start
    if prefix[main + 1] - prefix[main] > total or prefix[block + 1] - prefix[block] > MAX_PARAGRAPH:
        # The text sits directly in the main block, or in one huge "paragraph", between
        # its links (<br>-separated text): where in it a link falls is not measured.
        return ""
    if prefix[block] - start < FIRST_PROSE:
        return FIRST_PARAGRAPH
    return UPPER_HALF if 2 * (prefix[pos] - start) < total else LOWER_HALF
