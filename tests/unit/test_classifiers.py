"""Anchor categories, robots directives, indexability, follow verdict and link context."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from linkspider.config.targets import load_targets
from linkspider.extract.anchor_category import build_terms, classify_anchor, is_url_like
from linkspider.extract.backlinks import FetchContext, backlink_rows, rel_flags
from linkspider.extract.context import link_context
from linkspider.extract.directives import header_directives
from linkspider.extract.indexability import follow_verdict, format_redirects, page_facts
from linkspider.extract.page import LinkPage

ACME = build_terms("acme-boots.com", ("Acme Boots", "Acme"),
                   ("waterproof hiking boots", "hiking boots"), ("vers le site",))  # fmt: skip
DERIVED = build_terms("acme-boots.com", (), ("hiking boots",), ())


@pytest.mark.parametrize(
    ("text", "link_type", "alt", "category", "rule"),
    [
        ("", "empty", "", "empty", "empty"),
        ("", "image", "", "empty", "empty"),  # an image link with no alt has nothing to say
        ("", "image", "Acme logo", "image", "image"),
        ("acme-boots.com", "text", "", "url", "url"),
        ("https://www.acme-boots.com/", "text", "", "url", "url"),
        ("www.acme-boots.com/alps?x=1", "text", "", "url", "url"),
        ("bücher.de", "text", "", "url", "url"),
        (
            "Acme waterproof hiking boots",
            "text",
            "",
            "compound",
            "brand:Acme+keyword:waterproof hiking boots",
        ),
        ("ACME BOOTS", "text", "", "branded", "brand:Acme Boots"),
        ("Acme's store", "text", "", "branded", "brand:Acme"),
        ("Hiking-Boots!", "text", "", "exact", "keyword:hiking boots"),
        ("  waterproof   hiking boots ", "text", "", "exact", "keyword:waterproof hiking boots"),
        ("the best hiking boots of 2025", "text", "", "partial", "keyword:hiking boots"),
        ("boot for hiking", "text", "", "partial", "keyword:hiking boots"),  # any order, plural
        ("Click here", "text", "", "generic", "generic:click here"),
        ("Read more »", "text", "", "generic", "generic:read more"),
        ("hier klicken", "text", "", "generic", "generic:hier klicken"),
        ("ici", "text", "", "generic", "generic:ici"),
        ("aquí", "text", "", "generic", "generic:aquí"),
        ("leggi di più", "text", "", "generic", "generic:leggi di più"),
        ("saiba mais", "text", "", "generic", "generic:saiba mais"),
        ("Здесь", "text", "", "generic", "generic:здесь"),
        ("こちら", "text", "", "generic", "generic:こちら"),
        ("Vers le site", "text", "", "generic", "generic:vers le site"),  # per-target extension
        ("Node.js", "text", "", "other", "other"),  # not a public suffix
        ("trail running shoes", "text", "", "other", "other"),
        ("hiking", "text", "", "other", "other"),  # one word of a keyword is not enough
    ],
)
def test_anchor_categories(text: str, link_type: str, alt: str, category: str, rule: str) -> None:
    verdict = classify_anchor(text, link_type, alt, ACME)
    assert (verdict.category, verdict.rule) == (category, rule)


@pytest.mark.parametrize("text", ["Acme-Boots", "acme boots", "AcmeBoots", "ACME BOOTS shop"])
def test_brand_derived_from_domain(text: str) -> None:
    assert classify_anchor(text, "text", "", DERIVED).category == "branded"


def test_derived_brand_is_not_a_single_word_of_the_label() -> None:
    assert classify_anchor("Acme", "text", "", DERIVED).category == "other"


def test_cjk_keywords_match_as_substrings() -> None:
    terms = build_terms("yama.jp", ("ヤマ",), ("登山靴",), ())
    assert classify_anchor("おすすめの登山靴", "text", "", terms).category == "partial"
    assert classify_anchor("ヤマの登山靴", "text", "", terms).category == "compound"


@pytest.mark.parametrize("text", ["e.g.", "3.14", "hello world", "", "file.txt"])
def test_not_url_like(text: str) -> None:
    assert not is_url_like(text)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["noindex"], [("noindex", "x-robots-tag")]),
        (["noindex, nofollow"], [("noindex", "x-robots-tag"), ("nofollow", "x-robots-tag")]),
        (["googlebot: nofollow"], [("nofollow", "x-robots-tag(googlebot)")]),
        (["bingbot: noindex"], []),  # another crawler's directives
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], [("unavailable_after", "x-robots-tag")]),
        (["googlebot: noindex, otherbot: nofollow"], [("noindex", "x-robots-tag(googlebot)")]),
        (
            ["max-snippet: 20, NOFOLLOW"],
            [("max-snippet", "x-robots-tag"), ("nofollow", "x-robots-tag")],
        ),
    ],
)
def test_x_robots_tag(values: list[str], expected: list[tuple[str, str]]) -> None:
    assert [(d.rule, d.source) for d in header_directives(values)] == expected


def facts(html: str, status: int = 200, **headers: list[str]) -> tuple[bool, str, str, str]:
    page = LinkPage(html.encode(), "https://a.com/page")
    f = page_facts(page, status, {k.replace("_", "-"): v for k, v in headers.items()})
    return f.indexable, f.index_reason, f.canonical, f.nofollow_source


@pytest.mark.parametrize(
    ("html", "status", "headers", "expected"),
    [
        ("<p>x", 200, {}, (True, "indexable", "", "")),
        ('<meta name="robots" content="noindex">', 200, {}, (False, "noindex-meta", "", "")),
        ('<meta name="GoogleBot" content="NONE">', 200, {},
         (False, "noindex-meta", "", "meta-googlebot:none")),
        ('<meta name="bingbot" content="noindex,nofollow">', 200, {}, (True, "indexable", "", "")),
        ("<p>x", 200, {"x_robots_tag": ["noindex"]}, (False, "noindex-header", "", "")),
        ('<link rel="canonical" href="/other">', 200, {},
         (False, "canonical-elsewhere", "https://a.com/other", "")),
        ('<link rel="canonical" href="https://a.com/page#top">', 200, {},
         (True, "indexable", "https://a.com/page", "")),
        ("<p>x", 200, {"link": ['<https://a.com/x>; rel="canonical"']},
         (False, "canonical-elsewhere", "https://a.com/x", "")),
        ("<p>x", 203, {}, (True, "indexable", "", "")),
        ("<p>x", 404, {}, (False, "http-status", "", "")),
        ('<meta name="robots" content="index, nofollow">', 200, {},
         (True, "indexable", "", "meta-robots:nofollow")),
    ],
)  # fmt: skip
def test_indexability(html: str, status: int, headers: dict[str, list[str]],
                      expected: tuple[bool, str, str, str]) -> None:  # fmt: skip
    assert facts(html, status, **headers) == expected


@pytest.mark.parametrize(
    ("rel", "page", "verdict"),
    [
        ((False, False, False), "", (True, "follow")),
        ((True, True, True), "", (False, "rel:nofollow+sponsored+ugc")),
        ((False, False, False), "x-robots-tag:nofollow", (False, "x-robots-tag:nofollow")),
        # Both say no: both are named, the link's rel first.
        ((True, True, True), "meta-robots:nofollow",
         (False, "rel:nofollow+sponsored+ugc; meta-robots:nofollow")),
        ((False, False, True), "meta-robots:nofollow; x-robots-tag:nofollow",
         (False, "rel:sponsored; meta-robots:nofollow; x-robots-tag:nofollow")),
    ],
)  # fmt: skip
def test_follow_verdict_gives_every_reason_rel_first(
    rel: tuple[bool, bool, bool], page: str, verdict: tuple[bool, str]
) -> None:
    assert follow_verdict(*rel, page) == verdict


def test_follow_reason_names_rel_and_every_page_signal() -> None:
    html = """<meta name="robots" content="nofollow"><meta name="googlebot" content="none">
    <a href="https://acme-boots.com/a" rel="ugc nofollow">a</a><a href="https://acme-boots.com/b">b</a>"""
    ctx = FetchContext(headers={"x-robots-tag": ["nofollow"]})
    rows = backlink_rows(
        LinkPage(html.encode(), "https://blog.com/p"), load_targets("acme-boots.com"), ctx
    )
    page = "meta-robots:nofollow; meta-googlebot:none; x-robots-tag:nofollow"
    assert [(r.follow, r.follow_reason) for r in rows] == [
        (False, f"rel:nofollow+ugc; {page}"),
        (False, page),
    ]


def test_redirect_chain_format() -> None:
    assert format_redirects([], [], "https://b/") == ""
    assert format_redirects(["http://a/", "https://a/"], [301, 302], "https://b/") == (
        "http://a/ [301] -> https://a/ [302] -> https://b/"
    )


def test_context_is_block_text_cut_at_words() -> None:
    words = " ".join(f"word{i}" for i in range(60))
    tree = LexborHTMLParser(f"<div><p>{words} <a href=x>THE LINK</a> {words}</p><p>next</p></div>")
    before, after = link_context(tree.css_first("a"))
    assert before.endswith("word59") and not before.startswith("word0")
    assert after.startswith("word0") and "next" not in after
    assert len(before) <= 100 and len(after) <= 100


def test_context_skips_scripts_and_spans_inline_markup() -> None:
    tree = LexborHTMLParser(
        "<p>Go <b>to</b><script>x()</script> <a href=x>site</a>, <i>then</i> back</p>"
    )
    assert link_context(tree.css_first("a")) == ("Go to", ", then back")


@pytest.mark.parametrize(
    ("rel", "flags"),
    [
        ("NoFollow noopener", (True, False, False)),
        ("noopener\tnofollow", (True, False, False)),
        ("noopener\nSPONSORED", (False, False, True)),
        ("ugc,nofollow", (True, True, False)),  # Google: "a space- or comma-separated list"
        ("ugc, sponsored", (False, True, True)),
        ("no-follow nofollowed", (False, False, False)),
    ],
)
def test_rel_flags(rel: str, flags: tuple[bool, bool, bool]) -> None:
    assert rel_flags(rel) == flags


@pytest.mark.parametrize(
    "text",
    ["acme-boots.com.", "(acme-boots.com)", "“acme-boots.com”", "acme-boots.com/alps,",
     "xn--bcher-kva.de", "BÜCHER.DE", "http://192.0.2.1/x", "http://localhost:8080/"],
)  # fmt: skip
def test_url_like_with_punctuation_around_and_any_host_after_a_scheme(text: str) -> None:
    assert is_url_like(text)
    assert classify_anchor(text, "text", "", ACME).category == "url"


@pytest.mark.parametrize("text", ["Ph.D.", "U.S.", "Node.js.", "https://", "www.", "192.0.2.1"])
def test_dotted_words_are_not_urls(text: str) -> None:
    assert not is_url_like(text)


@pytest.mark.parametrize(
    ("text", "category"),
    [("gaiters", "partial"), ("Gaiters!", "partial"), ("best gaiters 2025", "partial"),
     ("gaiter", "exact"), ("boxes", "partial"), ("hiking boot", "partial"), ("hiking", "other")],
)  # fmt: skip
def test_plurals_of_one_word_keywords(text: str, category: str) -> None:
    terms = build_terms("acme-boots.com", ("Acme",), ("hiking boots", "gaiter", "box"), ())
    assert classify_anchor(text, "text", "", terms).category == category


@pytest.mark.parametrize(
    ("text", "rule"),
    [("「こちら」", "generic:こちら"), ("こちらから", "generic:こちらから"), ("здесь.", "generic:здесь"),
     ("«Сюда»", "generic:сюда"), ("»»", "other"), ("...", "other")],
)  # fmt: skip
def test_generic_anchors_with_punctuation(text: str, rule: str) -> None:
    assert classify_anchor(text, "text", "", ACME).rule == rule


def test_several_x_robots_tag_headers_and_agent_groups() -> None:
    values = ["googlebot: noindex, nofollow", "otherbot: nofollow", "linkspider: noindex"]
    found = [(d.rule, d.source) for d in header_directives(values)]
    # Another crawler's group, linkspider's own token included, does not apply (see docs).
    assert found == [
        ("noindex", "x-robots-tag(googlebot)"),
        ("nofollow", "x-robots-tag(googlebot)"),
    ]
    assert facts("<p>x", x_robots_tag=["noarchive", "NOFOLLOW"])[3] == "x-robots-tag:nofollow"
    assert facts("<p>x", x_robots_tag=["otherbot: noindex, nofollow"])[:2] == (True, "indexable")


@pytest.mark.parametrize(
    ("url", "canonical", "reason"),
    [
        ("https://a.com", "https://a.com/", "indexable"),  # empty path is "/"
        ("https://a.com/p", "HTTPS://A.COM:443/p#top", "indexable"),
        ("https://a.com/caf%C3%A9", "https://a.com/caf%c3%a9", "indexable"),
        ("https://a.com/caf%C3%A9", "https://a.com/café", "indexable"),
        ("https://a.com/p", "p", "indexable"),
        ("https://a.com/p", "https://a.com/p/", "canonical-elsewhere"),  # another URL
        ("https://a.com/p", "https://a.com/P", "canonical-elsewhere"),
        ("https://a.com/p", "http://a.com/p", "canonical-elsewhere"),
    ],
)
def test_canonical_pointing_at_the_page_itself(url: str, canonical: str, reason: str) -> None:
    page = LinkPage(f'<link rel="canonical" href="{canonical}">'.encode(), url)
    assert page_facts(page, 200, {}).index_reason == reason


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ('<https://a.com/x>; rel="alternate canonical"', "https://a.com/x"),
        ('</x>; rel="alternate", </y>; type="text/html"; rel=canonical', "https://a.com/y"),
        ('<https://a.com/x>; rel="noncanonical"', ""),
    ],
)
def test_canonical_link_header(header: str, canonical: str) -> None:
    assert facts("<p>x", link=[header])[2] == canonical


@pytest.mark.parametrize(
    ("html", "context"),
    [
        ("<div>foo<p>bar</p>baz <a href=x>L</a> qux<div>q2</div>zap</div>",
         ("foo bar baz", "qux q2 zap")),
        ("<p>see <span hidden>SECRET</span> <a href=x>L</a><br>next</p>", ("see", "next")),
        ("<p><a href=x>L</a> starts it</p>", ("", "starts it")),
        ("<p>ends it <a href=x>L</a></p>", ("ends it", "")),
        ("<p>Alpha<a href=x>L</a>Omega</p>", ("Alpha", "Omega")),
        ("<ul><li>one</li><li>two <a href=x>L</a></li></ul>", ("two", "")),
    ],
)  # fmt: skip
def test_context_edges(html: str, context: tuple[str, str]) -> None:
    assert link_context(LexborHTMLParser(html).css_first("a")) == context


def test_context_in_a_block_of_thousands_of_links() -> None:
    html = "<div>" + "".join(f"word{i} <a href=x>L{i}</a> " for i in range(3000)) + "</div>"
    links = LexborHTMLParser(html).css("a")
    before, after = link_context(links[1500])
    assert before.endswith("L1499 word1500") and after.startswith("word1501 L1501")
    assert 90 <= len(before) <= 100 and 90 <= len(after) <= 100
