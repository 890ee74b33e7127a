"""Saved pages in, expected placements out: ``tests/fixtures/placement/*.html``.

Each fixture is a WordPress-shaped page; every link with ``data-expect`` must get that
placement (``in_content`` follows it), and one with ``data-context-after`` that context.
The shapes come from testers' reports: an image link in the article body (in a ``p`` or a
``wp-block-image`` figure), a short "Label: link." paragraph, a figure's context, and a
forum thread whose posters' signatures hold links (a reply's link stays content).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkspider.config.targets import Target, TargetSet
from linkspider.extract.backlinks import FetchContext, backlink_rows
from linkspider.extract.page import LinkPage
from tests.support.paths import FIXTURES

PLACEMENT = FIXTURES / "placement"
PAGES = sorted(PLACEMENT.glob("*.html"))


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_saved_page_placements(path: Path) -> None:
    page = LinkPage(path.read_bytes(), f"https://gear-notes.example/{path.stem}/")
    rows = backlink_rows(page, TargetSet((Target(domain="victim.com"),)), FetchContext())
    nodes = {link.index: link.node for link in page.links}
    checked = 0
    for row in rows:
        attrs = nodes[row.link_index].attributes
        want = attrs.get("data-expect")
        if want is None:
            continue
        checked += 1
        assert (row.href, row.placement) == (row.href, want)
        assert row.in_content == (want == "content")
        context = attrs.get("data-context-after")
        if context is not None:
            assert (row.context_before, row.context_after) == ("", context)
    assert checked >= 3


def test_figure_image_link_context_stays_in_the_figure() -> None:
    html = (
        "<div class='entry-content'><p>The paragraph before the picture.</p>"
        "<figure class='wp-block-image'><a href='https://victim.com/'><img src='/a.jpg' alt='A'>"
        "</a><figcaption>The caption</figcaption></figure>"
        "<p>The paragraph after the picture.</p></div>"
    )
    page = LinkPage(html.encode(), "https://gear-notes.example/")
    (row,) = backlink_rows(page, TargetSet((Target(domain="victim.com"),)), FetchContext())
    assert (row.context_before, row.context_after) == ("", "The caption")
