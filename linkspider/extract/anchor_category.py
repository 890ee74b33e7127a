"""Anchor categories: what a link's anchor says about the target.

Decided in this order, first match wins (``anchor_rule`` names the rule that matched):

1. ``empty``: no text and no alt text;
2. ``image``: an image link (its alt text is the anchor);
3. ``url``: the anchor is a URL or a bare host name (``acme-boots.com``, ``bücher.de``);
4. ``compound``: a brand term and a keyword are both present;
5. ``branded``: a brand term is present;
6. ``exact``: the anchor equals a keyword (ignoring case, punctuation and extra spaces);
7. ``partial``: the anchor contains a keyword, or all of its words in any order, allowing
   simple plurals;
8. ``generic``: the anchor is a generic phrase ("click here", "hier klicken", "здесь"...),
   from the built-in multilingual list plus the target's own ``generic`` list;
9. ``other``.

Matching works on normalised text: case-folded, punctuation and symbols as spaces, runs
of spaces collapsed. Terms match on word boundaries, except in scripts written without
spaces (Chinese, Japanese, Thai...), where they match as substrings.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from linkspider.core.domains import has_public_suffix

CATEGORIES = ("empty", "image", "url", "compound", "branded", "exact", "partial", "generic",
              "other")  # fmt: skip

#: Generic anchors in English, German, French, Spanish, Italian, Portuguese, Dutch,
#: Russian, Polish, Japanese and Chinese. Compared after normalisation.
GENERIC_ANCHORS = frozenset(
    {
        # en
        "click here", "click", "here", "read more", "more", "learn more", "find out more",
        "more info", "more information", "this website", "this site", "website", "site",
        "this page", "this link", "link", "source", "via", "visit", "visit website",
        "visit site", "go", "go to website", "continue", "continue reading", "details",
        "view", "view more", "see more", "check it out", "this", "homepage", "home page",
        "official site", "official website", "download", "buy now", "shop now", "get started",
        "sign up", "register", "open", "article", "this article", "full article", "original",
        # de
        "hier", "hier klicken", "klicken sie hier", "mehr", "weiterlesen", "mehr lesen",
        "mehr erfahren", "mehr infos", "mehr informationen", "webseite", "website besuchen",
        "quelle", "zur website", "zur webseite", "diese seite", "details ansehen",
        # fr
        "ici", "cliquez ici", "cliquer ici", "en savoir plus", "lire la suite", "plus",
        "voir plus", "ce site", "site web", "lien", "visiter le site", "suite",
        # es
        "aquí", "aqui", "haga clic aquí", "haz clic aquí", "clic aquí", "click aquí",
        "leer más", "más", "mas", "más información", "ver más", "saber más", "este sitio",
        "sitio web", "fuente", "enlace", "visitar", "visitar sitio",
        # it
        "qui", "clicca qui", "leggi di più", "leggi tutto", "scopri di più", "di più",
        "altro", "questo sito", "sito web", "fonte", "collegamento", "visita il sito",
        # pt
        "clique aqui", "leia mais", "saiba mais", "mais", "ver mais", "este site",
        "visite o site", "acesse", "acesse aqui",
        # nl
        "klik hier", "lees meer", "meer", "meer informatie", "deze website", "bron",
        # ru
        "здесь", "тут", "нажмите здесь", "кликните здесь", "по ссылке", "ссылка",
        "подробнее", "читать далее", "читать дальше", "далее", "источник", "этот сайт",
        "сайт", "перейти", "перейти на сайт", "узнать больше", "еще", "ещё", "сюда",
        "нажмите сюда", "по этой ссылке", "на сайте", "официальный сайт",
        # pl
        "tutaj", "kliknij tutaj", "więcej", "czytaj więcej", "źródło", "ta strona",
        # ja
        "こちら", "ここ", "こちらをクリック", "ここをクリック", "詳細", "詳しくはこちら",
        "続きを読む", "もっと見る", "公式サイト", "サイト", "リンク", "出典", "ソース",
        "こちらから", "ここから", "詳細はこちら", "続きはこちら", "このサイト", "ホームページ",
        "公式ホームページ", "もっと読む",
        # zh
        "这里", "点击这里", "点击此处", "更多", "阅读更多", "了解更多", "详情", "来源",
        "官网", "链接",
    }
)  # fmt: skip

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$", re.IGNORECASE)
_URL_LIKE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\d?\.)?(?P<host>(?:[\w-]+\.)+[\w-]{2,})(?::\d+)?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Terms:
    """Normalised brand terms, keywords and extra generic anchors of one target."""

    brands: tuple[tuple[str, str], ...]  # (original, normalised)
    keywords: tuple[tuple[str, str], ...]
    generic: frozenset[str]


@dataclass(frozen=True)
class AnchorVerdict:
    category: str
    rule: str


#: ASCII letters and digits are the only ASCII characters that are not punctuation,
#: symbols, separators or controls: the fast path for ASCII text maps every other to space.
_ASCII_SPACES = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})


@lru_cache(maxsize=16384)
def normalise_text(text: str) -> str:
    """Case-folded text with punctuation and symbols turned into spaces, spaces collapsed."""
    if text.isascii():
        # NFKC leaves ASCII alone and casefold() is lower() on it.
        return " ".join(text.lower().translate(_ASCII_SPACES).split())
    out = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        kind = unicodedata.category(ch)
        out.append(" " if kind[0] in "PSZC" else ch)
    return " ".join("".join(out).split())


#: Scripts written without spaces between words: kana, CJK ideographs, Thai, and Hangul
#: syllables (spaced, but compounds run on).
_SPACELESS = re.compile("[\u3040-\u30ff\u3400-\u9fff\u0e00-\u0e7f\uac00-\ud7af]")


def _spaceless(text: str) -> bool:
    """True if the text uses a script written without spaces between words."""
    return not text.isascii() and _SPACELESS.search(text) is not None


def _contains(haystack: str, needle: str) -> bool:
    if not needle:
        return False
    if _spaceless(needle):
        return needle in haystack
    return f" {needle} " in f" {haystack} "


def _stem(word: str) -> str:
    """A deliberately simple plural folding: boots -> boot, boxes -> box, glasses -> glass."""
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxzh":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _all_words(have: frozenset[str], needle: str) -> bool:
    """Every word of ``needle`` is in ``have`` (the anchor's words, plurals folded): "boot
    for hiking" has "hiking boots", "best boots" has "boot"."""
    words = needle.split()
    if not words or _spaceless(needle):
        return False
    return all(_stem(w) in have for w in words)


@lru_cache(maxsize=1024)
def build_terms(
    domain: str, brand: tuple[str, ...], keywords: tuple[str, ...], generic: tuple[str, ...]
) -> Terms:
    """Normalise a target's terms; with no brand given, derive it from the domain label.

    ``acme-boots.com`` gives the brand terms "acme boots" and "acmeboots" (so that
    "Acme-Boots", "acme boots" and "AcmeBoots" all count).
    """
    brands = [(b, normalise_text(b)) for b in brand]
    if not brands:
        label = _domain_label(domain)
        if label:
            spaced = normalise_text(label.replace("-", " "))
            brands = [(label, spaced)]
            if " " in spaced:
                brands.append((label.replace("-", ""), spaced.replace(" ", "")))
    extra = []
    for _original, norm in brands:
        if " " in norm:
            extra.append((_original, norm.replace(" ", "")))  # "AcmeBoots", "acme-boots"
    seen: dict[str, str] = {}
    for original, norm in [*brands, *extra]:
        if norm:
            seen.setdefault(norm, original)
    kw = sorted(((k, normalise_text(k)) for k in keywords if normalise_text(k)),
                key=lambda pair: -len(pair[1]))  # fmt: skip
    return Terms(
        brands=tuple(sorted(((o, n) for n, o in seen.items()), key=lambda p: -len(p[1]))),
        keywords=tuple(kw),
        generic=frozenset(normalise_text(g) for g in generic),
    )


def _domain_label(domain: str) -> str:
    from linkspider.core.domains import registrable_domain

    registrable = registrable_domain(domain)
    label = registrable.split(".", 1)[0]
    if label.startswith("xn--"):
        with contextlib.suppress(UnicodeError):
            label = label.encode("ascii").decode("idna")
    return label


#: Quotes, brackets and sentence punctuation an anchor may wrap a URL in ("acme.com.").
_URL_WRAPPING = "<>\"'()[]{}\u201c\u201d\u2018\u2019\u00ab\u00bb"
_URL_TRAILING = ".,;:!?"


def is_url_like(text: str) -> bool:
    """True for anchors that are a URL or a bare host name with a public suffix.

    Quotes, brackets and trailing sentence punctuation around it do not count
    (``(acme-boots.com).``); with a scheme, any host is a URL (``http://192.0.2.1/``).
    """
    stripped = text.strip().strip(_URL_WRAPPING).rstrip(_URL_TRAILING).strip(_URL_WRAPPING)
    if not stripped or any(ch.isspace() for ch in stripped):
        return False
    scheme, sep, rest = stripped.partition("://")
    if sep and _SCHEME.match(scheme) and rest and rest[0] not in "/?#":
        return True
    match = _URL_LIKE.match(stripped)
    if match is None:
        return False
    return has_public_suffix(match.group("host").lower())


@lru_cache(maxsize=8192)
def classify_anchor(text: str, link_type: str, image_alt: str, terms: Terms) -> AnchorVerdict:
    """Category and deciding rule for one link's anchor.

    Cached: a site repeats its anchors from page to page (menus, footers, sitewide links).
    """
    if not text and not image_alt:
        return AnchorVerdict("empty", "empty")
    if link_type == "image":
        return AnchorVerdict("image", "image")
    if is_url_like(text):
        return AnchorVerdict("url", "url")
    norm = normalise_text(text)
    brand = next((o for o, n in terms.brands if _contains(norm, n)), None)
    have = frozenset(_stem(w) for w in norm.split())
    keyword = next(
        (o for o, n in terms.keywords if _contains(norm, n) or _all_words(have, n)), None
    )
    if brand is not None and keyword is not None:
        return AnchorVerdict("compound", f"brand:{brand}+keyword:{keyword}")
    if brand is not None:
        return AnchorVerdict("branded", f"brand:{brand}")
    exact = next((o for o, n in terms.keywords if n == norm), None)
    if exact is not None:
        return AnchorVerdict("exact", f"keyword:{exact}")
    if keyword is not None:
        return AnchorVerdict("partial", f"keyword:{keyword}")
    if norm in GENERIC_ANCHORS or norm in terms.generic:
        return AnchorVerdict("generic", f"generic:{norm}")
    return AnchorVerdict("other", "other")
