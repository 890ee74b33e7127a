"""Merge the backlink rows of a page's raw HTML with those of its rendered DOM.

A rendered page is read twice: its raw HTML (what the server sent) and its DOM after the
browser ran its scripts. :func:`merge_rendered` pairs the rows of the two and says where
each link came from (column ``origin``): ``raw`` (only in the HTML: a script removed it),
``rendered`` (only in the DOM: a script added it) or ``both``. For links in both, the row
is the rendered one (what a browser, and a search engine that renders, sees), and
``rendered_changes`` lists the attributes a script changed, e.g.
``rel: "" -> "nofollow"; href: "/a" -> "/b"``.

Matching key. Position alone fails: a script that inserts one link shifts every later
one (``link_index``, ``xpath``). Rows are paired in three passes, each in document order
(the k-th occurrence of a key in the HTML with its k-th occurrence in the DOM):

1. same resolved target URL and same anchor (text, link type, image alt): the same link,
   its ``rel`` or the spelling of its ``href`` may differ;
2. same non-empty anchor, different target URL: a script rewrote the ``href`` from one
   target page to another;
3. a row of the HTML left over, whose anchor is on a DOM link that points at no target:
   a script rewrote the ``href`` away from the target (``origin`` stays ``raw``, the
   change is noted).

Ambiguity is resolved by order: if a script removes a link and adds another with the same
anchor text, the two are reported as one link whose ``href`` changed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace

from linkspider.config.targets import TargetSet
from linkspider.core.items import BacklinkItem
from linkspider.core.urls import split_host
from linkspider.extract.backlinks import FetchContext, backlink_rows, facts_for
from linkspider.extract.indexability import PageFacts
from linkspider.extract.page import LinkPage
from linkspider.extract.placement import PlacementRule

RAW = "raw"
RENDERED = "rendered"
BOTH = "both"

#: A link of the rendered DOM that points at no target: (anchor key, href, rel).
OtherLink = tuple[tuple[str, str, str], str, str]


def anchor_key(row: BacklinkItem) -> tuple[str, str, str]:
    return (row.anchor_text, row.link_type, row.image_alt)


def describe_changes(raw: BacklinkItem | None, href: str, rel: str) -> str:
    """``rel: "" -> "nofollow"; href: "/a" -> "/b"`` between a raw row and a DOM link."""
    if raw is None:
        return ""
    changes = []
    if raw.rel != rel:
        changes.append(f"rel: {json.dumps(raw.rel)} -> {json.dumps(rel)}")
    if raw.href != href:
        changes.append(f"href: {json.dumps(raw.href)} -> {json.dumps(href)}")
    return "; ".join(changes)


def merge_rendered(
    raw_rows: Sequence[BacklinkItem],
    rendered_rows: Sequence[BacklinkItem],
    other_links: Sequence[OtherLink] | Callable[[], Sequence[OtherLink]] = (),
) -> list[BacklinkItem]:
    """Rows of the rendered DOM (``both``/``rendered``), then the raw-only rows (``raw``).

    ``other_links``: the DOM's links to no target (or a function returning them, called
    only when a raw row is left over), for pass 3 (see the module).
    """
    pairs: dict[int, int] = {}  # rendered index -> raw index
    raw_left = list(range(len(raw_rows)))
    rendered_left = list(range(len(rendered_rows)))
    for key in (
        lambda row: (row.target_url, anchor_key(row)),
        lambda row: anchor_key(row) if row.anchor_text or row.image_alt else None,
    ):
        matched = _pair(raw_rows, raw_left, rendered_rows, rendered_left, key)
        pairs.update(matched)
        used_raw = set(matched.values())
        raw_left = [i for i in raw_left if i not in used_raw]
        rendered_left = [i for i in rendered_left if i not in matched]
    merged = []
    for index, row in enumerate(rendered_rows):
        raw_index = pairs.get(index)
        if raw_index is None:
            merged.append(replace(row, origin=RENDERED, rendered_changes=""))
            continue
        changes = describe_changes(raw_rows[raw_index], row.href, row.rel)
        merged.append(replace(row, origin=BOTH, rendered_changes=changes))
    rewritten: dict[int, str] = {}
    if raw_left:
        others = other_links() if callable(other_links) else other_links
        rewritten = _rewritten_away([raw_rows[i] for i in raw_left], others)
    for row in (raw_rows[i] for i in raw_left):
        merged.append(replace(row, origin=RAW, rendered_changes=rewritten.get(id(row), "")))
    return merged


def _pair(
    raw_rows: Sequence[BacklinkItem],
    raw_left: Sequence[int],
    rendered_rows: Sequence[BacklinkItem],
    rendered_left: Sequence[int],
    key: Callable[[BacklinkItem], Hashable | None],
) -> dict[int, int]:
    waiting: dict[Hashable, list[int]] = defaultdict(list)
    for i in raw_left:
        k = key(raw_rows[i])
        if k is not None:
            waiting[k].append(i)
    pairs = {}
    for j in rendered_left:
        k = key(rendered_rows[j])
        if k is not None and waiting.get(k):
            pairs[j] = waiting[k].pop(0)
    return pairs


def _rewritten_away(
    raw_left: Sequence[BacklinkItem], other_links: Sequence[OtherLink]
) -> dict[int, str]:
    """Pass 3: raw rows whose anchor is now on a DOM link to no target (by row id)."""
    waiting: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for key, href, rel in other_links:
        waiting[key].append((href, rel))
    changes = {}
    for row in raw_left:
        key = anchor_key(row)
        if (row.anchor_text or row.image_alt) and waiting.get(key):
            href, rel = waiting[key].pop(0)
            changes[id(row)] = describe_changes(row, href, rel)
    return changes


def rendered_page_rows(
    raw_page: LinkPage,
    dom_page: LinkPage,
    targets: TargetSet,
    ctx: FetchContext,
    rules: Sequence[PlacementRule] = (),
) -> tuple[list[BacklinkItem], PageFacts]:
    """Merged rows of a rendered page, and the facts (robots meta, canonical) of its DOM.

    ``dom_page.url`` is the browser's final URL (a script may have changed the path with
    ``history.pushState``); rows keep the crawled URL as ``source_url``. The caller makes
    sure both are on the same host.
    """
    raw_rows = backlink_rows(raw_page, targets, ctx, facts_for(raw_page, ctx), rules)
    dom_facts = facts_for(dom_page, ctx)
    dom_rows = [
        replace(row, source_url=raw_page.url)
        for row in backlink_rows(dom_page, targets, ctx, dom_facts, rules)
    ]
    merged = merge_rendered(raw_rows, dom_rows, lambda: other_links(dom_page, dom_rows))
    return merged, dom_facts


def rendered_link_count(dom_page: LinkPage, rows: Sequence[BacklinkItem]) -> int:
    """``links`` of a rendered page: the DOM's links, and the raw links scripts removed.

    The page a browser shows is the DOM, so its links count. A backlink row of origin
    ``raw`` without ``rendered_changes`` is a link a script removed: it counts too (one
    rewritten away from the target is still in the DOM, counted there). Every row is
    then one of the counted links: a page never has fewer links than backlink rows.
    """
    removed = sum(1 for row in rows if row.origin == RAW and not row.rendered_changes)
    return len(dom_page.links) + removed


def other_links(page: LinkPage, rows: Sequence[BacklinkItem]) -> list[OtherLink]:
    """The links of ``page`` that no row is about (pass 3 of the matching)."""
    taken = {row.link_index for row in rows}
    found = []
    for link in page.links:
        if link.index in taken:
            continue
        anchor = page.anchor(link)
        rel = link.node.attributes.get("rel") or ""
        found.append(((anchor.text, anchor.link_type, anchor.image_alt), link.href, rel))
    return found


def same_host(raw_url: str, dom_url: str) -> bool:
    """Is the browser's final URL on the crawled page's host (else its DOM is not used)?"""
    return split_host(raw_url) == split_host(dom_url)
