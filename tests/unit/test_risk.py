"""report.html warning rules: pure functions over small summaries, tested as policy tables."""

from __future__ import annotations

import pytest

from linkspider.reports.options import ExportOptions
from linkspider.reports.risk import (
    AnchorUse,
    DomainLinks,
    LinkGroup,
    NonIndexableLinks,
    ReportRules,
    RiskInput,
    TargetAnchors,
    display_domain,
    domain_concentration_warnings,
    evaluate,
    money_anchor_warnings,
    nonindexable_warnings,
    sitewide_money_warnings,
)

RULES = ReportRules()


def target(domains: int, money: int, name: str = "acme-boots.com") -> TargetAnchors:
    anchors = (AnchorUse("waterproof hiking boots", "exact", money, money * 2),) if money else ()
    return TargetAnchors(name, domains, money, anchors)


# (referring domains, with a money anchor, expected level or None)
@pytest.mark.parametrize(
    ("domains", "money", "level"),
    [
        (100, 0, None),
        (100, 10, None),  # exactly 10%: not above the limit
        (100, 11, "medium"),
        (100, 19, "medium"),
        (100, 20, "high"),  # twice the limit
        (10, 10, "high"),
        (0, 0, None),  # no domains: nothing to say
    ],
)
def test_money_anchor_share_per_target(domains: int, money: int, level: str | None) -> None:
    warnings = money_anchor_warnings([target(domains, money)], RULES)
    assert [w.level for w in warnings] == ([level] if level else [])
    if level:
        w = warnings[0]
        assert f"{100 * money // domains}%" in w.title and "acme-boots.com" in w.title
        assert f"{money} of the {domains} sites" in w.explanation
        assert w.evidence == (("waterproof hiking boots", "exact", money, money * 2),)
        assert w.columns == ("anchor", "category", "referring domains", "backlinks")


def test_money_anchor_limit_is_configurable_and_each_target_counts_alone() -> None:
    targets = [target(100, 30, "a.com"), target(100, 5, "b.com")]
    assert [w.title.split()[-1] for w in money_anchor_warnings(targets, RULES)] == ["a.com"]
    loose = ReportRules(exact_share=0.5)
    assert money_anchor_warnings(targets, loose) == []
    strict = ReportRules(exact_share=0.01)
    assert len(money_anchor_warnings(targets, strict)) == 2


def test_small_samples_say_so() -> None:
    (few,) = money_anchor_warnings([target(4, 2)], RULES)
    (many,) = money_anchor_warnings([target(40, 20)], RULES)
    assert "only 4 referring domains" in few.note
    assert many.note == ""


def test_punycode_targets_are_shown_readable() -> None:
    (w,) = money_anchor_warnings([target(2, 2, "xn--bcher-kva.de")], RULES)
    assert "bücher.de (xn--bcher-kva.de)" in w.title
    assert display_domain("acme.com") == "acme.com"
    assert display_domain("xn--broken--.de") == "xn--broken--.de"  # undecodable: as is


# (backlinks per domain, expected level or None): limit 25% of all backlinks
@pytest.mark.parametrize(
    ("counts", "level", "listed"),
    [
        ([10] * 5, None, []),  # 20% each
        ([30, 10, 10, 10, 10, 10, 10, 10], "medium", ["d0"]),  # 30%
        ([60, 20, 20], "high", ["d0"]),  # 60%: half or more
        ([4], "high", ["d0"]),  # one referring domain: all links from one site
        ([], None, []),
    ],
)
def test_domain_concentration(counts: list[int], level: str | None, listed: list[str]) -> None:
    domains = [DomainLinks(f"d{i}", n, followed=n, sitewide=n // 2) for i, n in enumerate(counts)]
    total = sum(counts)
    warnings = domain_concentration_warnings(domains, total, RULES)
    if level is None:
        assert warnings == []
        return
    (w,) = warnings
    assert w.level == level
    assert [row[0] for row in w.evidence] == listed
    assert f"{counts[0] // 2} of these links are sitewide" in w.explanation


def test_domain_concentration_exact_limit_warns() -> None:
    # The rule is "share >= limit": four domains of 25% each are all listed.
    domains = [DomainLinks(f"d{i}", 10) for i in range(4)]
    (w,) = domain_concentration_warnings(domains, 40, RULES)
    assert [row[0] for row in w.evidence] == ["d0", "d1", "d2", "d3"]
    assert "each provide 25% or more" in w.explanation


def group(domain: str, links: int, anchor: str = "cheap boots") -> LinkGroup:
    return LinkGroup(domain, "https://acme-boots.com/", anchor, "exact", "footer", links,
                     f"https://{domain}/p0")  # fmt: skip


def test_sitewide_money_links_always_warn_with_the_groups_as_evidence() -> None:
    assert sitewide_money_warnings([]) == []
    (w,) = sitewide_money_warnings([group("a.com", 5), group("b.com", 40), group("a.com", 2, "x")])
    assert w.level == "high"
    assert "47 footer/sidebar links from 2 domains" in w.title
    assert [row[0] for row in w.evidence] == ["b.com", "a.com", "a.com"]  # most links first
    assert w.evidence[0] == ("b.com", "footer", "cheap boots", "exact",
                             "https://acme-boots.com/", 40, "https://b.com/p0")  # fmt: skip


# (non-indexable links, all links, expected warning): limit 20%
@pytest.mark.parametrize(
    ("nonindexable", "total", "warns"),
    [(0, 100, False), (19, 100, False), (20, 100, True), (100, 100, True), (0, 0, False)],
)
def test_nonindexable_share(nonindexable: int, total: int, warns: bool) -> None:
    rows = [NonIndexableLinks("noindex-meta", "a.com", nonindexable, 1, "https://a.com/x")]
    warnings = nonindexable_warnings(rows, nonindexable, total, RULES)
    assert bool(warnings) is warns
    if warns:
        assert warnings[0].evidence[0][:3] == ("noindex-meta", "a.com", nonindexable)


def test_evaluate_orders_by_level() -> None:
    data = RiskInput(
        backlinks=100,
        referring_domains=10,
        targets=(target(10, 2),),  # 20%: high
        domains=(DomainLinks("big.com", 30),),  # 30%: medium
        sitewide_money=(group("a.com", 3),),  # high
        nonindexable=(NonIndexableLinks("noindex-meta", "a.com", 30, 30, "https://a.com/"),),
        nonindexable_links=30,  # medium
    )
    levels = [w.level for w in evaluate(data, RULES)]
    assert levels == ["high", "high", "medium", "medium"]
    assert evaluate(RiskInput(backlinks=0, referring_domains=0), RULES) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exact_share": 0}, "exact_share must be in (0, 1]"),
        ({"domain_share": 1.5}, "domain_share must be in (0, 1]"),
        ({"money_categories": ("exact", "moneyish")}, "money anchor categories must be"),
        ({"money_categories": ()}, "got none"),
        ({"top_n": 0}, "top_n must be at least 1"),
    ],
)
def test_bad_rules_fail_with_a_clear_message(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ReportRules(**kwargs)  # type: ignore[arg-type]


def test_rules_are_read_from_settings() -> None:
    from scrapy.settings import Settings

    settings = Settings(
        {
            "LINKSPIDER_REPORT_EXACT_SHARE": "0.2",
            "LINKSPIDER_REPORT_DOMAIN_SHARE": 0.4,
            "LINKSPIDER_REPORT_NONINDEXABLE_SHARE": "0.5",
            "LINKSPIDER_REPORT_MONEY_ANCHORS": "exact, Partial,compound",
            "LINKSPIDER_REPORT_TOP_N": "7",
            "LINKSPIDER_DISAVOW_MIN_LINKS": "5",
            "LINKSPIDER_DISAVOW_MIN_SHARE": "0.9",
        }
    )
    options = ExportOptions.from_settings(settings)
    assert options.report == ReportRules(0.2, 0.4, 0.5, ("exact", "partial", "compound"), 7)
    assert (options.disavow.min_links, options.disavow.min_share) == (5, 0.9)
    assert ExportOptions.from_settings(Settings()).report == ReportRules()
    with pytest.raises(ValueError, match="money anchor categories"):
        ExportOptions.from_settings(Settings({"LINKSPIDER_REPORT_MONEY_ANCHORS": "keywords"}))
