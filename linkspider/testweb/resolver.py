"""Name resolver that sends a Scrapy crawl to the local test web.

Scrapy's HTTP handler connects through Twisted's ``HostnameEndpoint``, which asks
``reactor.nameResolver`` for addresses and then connects to the *port of each
resolved address*. ``TestWebResolver`` therefore maps ``host:80`` to the test
web's HTTP port and ``host:443`` to its HTTPS port, so real URLs work unchanged
and without root. Enable it on the command line (the resolver is process-wide, so
spider ``custom_settings`` cannot set it)::

    scrapy crawl backlinks \\
        -s TWISTED_DNS_RESOLVER=linkspider.testweb.resolver.TestWebResolver \\
        -s LINKSPIDER_TESTWEB=/path/to/state.json

This module also defines the state file the server writes once it listens.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

from linkspider.testweb.sites import normalize_host

if TYPE_CHECKING:
    from twisted.internet.base import ReactorBase
    from twisted.internet.interfaces import IAddress
    from typing_extensions import Self

STATE_SETTING = "LINKSPIDER_TESTWEB"
"""Setting and environment variable naming the test web's state file."""


class TestWebStateError(RuntimeError):
    """The state file is not configured, missing or unreadable."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class WebState:
    """Where a running test web listens (the JSON state file, see ``write``)."""

    __test__ = False

    address: str
    http_port: int
    https_port: int
    refused_port: int
    hang_port: int
    hosts: list[str] = field(default_factory=list)
    refused_hosts: list[str] = field(default_factory=list)
    hang_hosts: list[str] = field(default_factory=list)
    pid: int = 0
    ca_file: str | None = None  # PEM of the CA that signed the per-host certificates

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Validate a decoded state file."""
        try:
            state = cls(
                address=str(data["address"]),
                http_port=int(data["http_port"]),
                https_port=int(data["https_port"]),
                refused_port=int(data["refused_port"]),
                hang_port=int(data["hang_port"]),
                hosts=[str(h) for h in data["hosts"]],
                refused_hosts=[str(h) for h in data.get("refused_hosts", [])],
                hang_hosts=[str(h) for h in data.get("hang_hosts", [])],
                pid=int(data.get("pid", 0)),
                ca_file=data.get("ca_file"),
            )
            ipaddress.ip_address(state.address)
        except (KeyError, TypeError, ValueError) as exc:
            raise TestWebStateError(f"invalid test web state: {exc!r}") from exc
        return state

    @classmethod
    def read(cls, path: Path) -> Self:
        """Read a state file written by ``python -m linkspider.testweb serve``."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TestWebStateError(
                f"cannot read the test web state file {path} ({exc}); "
                "is `python -m linkspider.testweb serve` running?"
            ) from exc
        if not isinstance(data, dict):
            raise TestWebStateError(f"{path}: not a JSON object")
        return cls.from_json(data)

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Host name -> ``served``, ``refused`` or ``hang`` (for fast lookups)."""
        kinds = dict.fromkeys(self.hang_hosts, "hang")
        kinds.update(dict.fromkeys(self.refused_hosts, "refused"))
        kinds.update(dict.fromkeys(self.hosts, "served"))
        return kinds

    def write(self, path: Path) -> None:
        """Write atomically, so readers never see a partial file."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def map_address(state: WebState, host: str, port: int) -> tuple[str, int] | None:
    """Where a connection to ``host:port`` goes in the test web (None: no such name).

    Served hosts go to the HTTP (80) or HTTPS (443) port, other ports unchanged;
    refused and hang hosts to their ports; IP literals and ``localhost`` to
    themselves. Every other name does not resolve.
    """
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    kind = state.kinds.get(name)
    if kind == "served":
        return state.address, {80: state.http_port, 443: state.https_port}.get(port, port)
    if kind == "refused":
        return state.address, state.refused_port
    if kind == "hang":
        return state.address, state.hang_port
    if name == "localhost":
        return "127.0.0.1", port
    try:
        return str(ipaddress.ip_address(name)), port
    except ValueError:
        return None


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Resolution is synchronous: nothing to cancel."""


@implementer(IHostnameResolver)
class TestWebResolver:
    """``TWISTED_DNS_RESOLVER`` that resolves only the test web's host names.

    Settings:

    * ``LINKSPIDER_TESTWEB`` - path of the state file (falls back to the
      environment variable of the same name). Required.
    """

    __test__ = False

    def __init__(self, reactor: ReactorBase, state: WebState) -> None:
        self.reactor = reactor
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> Self:
        # `crawler` is in fact the CrawlerProcess: only `.settings` is used.
        path = crawler.settings.get(STATE_SETTING) or os.environ.get(STATE_SETTING)
        if not path:
            raise TestWebStateError(
                f"{cls.__name__} needs the state file of a running test web: "
                f"pass -s {STATE_SETTING}=/path/to/state.json or set ${STATE_SETTING}"
            )
        return cls(reactor, WebState.read(Path(path)))

    def install_on_reactor(self) -> None:
        """Make this the reactor's name resolver."""
        self.reactor.installNameResolver(cast(IHostnameResolver, self))

    # Receivers are typed Any: mypy does not understand zope interfaces (no plugin).
    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Answer synchronously from the state; unknown names get no address."""
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        target = map_address(self.state, normalize_host(hostName), portNumber)
        if target is not None:
            host, port = target
            kind = IPv6Address if ipaddress.ip_address(host).version == 6 else IPv4Address
            if addressTypes is None or kind in addressTypes:
                resolutionReceiver.addressResolved(kind("TCP", host, port))
        resolutionReceiver.resolutionComplete()
        return cast(IHostResolution, resolution)
