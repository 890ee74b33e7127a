"""What the browser may request while it renders a page.

Installed as scrapy-playwright's ``PLAYWRIGHT_ABORT_REQUEST``, so it sees every request the
page makes (scripts, XHR/fetch, frames, redirects of those) before it leaves the browser:

* resource types in ``LINKSPIDER_RENDER_BLOCK_RESOURCES`` (images, media, fonts by
  default) are aborted: they cannot add links and cost most of the bytes
  (``linkspider/render/aborted/<type>``);
* schemes other than http(s) are aborted;
* the SSRF policy of the crawl (:mod:`linkspider.policy.addresses`,
  ``LINKSPIDER_SSRF_GUARD``, ``LINKSPIDER_ALLOW_PRIVATE_NETWORKS``) applies: IP literals
  in any spelling are checked, and host names are resolved with the crawl's own resolver
  and refused when none of their addresses is allowed (``linkspider/render/ssrf_blocked``,
  logged once per host).

This guard sees the requests of the pages the crawl opened. What it cannot see (WebSockets,
popups and other windows, workers, a name Chromium would resolve differently: DNS
rebinding) is covered by the connection guard: the browser opens TCP connections only
through :mod:`linkspider.render.proxy`, which applies the same policy to the address it
connects to (:meth:`BrowserRequestGuard.connection`). Requests of pages the crawl did not
open are aborted at the browser context (:mod:`linkspider.render.handler`). Service
workers are blocked in the render context (:data:`linkspider.render.browser.CONTEXT_OPTIONS`).

A user's own ``PLAYWRIGHT_ABORT_REQUEST`` still runs, after this guard (``then``).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object

from linkspider.core.resolver import resolve_addresses, unguarded
from linkspider.core.setting_values import bool_setting
from linkspider.policy.addresses import AddressPolicy, host_address, parse_allow_setting

logger = logging.getLogger(__name__)

#: Resolves ``(host, port)`` to IP address strings.
Resolver = Callable[[str, int], Awaitable[list[str]]]
#: Resolves ``(host, port)`` to the ``(address, port)`` pairs to connect to.
EndpointResolver = Callable[[str, int], Awaitable[list[tuple[str, int]]]]
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Refusal:
    """Why a browser request is aborted: ``kind`` is ``resource``, ``scheme`` or ``ssrf``
    (``connection`` for a connection the proxy did not open)."""

    kind: str
    reason: str


def static_refusal(
    url: str, resource_type: str, blocked_resources: Iterable[str], policy: AddressPolicy | None
) -> Refusal | None:
    """The decision that needs no DNS: resource type, scheme and IP-literal hosts."""
    if resource_type in blocked_resources:
        return Refusal("resource", resource_type)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("data", "blob"):  # never leave the browser
        return None
    if scheme not in ("http", "https"):
        return Refusal("scheme", f"scheme {scheme or '(none)'}: not http(s)")
    if policy is None:
        return None
    address = host_address(parts.hostname or "")
    if address is not None:
        reason = policy.check(address)
        if reason:
            return Refusal("ssrf", reason)
    return None


def addresses_refusal(host: str, addresses: Iterable[str], policy: AddressPolicy) -> str | None:
    """Why ``host`` is refused given the addresses it resolves to (None: one is allowed)."""
    reasons = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        reason = policy.check(address)
        if reason is None:
            return None
        reasons.append(reason)
    return f"{host} resolves to {reasons[0]}" if reasons else f"{host} does not resolve"


class BrowserRequestGuard:
    """``PLAYWRIGHT_ABORT_REQUEST``: True aborts the browser request (see the module).

    Settings: ``LINKSPIDER_SSRF_GUARD``, ``LINKSPIDER_ALLOW_PRIVATE_NETWORKS``,
    ``LINKSPIDER_RENDER_BLOCK_RESOURCES`` (via :func:`configure_rendering`).
    """

    def __init__(
        self,
        policy: AddressPolicy | None,
        crawler: Any,
        blocked_resources: Iterable[str],
        resolve: Resolver | None = None,
        endpoints: EndpointResolver | None = None,
    ) -> None:
        self.policy = policy
        self.crawler = crawler  # its stats exist once the crawl starts
        self.blocked_resources = frozenset(blocked_resources)
        self.resolve: Resolver = resolve or reactor_resolve
        self.endpoints: EndpointResolver = endpoints or reactor_endpoints
        self.then: str | Callable[..., Any] | None = None  # a user's PLAYWRIGHT_ABORT_REQUEST
        self._hosts: dict[tuple[str, int], str] = {}  # (host, port) -> refusal ('' = ok)
        self._logged: set[str] = set()

    @property
    def stats(self) -> StatsCollector:
        stats: StatsCollector = self.crawler.stats
        return stats

    @classmethod
    def from_settings(
        cls, settings: BaseSettings, crawler: Any, blocked_resources: Iterable[str]
    ) -> BrowserRequestGuard:
        policy = None
        if bool_setting(settings, "LINKSPIDER_SSRF_GUARD"):
            try:
                policy = parse_allow_setting(settings.get("LINKSPIDER_ALLOW_PRIVATE_NETWORKS"))
            except ValueError as exc:
                raise ValueError(f"LINKSPIDER_ALLOW_PRIVATE_NETWORKS: {exc}") from None
        return cls(policy, crawler, blocked_resources)

    async def __call__(self, request: Any) -> bool:
        url = str(request.url)
        refusal = await self.refusal(url, str(request.resource_type))
        if refusal is not None:
            self._count(url, refusal)
            return True
        if self.then is not None:
            user_abort = load_object(self.then)
            verdict = user_abort(request)
            if isinstance(verdict, Awaitable):
                verdict = await verdict
            return bool(verdict)
        return False

    async def refusal(self, url: str, resource_type: str) -> Refusal | None:
        """Why the browser may not make this request, or None."""
        refusal = static_refusal(url, resource_type, self.blocked_resources, self.policy)
        if refusal is not None or self.policy is None:
            return refusal
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if host_address(host) is not None:
            return None  # an allowed IP literal
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            return Refusal("scheme", f"bad port in {url[:200]}")
        key = (host, port)
        reason = self._hosts.get(key)
        if reason is None:
            reason = addresses_refusal(host, await self.resolve(host, port), self.policy) or ""
            if len(self._hosts) >= _CACHE_SIZE:
                self._hosts.clear()
            self._hosts[key] = reason
        return Refusal("ssrf", reason) if reason else None

    async def connection(self, host: str, port: int) -> tuple[list[tuple[str, int]], str | None]:
        """Where a browser connection to ``host:port`` may go, or why it may not.

        The decision of :class:`linkspider.render.proxy.GuardedSocksProxy`: the IP literal,
        or the name's addresses from the crawl's resolver that the policy allows (the
        proxy connects to these, never looks the name up again). A name that does not
        resolve is no refusal: nothing to connect to.
        """
        name = host.strip().lower().rstrip(".")
        address = host_address(name.removeprefix("[").removesuffix("]"))
        if address is not None:
            reason = self.policy.check(address) if self.policy is not None else None
            return ([], reason) if reason else ([(str(address), port)], None)
        found = await self.endpoints(name, port)
        if self.policy is None:
            return found, None
        policy = self.policy
        allowed = [(a, p) for a, p in found if _allowed(policy, a)]
        if allowed or not found:
            return allowed, None
        return [], addresses_refusal(name, [a for a, _ in found], policy)

    def connection_refused(self, host: str, port: int, reason: str) -> None:
        """Count and log (once per host) a connection the proxy did not open."""
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._count(target, Refusal("connection", reason), host)

    def _count(self, url: str, refusal: Refusal, host: str | None = None) -> None:
        if refusal.kind == "resource":
            self.stats.inc_value(f"linkspider/render/aborted/{refusal.reason}")
            return
        self.stats.inc_value(f"linkspider/render/{refusal.kind}_blocked")
        host = host or urlsplit(url).hostname or url[:100]
        if host not in self._logged:
            self._logged.add(host)
            what = "connect to" if refusal.kind == "connection" else "request"
            logger.warning(
                f"render: the browser may not {what} {url[:200]} ({refusal.reason}); "
                "further requests to that host are only counted"
            )


def _allowed(policy: AddressPolicy, text: str) -> bool:
    try:
        return policy.check(ipaddress.ip_address(text.split("%", 1)[0])) is None
    except ValueError:
        return False


async def reactor_resolve(host: str, port: int) -> list[str]:
    """Addresses of ``host`` from the crawl's resolver (``TWISTED_DNS_RESOLVER``)."""
    return [address for address, _ in await reactor_endpoints(host, port)]


async def reactor_endpoints(host: str, port: int) -> list[tuple[str, int]]:
    """``(address, port)`` pairs for ``host:port`` from the crawl's resolver.

    The SSRF guard's filtering wrapper is looked through, so that refused addresses are
    seen and named (the policy is applied by the caller). The port is the resolver's (the
    test web's resolver maps ports too).
    """
    from twisted.internet import reactor

    addresses = await resolve_addresses(unguarded(cast(Any, reactor).nameResolver), host, port)
    return [
        (str(getattr(address, "host", "")), int(getattr(address, "port", port) or port))
        for address in addresses
    ]
