"""Turn a parsed page into backlink rows for the crawl's targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from linkspider.config.targets import Target, TargetSet
from linkspider.core.domains import registrable_domain
from linkspider.core.items import BacklinkItem
from linkspider.core.urls import normalise_url, split_host
from linkspider.extract.anchor_category import build_terms, classify_anchor
from linkspider.extract.anchors import read_anchor
from linkspider.extract.context import link_context
from linkspider.extract.href_filter import EXTERNAL_FILTER, HrefFilter, target_filter
from linkspider.extract.indexability import PageFacts, follow_verdict, page_facts
from linkspider.extract.page import LinkPage, RawLink
from linkspider.extract.placement import PlacementRule, classify_placements


@dataclass(frozen=True)
class FetchContext:
    """What the crawler knows about a fetch that the page bytes do not say.

    ``headers`` maps lower-case header names to all their values.
    """

    status: int = 200
    depth: int = 0
    fetched_at: str = ""
    headers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    redirect_urls: Sequence[str] = ()
    redirect_statuses: Sequence[int] = ()


def rel_flags(rel: str) -> tuple[bool, bool, bool]:
    """``(nofollow, ugc, sponsored)`` from a rel attribute (any case, order, extra tokens).

    Tokens are separated by whitespace or commas: Google reads ``rel="ugc,nofollow"`` as
    both values ("a space- or comma-separated list"), so a link analyst must too.
    """
    tokens = rel.lower().replace(",", " ").split()
    return "nofollow" in tokens, "ugc" in tokens, "sponsored" in tokens


def target_links(
    page: LinkPage, targets: TargetSet, prefilter: bool = True
) -> list[tuple[RawLink, Target]]:
    """Links of ``page`` that point at a target, with the target they matched.

    Links between hosts of the same registrable domain are internal, never backlinks, even
    when that domain is a target (a site does not backlink itself). In ``*`` mode every
    external link matches a target made from its registrable domain. ``prefilter``: resolve
    only the hrefs that could be such links (:mod:`linkspider.extract.href_filter`); the
    result is the same either way.
    """
    source_domain = registrable_domain(page.host)
    candidate = _candidates(page, targets, source_domain) if prefilter else None
    found = []
    for link in page.links_where(candidate):
        domain = registrable_domain(link.host)
        if domain == source_domain:
            continue
        if targets.all_external:
            found.append((link, Target(domain=domain)))
            continue
        target = targets.match(link.host)
        if target is not None:
            found.append((link, target))
    return found


def _candidates(page: LinkPage, targets: TargetSet, source_domain: str) -> HrefFilter | None:
    """The href prefilter for this page, or None when every href must be resolved."""
    base_host = split_host(page.base_url)
    if targets.all_external:
        # Relative hrefs resolve to the base URL's host: internal unless <base> leaves the site.
        return EXTERNAL_FILTER if registrable_domain(base_host) == source_domain else None
    if targets.match(base_host) is not None:
        return None
    return target_filter(tuple(target.domain for target in targets.targets))


def facts_for(page: LinkPage, ctx: FetchContext) -> PageFacts:
    return page_facts(page, ctx.status, ctx.headers, ctx.redirect_urls, ctx.redirect_statuses)


def backlink_rows(
    page: LinkPage,
    targets: TargetSet,
    ctx: FetchContext,
    facts: PageFacts | None = None,
    rules: Sequence[PlacementRule] = (),
    prefilter: bool = True,
) -> list[BacklinkItem]:
    """One :class:`BacklinkItem` per link element on ``page`` pointing at a target.

    ``prefilter=False`` resolves every href (same rows, slower; for tests and benchmarks).
    """
    matches = target_links(page, targets, prefilter)
    if not matches:
        return []
    if facts is None:
        facts = facts_for(page, ctx)
    source_host = page.host
    source_domain = registrable_domain(source_host)
    title = page.title
    placements = classify_placements(
        page.tree,
        [link.node for link, _ in matches],
        host=source_host,
        rules=rules,
        positions=True,
    )
    rows = []
    for (link, target), placement in zip(matches, placements, strict=True):
        anchor = read_anchor(link.node)
        rel = link.node.attrs.get("rel") or ""
        nofollow, ugc, sponsored = rel_flags(rel)
        follow, follow_reason = follow_verdict(nofollow, ugc, sponsored, facts.nofollow_source)
        terms = build_terms(target.domain, target.brand, target.keywords, target.generic)
        verdict = classify_anchor(anchor.text, anchor.link_type, anchor.image_alt, terms)
        before, after = link_context(link.node)
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
                target=target.domain,
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
                placement=placement.placement,
                in_content=placement.in_content,
                position=placement.position,
                xpath=placement.xpath,
                anchor_category=verdict.category,
                anchor_rule=verdict.rule,
                follow=follow,
                follow_reason=follow_reason,
                source_indexable=facts.indexable,
                source_index_reason=facts.index_reason,
                source_canonical=facts.canonical,
                source_lang=facts.lang,
                source_redirects=facts.redirects,
                context_before=before,
                context_after=after,
            )
        )
    return rows
