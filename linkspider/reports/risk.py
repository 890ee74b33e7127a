"""Link-profile warnings for ``report.html``: pure rules over small summaries.

Each rule takes summaries computed from the run folder (a few rows per target, domain or
link group, never the backlink table) and returns :class:`RiskWarning` objects that explain
the risk in plain words, with the rows that show it. Thresholds are :class:`ReportRules`
(settings ``LINKSPIDER_REPORT_*``).

Rules:

* **Keyword-rich anchors**: per target, the share of its referring domains that link with a
  money anchor (``exact`` or ``compound`` by default) is above ``exact_share`` (10%).
* **One domain, many links**: one referring domain provides ``domain_share`` (25%) or more
  of all backlinks.
* **Sitewide keyword links**: followed links that repeat in the site chrome (navigation,
  header, footer, sidebar) of a linking host (``sitewide``) with a money anchor. Any one.
* **Links from non-indexable pages**: ``nonindexable_share`` (20%) or more of the backlinks
  sit on pages that search engines are told not to index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from linkspider.extract.anchor_category import CATEGORIES

#: Where a link belongs to the site's template rather than to one page's content.
CHROME_PLACEMENTS = ("navigation", "header", "footer", "sidebar")
LEVELS = ("high", "medium", "info")
#: Below this many referring domains a share moves a lot with one domain: say so.
SMALL_SAMPLE_DOMAINS = 10
EVIDENCE_ROWS = 10


@dataclass(frozen=True)
class ReportRules:
    """Thresholds of the report's warnings (and the money anchors of the disavow rules)."""

    exact_share: float = 0.10
    domain_share: float = 0.25
    nonindexable_share: float = 0.20
    money_categories: tuple[str, ...] = ("exact", "compound")
    top_n: int = 25

    def __post_init__(self) -> None:
        for name in ("exact_share", "domain_share", "nonindexable_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"report rule {name} must be in (0, 1], got {value!r}")
        unknown = [c for c in self.money_categories if c not in CATEGORIES]
        if unknown or not self.money_categories:
            raise ValueError(
                f"money anchor categories must be some of {', '.join(CATEGORIES)}; "
                f"got {', '.join(self.money_categories) or 'none'}"
            )
        if self.top_n < 1:
            raise ValueError(f"report top_n must be at least 1, got {self.top_n!r}")


@dataclass(frozen=True)
class RiskWarning:
    level: str  # one of LEVELS
    title: str
    explanation: str
    columns: tuple[str, ...] = ()
    evidence: tuple[tuple[object, ...], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class AnchorUse:
    """A money anchor of one target: how many referring domains and links use it."""

    anchor: str
    category: str
    referring_domains: int
    backlinks: int


@dataclass(frozen=True)
class TargetAnchors:
    target: str
    referring_domains: int
    money_domains: int  # referring domains with at least one money-anchor link to it
    anchors: tuple[AnchorUse, ...] = ()  # its money anchors, most domains first


@dataclass(frozen=True)
class DomainLinks:
    domain: str
    backlinks: int
    followed: int = 0
    content: int = 0
    sitewide: int = 0
    followed_content: int = 0
    risky: int = 0  # followed sitewide chrome links with a money anchor


@dataclass(frozen=True)
class LinkGroup:
    """Followed sitewide chrome links with a money anchor: one per (domain, URL, anchor, place)."""

    domain: str
    target_url: str
    anchor: str
    category: str
    placement: str
    links: int
    example_url: str


@dataclass(frozen=True)
class NonIndexableLinks:
    reason: str
    domain: str
    links: int
    followed: int
    example_url: str


@dataclass(frozen=True)
class RiskInput:
    backlinks: int
    referring_domains: int
    targets: tuple[TargetAnchors, ...] = ()
    domains: tuple[DomainLinks, ...] = ()  # the largest referring domains at least
    sitewide_money: tuple[LinkGroup, ...] = ()
    nonindexable: tuple[NonIndexableLinks, ...] = ()
    nonindexable_links: int = 0


def display_domain(domain: str) -> str:
    """A punycode domain as people read it: ``bücher.de (xn--bcher-kva.de)``."""
    if "xn--" not in domain:
        return domain
    try:
        readable = domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain
    return f"{readable} ({domain})" if readable != domain else domain


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.1 or share == 0 else f"{100 * share:.1f}%"


def _small_sample(domains: int) -> str:
    if domains >= SMALL_SAMPLE_DOMAINS:
        return ""
    return (
        f"Based on only {domains} referring domain{'s' if domains != 1 else ''}: one domain "
        "more or less changes this share a lot. Crawl more of the web that links to you "
        "before acting on it."
    )


def money_anchor_warnings(
    targets: Sequence[TargetAnchors], rules: ReportRules
) -> list[RiskWarning]:
    """Per target: too many referring domains use keyword-rich anchors."""
    kinds = ", ".join(rules.money_categories)
    warnings = []
    for target in targets:
        name = display_domain(target.target)
        if target.referring_domains <= 0:
            continue
        share = target.money_domains / target.referring_domains
        if share <= rules.exact_share:
            continue
        warnings.append(
            RiskWarning(
                level="high" if share >= 2 * rules.exact_share else "medium",
                title=f"Keyword-rich anchors: {_pct(share)} of the referring domains of {name}",
                explanation=(
                    f"{target.money_domains} of the {target.referring_domains} sites linking "
                    f"to {name} use a keyword-rich anchor ({kinds}: the words you want to "
                    f"rank for), above the {_pct(rules.exact_share)} limit set for this report. "
                    "Links people give freely mostly use your brand, your address or words "
                    "like 'here'. A profile heavy in keyword anchors looks engineered, and "
                    "search engines' link-spam systems discount such links or penalise the "
                    "site. Prefer brand and URL anchors in the links you can influence."
                ),
                columns=("anchor", "category", "referring domains", "backlinks"),
                evidence=tuple(
                    (a.anchor, a.category, a.referring_domains, a.backlinks)
                    for a in target.anchors[:EVIDENCE_ROWS]
                ),
                note=_small_sample(target.referring_domains),
            )
        )
    return warnings


def domain_concentration_warnings(
    domains: Sequence[DomainLinks], total_backlinks: int, rules: ReportRules
) -> list[RiskWarning]:
    """One referring domain provides a large share of all backlinks."""
    if total_backlinks <= 0:
        return []
    heavy = sorted(
        (d for d in domains if d.backlinks / total_backlinks >= rules.domain_share),
        key=lambda d: (-d.backlinks, d.domain),
    )
    if not heavy:
        return []
    top = heavy[0]
    top_share = top.backlinks / total_backlinks
    names = ", ".join(d.domain for d in heavy[:3]) + (" and others" if len(heavy) > 3 else "")
    sitewide = sum(d.sitewide for d in heavy)
    if len(heavy) == 1:
        lead = f"{names} provides {_pct(top_share)} of your {_count(total_backlinks, 'backlink')}"
    else:
        lead = (
            f"{names} each provide {_pct(rules.domain_share)} or more of your "
            f"{_count(total_backlinks, 'backlink')}"
        )
    explanation = (
        f"{lead} (limit {_pct(rules.domain_share)}). Search engines count linking sites far more "
        "than repeated links from one site, so your link total overstates your reach, and "
        "if that site drops the links or is devalued, you lose them all at once."
    )
    if sitewide:
        explanation += (
            f" {sitewide:,} of these links are sitewide: one link in a template repeated on "
            "every page, which inflates the count."
        )
    return [
        RiskWarning(
            level="high" if top_share >= 0.5 else "medium",
            title=f"One domain, many links: {top.domain} gives {_pct(top_share)} of all backlinks",
            explanation=explanation,
            columns=("domain", "backlinks", "share", "followed", "in content", "sitewide"),
            evidence=tuple(
                (
                    d.domain,
                    d.backlinks,
                    _pct(d.backlinks / total_backlinks),
                    d.followed,
                    d.content,
                    d.sitewide,
                )
                for d in heavy[:EVIDENCE_ROWS]
            ),
        )
    ]


def sitewide_money_warnings(groups: Sequence[LinkGroup]) -> list[RiskWarning]:
    """Followed links in the template of a site (footer, sidebar...) with a money anchor."""
    if not groups:
        return []
    ordered = sorted(groups, key=lambda g: (-g.links, g.domain, g.target_url, g.anchor))
    links = sum(g.links for g in groups)
    domains = len({g.domain for g in groups})
    return [
        RiskWarning(
            level="high",
            title=f"Sitewide keyword links: {links:,} footer/sidebar links from "
            f"{domains} domain{'s' if domains != 1 else ''}",
            explanation=(
                "These followed links sit in the template of the linking site (footer, "
                "sidebar, menu), so they repeat on most of its pages, and they use "
                "keyword-rich anchors. That is the typical pattern of bought or exchanged "
                "links: Google's spam policies name 'widely distributed links in the "
                "footers or templates of various sites'. Ask the site to use your brand as "
                'the anchor, to mark the link rel="sponsored" or "nofollow", or to move '
                "it into one editorial page."
            ),
            columns=("domain", "placement", "anchor", "category", "target", "links", "e.g. on"),
            evidence=tuple(
                (g.domain, g.placement, g.anchor, g.category, g.target_url, g.links, g.example_url)
                for g in ordered[:EVIDENCE_ROWS]
            ),
        )
    ]


def nonindexable_warnings(
    rows: Sequence[NonIndexableLinks], nonindexable_links: int, total_backlinks: int,
    rules: ReportRules,
) -> list[RiskWarning]:  # fmt: skip
    """Many backlinks sit on pages search engines are told not to index."""
    if total_backlinks <= 0 or nonindexable_links <= 0:
        return []
    share = nonindexable_links / total_backlinks
    if share < rules.nonindexable_share:
        return []
    ordered = sorted(rows, key=lambda r: (-r.links, r.reason, r.domain))
    return [
        RiskWarning(
            level="medium",
            title=f"Links from non-indexable pages: {_pct(share)} of all backlinks",
            explanation=(
                f"{nonindexable_links:,} of your {_count(total_backlinks, 'backlink')} are on "
                "pages that are not indexed: they say noindex, point their canonical URL at "
                "another page, or answer with an error status. Search engines rarely count "
                "links they do not index, so your real link profile is smaller than the "
                f"totals suggest (limit {_pct(rules.nonindexable_share)}). Check the reason "
                "column: a canonical pointing elsewhere often means the same link is counted "
                "on the canonical page instead."
            ),
            columns=("reason", "domain", "links", "followed", "e.g. on"),
            evidence=tuple(
                (r.reason, r.domain, r.links, r.followed, r.example_url)
                for r in ordered[:EVIDENCE_ROWS]
            ),
        )
    ]


def evaluate(data: RiskInput, rules: ReportRules) -> list[RiskWarning]:
    """Every warning, the most serious first."""
    warnings = [
        *sitewide_money_warnings(data.sitewide_money),
        *money_anchor_warnings(data.targets, rules),
        *domain_concentration_warnings(data.domains, data.backlinks, rules),
        *nonindexable_warnings(data.nonindexable, data.nonindexable_links, data.backlinks, rules),
    ]
    return sorted(warnings, key=lambda w: LEVELS.index(w.level))
