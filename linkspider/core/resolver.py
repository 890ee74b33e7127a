"""Name resolution through the reactor's resolver, filtered by an address check.

The SSRF guard (:mod:`linkspider.middlewares.ssrf`) installs :class:`GuardedResolver` as
the reactor's name resolver, so that refused addresses never reach a connection; the
browser's guard (:mod:`linkspider.render.guard`) resolves names with the same resolver,
looking through the filter (:func:`unguarded`) to name the addresses it refuses. Both
collect a resolution with :func:`resolve_addresses`. What is refused is decided by the
caller's ``refuse`` function (the address policy, :mod:`linkspider.policy.addresses`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

#: Why an address (its text, as the resolver gives it) is refused; None when allowed.
Refuse = Callable[[str], "str | None"]


@implementer(IHostnameResolver)
class GuardedResolver:
    """An ``IHostnameResolver`` passing on only the addresses ``refuse`` allows.

    Hosts whose every address was refused are noted in ``refused_hosts`` (host -> reason),
    so that the failed connection can be reported as a block, not as a DNS error.
    """

    def __init__(self, inner: Any, refuse: Refuse, refused_hosts: dict[str, str]) -> None:
        self.inner = inner
        self.refuse = refuse
        self.refused_hosts = refused_hosts

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[Any]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        receiver = _FilteringReceiver(resolutionReceiver, hostName, self)
        resolution: IHostResolution = self.inner.resolveHostName(
            receiver, hostName, portNumber, addressTypes, transportSemantics
        )
        return resolution


@implementer(IResolutionReceiver)
class _FilteringReceiver:
    def __init__(self, inner: Any, host: str, guard: GuardedResolver) -> None:
        self.inner = inner
        self.host = host.lower().rstrip(".")
        self.guard = guard
        self.passed = 0
        self.refused: list[str] = []

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        self.inner.resolutionBegan(resolutionInProgress)

    def addressResolved(self, address: Any) -> None:
        reason = self.guard.refuse(str(getattr(address, "host", "")))
        if reason:
            self.refused.append(reason)
            return
        self.passed += 1
        self.guard.refused_hosts.pop(self.host, None)
        self.inner.addressResolved(address)

    def resolutionComplete(self) -> None:
        if self.refused and not self.passed:
            self.guard.refused_hosts[self.host] = self.refused[0]
        self.inner.resolutionComplete()


@implementer(IResolutionReceiver)
class _Collector:
    """Receives one resolution and fires ``done`` when it is complete."""

    def __init__(self, done: Deferred[None]) -> None:
        self.done = done
        self.addresses: list[Any] = []

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.done.callback(None)


async def resolve_addresses(resolver: Any, host: str, port: int) -> list[Any]:
    """The addresses (``IAddress``: ``.host``, ``.port``) ``resolver`` gives ``host:port``."""
    done: Deferred[None] = Deferred()
    receiver = _Collector(done)
    resolver.resolveHostName(receiver, host, port)
    await maybe_deferred_to_future(done)
    return receiver.addresses


def unguarded(resolver: Any) -> Any:
    """The resolver a :class:`GuardedResolver` wraps (so refused addresses are seen)."""
    return resolver.inner if isinstance(resolver, GuardedResolver) else resolver
