"""Text around a link: up to ~100 characters of its block on each side."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from linkspider.extract._placement_chain import MAX_DEPTH
from linkspider.extract.anchors import collapse

CONTEXT_CHARS = 100
#: Elements that delimit a block of text for a reader.
_BLOCKS = frozenset(
    {"p", "li", "td", "th", "dd", "dt", "blockquote", "figcaption", "h1", "h2", "h3", "h4",
     "h5", "h6", "div", "section", "article", "aside", "header", "footer", "nav", "main",
     "body", "form", "table", "pre", "address", "caption", "details", "summary", "figure"}
)  # fmt: skip
#: Elements inside a block that still separate words (``a<br>b`` reads "a b").
_BREAKS = frozenset({"br", "img", "hr", "ul", "ol", "dl", "option", "tr", "picture"})
#: Never shown to a reader (as for anchor text; elements with ``hidden`` too).
_SKIP = frozenset({"script", "style", "template", "noscript", "-comment"})
#: Bounds on a hostile page: a sibling's markup is read this many elements deep, and each
#: side visits at most this many nodes (a block of 30,000 empty elements next to each of
#: 30,000 links would otherwise be read once per link).
_MAX_NESTING = 100
_MAX_NODES = 2000


def link_context(link: LexborNode, limit: int = CONTEXT_CHARS) -> tuple[str, str]:
    """``(before, after)``: block text before and after ``link``, whitespace collapsed.

    The block is the nearest block-level ancestor; text is cut at a word boundary. The
    walk starts at the link and goes outwards, stopping once it has enough text, so a
    block holding thousands of links costs each link ~``limit`` characters, not the block.
    On a hostile page the walk is capped: the block is looked for ``MAX_DEPTH`` elements
    up at most (the outermost ancestor reached is the block then), nested markup is read
    ``_MAX_NESTING`` deep and ``_MAX_NODES`` nodes per side.
    """
    block = link.parent
    steps = 0
    while block is not None and block.tag not in _BLOCKS:
        steps += 1
        if steps >= MAX_DEPTH:
            break
        block = block.parent
    if block is None:
        return "", ""
    before = _Text(limit, backward=True)
    after = _Text(limit, backward=False)
    node: LexborNode | None = link
    while node is not None and node.mem_id != block.mem_id:
        sibling = node.prev
        while sibling is not None and not before.full:
            before.visit(sibling)
            sibling = sibling.prev
        sibling = node.next
        while sibling is not None and not after.full:
            after.visit(sibling)
            sibling = sibling.next
        node = node.parent
        if node is not None and node.tag in _BREAKS:
            before.add(" ")
            after.add(" ")
    return _tail(before.text(), limit), _head(after.text(), limit)


class _Text:
    """Text collected from one side of the link, in reading order once joined."""

    def __init__(self, limit: int, backward: bool) -> None:
        self.backward = backward
        self.parts: list[str] = [" "]  # the link itself separates the two sides
        self.size = 0
        self.goal = limit * 2
        self.full = False
        self.budget = _MAX_NODES

    def add(self, text: str) -> None:
        self.parts.append(text)
        # Collapsed pieces never sum to more than the collapsed whole: a safe stop.
        self.size += len(collapse(text))
        self.full = self.full or self.size > self.goal

    def visit(self, node: LexborNode, depth: int = 0) -> None:
        self.budget -= 1
        if self.budget <= 0:
            self.full = True
            return
        tag = node.tag
        if tag == "-text":
            self.add(node.text_content or "")
            return
        if tag in _SKIP or "hidden" in node.attrs:
            return
        breaks = tag in _BLOCKS or tag in _BREAKS
        if breaks:
            self.add(" ")
        child = node.last_child if self.backward else node.child
        while child is not None and not self.full and depth < _MAX_NESTING:
            self.visit(child, depth + 1)
            child = child.prev if self.backward else child.next
        if breaks:
            self.add(" ")

    def text(self) -> str:
        return collapse("".join(reversed(self.parts) if self.backward else self.parts))


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    space = cut.find(" ")
    return cut[space + 1 :] if 0 <= space < limit // 2 else cut


def _head(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut
