"""Does a page's raw HTML look client-rendered? The ``render=auto`` heuristic.

Rendering costs a browser page (tens to hundreds of milliseconds and some memory), so
``auto`` renders only pages whose raw HTML shows that scripts build what a reader sees.
A page with no executable ``<script>`` is never rendered: nothing can change it. Otherwise
any one of these signals renders it (names as in ``pages.csv``, column ``render_reason``):

* ``noscript-enable-js``: a ``<noscript>`` in the body asks the reader to enable
  JavaScript ("enable JavaScript", "JavaScript is required", ...; several languages).
* ``empty-app-root``: an application mount point (``#root``, ``#app``, ``#__next``,
  ``#__nuxt``, ``#___gatsby``, ``<app-root>``, ``[ng-app]``, ``[data-reactroot]``...)
  that holds no element and at most a short "Loading..." text.
* ``framework-bundle``: a script of a client-side framework or bundler (React, Vue,
  Angular, Svelte, Ember, ``/_next/``, ``/_nuxt/``, ``main.<hash>.js``,
  ``chunk-vendors``...) on a page with fewer than :data:`FEW_LINKS` links.
* ``little-text``: fewer than :data:`LITTLE_TEXT` characters of visible body text and
  fewer than :data:`FEW_LINKS` links, with scripts on the page.
* ``empty-widget``: an empty container of a known link widget (comments: Disqus, giscus,
  utterances, Commento, Hyvor, remark42, Cusdis, Isso, Facebook) or an element marked
  ``data-lazy-links``/``data-widget`` with no content.

Server-rendered pages with scripts (WordPress with jQuery and analytics, Next.js pages
rendered on the server, documentation sites) have text and links, so none of the
signals fires: a crawl of mostly static sites stays as fast as ``render=off``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from linkspider.extract.anchors import collapse
from linkspider.extract.html import decode_html

LITTLE_TEXT = 200
FEW_LINKS = 5
LOADING_TEXT = 40  # "Loading...", "Please wait" inside an otherwise empty app root
NOSCRIPT_MAX_TEXT = 1500  # a page with more text does not need scripts to be read

APP_ROOT_SELECTOR = ", ".join(
    (
        "#root", "#app", "#__next", "#__nuxt", "#___gatsby", "#svelte", "#react-root",
        "#app-root", "#main-app", "#application", "#vue-app", "#ember-app", "app-root",
        "[ng-app]", "[data-ng-app]", "[ng-version]", "[data-reactroot]", "[data-v-app]",
        "[data-app-root]",
    )
)  # fmt: skip
#: Comment widgets that write their links into the page itself, and containers marked for
#: lazy links. Widgets in an iframe (Disqus, Facebook comments, giscus, utterances) are
#: left out: the page's rendered DOM does not hold an iframe's links. So are ad
#: recommendation boxes (Outbrain, Taboola): paid, not placed by the page's author.
WIDGET_SELECTOR = "#commento, #isso-thread, [data-lazy-links]"
_BUNDLE = re.compile(
    r"(?:^|[/._-])(?:react(?:-dom)?|vue(?:\.runtime)?|angular|svelte|ember|preact|backbone"
    r"|polyfills|runtime|main|app|bundle|vendors?|chunk-vendors|webpack)(?:[.-][\w.-]*)?\.m?js"
    r"|/_next/static/|/_nuxt/|/static/js/|/assets/index-[\w-]+\.js",
    re.IGNORECASE,
)
_JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module",
                       "text/ecmascript", "application/ecmascript"})  # fmt: skip
_NOSCRIPT_JS = re.compile(r"java\s*script|\bjs\b", re.IGNORECASE)
_NOSCRIPT_ASK = re.compile(
    r"enabl|requir|need|turn\s*on|switch\s*on|activat|allow|support|must"
    r"|aktivier|activer|activez|habilit|attiv|włącz|wlacz|включ|ative|inschakel|有効|启用|開啟",
    re.IGNORECASE,
)
#: Pre-checks on the lower-cased bytes, so that most pages are never parsed here: an
#: app root (by id, attribute or tag) on an element closed right away, with at most a
#: short text inside; a widget marker; a <noscript> mentioning JavaScript
#: (_noscript_mentions_js); few link tags (_few_link_tags). Each search is a regular
#: expression that starts with a literal ("id", "data-", "ng-", "<app-root"), which ``re``
#: finds at ``bytes.find`` speed: one search per literal instead of one per marker halves
#: the check's cost on ~100 KB pages (benchmarks/results/extraction_cost.md).
_EMPTY_AFTER = rb"\b[^>]*>\s*(?:<!--[^>]*-->\s*)*[^<]{0,%d}</" % LOADING_TEXT
_MARKERS = (
    # Root ids, and the ids of the widgets (WIDGET_SELECTOR) checked on the tree below.
    re.compile(
        rb"id\s*=\s*[\"']?(?:(?:root|app|__next|__nuxt|___gatsby|svelte|react-root|app-root"
        rb"|main-app|application|vue-app|ember-app)" + _EMPTY_AFTER + rb"|commento|isso-thread)"
    ),
    re.compile(rb"data-(?:lazy-links|(?:reactroot|v-app|app-root)" + _EMPTY_AFTER + rb")"),
    re.compile(rb"ng-(?:app|version)" + _EMPTY_AFTER),
    re.compile(rb"<app-root" + _EMPTY_AFTER),
)
_LINK_TAG = re.compile(rb"<a(?:rea)?\s[^>]*?\bhref\b")
_INVISIBLE = ("script", "style", "noscript", "template", "svg")


@dataclass(frozen=True)
class RenderSignals:
    """Why a page looks client-rendered (``reasons`` empty: it does not)."""

    reasons: tuple[str, ...]
    scripts: int
    text_length: int
    links: int

    @property
    def render(self) -> bool:
        return bool(self.reasons)


NOT_CLIENT_RENDERED = RenderSignals((), 0, 0, 0)


def client_rendered(
    body: bytes, content_type: str | None = None, max_bytes: int | None = None
) -> RenderSignals:
    """The signals of the raw HTML ``body`` (see the module).

    Cheap for most pages: the bytes are searched first, and the page is parsed only when
    a signal is possible (a script, and a marker or fewer than ~2x :data:`FEW_LINKS` link
    tags).
    """
    if max_bytes is not None and 0 < max_bytes < len(body):
        body = body[:max_bytes]
    lower = body.lower()
    if b"<script" not in lower:
        return NOT_CLIENT_RENDERED
    if not (
        _few_link_tags(lower)
        or any(marker.search(lower) for marker in _MARKERS)
        or _noscript_mentions_js(lower)
    ):
        return NOT_CLIENT_RENDERED
    tree = LexborHTMLParser(decode_html(body, content_type)[0])
    scripts = [s for s in tree.css("script") if _executable(s)]
    if not scripts:
        return NOT_CLIENT_RENDERED
    root = tree.body
    if root is None:
        return RenderSignals(("little-text",), len(scripts), 0, 0)
    links = len(root.css("a[href], area[href]"))
    asks = any(_asks_for_javascript(n) for n in root.css("noscript"))
    reasons: list[str] = []
    if any(_empty(n) for n in tree.css(APP_ROOT_SELECTOR)):
        reasons.append("empty-app-root")
    if links < FEW_LINKS and any(_BUNDLE.search(s.attributes.get("src") or "") for s in scripts):
        reasons.append("framework-bundle")
    if any(_empty(n, loading_text=0) for n in root.css(WIDGET_SELECTOR)):
        reasons.append("empty-widget")
    text_length = _visible_text_length(tree, root)  # last: it removes scripts
    if asks and (text_length < NOSCRIPT_MAX_TEXT or links < FEW_LINKS):
        reasons.insert(0, "noscript-enable-js")
    if text_length < LITTLE_TEXT and links < FEW_LINKS:
        reasons.append("little-text")
    return RenderSignals(tuple(reasons), len(scripts), text_length, links)


def _noscript_mentions_js(lower: bytes) -> bool:
    start = lower.find(b"<noscript")
    while start != -1:
        end = lower.find(b"</noscript", start)
        chunk = lower[start : end if end != -1 else start + 2000]
        if b"javascript" in chunk or b"java script" in chunk:
            return True
        start = lower.find(b"<noscript", start + 9)
    return False


def _few_link_tags(lower: bytes) -> bool:
    """Fewer than ``2 * FEW_LINKS`` ``<a ... href`` / ``<area ... href`` tags in the bytes."""
    tags = _LINK_TAG.finditer(lower)
    return all(count < 2 * FEW_LINKS for count, _ in enumerate(tags, start=1))


def _executable(script: LexborNode) -> bool:
    kind = (script.attributes.get("type") or "").strip().lower()
    if kind not in _JS_TYPES:
        return False  # JSON data, templates, ld+json
    return bool(script.attributes.get("src")) or bool((script.text() or "").strip())


def _asks_for_javascript(noscript: LexborNode) -> bool:
    # Lexbor parses <noscript> content as markup (scripting off); tags inside are dropped.
    text = collapse(noscript.text(deep=True) or "")
    return bool(_NOSCRIPT_JS.search(text) and _NOSCRIPT_ASK.search(text))


def _empty(node: LexborNode, loading_text: int = LOADING_TEXT) -> bool:
    """No child element (comments and whitespace aside) and at most a short text."""
    child = node.child
    while child is not None:
        if child.tag not in ("-text", "-comment", "script", "noscript", "template"):
            return False
        child = child.next
    text = collapse(node.text(deep=False) or "")
    return len(text) <= loading_text


def _visible_text_length(tree: LexborHTMLParser, body: LexborNode) -> int:
    """Characters of body text a reader sees (whitespace collapsed); edits ``tree``."""
    tree.strip_tags(list(_INVISIBLE))
    return len(collapse(body.text(deep=True, separator=" ") or ""))
