"""Host and domain names as Common Crawl's web graphs write them.

The graphs name vertices in reverse domain name notation (``www.example.com`` ->
``com.example.www``), IDNs in their ASCII (punycode) form. In the host-level graph a
leading ``www.`` is stripped first, when at least two labels remain (``www.com`` stays):
``www.subdomain.example.com`` is ``com.example.subdomain``. The vertex lists are sorted
lexicographically (byte order) by the reversed name.
"""

from __future__ import annotations

from linkspider.core.domains import registrable_domain
from linkspider.core.urls import canonical_host

LEVELS = ("domain", "host")


def strip_www(host: str) -> str:
    """``host`` without a leading ``www.`` if two labels or more remain."""
    if host.startswith("www.") and "." in host[4:]:
        return host[4:]
    return host


def reverse_name(name: str) -> str:
    """``a.b.example.com`` <-> ``com.example.b.a`` (the notation is its own inverse)."""
    return ".".join(reversed(name.split(".")))


def graph_name(host: str, level: str) -> str:
    """The normal (not reversed) name ``host`` has as a vertex of ``level``, '' if invalid.

    Host level: lower-case punycode without a leading ``www.``; domain level: the
    registrable domain (Public Suffix List, private section included).
    """
    canonical = canonical_host(host)
    if not canonical:
        return ""
    if level == "domain":
        return registrable_domain(strip_www(canonical))
    return strip_www(canonical)


def display_name(name: str) -> str:
    """Unicode form of a punycode name for people (``xn--bcher-kva.de`` -> ``bücher.de``)."""
    if "xn--" not in name:
        return name
    try:
        return name.encode("ascii").decode("idna")
    except UnicodeError:
        return name
