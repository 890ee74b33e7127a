"""URL resolution and normalisation for hrefs found on pages.

Resolution follows the WHATWG URL standard (what browsers do) through ``ada_url``;
Python's ``urljoin`` disagrees with browsers on about 2% of real hrefs (empty paths,
whitespace, non-ASCII, percent-encoding), see ``docs/parsers.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import unquote_plus

import ada_url

#: Query parameters that only track campaigns or clicks; dropped from ``target_url``.
TRACKING_PARAMS = frozenset(
    {
        "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_eid", "mc_cid", "_hsenc", "_hsmi",
        "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv",
        "_ga", "_gl", "spm", "ncid", "cmpid", "s_kwcid", "ef_id", "srsltid", "rb_clickid",
    }
)  # fmt: skip
#: Any parameter starting with one of these is tracking too (``utm_source``, ``pk_campaign``...).
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "matomo_", "hsa_")

_WEB_SCHEMES = ("http:", "https:")


def resolve_href(href: str, base: str) -> str | None:
    """Resolve ``href`` against ``base`` like a browser; ``None`` if it is not a web link.

    ``javascript:``, ``mailto:``, ``tel:``, ``data:`` and every other non-http(s) scheme,
    and hrefs a browser could not parse, give ``None``.
    """
    try:
        url: str = ada_url.join_url(base, href)
    except ValueError:
        return None
    if not url.startswith(_WEB_SCHEMES):
        return None
    return url


#: hrefs that a base URL cannot change (an http(s) scheme followed by ``//``).
_ABSOLUTE = ("http://", "https://")


def resolve_link(href: str, base: str) -> tuple[str, str] | None:
    """``(url, host)`` of :func:`resolve_href`, cached.

    Pages repeat their hrefs (menus, footers, share buttons) and sites repeat them from page
    to page: absolute hrefs are cached whatever the base, path-absolute ones (``/about``,
    most links of a site) per site root, since they keep only the base's scheme, user, host
    and port; other relative ones per base.
    """
    if href.startswith(_ABSOLUTE):
        return _resolve_absolute(href)
    if href[:1] == "/" and href[1:2] not in _NETWORK_PATH:
        root = _site_root(base)
        if root is not None:
            return _resolve_relative(href, root)
    return _resolve_relative(href, base)


def resolve_links(
    hrefs: Sequence[str], indices: Sequence[int], base: str
) -> list[tuple[str, str] | None]:
    """:func:`resolve_link` of ``hrefs[i]`` for each ``i`` of ``indices`` (one page's links:
    the site root is looked up once, the caches are called without a Python call between)."""
    root = _site_root(base) or base
    absolute, relative = _resolve_absolute, _resolve_relative
    resolved: list[tuple[str, str] | None] = []
    for index in indices:
        href = hrefs[index]
        if href.startswith(_ABSOLUTE):
            resolved.append(absolute(href))
        elif href[:1] == "/" and href[1:2] not in _NETWORK_PATH:
            resolved.append(relative(href, root))
        else:
            resolved.append(relative(href, base))
    return resolved


#: The second character of an href starting with ``/`` that may make it a network-path
#: reference (``//host``): a slash, a backslash (a slash in http(s) URLs), or a tab or
#: newline the parser removes (``/\t/host``).
_NETWORK_PATH = frozenset({"/", "\\", "\t", "\n", "\r"})


@lru_cache(maxsize=1024)
def _site_root(base: str) -> str | None:
    """``http://user@host:port/`` of an http(s) ``base`` (what a path-absolute href keeps)."""
    return resolve_href("/", base)


@lru_cache(maxsize=16384)
def _resolve_absolute(href: str) -> tuple[str, str] | None:
    return _with_host(resolve_href(href, "http://a.invalid/"))


@lru_cache(maxsize=8192)
def _resolve_relative(href: str, base: str) -> tuple[str, str] | None:
    return _with_host(resolve_href(href, base))


def _with_host(url: str | None) -> tuple[str, str] | None:
    return None if url is None else (url, split_host(url))


def split_host(url: str) -> str:
    """Host of an absolute URL as produced by :func:`resolve_href` (already canonical).

    Canonical WHATWG output lets this be plain string slicing, several times faster than
    parsing again. IPv6 hosts keep their brackets.
    """
    start, end = _authority_span(url)
    authority = url[start:end]
    at = authority.rfind("@")
    if at != -1:
        authority = authority[at + 1 :]
    if authority.startswith("["):
        return authority[: authority.index("]") + 1]
    colon = authority.find(":")
    host = authority if colon == -1 else authority[:colon]
    # ``acme.com.`` (fully qualified, trailing dot) is the host ``acme.com``.
    return host.rstrip(".") if host.endswith(".") else host


def _authority_span(url: str) -> tuple[int, int]:
    """Where the authority (``user:pw@host:port``) of an absolute URL starts and ends."""
    start = url.index("://") + 3
    end = len(url)
    for sep in "/?#":
        pos = url.find(sep, start)
        if pos != -1 and pos < end:
            end = pos
    return start, end


def is_tracking_param(name: str) -> bool:
    """True for click/campaign tracking parameters (case-insensitive)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """Canonical form of an absolute, already resolved URL for ``target_url``.

    Lower-case scheme and host, punycode IDN hosts and no default port come from the
    WHATWG parse; here the fragment, tracking parameters, user name and password
    (``user:pw@``) and a fully qualified host's trailing dot (``acme.com.``) are dropped.
    Path case, the other parameters and their order are kept: they can address different
    pages.
    """
    hash_pos = url.find("#")
    if hash_pos != -1:
        url = url[:hash_pos]
    url = _plain_authority(url)
    query_pos = url.find("?")
    if query_pos == -1:
        return url
    query = url[query_pos + 1 :]
    kept = [part for part in query.split("&") if part and not is_tracking_param(_param_name(part))]
    base = url[:query_pos]
    return f"{base}?{'&'.join(kept)}" if kept else base


def _plain_authority(url: str) -> str:
    """``url`` without userinfo and without the trailing dot of its host name."""
    if "://" not in url:
        return url
    start, end = _authority_span(url)
    authority = url[start:end]
    at = authority.rfind("@")
    if at != -1:
        authority = authority[at + 1 :]
    elif not authority.endswith(".") and ".:" not in authority:
        return url  # the usual case: nothing to drop
    if not authority.startswith("["):
        host, colon, port = authority.partition(":")
        authority = host.rstrip(".") + colon + port
    return url[:start] + authority + url[end:]


def _param_name(part: str) -> str:
    name = part.split("=", 1)[0]
    if "%" in name or "+" in name:
        name = unquote_plus(name)
    return name


def canonical_host(host: str) -> str:
    """Lower-case punycode form of a host name written in Unicode or ASCII; '' if invalid."""
    host = host.strip().rstrip(".")
    if not host or any(ch in host for ch in "/?#@\\ \t") or ".." in host:
        return ""
    try:
        return str(ada_url.URL(f"http://{host}").hostname)
    except ValueError:
        return ""


#: Query parameters that carry a session id: every visit gets new URLs for the same pages.
SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sessionid", "session_id", "sessid", "cfid", "cftoken",
     "oscsid", "zenid", "xtcsid", "wtsid", "cid_session"}
)  # fmt: skip
#: Short names that are session ids only when the value looks like one (``?s=`` is also
#: WordPress search, ``?sid=`` a station id).
_TOKEN_PARAMS = frozenset({"sid", "s", "session", "sess"})


def is_session_param(name: str, value: str) -> bool:
    """True for session-id parameters (``PHPSESSID``, ``jsessionid``, ``ASPSESSIONIDxxxx``,
    and ``sid``/``s`` with a long hex or alphanumeric token as value)."""
    lowered = name.lower()
    if lowered in SESSION_PARAMS or lowered.startswith("aspsessionid"):
        return True
    return lowered in _TOKEN_PARAMS and len(value) >= 16 and value.isalnum()


def crawl_url(url: str) -> str:
    """The URL to request for a followed link: :func:`normalise_url`, and no session ids.

    Session ids in the query (``?PHPSESSID=...``) and Java's path parameter
    (``/page;jsessionid=...``) are removed, so one page is crawled once whatever session
    its links were written for.
    """
    url = normalise_url(url)
    lowered = url.lower()
    if ";jsessionid=" in lowered:
        start = lowered.index(";jsessionid=")
        end = len(url)
        for sep in "?/;":
            pos = url.find(sep, start + 1)
            if pos != -1:
                end = min(end, pos)
        url = url[:start] + url[end:]
    query_pos = url.find("?")
    if query_pos == -1:
        return url
    parts = url[query_pos + 1 :].split("&")
    kept = [p for p in parts if not is_session_param(_param_name(p), p.partition("=")[2])]
    if len(kept) == len(parts):
        return url
    return f"{url[:query_pos]}?{'&'.join(kept)}" if kept else url[:query_pos]
