"""Where a link sits on its page: content, navigation, header, footer, sidebar or comments.

``PlacementClassifier(tree, rules, host).classify(link)`` places one link element of a
parsed page; ``classify_placements(tree, links)`` places several. Both are pure (no Scrapy,
no I/O) and lazy: a link's ancestor chain is resolved once per distinct ancestor and
cached, and the whole-page text-density pass (``_placement_density``) runs at most once per
page, only when a link's markup leaves its region open or calls it content. So the cost
grows with the links classified, not with the page: a crawl classifies only the few links
that point at a target.

How a region is decided, in order:

1. **User rules** (:class:`PlacementRule`, the ``LINKSPIDER_PLACEMENT_RULES`` setting): the first
   rule whose host matches and whose CSS selector matches the link or an ancestor (or whose
   ``contains`` text is a substring of a class/id of the link or an ancestor) decides.
2. **Page regions from markup** (``_placement_signals``): HTML5 tags, ARIA roles and class/id
   conventions, resolved from the outside in the way a reader sees nesting:

   * footer and sidebar are *strong*: everything inside them is footer/sidebar (a ``nav`` in
     a footer is footer, a "recent comments" widget in a sidebar is sidebar);
   * comments are strong too and win inside content (a comment under an article is
     ``comments``; a ``header`` inside a comment is still the comment);
   * navigation is strong (a "content" class inside a menu is still the menu), and wins
     inside the page header (the primary menu in the ``header`` is ``navigation``) and inside
     content (a breadcrumb or pager in ``main`` is ``navigation``);
   * header is weaker than navigation only;
   * a ``header``/``footer`` inside ``main``, ``article``, ``aside``, ``nav`` or ``section`` is
     scoped to that block (HTML-AAM maps it to banner/contentinfo only at page level): a
     ``header`` inside an article is part of the article;
   * a class-named region that holds half the page's text and its main block is a page
     wrapper ("site-header-wrap" around everything), not a region;
   * dialogs, cookie/consent banners and log-in prompts are ``sidebar`` (complementary).
3. **Text density** decides whatever markup leaves open *and* checks what markup calls
   content (``main``/``article``/``entry-content`` also wrap teaser cards, buttons and
   promos). The main-content block is the best Readability-style candidate that markup does
   not place in a boilerplate region (``_placement_density``). A link is ``content`` when it
   is inside that block and reads as text: its paragraph, list item or cell (for any other
   block: the block's own text, not that of blocks nested in it) has at least 15 characters
   of non-link text, or its own anchor is a 25+ character title, or it is an image link
   that is a ``p`` or a ``figure`` of its own, or the one link of a labelled sentence
   (``<p>See also: <a>...</a>.</p>``). A link in a card of a
   product/teaser grid that outweighs the page's prose is content too (a collection).
   Other links are boilerplate, named by where they sit: a run of links is ``navigation``;
   a non-text link inside the main block or inside markup-content (a "Shop now" button, a
   teaser card) is ``sidebar`` (complementary); the rest is ``header`` above the main block
   and ``footer`` below it. A page with no prose at all trusts markup and link runs only.
   A link inside an element a reader never sees (``noscript``, ``template``, ``svg``) is
   never content. A link that markup calls content and that sits in a ``p`` of 100+
   characters of prose (at most 30% link text) is content without any of this: the
   paragraph alone is measured, the page-wide pass is skipped.
4. **A discussion thread's replies are its content**: on a page that schema.org markup calls
   a thread (``DiscussionForumPosting``, ``QAPage``, ``Question``), a link in a reply's text
   (its paragraph reads as text, see 3.) is ``content``; the poster's name and the reply
   controls stay ``comments``. A comment section under an article stays ``comments``.
   A ``noscript`` that holds the page for readers without JavaScript (Discourse's crawler
   view: at least half the body's text and some links) is read as page text, not skipped.
5. **The page's best text overrules class names**: when the best-scoring text block lies in
   a region only class/id names call boilerplate and scores twice the best block they
   leave, those names are wrong (a ``rich-text-newsletter`` CMS class on a newsletter
   archive's text) and the block is the main block.

``xpath`` is an absolute element path from ``/html``: each step is the tag name followed by
``[n]``, the 1-based position among the element's siblings *with the same tag*; the index is
omitted when the element is the only child of its tag under its parent. Each step is
therefore unambiguous, so the path identifies exactly one element (XPath 1.0 semantics:
``/html/body/div[2]/p/a[3]`` selects that element and no other). Chains are capped at
``MAX_DEPTH`` elements (``_placement_chain``): a link nested deeper is placed by its outer
ancestors, and its xpath is ``(<ancestor path>//a)[k]``, which selects it just as uniquely.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, TypeVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from linkspider.extract._placement_chain import Ancestry, Chain
from linkspider.extract._placement_density import PageStats, page_stats
from linkspider.extract._placement_position import POSITIONS, link_position, prose_prefix
from linkspider.extract._placement_signals import (
    COMMENTS,
    CONTENT,
    FOOTER,
    HEADER,
    NAVIGATION,
    ROLE_SIGNALS,
    SIDEBAR,
    TAG_SIGNALS,
    attrs_signal,
)

PLACEMENTS: Final = (CONTENT, NAVIGATION, HEADER, FOOTER, SIDEBAR, COMMENTS)

__all__ = [
    "PLACEMENTS",
    "POSITIONS",
    "Placement",
    "PlacementClassifier",
    "PlacementRule",
    "classify_placements",
    "parse_rules",
]


@dataclass(frozen=True)
class PlacementRule:
    """A user rule: links matching it get ``region``; the first matching rule wins.

    ``selector`` is a CSS selector matched against the link element and its ancestors;
    ``contains`` is a case-insensitive substring of a class name or id of the link or an
    ancestor. A rule needs at least one of them; when both are given both must match.
    ``host`` limits the rule to that host and its subdomains (``example.com`` also matches
    ``www.example.com``); None applies everywhere.
    """

    region: str
    selector: str | None = None
    contains: str | None = None
    host: str | None = None

    def __post_init__(self) -> None:
        if self.region not in PLACEMENTS:
            raise ValueError(
                f"placement rule region must be one of {', '.join(PLACEMENTS)}; got {self.region!r}"
            )
        if not self.selector and not self.contains:
            raise ValueError("placement rule needs a 'selector' or a 'contains' value")

    def applies_to_host(self, host: str) -> bool:
        if not self.host:
            return True
        want = self.host.lower().strip(".")
        have = host.lower().strip(".")
        return have == want or have.endswith("." + want)


@dataclass(frozen=True)
class Placement:
    """Where one link sits. ``in_content`` is ``placement == "content"``; ``position``
    (content links only) is where in the main-content block (``_placement_position``)."""

    placement: str
    in_content: bool
    xpath: str
    position: str = ""


_RULE_KEYS: Final = frozenset({"region", "selector", "contains", "host"})


def parse_rules(raw: object) -> list[PlacementRule]:
    """Build rules from a setting value: a list of dicts, or a JSON string of one.

    ``None`` and ``""`` mean no rules. Anything else that is not a list of objects with a
    valid ``region`` and a ``selector`` and/or ``contains`` string raises ``ValueError``
    naming the offending entry.
    """
    if raw is None:
        return []
    if isinstance(raw, str):
        if not raw.strip():
            return []
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"placement rules: not valid JSON ({exc})") from exc
    if isinstance(raw, PlacementRule):
        return [raw]
    if not isinstance(raw, (list, tuple)):
        raise ValueError(f"placement rules must be a list of objects, got {type(raw).__name__}")
    rules: list[PlacementRule] = []
    for i, item in enumerate(raw):
        if isinstance(item, PlacementRule):
            rules.append(item)
            continue
        if not isinstance(item, dict):
            raise ValueError(f"placement rule #{i}: expected an object, got {type(item).__name__}")
        unknown = set(item) - _RULE_KEYS
        if unknown:
            raise ValueError(f"placement rule #{i}: unknown key(s) {sorted(unknown)}")
        for key in _RULE_KEYS:
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"placement rule #{i}: {key!r} must be a string")
        if "region" not in item:
            raise ValueError(f"placement rule #{i}: missing 'region'")
        try:
            rule = PlacementRule(
                region=item["region"],
                selector=item.get("selector") or None,
                contains=item.get("contains") or None,
                host=item.get("host") or None,
            )
        except ValueError as exc:
            raise ValueError(f"placement rule #{i}: {exc}") from exc
        if rule.selector:
            try:
                LexborHTMLParser("<p></p>").css(rule.selector)
            except Exception as exc:
                raise ValueError(
                    f"placement rule #{i}: invalid CSS selector {rule.selector!r} ({exc})"
                ) from exc
        rules.append(rule)
    return rules


# ---------------------------------------------------------------------------------------------
# Region resolution from markup.

# Tags whose header/footer children are scoped to them, not to the page (HTML-AAM).
_SCOPING_TAGS: Final = frozenset({"article", "aside", "main", "nav", "section"})
# Regions that swallow everything nested inside them.
_STRONG: Final = frozenset({FOOTER, SIDEBAR, COMMENTS, NAVIGATION})

# Resolved state of an element: (region or None, inside a scoping element).
_State = tuple[str | None, bool]
_ROOT_STATE: Final[_State] = (None, False)


def _own_signal(node: LexborNode, tag: str) -> tuple[str | None, bool]:
    """(region signal, is it from the tag/role rather than class/id)."""
    attrs = node.attributes
    role = attrs.get("role")
    if role:
        sig = ROLE_SIGNALS.get(role.strip().lower().split(" ")[0])
        if sig is not None:
            return sig, True
    sig = TAG_SIGNALS.get(tag)
    if sig is not None:
        return sig, True
    itemprop = attrs.get("itemprop")
    if itemprop and itemprop.lower() in ("articlebody", "text", "reviewbody"):
        return CONTENT, True
    itemtype = attrs.get("itemtype")
    if itemtype and itemtype.endswith(("/Comment", "/UserComments")):
        return COMMENTS, True
    return attrs_signal(
        attrs.get("class"), attrs.get("id"), control=tag in ("a", "area", "button")
    ), False


# Blocks read as one unit of text; around a link in any other block (a ``div``, a
# ``section``) only the block's own text counts, not that of the blocks nested in it.
_UNIT_TAGS: Final = frozenset(
    {
        "p",
        "li",
        "td",
        "th",
        "dd",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "figcaption",
        "pre",
    }
)

# Elements that delimit a "block" of text around a link (its paragraph, list item, cell):
# the units above and the containers around them.
_BLOCK_TAGS: Final = _UNIT_TAGS | frozenset(
    {
        "div",
        "section",
        "article",
        "tr",
        "ul",
        "ol",
        "table",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "body",
        "form",
        "figure",
        "address",
    }
)
# A link in a region marked up as content reads as text without any page statistics when
# its paragraph has this much prose and at most this share of link text.
_MIN_PARAGRAPH_PROSE: Final = 100
# Elements a reader never sees (the density pass skips them too).
_HIDDEN: Final = frozenset(
    {"noscript", "template", "svg", "select", "iframe", "textarea", "script", "style"}
)
_MAX_PARAGRAPH_LINKS: Final = 0.3
# A ``noscript`` is the page's crawler view with this much text and this many links.
_MIN_VIEW_TEXT: Final = 300
_MIN_VIEW_LINKS: Final = 3
_LINK_CSS: Final = "a[href], area[href]"
# schema.org types of a discussion thread page.
_THREAD_CSS: Final = (
    '[itemtype*="DiscussionForumPosting"], [itemtype*="QAPage"], [itemtype*="schema.org/Question"]'
)
# A link reads as part of the text when its block has this much non-link text around it...
_MIN_BLOCK_PROSE: Final = 15
# ...or when it is the one link of a paragraph that labels it ("See also:", "Tested:").
_MIN_LABEL: Final = 3
_SENTENCE_END: Final = frozenset({".", "!", "…", "。"})
# ...or when its own anchor is a sentence-like title (a headline in a listing).
_MIN_TITLE_ANCHOR: Final = 25
# A grid is at least this many sibling cards, each holding at most this many links; a link
# is in a card when the card is among its nearest ancestors.
_MIN_CARDS: Final = 3
_MAX_CARD_LINKS: Final = 4
_CARD_DEPTH: Final = 8
# Median non-link text of a card at most this: longer "cards" are posts or comments.
_MAX_CARD_PROSE: Final = 300
# The best text block overrules class names that call it boilerplate when it scores this
# many times the best block they leave.
_OVERRULE: Final = 2.0
# Markup-only resolution gives up (and asks the density pass) beyond this many outcomes.
_MAX_BRANCHES: Final = 8
# The main block grows over a wrapper when at most this share of the text it adds is links.
_GROW_LINK_SHARE: Final = 0.1


def _block(stats: PageStats, pos: int) -> int:
    """Nearest block-level ancestor of ``pos`` (-1 if none)."""
    parent = stats.parent
    tag = stats.tag
    cur = parent[pos]
    while cur >= 0:
        if tag[cur] in _BLOCK_TAGS:
            return cur
        cur = parent[cur]
    return -1


def _reads_as_text(stats: PageStats, pos: int) -> bool:
    """Is the link part of running text (a sentence, a list item with words, a headline)?

    Also part of the text, though short: an image link that is a paragraph or a figure of
    its own (an article's picture), and the one link of a labelled paragraph ("Also
    tested: the size-42 page.", "See also: ...").
    """
    if stats.text[pos] >= _MIN_TITLE_ANCHOR:
        return True
    block = _block(stats, pos)
    if block < 0:
        return False
    tag = stats.tag
    if tag[block] in _UNIT_TAGS:
        # A list item, cell or paragraph is one unit of text (a teaser: title + summary).
        prose = stats.text[block] - stats.link_text[block]
        if prose >= _MIN_BLOCK_PROSE:
            return True
        if tag[block] == "p" and stats.links[block] == 1:
            return _image_link(stats, pos) or (prose >= _MIN_LABEL and _labelled(stats, pos, block))
        return False
    if _image_link(stats, pos) and (
        tag[block] == "figure" or tag[max(stats.parent[block], 0)] == "figure"
    ):
        return stats.links[_figure(stats, block)] == 1
    return _own_prose(stats, block) >= _MIN_BLOCK_PROSE


def _image_link(stats: PageStats, pos: int) -> bool:
    """Is the link an image without text (a picture that links somewhere)?"""
    return stats.text[pos] == 0 and "img" in stats.tag[pos : stats.end[pos] + 1]


def _labelled(stats: PageStats, pos: int, block: int) -> bool:
    """Does the paragraph name its one link with a label ("See also:", "Tested:")?

    The words before the link end with a colon and the paragraph is a sentence, closed by
    a full stop after the link: a label, not a button ("Read more"), a byline ("by Jane")
    or a caption's credit ("Source: statista.com", "Code: Select all"), which the corpus
    labels call boilerplate.
    """
    words = stats.nodes[block].text(deep=True)
    anchor = stats.nodes[pos].text(deep=True)
    cut = words.find(anchor) if anchor else -1
    if cut < 0:
        return False
    before = words[:cut].rstrip()
    after = words[cut + len(anchor) :].strip()
    return (
        before.endswith(":")
        and after in _SENTENCE_END
        and sum(c.isalpha() for c in before) >= _MIN_LABEL
    )


def _figure(stats: PageStats, block: int) -> int:
    return block if stats.tag[block] == "figure" else stats.parent[block]


def _own_prose(stats: PageStats, block: int) -> int:
    """Non-link text of ``block`` outside its nested blocks: the paragraph around a link.

    A post's byline shares its ``div`` with the post's paragraphs; only text at the link's
    own level (its sentence, its list item's words) says whether the link is read as text.
    """
    text, link_text, tag, end = stats.text, stats.link_text, stats.tag, stats.end
    prose = text[block] - link_text[block]
    i = block + 1
    last = end[block]
    while i <= last:
        if tag[i] in _BLOCK_TAGS:
            prose -= text[i] - link_text[i]
            i = end[i] + 1
        else:
            i += 1
    return prose


def _in_link_list(stats: PageStats, pos: int) -> bool:
    """Is the link in a run of links with little other text (a menu, a tag cloud)?

    Looks at up to four ancestors for the first one holding three or more links, and calls
    it a link list when links make more than 60% of its text.
    """
    parent = stats.parent
    tag = stats.tag
    cur = parent[pos]
    for _ in range(4):
        if cur < 0 or tag[cur] in ("body", "html"):
            return False
        if stats.links[cur] >= 3:
            return stats.link_density(cur) > 0.6
        cur = parent[cur]
    return False


def _density_region(stats: PageStats, pos: int, hinted_content: bool) -> str:
    """Region of a link that markup leaves open (or only hints is content).

    Content is a link inside the main-content block that reads as text. Everything else is
    boilerplate, named by where it sits: a run of links is ``navigation``; a link in the
    main block (or in a block marked up as content) that is not part of the text (a "Shop
    now" button, a photo credit, a teaser card elsewhere on the page) is ``sidebar``,
    i.e. complementary; other links are ``header`` above the main block and ``footer`` below.
    """
    main = stats.main
    if main < 0:
        # No prose anywhere (a link directory, a tiny page): trust markup, then link runs.
        if hinted_content or not _in_link_list(stats, pos):
            return CONTENT
        return NAVIGATION
    inside = stats.contains(main, pos)
    if inside and _reads_as_text(stats, pos):
        return CONTENT
    if _in_link_list(stats, pos):
        return NAVIGATION
    if inside or hinted_content:
        return SIDEBAR
    if pos < main:
        return HEADER
    return FOOTER


def _card_targets(stats: PageStats, card: int) -> int:
    """Distinct link targets in ``card``, ignoring query and fragment (swatches, anchors)."""
    if stats.links[card] <= _MAX_CARD_LINKS:
        return stats.links[card]
    targets = set()
    tag = stats.tag
    nodes = stats.nodes
    for i in range(card, stats.end[card] + 1):
        if tag[i] == "a":
            href = nodes[i].attributes.get("href") or ""
            targets.add(href.split("?", 1)[0].split("#", 1)[0].rstrip("/"))
    return len(targets)


def _in_prose_paragraph(chain: Chain, shown: frozenset[int]) -> bool:
    """Is the link in a ``p`` with ``_MIN_PARAGRAPH_PROSE`` characters of prose, few links?

    Measured by Lexbor on the paragraph alone, so it needs no page-level statistics.
    """
    if any(node.tag in _HIDDEN and node.mem_id not in shown for node in chain):
        return False
    for node in chain[1:]:
        tag = node.tag
        if tag in _BLOCK_TAGS:
            if tag != "p":
                return False
            total = len(node.text(deep=True, strip=True))
            if total < _MIN_PARAGRAPH_PROSE:
                return False
            linked = sum(len(a.text(deep=True, strip=True)) for a in node.css("a"))
            return total - linked >= _MIN_PARAGRAPH_PROSE and linked < _MAX_PARAGRAPH_LINKS * total
    return False


def crawler_view(tree: LexborHTMLParser) -> LexborNode | None:
    """The ``noscript`` element that holds the page for readers without JavaScript, if any.

    Some sites serve a script app whose visible page is empty without JavaScript and put
    the whole page for crawlers in a ``noscript`` in the ``body`` (Discourse forums do: the
    thread, its posts and their links). Such a ``noscript`` is what search engines and this
    crawler read, so it is read as page text, not skipped. It qualifies when it holds at
    least ``_MIN_VIEW_TEXT`` characters, half of the body's text and ``_MIN_VIEW_LINKS``
    links; an "enable JavaScript" notice or a tracking pixel does not.
    """
    body = tree.body
    if body is None:
        return None
    body_text = -1
    for node in body.css("noscript"):
        # Cheapest test first: most pages' noscript is a tracking pixel without links.
        if len(node.css(_LINK_CSS)) < _MIN_VIEW_LINKS:
            continue
        size = len(node.text(deep=True, strip=True))
        if size < _MIN_VIEW_TEXT:
            continue
        if body_text < 0:
            body_text = len(body.text(deep=True, strip=True))
        if size * 2 >= body_text:
            return node
    return None


_T = TypeVar("_T")


def _innermost_cached(chain: Chain, cache: Mapping[int, _T]) -> tuple[_T | None, int]:
    """(cached value, its index) of the innermost element of ``chain`` in ``cache``."""
    for i, node in enumerate(chain):
        hit = cache.get(node.mem_id)
        if hit is not None:
            return hit, i
    return None, len(chain)


class PlacementClassifier:
    """Placement of link elements of one parsed page, computed lazily and cached.

    ``classify(link)`` walks the link's ancestor chain: user rules and markup decide most
    boilerplate links (menus, footers, sidebars, comments) from that chain alone, with one
    cached state per distinct ancestor. The page-level text statistics (one pass over the
    DOM, ``_placement_density``) and the main-content block are computed only when a link's
    markup leaves its region open or calls it content, once per page; the product/teaser
    grid test runs only for links that density does not already call content. A page whose
    classified links all sit in marked-up boilerplate never pays for the density pass.
    """

    def __init__(
        self, tree: LexborHTMLParser, rules: Sequence[PlacementRule] = (), host: str = ""
    ) -> None:
        self.tree = tree
        self.rules = [r for r in rules if r.applies_to_host(host)]
        self._rule_ids: dict[int, frozenset[int]] = {}
        self._states: dict[int, _State] = {}
        # States resolved before the main block is known (used to choose it).
        self._early: dict[int, _State] = {}
        self._ancestry = Ancestry()
        self._stats: PageStats | None = None
        self._cards: frozenset[int] | None = None
        self._overruled = False
        self._signals: dict[int, tuple[str | None, bool]] = {}
        self._shown: frozenset[int] | None = None
        self._thread: bool | None = None
        self._prose: list[int] | None = None

    # -- public -------------------------------------------------------------------------

    def classify(self, link: LexborNode) -> Placement:
        """Placement of ``link`` (any element of the tree)."""
        chain = self._ancestry.chain(link)
        if not chain or chain[-1].tag != "html":
            # Not part of a document (a detached node): no context.
            return Placement(CONTENT, True, "")
        xpath = self._ancestry.xpath(chain)
        region: str | None = None
        if self.rules:
            region = self._rule_region(chain)
            if region is not None:
                return Placement(region, region == CONTENT, xpath)
        if self._stats is None:
            region = self._certain_region(chain)
        if region is None:
            region = self._state(chain, final=True)[0]
            if region == CONTENT and _in_prose_paragraph(chain, self.shown):
                # Markup says content and the link sits in a paragraph of prose: that is
                # enough, the whole-page density pass is not needed.
                return Placement(CONTENT, True, xpath)
            if region is None or region == CONTENT:
                stats = self.stats
                pos = stats.pos_of.get(link.mem_id)
                if pos is None:
                    # Inside an element a reader never sees (noscript, template, svg, select):
                    # not part of the text.
                    return Placement(SIDEBAR, False, xpath)
                region = _density_region(stats, pos, region == CONTENT)
                if region != CONTENT and self._in_card(pos):
                    region = CONTENT
        if region == COMMENTS and self.thread_page:
            # A thread's replies are its content: a link in a reply's text is content, the
            # poster's name, a "reply" or "quote" control stay in the comment.
            stats = self.stats
            pos = stats.pos_of.get(link.mem_id)
            if pos is not None and _reads_as_text(stats, pos):
                region = CONTENT
        return Placement(region, region == CONTENT, xpath)

    def position(self, link: LexborNode) -> str:
        """Where ``link`` sits in the main-content block: ``first-paragraph``,
        ``upper-half`` or ``lower-half`` (a page without a main block: of its body); "" when
        it is not inside that block. Costs the density pass if the page has not paid for it
        yet."""
        stats = self.stats
        pos = stats.pos_of.get(link.mem_id)
        main = stats.main
        if main < 0:  # too little text for a main block: the page's body is its text
            main = next((i for i, tag in enumerate(stats.tag[:8]) if tag == "body"), -1)
        if pos is None or main < 0 or not stats.contains(main, pos):
            return ""
        if self._prose is None:
            self._prose = prose_prefix(stats)
        return link_position(stats, self._prose, main, pos)

    @property
    def thread_page(self) -> bool:
        """Is the page a discussion thread, whose posts are its content?

        Yes when it says so in schema.org markup: a ``DiscussionForumPosting``, a ``QAPage``
        or a ``Question`` (whose replies are ``Comment`` or ``Answer`` items). Class names
        alone do not make a thread: tried on the corpus ("the best text block sits in a
        comments region"), that also turned blog comment sections into content.
        """
        if self._thread is None:
            self._thread = bool(self.tree.css(_THREAD_CSS))
        return self._thread

    @property
    def shown(self) -> frozenset[int]:
        """``mem_id`` of the page's crawler view (see :func:`crawler_view`), if it has one."""
        if self._shown is None:
            view = crawler_view(self.tree)
            self._shown = frozenset() if view is None else frozenset({view.mem_id})
        return self._shown

    @property
    def density_computed(self) -> bool:
        """Has this page paid for the density pass yet?"""
        return self._stats is not None

    @property
    def stats(self) -> PageStats:
        """Text statistics and the main block, computed on first use."""
        if self._stats is None:
            self._stats = page_stats(self.tree, self.shown)
            self._choose_main(self._stats)
        return self._stats

    # -- markup regions -----------------------------------------------------------------

    def _state(self, chain: Chain, final: bool) -> _State:
        """Resolved state of ``chain[0]``, from the innermost cached ancestor downwards."""
        cache = self._states if final else self._early
        hit, start = _innermost_cached(chain, cache)
        st: _State = _ROOT_STATE if hit is None else hit
        for j in range(start - 1, -1, -1):
            node = chain[j]
            st = self._combine(st, node, final)
            cache[node.mem_id] = st
        return st

    def _combine(
        self, parent: _State, node: LexborNode, final: bool, wrapper: bool | None = None
    ) -> _State:
        """State of ``node`` from its parent's state and its own signal (see module doc).

        ``wrapper`` answers "is this class-named region a page wrapper?" by assumption
        (see ``_certain_region``); None asks ``_is_wrapper``, which needs the density pass.
        """
        tag = node.tag or ""
        region, scoped = parent
        if tag in ("html", "body"):
            return parent
        sig, semantic = self._signal(node, tag)
        scoped = scoped or tag in _SCOPING_TAGS
        if sig is None:
            return region, scoped
        if region in _STRONG:
            if region == NAVIGATION and sig in (FOOTER, SIDEBAR, COMMENTS) and semantic:
                return sig, scoped
            return region, scoped
        if sig == HEADER and (region == CONTENT or scoped):
            # A header scoped to an article or section is that block's heading, not the banner.
            return region, scoped
        if sig == FOOTER and region == HEADER:
            return region, scoped
        # A class-named boilerplate region cannot hold most of the page's text: such a class
        # sits on a page wrapper ("site-header-wrap" around everything).
        if not semantic and sig != CONTENT and final:
            if wrapper is None:
                wrapper = self._is_wrapper(node)
            if wrapper:
                return region, scoped
        if region == HEADER and sig == CONTENT:
            return region, scoped
        return sig, scoped

    def _signal(self, node: LexborNode, tag: str) -> tuple[str | None, bool]:
        key = node.mem_id
        sig = self._signals.get(key)
        if sig is None:
            sig = self._signals[key] = _own_signal(node, tag)
        return sig

    def _certain_region(self, chain: Chain) -> str | None:
        """The link's boilerplate region when markup decides it whatever the wrapper tests say.

        Resolves the chain under both answers to every "is this class-named region a page
        wrapper?" question; when all outcomes agree on one boilerplate region (a ``nav``
        inside a class-named header is navigation either way) the density pass is not
        needed. Otherwise returns None and the caller resolves the chain for real.
        """
        states = {_ROOT_STATE}
        for node in reversed(chain):
            nxt: set[_State] = set()
            for st in states:
                nxt.add(self._combine(st, node, True, wrapper=True))
                nxt.add(self._combine(st, node, True, wrapper=False))
            states = nxt
            if len(states) > _MAX_BRANCHES:
                return None
        regions = {region for region, _ in states}
        if len(regions) == 1:
            (region,) = regions
            if region is not None and region != CONTENT:
                return region
        return None

    def _is_wrapper(self, node: LexborNode) -> bool:
        """Does ``node`` wrap the page: hold half of its text, and its main block if any?

        Around a main block chosen against class names (see ``_choose_main``) every
        class-named region is a wrapper, whatever its share of the text.
        """
        stats = self.stats
        pos = stats.pos_of.get(node.mem_id)
        if pos is None:
            return False
        if stats.main >= 0 and not stats.contains(pos, stats.main):
            return False
        return self._overruled or stats.text[pos] * 2 >= stats.text[0]

    def _only_named_boilerplate(self, node: LexborNode) -> bool:
        """Is ``node`` placed in boilerplate by class/id names only (not tags, roles, comments)?"""
        found = False
        for up in self._ancestry.chain(node):
            tag = up.tag or ""
            if tag in ("html", "body"):
                continue
            sig, semantic = _own_signal(up, tag)
            if sig is None or sig == CONTENT:
                continue
            if semantic or sig == COMMENTS:
                return False
            found = True
        return found

    def _rule_region(self, chain: Chain) -> str | None:
        ids = {n.mem_id for n in chain}
        for i, rule in enumerate(self.rules):
            if rule.selector:
                matched = self._rule_ids.get(i)
                if matched is None:
                    matched = frozenset(m.mem_id for m in self.tree.css(rule.selector))
                    self._rule_ids[i] = matched
                if ids.isdisjoint(matched):
                    continue
            if rule.contains:
                needle = rule.contains.lower()
                if not any(
                    needle in (n.attributes.get("class") or "").lower()
                    or needle in (n.attributes.get("id") or "").lower()
                    for n in chain
                ):
                    continue
            return rule.region
        return None

    # -- the main-content block ----------------------------------------------------------

    def _region_at(self, stats: PageStats, pos: int, final: bool) -> str | None:
        return self._state(self._ancestry.chain(stats.nodes[pos]), final)[0]

    def _choose_main(self, stats: PageStats) -> None:
        """The best density candidate that markup does not place in a boilerplate region.

        It then grows over its wrappers while what they add is text, not links: an article
        split into sections, a doc page whose intro sits beside its longest section.
        """
        for score, pos in stats.candidates:
            if self._region_at(stats, pos, False) in (None, CONTENT):
                stats.main, stats.main_score = pos, score
                break
        if stats.candidates:
            # A class name is weak evidence: when the page's best text block by far sits in a
            # region only a class calls boilerplate ("rich-text-newsletter"), the class is
            # wrong, not the text.
            top_score, top = stats.candidates[0]
            if (
                top != stats.main
                and top_score >= _OVERRULE * stats.main_score
                and self._only_named_boilerplate(stats.nodes[top])
            ):
                stats.main, stats.main_score = top, top_score
                self._overruled = True
        main = stats.main
        while main >= 0:
            up = stats.parent[main]
            if up < 0 or stats.tag[up] in ("body", "html"):
                break
            if self._region_at(stats, up, False) not in (None, CONTENT):
                break
            added = stats.text[up] - stats.text[main]
            if added and self._added_link_text(stats, up, main) > _GROW_LINK_SHARE * added:
                break
            main = up
        stats.main = main

    def _added_link_text(self, stats: PageStats, up: int, main: int) -> int:
        """Link text that growing ``main`` to its wrapper ``up`` would add.

        On a thread page (see :attr:`thread_page`), links that markup places in
        boilerplate inside the wrapper (a poster's ``signature``) are not the thread's
        text and do not stop the growth: without this, the signatures under the posts
        kept the main block to the first post, and every reply's link became
        ``sidebar``. On other pages the rule lost F1 on the corpora (articles' share
        boxes and promos), so it stays with threads.
        """
        added = stats.link_text[up] - stats.link_text[main]
        if not added or not self.thread_page:
            return added
        tag, link_text, end = stats.tag, stats.link_text, stats.end
        i, stop = up + 1, end[up]
        while i <= stop:
            if i == main:
                i = end[main] + 1
                continue
            if tag[i] == "a" and link_text[i]:
                if self._region_at(stats, i, False) not in (None, CONTENT):
                    added -= link_text[i]
                i = end[i] + 1
                continue
            i += 1
        return added

    # -- product / teaser grids ----------------------------------------------------------

    def _in_card(self, pos: int) -> bool:
        """Is the link inside a card of the page's product/teaser grid (see ``_find_cards``)?"""
        cards = self._cards
        if cards is None:
            cards = self._cards = self._find_cards()
        if not cards:
            return False
        parent = self.stats.parent
        cur = parent[pos]
        for _ in range(_CARD_DEPTH):
            if cur < 0:
                break
            if cur in cards:
                return True
            cur = parent[cur]
        return False

    def _find_cards(self) -> frozenset[int]:
        """Cards of link grids that outweigh the page's prose: the content of a listing.

        A card is one of at least ``_MIN_CARDS`` sibling elements with the same tag and first
        class that each link to a few places (1 to ``_MAX_CARD_LINKS`` distinct URLs, ignoring
        query and fragment: colour swatches of one product are one place), some text and some
        structure (an image, a title, a price): a product grid, a list of post teasers. A
        menu's items are single links and hold no structure; a mega-menu item holds many
        links. On an article a related-posts grid is smaller than the article's text, so a
        grid counts only when its cards hold at least as much text as the main block's prose,
        i.e. when the grid, not the prose, is what the page is about. The grid must not sit in
        a boilerplate region (markup: nav, header, footer, aside, comments).
        """
        stats = self.stats
        parent, links, text, end, tag = stats.parent, stats.links, stats.text, stats.end, stats.tag
        main = stats.main
        prose = text[main] - stats.link_text[main] if main >= 0 else 0
        kids: dict[int, list[int]] = {}
        for i, p in enumerate(parent):
            if p >= 0 and links[i]:
                kids.setdefault(p, []).append(i)
        cards: set[int] = set()
        inside: set[int] = set()
        nodes = stats.nodes
        for grid, children in kids.items():
            if len(children) < _MIN_CARDS:
                continue
            groups: dict[tuple[str, str], list[int]] = {}
            for c in children:
                cls = nodes[c].attributes.get("class") or ""
                groups.setdefault((tag[c], cls.split(" ", 1)[0]), []).append(c)
            for members in groups.values():
                if len(members) < _MIN_CARDS:
                    continue
                ok = [
                    c
                    for c in members
                    if end[c] - c >= 3
                    and text[c] >= 20
                    and _card_targets(stats, c) <= _MAX_CARD_LINKS
                ]
                if len(ok) < _MIN_CARDS or len(ok) < 0.7 * len(members):
                    continue
                # Cards are teasers: a title, a picture, a price, a line of text. Siblings
                # holding paragraphs of prose each are posts of a thread or comments, whose
                # bylines and permalinks are not part of the text.
                prose_each = sorted(text[c] - stats.link_text[c] for c in ok)
                if prose_each[len(prose_each) // 2] > _MAX_CARD_PROSE:
                    continue
                if sum(1 for c in ok if "img" in tag[c : end[c] + 1]) < 0.5 * len(ok):
                    continue
                if self._region_at(stats, grid, True) not in (None, CONTENT):
                    continue
                weight = sum(text[c] for c in ok)
                if weight >= prose:
                    cards.update(ok)
                elif main >= 0 and stats.contains(main, grid):
                    inside.update(ok)
        # Grids inside the main block add up (an awards page with one grid per year).
        if sum(text[c] for c in inside) >= prose:
            cards.update(inside)
        return frozenset(cards)


def classify_placements(
    tree: LexborHTMLParser,
    links: Sequence[LexborNode],
    *,
    host: str = "",
    rules: Sequence[PlacementRule] = (),
    positions: bool = False,
) -> list[Placement]:
    """Placement of each link element, in the order given.

    ``links`` are elements of ``tree`` (usually some of ``tree.css("a[href], area[href]")``).
    ``host`` selects host-scoped user rules; ``rules`` are tried first, in order. Work is done
    for the given links only (see :class:`PlacementClassifier`). ``positions``: fill the
    ``position`` of content links too (it needs the page's density pass).
    """
    if not links:
        return []
    clf = PlacementClassifier(tree, rules, host)
    placed = [clf.classify(link) for link in links]
    if not positions:
        return placed
    return [
        replace(p, position=clf.position(link)) if p.in_content else p
        for p, link in zip(placed, links, strict=True)
    ]
