"""disavow_candidates.txt: the conservative rules, Google's format, and text from the web."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linkspider.reports.disavow import (
    DisavowRules,
    ascii_domain,
    candidates,
    comment_text,
    render,
)
from linkspider.reports.options import ExportOptions
from linkspider.reports.risk import DomainLinks, LinkGroup
from tests.support.report_folder import link, make_folder, page, site

RULES = DisavowRules()


def domain(followed: int, risky: int, followed_content: int = 0, name: str = "farm.com",
           backlinks: int | None = None) -> DomainLinks:  # fmt: skip
    total = backlinks if backlinks is not None else followed
    return DomainLinks(name, total, followed=followed, content=followed_content, sitewide=risky,
                       followed_content=followed_content, risky=risky)  # fmt: skip


# Each row: one referring domain's followed links, and whether it is a candidate.
@pytest.mark.parametrize(
    ("followed", "risky", "in_content", "listed", "why"),
    [
        (5, 5, 0, True, "every followed link is a sitewide template link with a money anchor"),
        (3, 3, 0, True, "exactly the minimum of 3"),
        (2, 2, 0, False, "fewer than 3 followed links"),
        (6, 5, 0, False, "one followed link is not sitewide money (100% needed)"),
        (6, 5, 1, False, "it has an editorial link"),
        (0, 0, 0, False, "no followed link at all (nofollow, ugc, sponsored pass nothing)"),
    ],
)
def test_candidate_rules(
    followed: int, risky: int, in_content: int, listed: bool, why: str
) -> None:
    found = candidates([domain(followed, risky, in_content, backlinks=followed + 10)], {}, RULES)
    assert bool(found) is listed, why


def test_rules_can_be_loosened_but_an_editorial_link_always_protects() -> None:
    loose = DisavowRules(min_links=1, min_share=0.8)
    assert candidates([domain(5, 4)], {}, loose)  # 80% is enough now
    assert not candidates([domain(5, 4, followed_content=1)], {}, loose)
    assert candidates([domain(1, 1)], {}, loose)
    with pytest.raises(ValueError, match="min_links must be at least 1"):
        DisavowRules(min_links=0)
    with pytest.raises(ValueError, match="min_share must be in"):
        DisavowRules(min_share=1.2)


def test_domains_are_written_in_ascii() -> None:
    assert ascii_domain("bücher.de") == "xn--bcher-kva.de"
    assert ascii_domain("XN--BCHER-KVA.DE.") == "xn--bcher-kva.de"
    assert ascii_domain("пример.рф") == "xn--e1afmkfd.xn--p1ai"
    (c,) = candidates([domain(3, 3, name="Bücher-Shop.de")], {}, RULES)
    assert c.domain == "xn--bcher-shop-9db.de"  # as browsers (ada-url, idna) write it
    # A name that cannot be written as one safe entry is never listed.
    assert candidates([domain(3, 3, name="evil.com\ndomain:google.com")], {}, RULES) == []


def test_comment_text_cannot_start_a_line() -> None:
    for breaker in ("\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"):
        assert "\n" not in comment_text(f"a{breaker}domain:google.com")
        assert comment_text(f"a{breaker}domain:google.com").startswith("a ")


def test_render_header_reasons_and_evidence() -> None:
    evil = LinkGroup("farm.com", "https://acme-boots.com/", 'cheap "boots"\ndomain:google.com',
                     "exact", "footer", 4, "https://farm.com/p0")  # fmt: skip
    found = candidates([domain(4, 4)], {"farm.com": [evil]}, RULES, pages={"farm.com": 4})
    text = render(found, RULES, ("exact", "compound"), "2026-01-01T00:00:00Z", "out/run1")
    lines = text.splitlines()
    assert lines[0].startswith("# linkspider disavow candidates: a REVIEW LIST")
    entries = [line for line in lines if line and not line.startswith("#")]
    assert entries == ["domain:farm.com"]  # the anchor's line break added no entry
    block = lines[lines.index("domain:farm.com") - 3 : lines.index("domain:farm.com")]
    assert block[0].startswith("# reason: 100% of its followed links are sitewide template")
    assert (
        block[1]
        == "# evidence: 4 followed links on 4 linking pages; 4 sitewide with a money anchor"
    )
    assert block[2] == ('# e.g. https://farm.com/p0 footer anchor "cheap "boots" domain:google.com" '
                        "(exact) -> https://acme-boots.com/, 4 links")  # fmt: skip
    assert "# Candidates: 1" in lines
    assert text.endswith("\n")


def test_no_candidates_still_writes_the_header() -> None:
    text = render([], RULES, ("exact", "compound"), "now", "out/run1")
    assert all(line.startswith("#") for line in text.splitlines())
    assert "# Candidates: 0" in text
    assert "LINKSPIDER_DISAVOW_MIN_LINKS" in text and "nofollow, ugc and sponsored" in text


def entries(folder: Path) -> list[str]:
    text = (folder / "disavow_candidates.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_run_folder_end_to_end(tmp_path: Path) -> None:
    """A link farm, and the look-alikes that must not be listed, through build_exports."""
    pages, links = [], []
    money = {"anchor": "waterproof hiking boots", "category": "exact", "placement": "footer"}
    for host, pages_n, extra in [
        ("farm.com", 4, money),  # sitewide footer exact-match, followed: candidate
        ("xn--bcher-kva.de", 3, {**money, "placement": "sidebar", "category": "compound"}),
        ("nofollow.com", 4, {**money, "follow": False}),  # passes nothing
        ("brand.com", 4, {**money, "anchor": "Acme", "category": "branded"}),  # brand anchor
        ("few.com", 2, money),  # on 2 pages only: not sitewide
        ("editor.com", 4, money),  # also has an editorial link, below
        ("inline.com", 4, {**money, "placement": "content"}),  # in content: editorial
    ]:
        site_pages, site_links = site(host, pages_n, **extra)
        pages += site_pages
        links += site_links
    links.append(link("editor.com", 0, anchor="a great review", category="other"))
    pages.append(page("farm.com", 9))  # a page without the link: still 4 of 5 pages
    summary = make_folder(tmp_path, pages, links)
    assert summary.report_error == ""
    assert entries(tmp_path) == ["domain:farm.com", "domain:xn--bcher-kva.de"]
    text = (tmp_path / "disavow_candidates.txt").read_text("utf-8")
    assert "# evidence: 4 followed links on 4 linking pages" in text
    assert 'footer anchor "waterproof hiking boots" (exact) -> https://acme-boots.com/' in text
    assert "disavow_candidates.txt" in summary.files and "report.html" in summary.files
    # Stricter settings: nothing; the file is still written, with its header.
    make_folder(tmp_path, pages, links, ExportOptions(disavow=DisavowRules(min_links=5)))
    assert entries(tmp_path) == []
    assert "# Candidates: 0" in (tmp_path / "disavow_candidates.txt").read_text("utf-8")


def test_the_file_is_utf8_with_comments_and_entries_only(tmp_path: Path) -> None:
    pages, links = site("farm.com", 3, anchor="Wanderbücher", category="exact", placement="footer")
    make_folder(tmp_path, pages, links)
    raw = (tmp_path / "disavow_candidates.txt").read_bytes()
    text = raw.decode("utf-8")  # valid UTF-8
    assert "Wanderbücher" in text
    for line in text.splitlines():
        assert line == "" or line.startswith("#") or re.fullmatch(r"domain:[a-z0-9.-]+", line)
