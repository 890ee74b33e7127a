"""Visible text of a link element, and what kind of link it is."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborNode

#: Elements whose content a reader never sees as part of the anchor.
_INVISIBLE = frozenset({"script", "style", "template", "noscript", "head", "title"})
#: Elements that separate words even when the markup has no spaces around them.
_BREAKING = frozenset(
    {
        "br", "p", "div", "li", "ul", "ol", "td", "th", "tr", "table", "h1", "h2", "h3",
        "h4", "h5", "h6", "section", "article", "header", "footer", "figure",
        "figcaption", "blockquote", "dt", "dd", "hr", "img", "picture",
    }
)  # fmt: skip
#: Anchor markup is read this many elements deep (a real anchor nests a few: a span in a
#: strong); deeper nesting is a hostile page, and reading it would overflow the stack.
_MAX_NESTING = 100


@dataclass(frozen=True)
class Anchor:
    """What a link says: ``link_type`` is ``text``, ``image`` or ``empty``."""

    text: str
    link_type: str
    image_alt: str


def collapse(text: str) -> str:
    """Collapse runs of whitespace (incl. NBSP) to one space and strip."""
    return " ".join(text.replace("\xa0", " ").split())


def read_anchor(node: LexborNode) -> Anchor:
    """Anchor text (nested markup included), link type and image alt of ``<a>``/``<area>``."""
    if node.tag == "area":
        alt = collapse(node.attributes.get("alt") or "")
        return Anchor(text="", link_type="image", image_alt=alt)
    parts: list[str] = []
    alts: list[str] = []
    _walk(node, parts, alts)
    text = collapse("".join(parts))
    image_alt = alts[0] if alts else ""
    if text:
        link_type = "text"
    elif alts or _has_image(node):
        link_type = "image"
    else:
        link_type = "empty"
    return Anchor(text=text, link_type=link_type, image_alt=image_alt)


def _walk(node: LexborNode, parts: list[str], alts: list[str], depth: int = 0) -> None:
    if depth >= _MAX_NESTING:
        # Markup nested this deep inside a link is hostile, not an anchor: stop reading (the
        # recursion, and Python's stack, stay bounded).
        return
    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content or "")
        elif tag in _INVISIBLE or tag == "-comment":
            pass
        elif tag == "img":
            alts.append(collapse(child.attributes.get("alt") or ""))
            parts.append(" ")
        elif "hidden" not in child.attributes:
            if tag in _BREAKING:
                parts.append(" ")
                _walk(child, parts, alts, depth + 1)
                parts.append(" ")
            else:
                _walk(child, parts, alts, depth + 1)
        child = child.next


def _has_image(node: LexborNode) -> bool:
    return node.css_first("img, svg, picture") is not None
