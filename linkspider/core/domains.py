"""Registrable domains, public-suffix aware, from tldextract's bundled snapshot.

The Public Suffix List snapshot shipped inside tldextract is used as is: the list is never
fetched at run time (no network, reproducible results). Private suffixes (``blogspot.com``,
``github.io``...) count as suffixes, so every blog on such a platform is its own referring
domain, as link analysts expect.
"""

from __future__ import annotations

from functools import lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


@lru_cache(maxsize=131072)
def registrable_domain(host: str) -> str:
    """Registrable domain ("eTLD+1") of a canonical (lower-case, punycode) host.

    IP addresses and single-label hosts are their own domain. A host under no known
    public suffix (intranet names such as ``wiki.corp``) uses its last two labels.
    """
    if not host:
        return ""
    if host.startswith("[") or host.replace(".", "").isdigit():
        return host
    result = _EXTRACT(host)
    if result.suffix and result.domain:
        return f"{result.domain}.{result.suffix}"
    labels = host.split(".")
    return ".".join(labels[-2:])


def host_matches(host: str, domain: str) -> bool:
    """True if ``host`` is ``domain`` or one of its subdomains (label boundary aware)."""
    return host == domain or host.endswith("." + domain)


@lru_cache(maxsize=65536)
def has_public_suffix(host: str) -> bool:
    """True if ``host`` (punycode or Unicode) ends in a known public suffix, with a label
    before it (``acme.com`` yes, ``node.js`` and ``com`` no)."""
    result = _EXTRACT(host)
    return bool(result.suffix and result.domain)


@lru_cache(maxsize=4096)
def is_public_suffix(host: str) -> bool:
    """True if ``host`` is itself a public suffix, from the ICANN or the private section of
    the list (``com``, ``co.uk``, ``blogspot.com``, ``s3.amazonaws.com``): a domain every
    site under it shares, not one site."""
    result = _EXTRACT(host)
    return bool(result.suffix) and not result.domain
