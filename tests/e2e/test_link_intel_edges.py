"""Link intelligence on the hard cases, end to end: a real crawl of ``tests/webs/intel``.

Every row of the crawl is labelled below: rel written with odd case, tabs, newlines and
commas; page-level nofollow from ``<meta name="googlebot">``, ``none`` and an agent-scoped
``X-Robots-Tag`` (another crawler's directives ignored); canonical URLs pointing at the
page itself in another spelling, or elsewhere by a trailing slash or a ``Link`` header rel
list; a relative two-hop redirect chain; URL anchors with sentence punctuation and IDN
hosts; plurals of one-word keywords; generic anchors in Japanese and Russian punctuation;
an image link with empty alt and text; an ``<area>``; context around hidden text,
scripts, line breaks and nested blocks; sitewide at exactly half of a host's pages and 3
pages, but not at 2 pages of 2; and the aggregates' first/last seen and shares.
"""

from __future__ import annotations

import pandas as pd
import pytest

from linkspider.extract.anchor_category import CATEGORIES
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.support.paths import WEBS

SITES = WEBS / "intel"
EB, TS = "https://edge-blog.com", "https://tiny-site.net"
ACME, GLOBEX = "https://acme-boots.com", "https://globex.co.uk"

# (source_url, target_url, anchor_text) -> (category, rule, follow, follow_reason, sitewide,
# links_in_group)
ROWS: dict[tuple[str, str, str], tuple[str, str, bool, str, bool, int]] = {
    (f"{EB}/", f"{ACME}/gaiters", "gaiters"): ("partial", "keyword:gaiter", False, "rel:nofollow", False, 1),
    (f"{EB}/", f"{ACME}/walk", "hiking boot"): ("partial", "keyword:hiking boots", False, "rel:ugc", False, 1),
    (f"{EB}/", f"{GLOBEX}/ad", "globex.co.uk."): ("url", "url", False, "rel:sponsored+ugc", False, 1),
    (f"{EB}/", "https://xn--bcher-kva.de/", "bücher.de"): ("url", "url", True, "follow", False, 1),
    (f"{EB}/", "https://xn--bcher-kva.de/x", "xn--bcher-kva.de"): ("url", "url", True, "follow", False, 1),
    (f"{EB}/", f"{GLOBEX}/p", "»»"): ("other", "other", True, "follow", False, 1),
    (f"{EB}/", f"{GLOBEX}/ja", "「こちら」"): ("generic", "generic:こちら", True, "follow", False, 1),
    (f"{EB}/", f"{GLOBEX}/ru", "здесь."): ("generic", "generic:здесь", True, "follow", False, 1),
    (f"{EB}/", f"{GLOBEX}/fr", "Vers le site"): ("generic", "generic:vers le site", True, "follow", False, 1),
    (f"{EB}/", f"{ACME}/logo", "Acme Boots shop"): ("branded", "brand:Acme Boots", True, "follow", False, 1),
    (f"{EB}/", f"{ACME}/map", ""): ("image", "image", True, "follow", False, 1),
    (f"{EB}/", f"{GLOBEX}/ctx", "Globex"): ("branded", "brand:Globex", True, "follow", False, 1),
    (f"{EB}/", f"{ACME}/", "Acme Boots"): ("branded", "brand:Acme Boots", True, "follow", True, 3),
    (f"{EB}/p1/", f"{GLOBEX}/one", "Globex"): ("branded", "brand:Globex", False, "meta-googlebot:nofollow", False, 1),
    (f"{EB}/p1/", f"{ACME}/", "Acme Boots"): ("branded", "brand:Acme Boots", False, "meta-googlebot:nofollow", True, 3),
    (f"{EB}/p2/", f"{GLOBEX}/two", "Globex"): ("branded", "brand:Globex", True, "follow", False, 1),
    (f"{EB}/p2/", f"{ACME}/", "Acme Boots"): ("branded", "brand:Acme Boots", True, "follow", True, 3),
    (f"{EB}/p3/", f"{GLOBEX}/three", "hier klicken"): ("generic", "generic:hier klicken", False, "x-robots-tag(googlebot):nofollow", False, 1),
    (f"{EB}/p4/", f"{GLOBEX}/four", "ici"): ("generic", "generic:ici", False, "meta-robots:none", False, 1),
    (f"{EB}/p5.html", f"{ACME}/archive", "Acme Boots archive"): ("branded", "brand:Acme Boots", True, "follow", False, 1),
    (f"{TS}/", f"{ACME}/", "Acme Boots"): ("branded", "brand:Acme Boots", True, "follow", False, 2),
    (f"{TS}/about.html", f"{ACME}/", "Acme Boots"): ("branded", "brand:Acme Boots", True, "follow", False, 2),
}  # fmt: skip

# source_url -> (indexable, reason, canonical, lang, redirects)
PAGES = {
    f"{EB}/": (True, "indexable", f"{EB}/", "en-GB", ""),  # canonical: case, :443, fragment
    f"{EB}/p1/": (True, "indexable", f"{EB}/p1/", "en-GB", ""),
    f"{EB}/p2/": (False, "canonical-elsewhere", f"{EB}/p2", "en-GB", ""),  # trailing slash
    f"{EB}/p3/": (False, "noindex-header", "", "de", ""),
    f"{EB}/p4/": (False, "noindex-meta", "", "fr", ""),
    f"{EB}/p5.html": (False, "canonical-elsewhere", f"{EB}/p5", "en",
                      f"{EB}/old/r1 [302] -> {EB}/old/r2 [301] -> {EB}/p5.html"),
    f"{TS}/": (True, "indexable", "", "en", ""),
    f"{TS}/about.html": (True, "indexable", "", "en", ""),
}  # fmt: skip


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    with TestWeb([SITES]) as web:
        run = run_crawl(
            web, tmp_path_factory.mktemp("edges"), str(SITES / "targets.toml"),
            f"{EB}/,{TS}/", "-a", "render=off",
        )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    return run


@pytest.fixture(scope="module")
def rows(crawl: CrawlRun) -> pd.DataFrame:
    return pd.read_csv(crawl.output_dir / "backlinks.csv", keep_default_na=False)


def test_every_row_is_labelled_and_right(rows: pd.DataFrame) -> None:
    keyed = rows.set_index(["source_url", "target_url", "anchor_text"])
    assert keyed.index.is_unique, keyed.index[keyed.index.duplicated()]
    labels = ["anchor_category", "anchor_rule", "follow", "follow_reason", "sitewide",
              "links_in_group"]  # fmt: skip
    found = {
        key: tuple(values)
        for key, values in zip(keyed.index, keyed[labels].to_numpy().tolist(), strict=True)
    }
    assert set(found) == set(ROWS)
    wrong = {k: (found[k], ROWS[k]) for k in ROWS if found[k] != ROWS[k]}
    assert not wrong, wrong


def test_rel_flags_read_any_case_whitespace_and_commas(rows: pd.DataFrame) -> None:
    by_target = rows.set_index("target_url")
    assert by_target.loc[f"{ACME}/walk"].rel == "noopener\tugc\n"  # as written
    flags = by_target.loc[f"{GLOBEX}/ad", ["nofollow", "ugc", "sponsored"]].tolist()
    assert flags == [False, True, True]
    assert bool(by_target.loc[f"{ACME}/gaiters"].nofollow)


def test_linking_page_facts(rows: pd.DataFrame) -> None:
    assert set(rows.source_url) == set(PAGES)
    for source, expected in PAGES.items():
        for row in rows[rows.source_url == source].itertuples():
            got = (bool(row.source_indexable), row.source_index_reason, row.source_canonical,
                   row.source_lang, row.source_redirects)  # fmt: skip
            assert got == expected, source


def test_area_and_image_links(rows: pd.DataFrame) -> None:
    by_target = rows.set_index("target_url")
    area = by_target.loc[f"{ACME}/map"]
    assert (area.link_type, area.image_alt) == ("image", "Acme Boots map")
    logo = by_target.loc[f"{ACME}/logo"]
    assert (logo.link_type, logo.image_alt) == ("text", "")


def test_context_leaves_out_hidden_text_and_scripts(rows: pd.DataFrame) -> None:
    by_target = rows.set_index("target_url")
    ctx = by_target.loc[f"{GLOBEX}/ctx"]
    assert ctx.context_before == "Intro text First para. Then bold nested"
    assert ctx.context_after == "next line Block after tail"
    walk = by_target.loc[f"{ACME}/walk"]
    assert (walk.context_before, walk.context_after) == ("Read", "tips every week.")
    gaiters = by_target.loc[f"{ACME}/gaiters"]
    assert (gaiters.context_before, gaiters.context_after) == ("Our pick this winter:",
                                                               "that last.")  # fmt: skip


def test_every_row_has_real_values(rows: pd.DataFrame) -> None:
    assert set(rows.anchor_category) <= set(CATEGORIES)
    assert (rows.anchor_rule != "").all()
    assert (rows.follow_reason != "").all() and (rows.source_index_reason != "").all()
    assert (rows.source_lang != "").all()
    assert (rows.links_in_group >= 1).all()
    assert (rows.placement != "").all() and (rows.xpath != "").all()
    alone = rows[(rows.context_before == "") & (rows.context_after == "")]
    # Only links that are the whole text of their block have no context.
    assert sorted(zip(alone.source_url, alone.anchor_text, strict=True)) == [
        (f"{EB}/", ""), (f"{EB}/", "Acme Boots shop"), (f"{TS}/", "Acme Boots"),
        (f"{TS}/about.html", "Acme Boots"),
    ]  # fmt: skip


def test_aggregates_first_last_seen_and_shares(crawl: CrawlRun, rows: pd.DataFrame) -> None:
    out = crawl.output_dir
    domains = pd.read_csv(out / "referring_domains.csv", keep_default_na=False)
    domains = domains.set_index("source_domain")
    for domain, group in rows.groupby("source_domain"):
        got = domains.loc[domain]
        assert (got.first_seen, got.last_seen) == (group.first_seen.min(), group.last_seen.max())
        assert got.backlinks == len(group) and got.linking_pages == group.source_url.nunique()
        assert got.dofollow == group["follow"].sum()
    assert bool(domains.loc["edge-blog.com"].sitewide) and not bool(
        domains.loc["tiny-site.net"].sitewide
    )
    assert domains.loc["edge-blog.com"].top_anchor == "Acme Boots"
    anchors = pd.read_csv(out / "anchors.csv", keep_default_na=False).set_index("anchor")
    acme = anchors.loc["Acme Boots"]
    assert (acme.backlinks, acme.referring_domains, acme.dofollow) == (5, 2, 4)
    assert acme.share_of_referring_domains == 1.0  # of the 2 referring domains
    assert anchors.loc["gaiters"].share_of_referring_domains == 0.5
    cats = pd.read_csv(out / "anchor_categories.csv").set_index("anchor_category")
    assert cats.loc["url"].backlinks == 3
    assert cats.loc["url"].share_of_backlinks == round(3 / len(rows), 4)
    assert cats.loc["branded"].share_of_referring_domains == 1.0
    pages = pd.read_csv(out / "target_pages.csv").set_index("target_url")
    home = pages.loc[f"{ACME}/"]
    assert (home.backlinks, home.referring_domains, home.linking_pages) == (5, 2, 5)


def test_pages_lists_a_url_that_redirects_to_a_crawled_page(crawl: CrawlRun) -> None:
    """``/old-home`` was fetched (a 301 to ``/``, fetched before): its own row says so."""
    pages = pd.read_csv(crawl.output_dir / "pages.csv", keep_default_na=False)
    moved = pages[pages.requested_url == f"{TS}/old-home"]
    assert moved[["url", "status", "parsed", "note", "links"]].values.tolist() == [
        [f"{TS}/", 301, False, "redirected-to-seen-url", 0]
    ]
    home = pages[(pages.url == f"{TS}/") & (pages.requested_url == f"{TS}/")]
    assert home[["status", "parsed"]].values.tolist() == [[200, True]]
