"""Text around a link: up to ~100 characters of its block on each side."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from linkspider.extract.anchors import collapse

CONTEXT_CHARS = 100
#: Elements that delimit a block of text for a reader.
_BLOCKS = frozenset(
    {"p", "li", "td", "th", "dd", "dt", "blockquote", "figcaption", "h1", "h2", "h3", "h4",
     "h5", "h6", "div", "section", "article", "aside", "header", "footer", "nav", "main",
     "body", "form", "table", "pre", "address", "caption", "details", "summary"}
)  # fmt: skip
_SKIP = frozenset({"script", "style", "template", "noscript", "-comment"})


def link_context(link: LexborNode, limit: int = CONTEXT_CHARS) -> tuple[str, str]:
    """``(before, after)``: block text before and after ``link``, whitespace collapsed.

    The block is the nearest block-level ancestor; text is cut at a word boundary.
    """
    block = link.parent
    while block is not None and block.tag not in _BLOCKS:
        block = block.parent
    if block is None:
        return "", ""
    walk = _ContextWalk(target=link.mem_id, limit=limit)
    walk.visit(block)
    return (
        _tail(collapse("".join(walk.before)), limit),
        _head(collapse("".join(walk.after)), limit),
    )


class _ContextWalk:
    """Collects the block's text before and after the link, stopping early after it."""

    def __init__(self, target: int, limit: int) -> None:
        self.target = target
        self.limit = limit
        self.before: list[str] = []
        self.after: list[str] = []
        self.seen = False
        self.after_len = 0

    def visit(self, node: LexborNode) -> bool:
        """Walk ``node``'s children; True means enough text was collected."""
        child = node.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                text = child.text_content or ""
                if self.seen:
                    self.after.append(text)
                    self.after_len += len(text)
                    if self.after_len > self.limit * 2:
                        return True
                else:
                    self.before.append(text)
            elif tag in _SKIP:
                pass
            elif child.mem_id == self.target:
                self.seen = True
                self.before.append(" ")
                self.after.append(" ")
            else:
                if tag in _BLOCKS or tag in ("br", "img"):
                    (self.after if self.seen else self.before).append(" ")
                if self.visit(child):
                    return True
            child = child.next
        return False


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
