"""What one element says about its own page region (HTML5 tag, ARIA role, class/id names).

A *signal* is the region an element announces by itself, before nesting is taken into account
(``placement.py`` resolves nesting). The same page region is spelled in three ways on real
pages, so each is read:

* HTML5 sectioning tags: ``header``, ``nav``, ``main``, ``article``, ``aside``, ``footer``
  (and the obsolete ``menu``).
* ARIA landmark roles: ``banner``, ``navigation``, ``main``, ``complementary``,
  ``contentinfo`` (plus ``menu``/``menubar``, ``article``).
* Class and id conventions of themes and frameworks: WordPress (``site-header``,
  ``main-navigation``, ``entry-content``, ``widget-area``, ``comments-area``, ``site-footer``),
  Bootstrap (``navbar``, ``sidebar``, ``footer``) and the generic words (``comment``,
  ``breadcrumb``, ``menu``, ``widget``).

Class names are matched one class (or the id) at a time on word boundaries, never as raw
substrings of the whole attribute: ``canvas`` is not ``nav`` and ``elementor-widget`` (a page
builder wrapper around *everything*, including article text) is not a sidebar widget. A few
patterns say that a word is a modifier rather than a region (``has-sidebar``, ``no-footer``,
``sidebar-open``) and are ignored, because such classes sit on wrappers around the whole page.
Header and footer words qualified by a component (``entry-header``, ``card-footer``,
``comment-header``) describe the inside of a block, not the page, and are ignored too.
"""

from __future__ import annotations

import re
from typing import Final

# Signal values. CONTENT is the main-content hint; the others are the boilerplate regions.
CONTENT: Final = "content"
NAVIGATION: Final = "navigation"
HEADER: Final = "header"
FOOTER: Final = "footer"
SIDEBAR: Final = "sidebar"
COMMENTS: Final = "comments"

TAG_SIGNALS: Final[dict[str, str]] = {
    "header": HEADER,
    "footer": FOOTER,
    "nav": NAVIGATION,
    "menu": NAVIGATION,
    "aside": SIDEBAR,
    "main": CONTENT,
    "article": CONTENT,
}

ROLE_SIGNALS: Final[dict[str, str]] = {
    "banner": HEADER,
    "navigation": NAVIGATION,
    "menu": NAVIGATION,
    "menubar": NAVIGATION,
    "contentinfo": FOOTER,
    "complementary": SIDEBAR,
    "main": CONTENT,
    "article": CONTENT,
    # Dialogs (cookie banners, log-in pop-ups) lie over the page; not its text.
    "dialog": SIDEBAR,
    "alertdialog": SIDEBAR,
}

# A word that makes a class a modifier of some other element ("has-sidebar", "no-footer",
# "sidebar-open", "header-sticky") rather than the name of a region.
_MODIFIER = re.compile(
    r"(?:^|[-_])(?:has|no|with|without|show|hide|hidden|is|toggle|open|close|disable[ds]?|"
    r"enable[ds]?|sticky|fixed|transparent|overlay|collapsed?|expanded?|active|icon|btn|button|"
    r"toggler|link|text|title|logo|count|number|spacer|height|width|bg|color|template|layout)"
    r"(?:$|[-_])"
)
# Component words: a header/footer of one of these is part of that block, not of the page.
_COMPONENT = re.compile(
    r"(?:entry|post|article|card|panel|modal|dialog|section|widget|comment|block|box|content|"
    r"item|story|product|table|tab|list|media|review|author|blog|module|teaser|hero|feature|"
    r"accordion|popup|drawer|offcanvas|mobile|search|cart|form|chat|cookie|consent|gdpr|"
    r"notice|banner-ad|promo|elementor-widget|wp-block)"
)

_COMMENT_RE = re.compile(
    r"(?:^|[-_])(?:comments?|commentlist|comment-?list|comments?-?area|disqus[a-z_-]*|"
    r"respond|replies)(?:$|[-_])|^comment|^disqus"
)
_COMMENT_NOT = re.compile(r"comments?-(?:count|link|number|num|icon|meta-link)|nocomments")
_NAV_RE = re.compile(
    r"(?:^|[-_])(?:nav|navs|navbar|navigation|navmenu|menu|menus|menubar|megamenu|mega-menu|"
    r"submenu|sub-menu|breadcrumbs?|breadcrumb-?trail|pagination|pager|paging|topnav|subnav|"
    r"sidenav|mainnav|primary-?nav|primary-?menu|main-?menu|footer-?nav|skip-?links?)(?:$|[-_])"
    r"|^(?:nav|menu|breadcrumb)"
    r"|(?:nav|menu|navigation|breadcrumbs?)$"
)
_NAV_NOT = re.compile(r"canvas|navy|menu-?item-?(?:has|type|object)|^menu-?item|navbar-brand")
_HEADER_RE = re.compile(
    r"(?:^|[-_])(?:header|site-?header|page-?header|global-?header|masthead|top-?bar|"
    r"header-?wrap(?:per)?|headerbar)(?:$|[-_])|^header|header$|masthead"
)
_FOOTER_RE = re.compile(
    r"(?:^|[-_])(?:footer|site-?footer|page-?footer|global-?footer|colophon|bottom-?bar|"
    r"footer-?wrap(?:per)?)(?:$|[-_])|^footer|footer$|colophon"
)
_SIDEBAR_RE = re.compile(
    r"(?:^|[-_])(?:sidebar|side-?bar|sidebars|widget-?area|widgets|secondary|right-?rail|"
    r"left-?rail|rail|right-?col(?:umn)?|left-?col(?:umn)?)(?:$|[-_])|sidebar$|^sidebar"
    r"|^widget(?:$|[-_])"
)
_CONTENT_RE = re.compile(
    r"^(?:entry-?content|post-?content|article-?content|article-?body|post-?body|"
    r"story-?body|entry-?body|main-?content|page-?content|content-?body|article-?text|"
    r"post-?entry|blog-?post|single-?post|hentry|content|main|article|story)$"
)

# Blocks that sit beside the text they accompany, even when nested inside the article:
# related/recommended stories, share and follow buttons, newsletter sign-ups, promos, author
# boxes and forum signatures. ARIA calls such supporting content "complementary"; it is the
# ``sidebar`` region here. Matched as whole words of a class name or id.
_COMPLEMENTARY_WORDS: Final = frozenset(
    {
        "related",
        "relatedposts",
        "recirc",
        "recirculation",
        "share",
        "shares",
        "sharing",
        "sharedaddy",
        "sharethis",
        "addthis",
        "social",
        "socials",
        "newsletter",
        "subscribe",
        "subscription",
        "signup",
        "promo",
        "promos",
        "promotion",
        "trending",
        "popular",
        "recommended",
        "recommendations",
        "recommendation",
        "mostread",
        "most-read",
        "read-next",
        "readnext",
        "more-stories",
        "yarpp",
        "sponsored",
        "sponsor",
        "advert",
        "advertisement",
        "ads",
        "signature",
        "author-bio",
        "author-box",
        "authorbox",
        "about-author",
        "author-info",
        "user-info",
        "userinfo",
        "postprofile",
        "message-user",
        "reactions",
        "reactionsbar",
        # Forum post furniture: the poster's panel and statistics, the post's byline.
        "post-author",
        "postauthor",
        "author-pane",
        "authorpane",
        "author-statistics",
        "message-attribution",
        "announcement",
        "announcements",
        # Cookie/consent banners (generic words and the common consent platforms), modal
        # dialogs and log-in prompts lie over the page; they are not its text.
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "onetrust",
        "cookiebot",
        "didomi",
        "axeptio",
        "usercentrics",
        "cmplz",
        "modal",
        "popup",
        "login",
        "signin",
        "sign-in",
    }
)
# Link lists that lead elsewhere in the site from inside an article: taxonomy, bylines,
# previous/next. They are ``navigation`` (a reader does not read them as the text).
_NAVIGATION_WORDS: Final = frozenset(
    {
        "tags",
        "tag-list",
        "taglist",
        "tagcloud",
        "tag-cloud",
        "post-tags",
        "keywords",
        "categories",
        "category-links",
        "cat-links",
        "tags-links",
        "byline",
        "bylines",
        "post-navigation",
        "nav-links",
        "next-prev",
        "prev-next",
        "post-nav",
        "postnav",
        "entry-meta",
        "post-meta",
        "article-meta",
        "pagination",
    }
)
# Words a link or button carries for what it opens, not for where it sits
# (``a.popup-iframe`` in a paragraph, ``button.login-toggle`` in a header).
TRIGGER_WORDS: Final = frozenset({"modal", "popup", "login", "signin", "sign-in"})
# Layout names of a wrapper around both columns: "content-sidebar", "content-with-sidebar".
_LAYOUT = re.compile(r"content[-_](?:\w+[-_])?sidebar")
_WORD_SPLIT = re.compile(r"[\s_]+|(?<=[a-z0-9])-(?=[a-z0-9])")


def _word_signal(n: str) -> str | None:
    """Complementary/navigation words, also as ``a-b`` pairs (``author-box``)."""
    words = [w for w in _WORD_SPLIT.split(n) if w]
    for i, w in enumerate(words):
        pair = w + "-" + words[i + 1] if i + 1 < len(words) else ""
        if w in _NAVIGATION_WORDS or pair in _NAVIGATION_WORDS:
            return NAVIGATION
        if w in _COMPLEMENTARY_WORDS or pair in _COMPLEMENTARY_WORDS:
            return SIDEBAR
    return None


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _normalise(name: str) -> str:
    """``mainNavigation`` -> ``main-navigation``; lower case."""
    return _CAMEL.sub("-", name).lower()


def name_signal(name: str) -> str | None:
    """The region one class name or id announces, or None.

    Order matters: comments first (a ``comment-header`` is part of a comment), then footer and
    sidebar (a ``footer-menu`` or ``sidebar-nav`` belongs to them, as a reader sees it), then
    navigation (a ``header-menu`` is the primary menu), then header, then content hints.
    """
    n = _normalise(name)
    if len(n) < 3:
        return None
    if _COMMENT_RE.search(n) and not _COMMENT_NOT.search(n):
        return COMMENTS
    word = _word_signal(n)
    if word is not None:
        return word
    if _MODIFIER.search(n) or _LAYOUT.search(n):
        return None
    if _FOOTER_RE.search(n) and not _COMPONENT.search(n):
        return FOOTER
    if _SIDEBAR_RE.search(n) and "elementor" not in n:
        return SIDEBAR
    if _NAV_RE.search(n) and not _NAV_NOT.search(n):
        return NAVIGATION
    if _HEADER_RE.search(n) and not _COMPONENT.search(n):
        return HEADER
    if _CONTENT_RE.match(n):
        return CONTENT
    return None


_name_cache: dict[str, str | None] = {}

# When one element carries several region words (class="footer-menu widget"), the more
# specific boilerplate region wins over navigation and content hints.
_NAME_PRIORITY: Final[dict[str, int]] = {
    COMMENTS: 6,
    FOOTER: 5,
    SIDEBAR: 4,
    HEADER: 3,
    NAVIGATION: 2,
    CONTENT: 1,
}


def attrs_signal(
    class_attr: str | None, id_attr: str | None, *, control: bool = False
) -> str | None:
    """The region announced by an element's class list and id (highest priority wins).

    ``control`` is for links and buttons: names with a trigger word (``popup-link``) say
    what the control opens and are ignored.
    """
    best: str | None = None
    best_rank = 0
    names: list[str] = class_attr.split() if class_attr else []
    if id_attr:
        names.append(id_attr)
    for name in names:
        if control and any(w in name.lower() for w in TRIGGER_WORDS):
            continue
        sig = _name_cache.get(name, "")
        if sig == "":
            sig = name_signal(name)
            if len(_name_cache) < 50_000:
                _name_cache[name] = sig
        if sig is not None and _NAME_PRIORITY[sig] > best_rank:
            best, best_rank = sig, _NAME_PRIORITY[sig]
    return best
