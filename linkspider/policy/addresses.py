"""Which addresses a crawl may connect to: the SSRF guard's decisions.

A crawler fetches URLs that strangers wrote. Without a guard, a link (or a redirect, or a
DNS name) pointing at ``127.0.0.1``, ``10.0.0.5`` or ``169.254.169.254`` makes the crawler
read the machine's own services, the intranet or the cloud metadata service. This module
decides, for one IP address, whether it is public; the middleware applies the decision to
URL hosts and to every address the resolver returns.

Host names are read the way browsers and ``getaddrinfo`` read them (WHATWG URL rules):
``2130706433``, ``0x7f.1`` and ``017700000001`` are all ``127.0.0.1``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ada_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# (network, reason). Checked in order, so a more specific range must come first.
_REFUSED_V4: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),  # "this network"; 0.0.0.0 reaches the local host
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "cgnat"),  # shared address space (RFC 6598)
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),  # includes 169.254.169.254, cloud metadata
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
    ("192.0.2.0/24", "reserved"),  # documentation
    ("192.88.99.0/24", "reserved"),  # former 6to4 relay anycast
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved"),  # benchmarking
    ("198.51.100.0/24", "reserved"),  # documentation
    ("203.0.113.0/24", "reserved"),  # documentation
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # includes 255.255.255.255
)
_REFUSED_V6: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64 (RFC 8215)
    ("100::/64", "reserved"),  # discard-only
    ("2001::/32", "reserved"),  # Teredo: the IPv4 inside is obfuscated, refuse it whole
    ("2001:db8::/32", "reserved"),  # documentation
    ("2001:10::/28", "reserved"),  # ORCHID
    ("2001:20::/28", "reserved"),  # ORCHIDv2
    ("3fff::/20", "reserved"),  # documentation
    ("5f00::/16", "reserved"),  # SRv6 SIDs
    ("fc00::/7", "private"),  # unique local
    ("fe80::/10", "link-local"),
    ("fec0::/10", "private"),  # deprecated site-local
    ("ff00::/8", "multicast"),
)
_V4_NETS = tuple((ipaddress.IPv4Network(net), why) for net, why in _REFUSED_V4)
_V6_NETS = tuple((ipaddress.IPv6Network(net), why) for net, why in _REFUSED_V6)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix: IPv4 in the last 32 bits
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible form

_TRUE = frozenset({"true", "1", "yes", "on", "all"})
_FALSE = frozenset({"false", "0", "no", "off", "none", ""})


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: mapped, NAT64, compatible or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _V4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why a connection to ``address`` is refused (``loopback``...), or None if public.

    IPv6 forms that carry an IPv4 address (``::ffff:127.0.0.1``, ``64:ff9b::a9fe:a9fe``,
    ``2002:7f00:1::``) are judged by that IPv4 address. Anything Python does not consider
    globally routable is refused too (``reserved``).
    """
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return refusal_reason(inner)
        if address.scope_id:
            return "link-local"
        for network, why in _V6_NETS:
            if address in network:
                return why
    else:
        for net4, why in _V4_NETS:
            if address in net4:
                return why
    return None if address.is_global else "reserved"


def host_address(host: str) -> IPAddress | None:
    """The IP address a URL host denotes, read like a browser does; None for DNS names.

    Accepts the bracketed IPv6 form and every IPv4 spelling browsers and ``getaddrinfo``
    accept (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``).
    """
    value = host.strip()
    if not value or _dns_name(value):
        return None
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        pass
    if ":" in value:
        return None
    try:
        canonical = str(ada_url.URL(f"http://{value}/").hostname)
    except ValueError:
        return None
    try:
        return ipaddress.ip_address(canonical.rstrip("."))
    except ValueError:
        return None


# ASCII letters, digits and hyphens in dot-separated labels: no percent-encoding, no
# Unicode (both decode to other hosts), no ":" (IPv6), no brackets.
_LDH_NAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?", re.IGNORECASE)
_NUMBER_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*", re.IGNORECASE)


def _dns_name(host: str) -> bool:
    """True when ``host`` cannot be an IP address in any spelling: the common case (every
    request's host), answered without the two failed parses and the URL parse below.

    WHATWG hosts are IPv4 addresses when their last label is a number (decimal, or
    ``0x`` hex; octal is decimal digits); a plain ASCII name ending in another label is
    a DNS name.
    """
    if _LDH_NAME.fullmatch(host) is None:
        return False
    last = host.rstrip(".").rsplit(".", 1)[-1]
    return _NUMBER_LABEL.fullmatch(last) is None


@dataclass(frozen=True)
class AddressPolicy:
    """Which refused addresses are allowed after all (``LINKSPIDER_ALLOW_PRIVATE_NETWORKS``).

    ``allow_all``: every address is allowed (intranet crawls). ``networks``: refused
    addresses inside these networks are allowed (e.g. ``127.0.0.0/8`` for the test web).
    """

    allow_all: bool = False
    networks: tuple[IPNetwork, ...] = ()

    def check(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused, e.g. ``loopback 127.0.0.1``, ``link-local
        169.254.169.254 (as IPv6 ::ffff:a9fe:a9fe)``; None when allowed."""
        reason = refusal_reason(address)
        if reason is None or self.allow_all or self._allowed(address):
            return None
        inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if inner is not None:
            return f"{reason} {inner} (as IPv6 {address.compressed})"
        return f"{reason} {address.compressed}"

    def _allowed(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            inner = embedded_ipv4(address)
            if inner is not None:
                candidates.append(inner)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )

    def describe(self) -> str:
        """The policy in the setting's own words."""
        if self.allow_all:
            return "true"
        return ",".join(str(n) for n in self.networks) or "false"


def parse_allow_setting(value: object) -> AddressPolicy:
    """Read ``LINKSPIDER_ALLOW_PRIVATE_NETWORKS``: a bool, or CIDRs as a list or a string.

    Strings: ``true``/``false`` (and ``1``/``0``, ``yes``/``no``), a comma- or
    space-separated list (``127.0.0.0/8,10.0.0.0/8``), or a JSON list. A bare address
    means that one address. Raises ``ValueError`` naming the bad entry.
    """
    if value is None:
        return AddressPolicy()
    if isinstance(value, bool):
        return AddressPolicy(allow_all=value)
    entries: Iterable[object]
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _TRUE:
            return AddressPolicy(allow_all=True)
        if text.lower() in _FALSE:
            return AddressPolicy()
        if text.startswith("["):
            try:
                entries = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list: {text!r} ({exc.msg})") from None
            if not isinstance(entries, list):
                raise ValueError(f"not a JSON list: {text!r}")
        else:
            entries = text.replace(",", " ").split()
    elif isinstance(value, Sequence | set | frozenset):
        entries = value
    else:
        raise ValueError(f"expected true, false or a list of networks, got {value!r}")
    return AddressPolicy(networks=tuple(_network(entry) for entry in entries))


def _network(entry: object) -> IPNetwork:
    if not isinstance(entry, str):
        raise ValueError(f"not a network: {entry!r}")
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        raise ValueError(f"not a network (CIDR such as 127.0.0.0/8): {entry!r}") from None
