"""``disavow_candidates.txt``: referring domains worth a manual review, in Google's format.

The file is a review list, not advice to upload: disavowing a domain throws away whatever
its links are worth, and Google ignores most spammy links on its own. So the rules are
conservative. A referring domain is a candidate only when every one of these holds:

1. it has at least ``min_links`` (3) followed links to the targets;
2. at least ``min_share`` (100%) of its followed links are *sitewide template links with a
   money anchor*: in the navigation, header, footer or sidebar, repeated on many pages of
   the linking host (``sitewide``), with an anchor in ``LINKSPIDER_REPORT_MONEY_ANCHORS``
   (``exact``, ``compound``);
3. none of its followed links is in the page content (an editorial link is worth keeping);
4. with open authority (:mod:`linkspider.reports.authority`), it is not among the
   ``keep_rank`` (10,000) most central domains of Common Crawl's web graph
   (harmonic-centrality rank; ``LINKSPIDER_DISAVOW_KEEP_RANK``, 0: no such rule). Such a
   domain is linked from across the web; a template link on it is not link spam to
   disavow. Without a release the rule does nothing; the rank is shown on every entry.

Links marked ``nofollow``, ``ugc`` or ``sponsored`` (or on ``nofollow`` pages) never make a
domain a candidate: they pass nothing, so there is nothing to disavow. No single signal
(a footer link, a keyword anchor, a noindex page) is ever enough.

Format (Google Search Console's disavow tool): a UTF-8 text file, one ``domain:NAME`` or
URL per line, ``#`` starts a comment line. Domains are written in their ASCII (punycode)
form, ``domain:xn--bcher-kva.de`` for ``bücher.de``. Every entry follows ``# reason:`` and
``# evidence:`` comment lines; text taken from the web is kept on its comment line (line
breaks and control characters become spaces) so it can never add an entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from linkspider.reports.risk import CHROME_PLACEMENTS, DomainLinks, LinkGroup

FILE_NAME = "disavow_candidates.txt"
#: Line breaks of every kind and other control characters: never inside a comment line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: What a ``domain:`` entry may hold; a name with anything else is never written.
_DOMAIN = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)+")


@dataclass(frozen=True)
class DisavowRules:
    min_links: int = 3
    min_share: float = 1.0
    keep_rank: int = 10_000  # never list one of the N most central domains; 0: off

    def __post_init__(self) -> None:
        if self.keep_rank < 0:
            raise ValueError(
                f"LINKSPIDER_DISAVOW_KEEP_RANK must be 0 (off) or more, got {self.keep_rank!r}"
            )
        if self.min_links < 1:
            raise ValueError(f"disavow min_links must be at least 1, got {self.min_links!r}")
        if not 0 < self.min_share <= 1:
            raise ValueError(f"disavow min_share must be in (0, 1], got {self.min_share!r}")


@dataclass(frozen=True)
class Candidate:
    domain: str  # ASCII form, as written after ``domain:``
    followed: int
    risky: int
    pages: int  # linking pages of the domain (0 when unknown)
    examples: tuple[LinkGroup, ...]
    #: Common Crawl harmonic-centrality rank of the domain (None: no release, not in it)
    authority_rank: int | None = None


def ascii_domain(domain: str) -> str:
    """The ASCII (punycode) form of a domain name, lower-case, without a trailing dot."""
    name = domain.strip().rstrip(".").lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:  # a label IDNA 2003 refuses: plain punycode per label
        return ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in name.split(".")
        )


def comment_text(value: object) -> str:
    """Text safe on one ``#`` comment line."""
    return _CONTROL.sub(" ", str(value)).strip()


def candidates(
    domains: Iterable[DomainLinks],
    groups: Mapping[str, Sequence[LinkGroup]],
    rules: DisavowRules,
    pages: Mapping[str, int] | None = None,
    ranks: Mapping[str, int] | None = None,
) -> list[Candidate]:
    """Referring domains that meet every rule, most risky links first.

    ``groups`` holds each domain's followed sitewide template links with a money anchor
    (for the evidence); ``pages`` its linking pages, ``ranks`` its Common Crawl
    harmonic-centrality rank (``referring_domains.csv``).
    """
    found = []
    for d in domains:
        if d.followed < rules.min_links or d.risky < rules.min_links:
            continue
        if d.followed_content > 0 or d.risky < rules.min_share * d.followed:
            continue
        rank = (ranks or {}).get(d.domain)
        if rank is not None and rank <= rules.keep_rank:
            continue  # one of the most central domains of the open web
        name = ascii_domain(d.domain)
        if not _DOMAIN.fullmatch(name):
            continue
        examples = sorted(groups.get(d.domain, ()), key=lambda g: (-g.links, g.target_url))
        found.append(
            Candidate(
                domain=name,
                followed=d.followed,
                risky=d.risky,
                pages=(pages or {}).get(d.domain, 0),
                examples=tuple(examples[:3]),
                authority_rank=rank,
            )
        )
    return sorted(found, key=lambda c: (-c.risky, c.domain))


def render(
    found: Sequence[Candidate],
    rules: DisavowRules,
    money_categories: Sequence[str],
    generated_at: str,
    source: str,
    release: str = "",
) -> str:
    """The whole file: header (what it is, the rules), then one block per candidate."""
    money = ", ".join(money_categories)
    chrome = ", ".join(CHROME_PLACEMENTS)
    lines = [
        "# linkspider disavow candidates: a REVIEW LIST, not a file to upload as it is.",
        "# Disavowing throws away what a domain's links are worth, and search engines ignore",
        "# most spammy links on their own. Check each domain by hand (open the example page),",
        "# ask the site to change or remove the link first, and upload only the lines you",
        "# decided on, in Google Search Console's disavow links tool.",
        "#",
        f"# Generated {comment_text(generated_at)} from {comment_text(source)}.",
        "# A referring domain is listed only when all of these hold:",
        f"#  - it has at least {rules.min_links} followed links (LINKSPIDER_DISAVOW_MIN_LINKS);",
        f"#  - at least {rules.min_share:.0%} of them (LINKSPIDER_DISAVOW_MIN_SHARE) are sitewide"
        f" links in the site template ({chrome})",
        f"#    with a money anchor ({money}; LINKSPIDER_REPORT_MONEY_ANCHORS);",
        "#  - none of its followed links is in the page content;",
        _rank_rule(rules, release),
        "# nofollow, ugc and sponsored links are never candidates: they pass no value.",
        "# Format: UTF-8, one 'domain:NAME' per line (ASCII/punycode form), '#' comments.",
        f"# Candidates: {len(found)}",
    ]
    for c in found:
        pages = f" on {c.pages} linking page{'s' if c.pages != 1 else ''}" if c.pages else ""
        share = c.risky / c.followed if c.followed else 0
        lines += [
            "",
            f"# reason: {share:.0%} of its followed links are sitewide template links with "
            f"money anchors; no followed link in content",
            f"# evidence: {c.followed} followed link{'s' if c.followed != 1 else ''}{pages}"
            f"; {c.risky} sitewide with a money anchor",
        ]
        if release:
            rank = "not in the graph" if c.authority_rank is None else f"{c.authority_rank:,}"
            lines.append(f"# authority: Common Crawl harmonic-centrality rank {rank} (lower is "
                         "more central)")  # fmt: skip
        for g in c.examples:
            lines.append(
                comment_text(
                    f'# e.g. {g.example_url} {g.placement} anchor "{g.anchor}" ({g.category}) '
                    f"-> {g.target_url}, {g.links} link{'s' if g.links != 1 else ''}"
                )
            )
        lines.append(f"domain:{c.domain}")
    return "\n".join(lines) + "\n"


def _rank_rule(rules: DisavowRules, release: str) -> str:
    """The header line of rule 4 (open authority)."""
    if not release:
        return "#  (no Common Crawl release configured: no authority rule applied)."
    if not rules.keep_rank:
        return "#  (authority rule off: LINKSPIDER_DISAVOW_KEEP_RANK=0)."
    return (
        f"#  - it is not among the {rules.keep_rank:,} most central domains of Common Crawl's"
        f" web graph {comment_text(release)} (LINKSPIDER_DISAVOW_KEEP_RANK)."
    )
