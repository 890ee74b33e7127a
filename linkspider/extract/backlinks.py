"""Turn a parsed page into backlink rows for the crawl's targets."""

from __future__ import annotations

from dataclasses import dataclass

from linkspider.config.targets import TargetSet
from linkspider.extract.domains import registrable_domain
from linkspider.extract.page import LinkPage, RawLink
from linkspider.extract.urls import normalise_url, split_host
from linkspider.items import BacklinkItem


@dataclass(frozen=True)
class FetchContext:
    """What the crawler knows about a fetch that the page bytes do not say."""

    status: int = 200
    depth: int = 0
    fetched_at: str = ""


def rel_flags(rel: str) -> tuple[bool, bool, bool]:
    """``(nofollow, ugc, sponsored)`` from a rel attribute (any case, order, extra tokens)."""
    tokens = rel.lower().split()
    return "nofollow" in tokens, "ugc" in tokens, "sponsored" in tokens


def target_links(page: LinkPage, targets: TargetSet) -> list[tuple[RawLink, str]]:
    """Links of ``page`` that point at a target: ``(link, matched target domain)``.

    Links between hosts of the same registrable domain are internal, never backlinks, even
    when that domain is a target (a site does not backlink itself).
    """
    source_domain = registrable_domain(split_host(page.url))
    found = []
    for link in page.links:
        domain = registrable_domain(link.host)
        if domain == source_domain:
            continue
        if targets.all_external:
            found.append((link, domain))
            continue
        target = targets.match(link.host)
        if target is not None:
            found.append((link, target.domain))
    return found


def backlink_rows(page: LinkPage, targets: TargetSet, ctx: FetchContext) -> list[BacklinkItem]:
    """One :class:`BacklinkItem` per link element on ``page`` pointing at a target."""
    matches = target_links(page, targets)
    if not matches:
        return []
    source_host = split_host(page.url)
    source_domain = registrable_domain(source_host)
    title = page.title
    rows = []
    for link, target in matches:
        anchor = page.anchor(link)
        rel = link.node.attributes.get("rel") or ""
        nofollow, ugc, sponsored = rel_flags(rel)
        rows.append(
            BacklinkItem(
                source_url=page.url,
                source_host=source_host,
                source_domain=source_domain,
                source_title=title,
                source_status=ctx.status,
                target_url=normalise_url(link.url),
                href=link.href,
                target_host=link.host,
                target_domain=registrable_domain(link.host),
                target=target,
                anchor_text=anchor.text,
                link_type=anchor.link_type,
                image_alt=anchor.image_alt,
                rel=rel,
                nofollow=nofollow,
                ugc=ugc,
                sponsored=sponsored,
                link_index=link.index,
                depth=ctx.depth,
                first_seen=ctx.fetched_at,
                last_seen=ctx.fetched_at,
            )
        )
    return rows
