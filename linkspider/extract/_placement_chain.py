"""A link's ancestor chain and xpath, capped in depth so one hostile page stays cheap.

A page of nested elements (``'<div>' * 100000``) gives every link inside it an ancestor
chain as long as the page. Anything kept per ancestor *and* per depth (a path string
cached for every ancestor) then grows with the square of the page, and a walk per link
with the number of links times the depth. So the chain is capped the way Chromium's
parser caps the tree (``kMaximumHTMLParserDOMTreeDepth``): an element nested deeper than
``MAX_DEPTH`` is read as a child of its ancestor at depth ``MAX_DEPTH - 1``. Real pages
stay far below the cap (a few dozen levels); only a hostile page is affected, and it
still yields its links, placed by their outer ``MAX_DEPTH - 1`` ancestors.

Every structure here is linear in the page: a depth memo for elements beyond the cap
(so each one is walked past once), one sibling numbering per parent, and xpaths built on
demand for the links asked about, each at most ``MAX_DEPTH`` steps.
"""

from __future__ import annotations

from typing import Final

from selectolax.lexbor import LexborNode

# Chromium's HTML parser nests at most 512 elements deep.
MAX_DEPTH: Final = 512

# A link and its element ancestors, innermost first, up to ``html``.
Chain = list[LexborNode]


class Ancestry:
    """Capped ancestor chains and xpaths of the elements of one page (see module doc)."""

    def __init__(self) -> None:
        # mem_id of an element deeper than the cap -> its ancestor at depth MAX_DEPTH - 1.
        self._top: dict[int, LexborNode] = {}
        # The outer chain of the last capped ancestor asked about (links beyond the cap
        # come in runs under one ancestor; one chain is kept, not one per ancestor).
        self._last: tuple[int, Chain] = (-1, [])
        # mem_id of a parent -> xpath step of each element child.
        self._steps: dict[int, dict[int, str]] = {}
        # (mem_id of a capped ancestor, tag) -> 1-based document-order index of descendants.
        self._deep_index: dict[tuple[int, str], dict[int, int]] = {}
        self.capped = 0
        """Elements asked about that sit deeper than the cap."""

    def chain(self, node: LexborNode) -> Chain:
        """``node`` and its ancestors, innermost first; at most ``MAX_DEPTH`` elements.

        A node deeper than the cap gets its outermost ``MAX_DEPTH - 1`` ancestors. Each
        element beyond the cap is walked past once per page (its capped ancestor is
        memoised), so a thousand links at the bottom of a 100,000-deep page cost one deep
        walk, not a thousand.
        """
        up: Chain = []
        cur: LexborNode | None = node
        top: LexborNode | None = None
        memo = self._top
        while cur is not None and not cur.is_document_node:
            top = memo.get(cur.mem_id)
            if top is not None:
                break
            up.append(cur)
            cur = cur.parent
        keep = MAX_DEPTH - 1
        if top is None:
            if len(up) <= MAX_DEPTH:
                return up
            outer = up[-keep:]
            top = outer[0]
            del up[-keep:]
            self._last = (top.mem_id, outer)
        elif self._last[0] == top.mem_id:
            outer = self._last[1]
        else:
            found = _walk_up(top, keep)
            outer = found if found is not None else [top]
            self._last = (top.mem_id, outer)
        for deep in up:
            memo[deep.mem_id] = top
        self.capped += 1
        return [node, *outer]

    def xpath(self, chain: Chain) -> str:
        """Absolute xpath of ``chain[0]`` (see ``placement``), built for this call only.

        For an element beyond the cap, ``chain[1]`` is not its parent: the path is that
        ancestor's path and the element's document-order index among its descendants of
        the same tag, ``(/html/body/.../div//a)[3]``, which selects exactly that element.
        """
        if not chain:
            return ""
        node = chain[0]
        steps = ["/" + (chain[-1].tag or "")]
        for j in range(len(chain) - 2, 0, -1):
            steps.append(self._step(chain[j + 1], chain[j]))
        if len(chain) == 1:
            return steps[0]
        parent = chain[1]
        if node.parent is not None and node.parent.mem_id == parent.mem_id:
            steps.append(self._step(parent, node))
            return "/".join(steps)
        tag = node.tag or ""
        key = (parent.mem_id, tag)
        index = self._deep_index.get(key)
        if index is None:
            index = {n.mem_id: i for i, n in enumerate(parent.css(tag), 1)}
            self._deep_index[key] = index
        return f"({'/'.join(steps)}//{tag})[{index.get(node.mem_id, 0)}]"

    def _step(self, parent: LexborNode, node: LexborNode) -> str:
        steps = self._steps.get(parent.mem_id)
        if steps is None:
            # Number all element children of this parent at once: siblings of one link are
            # usually siblings of the next (menus, lists), so each parent is scanned once.
            children = [
                (c.mem_id, c.tag or "") for c in parent.iter() if not c.tag or c.tag[0] != "-"
            ]
            counts: dict[str, int] = {}
            for _, t in children:
                counts[t] = counts.get(t, 0) + 1
            seen: dict[str, int] = {}
            steps = {}
            for cid, t in children:
                if counts[t] == 1:
                    steps[cid] = t
                else:
                    seen[t] = seen.get(t, 0) + 1
                    steps[cid] = f"{t}[{seen[t]}]"
            self._steps[parent.mem_id] = steps
        return steps.get(node.mem_id, node.tag or "")


def _walk_up(node: LexborNode, limit: int) -> Chain | None:
    """``node`` and its ancestors up to ``html``; None when there are more than ``limit``."""
    out: Chain = []
    cur: LexborNode | None = node
    while cur is not None and not cur.is_document_node:
        if len(out) >= limit:
            return None
        out.append(cur)
        cur = cur.parent
    return out
