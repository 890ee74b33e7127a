"""Link intelligence end to end: placement, anchor category, follow verdict, indexability
and sitewide flags on a labelled part of the sample web (WordPress, Bootstrap, ARIA roles,
and a table layout with no hints).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_TARGETS, CrawlRun, run_crawl

SEEDS = "https://wp-hiking.com/,https://bootstrap-gear.net/,https://aria-news.org/,http://oldtable-club.com/"
WP, BS, AR, OT = ("https://wp-hiking.com", "https://bootstrap-gear.net", "https://aria-news.org",
                  "http://oldtable-club.com")  # fmt: skip
WP_PAGES = [f"{WP}/", f"{WP}/trail-diary/", f"{WP}/winter-camp/", f"{WP}/gear-list/"]
BS_PAGES = [f"{BS}/", f"{BS}/tests.html", f"{BS}/deals.html"]

# (source_url, target_url, anchor_text) -> (placement, anchor_category, anchor_rule, sitewide)
LABELS: dict[tuple[str, str, str], tuple[str, str, str, bool]] = {}
for page in WP_PAGES:  # the WordPress chrome on every page
    LABELS[(page, "https://acme-boots.com/shop", "Shop")] = ("navigation", "other", "other", True)
    LABELS[(page, "https://acme-boots.com/", "Acme Boots")] = (
        "sidebar",
        "branded",
        "brand:Acme Boots",
        True,
    )
    LABELS[(page, "https://globex.co.uk/themes", "Globex")] = (
        "footer",
        "branded",
        "brand:Globex",
        True,
    )
for page in BS_PAGES:  # the Bootstrap chrome
    LABELS[(page, "https://initech.com.au/", "Initech")] = (
        "sidebar",
        "branded",
        "brand:Initech",
        True,
    )
    LABELS[(page, "https://acme-boots.com/impressum", "Impressum Partner")] = (
        "footer",
        "other",
        "other",
        True,
    )
LABELS.update({
    (f"{WP}/", "https://acme-boots.com/guides/first-hike", "Click here"): ("content", "generic", "generic:click here", False),
    (f"{WP}/trail-diary/", "https://acme-boots.com/boots/alpine", "waterproof hiking boots"): ("content", "exact", "keyword:waterproof hiking boots", False),
    (f"{WP}/trail-diary/", "https://acme-boots.com/boots/alpine", "boots for hiking in the Alps"): ("content", "partial", "keyword:hiking boots", False),
    (f"{WP}/trail-diary/", "https://initech.com.au/u/kim", "Kim"): ("comments", "other", "other", False),
    (f"{WP}/trail-diary/", "https://initech.com.au/packs", "initech.com.au"): ("comments", "url", "url", False),
    (f"{WP}/winter-camp/", "https://globex.co.uk/winter", "Globex winter range"): ("content", "branded", "brand:Globex", False),
    (f"{WP}/gear-list/", "https://acme-boots.com/gear-list", "acme-boots.com/gear-list"): ("content", "url", "url", False),
    (f"{WP}/gear-list/", "https://acme-boots.com/care", "Acme Boots waterproof hiking boots care guide"): ("content", "compound", "brand:Acme Boots+keyword:waterproof hiking boots", False),
    (f"{BS}/", "https://acme-boots.com/de/", "hier klicken"): ("content", "generic", "generic:hier klicken", False),
    (f"{BS}/tests.html", "https://globex.co.uk/compare", "Globex boots"): ("content", "compound", "brand:Globex+keyword:boots", False),
    (f"{BS}/deals.html", "https://initech.com.au/deals", "pricing packs"): ("content", "partial", "keyword:pricing", False),
    (f"{AR}/", "https://acme-boots.com/fr/", "Boutique Acme"): ("navigation", "branded", "brand:Acme", False),
    (f"{AR}/", "https://globex.co.uk/lea", "Globex"): ("content", "branded", "brand:Globex", False),  # header inside an article
    (f"{AR}/", "https://acme-boots.com/fr/randonnee", "chaussures de randonnée"): ("content", "other", "other", False),
    (f"{AR}/", "https://acme-boots.com/fr/magasins", "ici"): ("content", "generic", "generic:ici", False),
    (f"{AR}/", "https://initech.com.au/fr", "https://initech.com.au/fr"): ("comments", "url", "url", False),  # comments inside main
    (f"{AR}/", "https://globex.co.uk/fr/blog", "le blog Globex"): ("sidebar", "branded", "brand:Globex", False),
    (f"{AR}/", "https://initech.com.au/partenaires", "Partenaire Initech"): ("footer", "branded", "brand:Initech", False),  # nav inside contentinfo
    (f"{OT}/", "https://acme-boots.com/club", "Acme"): ("navigation", "branded", "brand:Acme", False),
    (f"{OT}/", "https://globex.co.uk/club", "Globex"): ("navigation", "branded", "brand:Globex", False),
    (f"{OT}/", "https://initech.com.au/club", "Initech"): ("navigation", "branded", "brand:Initech", False),
    (f"{OT}/", "https://acme-boots.com/club/spring", "Acme's spring collection"): ("content", "branded", "brand:Acme", False),
    (f"{OT}/", "https://globex.co.uk/webdesign", "Globex Web"): ("footer", "branded", "brand:Globex", False),
})  # fmt: skip


@pytest.fixture(scope="module")
def crawl(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_crawl(sample_web, tmp_path_factory.mktemp("intel"), SAMPLE_TARGETS, SEEDS)
    assert run.process.returncode == 0, run.log
    return run


@pytest.fixture(scope="module")
def rows(crawl: CrawlRun) -> pd.DataFrame:
    return pd.read_csv(crawl.output_dir / "backlinks.csv", keep_default_na=False)


def test_every_row_is_labelled_and_right(rows: pd.DataFrame) -> None:
    found = {}
    for row in rows.itertuples():
        key = (row.source_url, row.target_url, row.anchor_text)
        assert key not in found, f"duplicate row {key}"
        found[key] = (row.placement, row.anchor_category, row.anchor_rule, row.sitewide)
    assert set(found) == set(LABELS)
    wrong = {k: (found[k], LABELS[k]) for k in LABELS if found[k] != LABELS[k]}
    assert not wrong, wrong


def test_in_content_and_xpath(rows: pd.DataFrame) -> None:
    assert (rows["in_content"] == (rows["placement"] == "content")).all()
    xpaths = rows.groupby("source_url")["xpath"]
    assert all(group.is_unique for _, group in xpaths)
    click = rows[rows.anchor_text == "Click here"].iloc[0]
    assert click.xpath == "/html/body/div/div/main/article/div/p[2]/a"


@pytest.mark.parametrize(
    ("source", "target", "follow", "reason"),
    [
        (f"{WP}/trail-diary/", "https://initech.com.au/u/kim", False, "rel:nofollow+ugc"),
        (f"{WP}/trail-diary/", "https://initech.com.au/packs", False, "rel:ugc"),
        (f"{WP}/winter-camp/", "https://globex.co.uk/winter", False, "meta-robots:nofollow"),
        (
            f"{BS}/deals.html",
            "https://initech.com.au/deals",
            False,
            "x-robots-tag(googlebot):nofollow",
        ),
        (f"{BS}/tests.html", "https://globex.co.uk/compare", True, "follow"),
        (f"{WP}/", "https://acme-boots.com/guides/first-hike", True, "follow"),
    ],
)
def test_follow_verdict(
    rows: pd.DataFrame, source: str, target: str, follow: bool, reason: str
) -> None:
    row = rows[(rows.source_url == source) & (rows.target_url == target)].iloc[0]
    assert (bool(row.follow), row.follow_reason) == (follow, reason)


@pytest.mark.parametrize(
    ("source", "indexable", "reason", "canonical", "lang"),
    [
        (f"{WP}/", True, "indexable", "", "en-US"),
        (f"{WP}/trail-diary/", True, "indexable", f"{WP}/trail-diary/", "en-US"),  # self-canonical
        (f"{WP}/winter-camp/", False, "noindex-meta", "", "en-US"),
        (f"{WP}/gear-list/", False, "canonical-elsewhere", f"{WP}/gear/", "en-US"),
        (f"{BS}/tests.html", False, "noindex-header", "", "de"),
        (f"{AR}/", True, "indexable", "", "fr"),
    ],
)
def test_source_indexability(rows: pd.DataFrame, source: str, indexable: bool, reason: str,
                             canonical: str, lang: str) -> None:  # fmt: skip
    row = rows[rows.source_url == source].iloc[0]
    assert (bool(row.source_indexable), row.source_index_reason) == (indexable, reason)
    assert (row.source_canonical, row.source_lang) == (canonical, lang)


def test_context(rows: pd.DataFrame) -> None:
    row = rows[rows.anchor_text == "waterproof hiking boots"].iloc[0]
    assert row.context_before.endswith("The boots that saved the day were")
    assert row.context_after.startswith("bought two weeks before, and they did not leak")
    assert len(row.context_before) <= 100 and len(row.context_after) <= 100


def test_sitewide_group_sizes(rows: pd.DataFrame) -> None:
    shop = rows[rows.target_url == "https://acme-boots.com/shop"]
    assert set(shop.links_in_group) == {4}
    assert set(rows[rows.anchor_text == "Click here"].links_in_group) == {1}


def test_aggregates_use_the_new_columns(crawl: CrawlRun) -> None:
    out = crawl.output_dir
    domains = pd.read_csv(out / "referring_domains.csv", keep_default_na=False).set_index(
        "source_domain"
    )
    wp = domains.loc["wp-hiking.com"]
    assert bool(wp.sitewide) is True
    assert wp.backlinks == 4 * 3 + 8 and wp.content_backlinks == 6  # chrome on 4 pages + 8
    assert wp.dofollow == 20 - 2 - 4  # rel ugc/nofollow comments, and the nofollow page
    assert bool(domains.loc["aria-news.org"].sitewide) is False
    cats = pd.read_csv(out / "anchor_categories.csv").set_index("anchor_category")
    assert list(cats.index) == ["empty", "image", "url", "compound", "branded", "exact",
                                "partial", "generic", "other"]  # fmt: skip
    assert cats["backlinks"].sum() == len(crawl.rows())
    assert cats.loc["generic"].backlinks == 3 and cats.loc["generic"].referring_domains == 3
    anchors = pd.read_csv(out / "anchors.csv", keep_default_na=False)
    assert set(anchors.columns) >= {"anchor", "anchor_category", "share_of_referring_domains"}
    pages = pd.read_csv(out / "target_pages.csv").set_index("target_url")
    assert pages.loc["https://acme-boots.com/boots/alpine"].content_backlinks == 2


def test_placement_rules_setting_overrides(sample_web: TestWeb, tmp_path: Path) -> None:
    rules = '[{"region": "content", "contains": "widget-area", "host": "wp-hiking.com"}]'
    run = run_crawl(sample_web, tmp_path, SAMPLE_TARGETS, f"{WP}/", "-a", "scope=page",
                    settings={"LINKSPIDER_PLACEMENT_RULES": rules})  # fmt: skip
    assert run.process.returncode == 0, run.log
    partner = [r for r in run.rows() if r["anchor_text"] == "Acme Boots"]
    assert [r["placement"] for r in partner] == ["content"]


def test_bad_placement_rules_fail_at_start(sample_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(sample_web, tmp_path, SAMPLE_TARGETS, f"{WP}/",
                    settings={"LINKSPIDER_PLACEMENT_RULES": '[{"region": "basement"}]'})  # fmt: skip
    assert run.process.returncode != 0
    assert "LINKSPIDER_PLACEMENT_RULES" in run.log
