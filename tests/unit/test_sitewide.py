"""Sitewide flags at export time: thresholds on a hand-made run folder."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
import pytest

from linkspider.core.items import BacklinkItem, PageItem
from linkspider.reports.exports import build_exports
from linkspider.reports.options import ExportOptions, SitewideRule


def page(host: str, n: int) -> PageItem:
    return PageItem(url=f"https://{host}/{n}", requested_url=f"https://{host}/{n}", status=200,
                    host=host, domain=host, content_type="text/html", title="", depth=1,
                    parsed=True, links=1, backlinks=1, encoding="utf-8", fetched_at="T",
                    note="")  # fmt: skip


def link(host: str, n: int, target: str = "https://t.com/", anchor: str = "T",
         placement: str = "footer") -> BacklinkItem:  # fmt: skip
    return BacklinkItem(
        source_url=f"https://{host}/{n}", source_host=host, source_domain=host, source_title="",
        source_status=200, target_url=target, href=target, target_host="t.com",
        target_domain="t.com", target="t.com", anchor_text=anchor, link_type="text",
        image_alt="", rel="", nofollow=False, ugc=False, sponsored=False, link_index=1,
        depth=1, first_seen="T", last_seen="T", placement=placement,
        in_content=placement == "content",
    )  # fmt: skip


def write(folder: Path, pages: list[PageItem], links: list[BacklinkItem]) -> None:
    for name, items in (("pages.jsonl", pages), ("backlinks.jsonl", links)):
        (folder / name).write_text("".join(json.dumps(asdict(i)) + "\n" for i in items), "utf-8")


def flags(folder: Path) -> dict[tuple[str, str, str], tuple[bool, int]]:
    frame = pd.read_parquet(folder / "backlinks.parquet")
    csv = pd.read_csv(folder / "backlinks.csv", keep_default_na=False)
    assert list(csv["sitewide"].astype(str).str.lower()) == [
        str(v).lower() for v in frame["sitewide"]
    ]
    return {(r.source_url, r.anchor_text, r.placement): (bool(r.sitewide), int(r.links_in_group))
            for r in frame.itertuples()}  # fmt: skip


def test_half_of_the_pages_and_at_least_three(tmp_path: Path) -> None:
    pages = [page("a.com", n) for n in range(6)] + [page("b.com", n) for n in range(4)]
    links = [link("a.com", n) for n in range(3)]  # 3 of 6 pages: exactly half -> sitewide
    links += [link("a.com", 0, anchor="Other")]  # different anchor: its own group
    links += [link("b.com", n) for n in range(2)]  # 2 of 4: half, but fewer than 3 pages
    links += [link("a.com", 4, placement="content"), link("a.com", 5, placement="content")]
    write(tmp_path, pages, links)
    summary = build_exports(tmp_path)
    got = flags(tmp_path)
    assert got[("https://a.com/0", "T", "footer")] == (True, 3)
    assert got[("https://a.com/0", "Other", "footer")] == (False, 1)
    assert got[("https://b.com/0", "T", "footer")] == (False, 2)
    assert got[("https://a.com/4", "T", "content")] == (False, 2)  # different placement
    assert summary.sitewide_links == 3
    domains = pd.read_csv(tmp_path / "referring_domains.csv").set_index("source_domain")
    assert bool(domains.loc["a.com"].sitewide) and not bool(domains.loc["b.com"].sitewide)


@pytest.mark.parametrize(("rule", "expected"), [(SitewideRule(2, 0.5), True),
                                                (SitewideRule(3, 0.25), False)])  # fmt: skip
def test_thresholds_are_settings(tmp_path: Path, rule: SitewideRule, expected: bool) -> None:
    write(tmp_path, [page("b.com", n) for n in range(4)], [link("b.com", n) for n in range(2)])
    build_exports(tmp_path, ExportOptions(sitewide=rule))
    assert flags(tmp_path)[("https://b.com/0", "T", "footer")][0] is expected


def test_no_backlinks_gives_empty_files_with_headers(tmp_path: Path) -> None:
    write(tmp_path, [page("a.com", 0)], [])
    summary = build_exports(tmp_path)
    assert summary.backlinks == 0
    assert pd.read_csv(tmp_path / "backlinks.csv").empty
    cats = pd.read_csv(tmp_path / "anchor_categories.csv")
    assert len(cats) == 9 and cats["backlinks"].sum() == 0


def test_exact_shares_that_floats_miss(tmp_path: Path) -> None:
    # 0.28 x 25 is 7.000000000000001 in floats: 7 pages of 25 are still 28%.
    write(tmp_path, [page("a.com", n) for n in range(25)], [link("a.com", n) for n in range(7)])
    build_exports(tmp_path, ExportOptions(sitewide=SitewideRule(3, 0.28)))
    assert flags(tmp_path)[("https://a.com/0", "T", "footer")] == (True, 7)


def test_two_pages_of_two_are_not_sitewide(tmp_path: Path) -> None:
    write(tmp_path, [page("b.com", n) for n in range(2)], [link("b.com", n) for n in range(2)])
    build_exports(tmp_path)
    assert flags(tmp_path)[("https://b.com/0", "T", "footer")] == (False, 2)


def test_a_page_reached_from_two_urls_counts_once(tmp_path: Path) -> None:
    pages = [page("a.com", n) for n in range(6)]
    # /5 fetched again after a redirect from /old: one page, not seven.
    pages.append(replace(pages[5], requested_url="https://a.com/old"))
    write(tmp_path, pages, [link("a.com", n) for n in range(3)])
    build_exports(tmp_path)
    assert flags(tmp_path)[("https://a.com/0", "T", "footer")] == (True, 3)


@pytest.mark.parametrize(("min_pages", "min_share"), [(0, 0.5), (3, 0.0), (3, 50.0), (3, -1.0)])
def test_bad_thresholds_are_refused(min_pages: int, min_share: float) -> None:
    with pytest.raises(ValueError, match="LINKSPIDER_SITEWIDE_MIN_"):
        SitewideRule(min_pages, min_share)
