"""A hostile page costs that page, never the crawl: per-page structures stay linear.

A page of 100,000 nested elements once grew a per-ancestor xpath cache quadratically
(23.6 GB for a 1.1 MB page). These tests run extraction on such pages under a hard memory
cap in a subprocess (so a regression fails the test instead of the host) and check the
caps by what they do: the link is still found, its chain and xpath are bounded, and deep
markup inside or next to a link neither overflows the stack nor hides the link.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap

import lxml.html
import pytest

from linkspider.config.targets import Target, TargetSet
from linkspider.extract._placement_chain import MAX_DEPTH
from linkspider.extract.backlinks import FetchContext, backlink_rows
from linkspider.extract.page import LinkPage
from tests.support.paths import ROOT

VICTIM = TargetSet((Target(domain="victim.com"),))
LINK = "<a href=http://victim.com/>x</a>"
PROSE = "<p>" + "Words of a real paragraph, long enough to read as the text. " * 3 + "</p>"


def rows(html: str) -> list[dict[str, object]]:
    page = LinkPage(html.encode(), "http://attacker.example/")
    return [dataclasses.asdict(row) for row in backlink_rows(page, VICTIM, FetchContext())]


_UNDER_CAP = textwrap.dedent(
    """
    import resource, sys
    cap = 600 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from linkspider.config.targets import Target, TargetSet
    from linkspider.extract.backlinks import FetchContext, backlink_rows
    from linkspider.extract.page import LinkPage
    tag, depth = sys.argv[1], int(sys.argv[2])
    html = f"<{tag}>" * depth + "<a href=http://victim.com/>x</a>" + f"</{tag}>" * depth
    page = LinkPage(html.encode(), "http://attacker.example/")
    found = backlink_rows(page, TargetSet((Target(domain="victim.com"),)), FetchContext())
    for row in found:
        print(row.target_url, row.placement, len(row.xpath))
    """
)


@pytest.mark.parametrize(("tag", "depth"), [("b", 100_000), ("div", 20_000)])
def test_deeply_nested_page_is_extracted_under_a_memory_cap(tag: str, depth: int) -> None:
    # 600 MB of address space: the fixed code peaks near 110 MB on 100,000 ``<b>``; the
    # old per-ancestor xpath cache needed ~20 GB and died with MemoryError.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_CAP, tag, str(depth)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (line,) = done.stdout.splitlines()
    url, placement, xpath_len = line.split()
    assert url == "http://victim.com/"
    assert placement == "content"
    # The xpath is the capped ancestor's path, at most MAX_DEPTH steps, not 100,000.
    assert int(xpath_len) < MAX_DEPTH * (len(tag) + 2) + 40


def test_link_beyond_the_depth_cap_gets_an_xpath_that_selects_it() -> None:
    html = (
        "<html><body>"
        + "<span>" * (MAX_DEPTH + 50)
        + "<a href=http://other.example/>o</a><i><a href=http://victim.com/>v</a></i>"
        + "</span>" * (MAX_DEPTH + 50)
        + "</body></html>"
    )
    (row,) = rows(html)
    xpath = str(row["xpath"])
    assert xpath.startswith("(/html/body/span/span/") and xpath.endswith("//a)[2]")
    assert xpath.count("/span") == MAX_DEPTH - 3  # html, body, then spans up to the cap
    tree = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    (node,) = tree.getroottree().xpath(xpath)
    assert node.get("href") == "http://victim.com/"


def test_link_within_the_cap_keeps_its_plain_xpath() -> None:
    depth = MAX_DEPTH - 10
    html = "<html><body>" + "<span>" * depth + LINK + "</span>" * depth + "</body></html>"
    (row,) = rows(html)
    assert row["xpath"] == "/html/body" + "/span" * depth + "/a"


def test_deep_markup_inside_an_anchor_does_not_overflow_the_stack() -> None:
    anchor = "<a href=http://victim.com/>Victim " + "<b>" * 5000 + "deep" + "</b>" * 5000 + "</a>"
    (row,) = rows(PROSE + "<p>A short sentence with " + anchor + " in it.</p>")
    assert row["anchor_text"] == "Victim"
    assert row["context_after"] == "in it."


def test_deep_markup_beside_a_link_does_not_overflow_the_stack() -> None:
    deep = "<b>" * 5000 + "hidden" + "</b>" * 5000
    (row,) = rows(PROSE + "<p>Read the " + LINK + " review " + deep + " today.</p>")
    assert row["context_before"] == "Read the"
    assert str(row["context_after"]).startswith("review")


def test_many_links_at_the_bottom_of_a_deep_page_are_placed_with_capped_xpaths() -> None:
    found = rows(PROSE + "<b>" * 20_000 + LINK * 200)
    assert len(found) == 200
    xpaths = {str(row["xpath"]) for row in found}
    assert len(xpaths) == 200  # each still names its own element
    # One capped ancestor path each (at most MAX_DEPTH steps), not 20,000 steps.
    assert max(len(x) for x in xpaths) < MAX_DEPTH * 3 + 40
