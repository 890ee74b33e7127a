"""SSRF guard: never connect to loopback, private, link-local and other non-public addresses.

Checked three times, because a URL can reach a private address in three ways:

* **URL hosts** (every request, every redirect hop): IP literals in every spelling browsers
  accept (``127.0.0.1``, ``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``) and schemes
  other than http and https.
* **Resolved addresses**: at the first request to a host its name is resolved and refused
  when every address is non-public. And on every connection: the reactor's name resolver,
  whatever ``TWISTED_DNS_RESOLVER`` installed, is wrapped so that non-public addresses
  never reach the connection (DNS names pointing at ``10.0.0.5``, DNS rebinding).
* **The connected address** of each response (``response.ip_address``), when the download
  handler reports it.

Refused requests fail with :class:`SsrfBlocked` (an ``IgnoreRequest``); page requests are
listed in ``blocked_pages.csv`` (reason ``ssrf-blocked``), counted in
``linkspider/ssrf/blocked`` and logged once per host.

Settings:

* ``LINKSPIDER_SSRF_GUARD`` (bool, default True): switch the guard off altogether.
* ``LINKSPIDER_ALLOW_PRIVATE_NETWORKS`` (default false): ``true`` allows every address
  (intranet crawls); a list of networks (``127.0.0.0/8``; a list, a comma-separated
  string or a JSON list from ``-s``) allows those. The local test web needs
  ``127.0.0.0/8``.

Request meta: ``linkspider_robots_fetch`` marks robots.txt requests (guarded, not listed).

The resolved-address check covers Scrapy's Twisted HTTP handlers (the default); a handler
that resolves names itself is covered by the URL and connected-address checks only.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any, cast

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as net_error

from linkspider.core.failures import PolicyDrop
from linkspider.core.meta import META_ROBOTS_FETCH
from linkspider.core.resolver import GuardedResolver, Refuse, resolve_addresses
from linkspider.core.setting_values import bool_setting
from linkspider.core.signals import SSRF_BLOCKED, report_blocked
from linkspider.policy.addresses import AddressPolicy, host_address, parse_allow_setting

logger = logging.getLogger(__name__)

_GUARDED_HANDLERS = (
    "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    "scrapy.core.downloader.handlers.http2.H2DownloadHandler",
    "scrapy.core.downloader.handlers.http.HTTPDownloadHandler",
)


class SsrfBlocked(PolicyDrop):
    """A request refused by the SSRF guard."""


def address_refusal(policy: AddressPolicy) -> Refuse:
    """Why the policy refuses a resolved address (its text); None when allowed."""

    def refuse(text: str) -> str | None:
        address = host_address(text)
        return policy.check(address) if address is not None else "unknown address"

    return refuse


def allow_setting(settings: Any) -> AddressPolicy:
    """``LINKSPIDER_ALLOW_PRIVATE_NETWORKS`` read from settings (``ValueError`` if bad)."""
    try:
        return parse_allow_setting(settings.get("LINKSPIDER_ALLOW_PRIVATE_NETWORKS"))
    except ValueError as exc:
        raise ValueError(f"LINKSPIDER_ALLOW_PRIVATE_NETWORKS: {exc}") from None


@dataclass(frozen=True)
class SsrfOptions:
    """The SSRF guard's settings, read once (defaults: the settings registry). ``allow`` is
    None when the guard is off (the allow list is then not read)."""

    guard: bool
    allow: AddressPolicy | None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SsrfOptions:
        guard = bool_setting(settings, "LINKSPIDER_SSRF_GUARD")
        return cls(guard, allow_setting(settings) if guard else None)


class SsrfGuardMiddleware:
    """Refuses non-public addresses (see the module).

    Settings: ``LINKSPIDER_SSRF_GUARD``, ``LINKSPIDER_ALLOW_PRIVATE_NETWORKS``.
    Meta: ``linkspider_robots_fetch`` (guarded, not listed in ``blocked_pages.csv``).
    """

    def __init__(self, policy: AddressPolicy, stats: StatsCollector, crawler: Crawler) -> None:
        self.policy = policy
        self.stats = stats
        self.crawler = crawler
        #: host -> why it is refused (every address it resolved to is non-public)
        self.refused_hosts: dict[str, str] = {}
        self.checked_hosts: set[str] = set()
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SsrfGuardMiddleware:
        settings = crawler.settings
        options = SsrfOptions.from_settings(settings)
        if options.allow is None:
            raise NotConfigured("LINKSPIDER_SSRF_GUARD is off")
        assert crawler.stats is not None
        handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
        for scheme in ("http", "https"):
            handler = handlers.get(scheme)
            path = handler if isinstance(handler, str) else getattr(handler, "__qualname__", "")
            if handler and path not in _GUARDED_HANDLERS:
                logger.warning(
                    f"SSRF guard: the {scheme} handler {path} resolves names itself; "
                    "only URL hosts and connected addresses are checked"
                )
        return cls(options.allow, crawler.stats, crawler)

    # -- the resolver ------------------------------------------------------------------
    def install_resolver(self) -> None:
        """Wrap the reactor's current name resolver (once; again if it was replaced)."""
        from twisted.internet import reactor

        current = reactor.nameResolver  # type: ignore[attr-defined]
        if not isinstance(current, GuardedResolver):
            guarded = GuardedResolver(current, address_refusal(self.policy), self.refused_hosts)
            reactor.installNameResolver(guarded)  # type: ignore[attr-defined]

    async def _resolve_check(self, host: str, port: int) -> str | None:
        """Resolve ``host``; why it is refused when no address it has is allowed."""
        from twisted.internet import reactor

        addresses = await resolve_addresses(cast(Any, reactor).nameResolver, host, port)
        self.checked_hosts.add(host)
        return self.refused_hosts.get(host) if not addresses else None

    # -- the middleware ----------------------------------------------------------------
    async def process_request(self, request: Request) -> None:
        self.install_resolver()
        parsed = urlparse_cached(request)
        if parsed.scheme not in ("http", "https"):
            self._block(request, parsed.hostname or "", f"scheme {parsed.scheme}: not http(s)")
        host = (parsed.hostname or "").lower()
        address = host_address(host)
        if address is not None:
            reason = self.policy.check(address)
            if reason:
                self._block(request, host, reason)
            return
        reason = self.refused_hosts.get(host)
        if reason is None and host not in self.checked_hosts:
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            reason = await self._resolve_check(host, port)
        if reason:
            self._block(request, host, f"{host} resolves to {reason}")

    def process_response(self, request: Request, response: Response) -> Response:
        address = getattr(response, "ip_address", None)
        if isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            reason = self.policy.check(address)
            if reason:
                self._block(
                    request, urlparse_cached(request).hostname or "", f"connected to {reason}"
                )
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, CannotResolveHostError | net_error.DNSLookupError):
            host = (urlparse_cached(request).hostname or "").lower()
            reason = self.refused_hosts.get(host)
            if reason:
                self._block(request, host, f"{host} resolves to {reason}")

    def _block(self, request: Request, host: str, reason: str) -> None:
        self.stats.inc_value("linkspider/ssrf/blocked")
        if host not in self._logged:
            self._logged.add(host)
            logger.warning(
                f"SSRF guard: not connecting to {host or request.url} ({reason}); further "
                "requests to it are only counted. LINKSPIDER_ALLOW_PRIVATE_NETWORKS allows "
                "private networks"
            )
        if not request.meta.get(META_ROBOTS_FETCH):
            report_blocked(self.crawler, request, SSRF_BLOCKED, reason)
        raise SsrfBlocked(f"SSRF guard: {reason}")
