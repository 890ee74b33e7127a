"""The browser's only way out: a SOCKS5 proxy that checks every address before connecting.

Request interception (:mod:`linkspider.render.guard`) sees what a page asks for, but not
everything a browser connects to: WebSockets, popups and other windows, workers, and
requests whose host Chromium resolves to an address the guard never saw (DNS rebinding).
So the browser is launched with ``--proxy-server=socks5://127.0.0.1:<port>`` and
``--proxy-bypass-list=<-loopback>`` (loopback goes through the proxy too), and this proxy,
on the crawl's event loop, is the only thing that opens TCP connections for it:

* SOCKS5 ``CONNECT`` only (no ``BIND``, no UDP); Chromium sends host names, so names are
  resolved here, with the crawl's own resolver (``TWISTED_DNS_RESOLVER``, the same DNS
  Scrapy uses; :func:`linkspider.render.guard.reactor_resolve`);
* the SSRF policy is applied to the IP literal or to every resolved address, and the proxy
  connects only to an allowed address it checked (no second lookup to rebind);
* a refused destination gets SOCKS reply 2 ("not allowed by ruleset"): no connection is
  opened (``linkspider/render/connection_blocked``, logged once per host).

Without an SSRF policy (``LINKSPIDER_SSRF_GUARD=False``) the proxy still resolves names
with the crawl's resolver and refuses nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import struct
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress

logger = logging.getLogger(__name__)

#: ``(host, port)`` -> (``(address, port)`` to connect to, in order; why refused, or None).
Decide = Callable[[str, int], Awaitable[tuple[list[tuple[str, int]], str | None]]]
#: Called with ``(host, port, reason)`` for each refused connection.
OnRefused = Callable[[str, int, str], None]

_VERSION = 5
_NO_AUTH = 0
_NO_ACCEPTABLE = 0xFF
_CONNECT = 1
_IPV4, _NAME, _IPV6 = 1, 3, 4
_OK, _FAILURE, _NOT_ALLOWED, _UNREACHABLE, _REFUSED, _NO_COMMAND, _NO_ATYPE = 0, 1, 2, 4, 5, 7, 8
_CHUNK = 64 * 1024
_RULES = "--host-resolver-rules="


class SocksError(Exception):
    """A client that does not speak SOCKS5 ``CONNECT``: the reply code to send."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def reply(code: int) -> bytes:
    """A SOCKS5 reply with the given code (bound address 0.0.0.0:0)."""
    return bytes((_VERSION, code, 0, _IPV4, 0, 0, 0, 0, 0, 0))


async def read_greeting(reader: asyncio.StreamReader) -> None:
    """A client's greeting; it must offer "no authentication"."""
    version, count = await reader.readexactly(2)
    if version != _VERSION:
        raise SocksError(_FAILURE)
    methods = await reader.readexactly(count)
    if _NO_AUTH not in methods:
        raise SocksError(_NO_ACCEPTABLE)


async def read_connect(reader: asyncio.StreamReader) -> tuple[str, int]:
    version, command, _, kind = await reader.readexactly(4)
    if version != _VERSION:
        raise SocksError(_FAILURE)
    if kind == _IPV4:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif kind == _IPV6:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    elif kind == _NAME:
        (length,) = await reader.readexactly(1)
        host = (await reader.readexactly(length)).decode("ascii")  # punycode
    else:
        raise SocksError(_NO_ATYPE)
    (port,) = struct.unpack("!H", await reader.readexactly(2))
    if command != _CONNECT:
        raise SocksError(_NO_COMMAND)
    return host, port


class GuardedSocksProxy:
    """The SOCKS5 proxy the browser connects through (see the module).

    ``decide`` says where ``(host, port)`` may be connected to; ``connect_timeout`` bounds
    each connection attempt.
    """

    def __init__(
        self, decide: Decide, on_refused: OnRefused, connect_timeout: float = 20.0
    ) -> None:
        self.decide = decide
        self.on_refused = on_refused
        self.connect_timeout = connect_timeout
        self.server: asyncio.Server | None = None
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    def browser_args(self, args: Sequence[str] = ()) -> list[str]:
        """``args`` and the switches that send every connection through this proxy.

        Loopback included (``<-loopback>``). Chromium then resolves only the proxy's own
        address, so ``--host-resolver-rules`` (the test web maps names with it) get an
        ``EXCLUDE`` for it: a rule such as ``MAP * ~NOTFOUND`` must not cut the browser off.
        """
        own = ("--proxy-server", "--proxy-bypass-list", "--proxy-pac-url", "--no-proxy-server")
        kept = [
            f"{arg}, EXCLUDE 127.0.0.1" if arg.startswith(_RULES) else arg
            for arg in args
            if arg.split("=", 1)[0] not in own
        ]
        return [*kept, f"--proxy-server={self.url}", "--proxy-bypass-list=<-loopback>"]

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])
        logger.debug(f"render: the browser connects through {self.url}")

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for task in list(self._tasks):
            task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a resolver error: this connection fails, not the crawl
            logger.debug(f"render: proxy connection failed: {exc!r}")
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await read_greeting(reader)
        except SocksError:
            writer.write(bytes((_VERSION, _NO_ACCEPTABLE)))
            return
        writer.write(bytes((_VERSION, _NO_AUTH)))
        try:
            host, port = await read_connect(reader)
        except SocksError as exc:
            writer.write(reply(exc.code))
            return
        except (ValueError, UnicodeError):
            writer.write(reply(_FAILURE))
            return
        endpoints, refusal = await self.decide(host, port)
        if refusal is not None:
            self.on_refused(host, port, refusal)
            writer.write(reply(_NOT_ALLOWED))
            await writer.drain()
            return
        upstream = await self._open(endpoints)
        if upstream is None:
            writer.write(reply(_REFUSED if endpoints else _UNREACHABLE))
            await writer.drain()
            return
        up_reader, up_writer = upstream
        writer.write(reply(_OK))
        await writer.drain()
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()

    async def _open(
        self, endpoints: list[tuple[str, int]]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for address, port in endpoints:
            with suppress(OSError, asyncio.TimeoutError):
                return await asyncio.wait_for(
                    asyncio.open_connection(address, port), self.connect_timeout
                )
        return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then pass the end on (half-close)."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):
        writer.close()
