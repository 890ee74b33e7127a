"""The test web server: many virtual sites on one HTTP and one HTTPS port.

Requests are dispatched by Host header (HTTPS: the certificate is chosen by SNI,
one certificate per host, signed by a throwaway CA generated at start). Two more
ports make unreachable hosts realistic: a bound but not listening socket
(connection refused) and a listener that accepts and never answers (timeouts).

What to answer is decided by the pure ``plan_answer``; Twisted only carries it out.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL
from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
from twisted.internet.protocol import Factory, Protocol
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from zope.interface import implementer

from linkspider.testweb.resolver import WebState
from linkspider.testweb.sites import (
    CONTENT_TYPES,
    HTML_CONTENT_TYPE,
    PathLookup,
    Route,
    Web,
    content_type_for,
)

# Much of Twisted is untyped or typed with zope interfaces, which mypy does not
# understand without a plugin: these objects are handled as Any.
TwistedReactor = Any  # a PosixReactorBase: listenTCP, listenSSL, callLater, run, stop
TwistedRequest = Any  # twisted.web.server.Request
_NO_BODY_STATUSES = frozenset({204, 304})


@dataclass(frozen=True)
class Answer:
    """What to send back for one request."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()  # applied in order: later names win
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    hold_until: Path | None = None  # answer only once this file exists
    truncate_at: int | None = None  # close the connection after this many body bytes


def plan_answer(
    web: Web, host: str, method: str, uri: str, secure: bool, range_header: str | None = None
) -> Answer:
    """Decide the answer to ``method uri`` for a Host header, over http or https.

    ``range_header`` is the request's ``Range`` header, if any (see ``apply_range``).
    """
    answer = _plan(web, host, method, uri, secure)
    if answer.status != 200 or answer.drop:
        return answer
    site = web.site(host)
    route = site.find_route(_decoded_path(uri)) if site is not None else None
    if route is not None and not route.ranges:
        return answer
    answer = replace(answer, headers=(*answer.headers, ("Accept-Ranges", "bytes")))
    if method == "GET" and range_header is not None:
        return apply_range(answer, range_header)
    return answer


def apply_range(answer: Answer, range_header: str) -> Answer:
    """Answer one byte range of a 200 answer (RFC 9110 section 14).

    One ``bytes=A-B``, ``bytes=A-`` or ``bytes=-N`` range gives 206 with Content-Range;
    a range that starts past the end (or ``-0``) gives 416; anything else (several
    ranges, another unit, bad syntax) is ignored and the whole body is sent.
    """
    match = _RANGE_RE.fullmatch(range_header.strip())
    if match is None:
        return answer
    size = len(answer.body)
    first_text, last_text = match.group(1), match.group(2)
    if not first_text and not last_text:
        return answer
    if not first_text:  # the last N bytes
        first, last = max(0, size - int(last_text)), size - 1
        if int(last_text) == 0:
            first = size
    else:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
        if last_text and int(last_text) < first:
            return answer  # invalid: ignored
    if first >= size:
        headers = (*answer.headers, ("Content-Range", f"bytes */{size}"))
        return replace(answer, status=416, headers=headers, body=b"")
    headers = (*answer.headers, ("Content-Range", f"bytes {first}-{last}/{size}"))
    return replace(answer, status=206, headers=headers, body=answer.body[first : last + 1])


_RANGE_RE = re.compile(r"bytes\s*=\s*(\d*)\s*-\s*(\d*)", re.IGNORECASE)


def _decoded_path(uri: str) -> str:
    return unquote_to_bytes(uri.partition("?")[0]).decode("utf-8", "replace")


def _plan(web: Web, host: str, method: str, uri: str, secure: bool) -> Answer:
    site = web.site(host)
    if site is None:
        return _status_answer(404)
    if not (site.https if secure else site.http):
        return Answer(status=0, drop=True)
    if method not in ("GET", "HEAD"):
        return _status_answer(405, (("Allow", "GET, HEAD"),))
    if not secure and site.https_redirect:
        return _status_answer(301, (("Location", f"https://{site.host}{uri}"),))
    raw_path, _, query = uri.partition("?")
    path = unquote_to_bytes(raw_path).decode("utf-8", "replace")
    route = site.find_route(path)
    if route is not None:
        return _route_answer(route, site.lookup(path), path)
    found = site.lookup(path)
    if found is None:
        return _status_answer(404)
    if found.file is None:  # a folder without its trailing slash
        location = raw_path + "/" + (f"?{query}" if query else "")
        return _status_answer(301, (("Location", location),))
    return Answer(
        status=200,
        headers=(("Content-Type", content_type_for(found.file.name)),),
        body=found.file.read_bytes(),
    )


def _route_answer(route: Route, found: PathLookup | None, path: str) -> Answer:
    status = route.effective_status
    if route.file is not None:
        body, content_type = route.file.read_bytes(), content_type_for(route.file.name)
    elif route.body is not None:
        body, content_type = route.body, _generated_type(path)
    elif found is not None and found.file is not None:
        body, content_type = found.file.read_bytes(), content_type_for(found.file.name)
    else:
        body, content_type = _status_page(status), HTML_CONTENT_TYPE
    if route.repeat_body_kb is not None:
        body = _pad(body, route.repeat_body_kb * 1024)
    headers = [("Content-Type", route.content_type or content_type)]
    if route.location is not None:
        headers.append(("Location", route.location))
    headers.extend(route.headers)
    return Answer(
        status=status,
        headers=tuple(headers),
        body=body,
        delay=route.delay,
        hold_until=route.hold_until,
        truncate_at=route.truncate_at,
    )


def _generated_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return CONTENT_TYPES.get(suffix, HTML_CONTENT_TYPE)


def _status_answer(status: int, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(
        status=status,
        headers=(("Content-Type", HTML_CONTENT_TYPE), *headers),
        body=_status_page(status),
    )


def _status_page(status: int) -> bytes:
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1></body></html>\n"
    ).encode()


def _pad(body: bytes, size: int) -> bytes:
    """Append whitespace lines so the body is exactly ``size`` bytes (if shorter)."""
    missing = size - len(body)
    if missing <= 0:
        return body
    line = b" " * 63 + b"\n"
    return body + (line * (missing // len(line) + 1))[:missing]


class CertificateAuthority:
    """A throwaway CA issuing one certificate per host name (EC P-256, fast)."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "linkspider test web CA")])
        self.cert = (
            _builder(name, name, self._key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .sign(self._key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        """The CA certificate, for clients that verify (``ssl`` cafile)."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, names: Sequence[str]) -> x509.Certificate:
        """A server certificate for these DNS names / IP addresses."""
        alt_names: list[x509.GeneralName] = []
        for name in names:
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt_names.append(x509.DNSName(name))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        return (
            _builder(subject, self.cert.subject, self.leaf_key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.now(timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@implementer(IOpenSSLServerConnectionCreator)
class SniContextFactory:
    """Twisted TLS connection creator choosing the certificate by SNI.

    Served hosts get their own certificate (issued on first use); hosts with
    ``https = false`` are switched to a context without any certificate, so the
    handshake fails as on a server that has no TLS for that name.
    """

    def __init__(self, web: Web, ca: CertificateAuthority) -> None:
        self._web = web
        self._ca = ca
        self._contexts: dict[str, SSL.Context] = {}
        self._no_tls = SSL.Context(SSL.TLS_SERVER_METHOD)
        self._default = self._context(["localhost", "127.0.0.1", "::1"])
        self._default.set_tlsext_servername_callback(self._on_server_name)

    def serverConnectionForTLS(self, tlsProtocol: object) -> SSL.Connection:
        """A connection on the default context; SNI may switch it later."""
        return SSL.Connection(self._default, None)

    def _context(self, names: Sequence[str]) -> SSL.Context:
        context = SSL.Context(SSL.TLS_SERVER_METHOD)
        context.use_certificate(self._ca.issue(names))
        context.use_privatekey(self._ca.leaf_key)
        context.add_extra_chain_cert(self._ca.cert)
        return context

    def _on_server_name(self, connection: SSL.Connection) -> None:
        server_name = connection.get_servername()
        site = self._web.site(server_name.decode("ascii", "replace")) if server_name else None
        if site is None:
            return  # unknown or no name: default certificate, the Host header decides
        if not site.https:
            connection.set_context(self._no_tls)
            return
        if site.host not in self._contexts:
            self._contexts[site.host] = self._context([site.host])
        connection.set_context(self._contexts[site.host])


class WebResource(Resource):
    """Answers every request of every virtual host via ``plan_answer``."""

    isLeaf = True

    def __init__(self, web: Web, reactor: TwistedReactor) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._web = web
        self._reactor = reactor

    def render(self, request: TwistedRequest) -> int:
        host = request.getHeader(b"host") or b""
        answer = plan_answer(
            self._web,
            host.decode("latin-1"),
            request.method.decode("latin-1"),
            request.uri.decode("latin-1"),
            request.isSecure(),
            _range_header(request),
        )
        if answer.drop:
            request.transport.abortConnection()
        elif answer.hold_until is not None and not answer.hold_until.exists():
            _record_held(answer.hold_until, request)
            self._hold(request, answer)
        else:
            self._answer(request, answer)
        return NOT_DONE_YET

    def _answer(self, request: TwistedRequest, answer: Answer) -> None:
        if answer.delay > 0:
            call = self._reactor.callLater(answer.delay, self._send, request, answer)
            request.notifyFinish().addErrback(lambda _: call.cancel() if call.active() else None)
        else:
            self._send(request, answer)

    def _hold(self, request: TwistedRequest, answer: Answer) -> None:
        """Keep the request open until the gate file exists (polled, never blocking)."""
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _: gone.append(True))

        def check() -> None:
            if gone:  # the client gave up
                return
            assert answer.hold_until is not None
            if answer.hold_until.exists():
                self._answer(request, answer)
            else:
                self._reactor.callLater(_GATE_POLL, check)

        self._reactor.callLater(_GATE_POLL, check)

    @staticmethod
    def _send(request: TwistedRequest, answer: Answer) -> None:
        request.setResponseCode(answer.status)
        for name, value in answer.headers:
            request.setHeader(name, value)
        if answer.status not in _NO_BODY_STATUSES:
            request.setHeader(b"content-length", str(len(answer.body)).encode())
            if answer.truncate_at is not None and answer.truncate_at < len(answer.body):
                request.write(answer.body[: answer.truncate_at])
                request.transport.loseConnection()  # after the bytes written so far
                return
            request.write(answer.body)
        request.finish()


def _range_header(request: TwistedRequest) -> str | None:
    value = request.getHeader(b"range")
    return None if value is None else bytes(value).decode("latin-1")


_GATE_POLL = 0.02  # seconds between looks at a closed gate's file


def _record_held(gate: Path, request: TwistedRequest) -> None:
    """Append the held request to ``<gate>.held``: tests wait on this count, not a clock."""
    host = (request.getHeader(b"host") or b"").decode("latin-1")
    line = f"{host} {request.uri.decode('latin-1')}\n"
    with gate.with_name(gate.name + ".held").open("a", encoding="utf-8") as f:
        f.write(line)


class _WebSite(Site):
    """``Site`` with an optional one-line-per-request log on stderr."""

    def __init__(self, resource: Resource, access_log: bool) -> None:
        super().__init__(resource)  # type: ignore[no-untyped-call]
        self.noisy = False
        self._access_log = access_log

    def log(self, request: TwistedRequest) -> None:
        if self._access_log:
            scheme = "https" if request.isSecure() else "http"
            host = (request.getHeader(b"host") or b"-").decode("latin-1")
            line = f"{scheme} {host} {request.method.decode()} {request.uri.decode()}"
            print(f"{line} -> {request.code}", file=sys.stderr, flush=True)


class _Silent(Protocol):
    """Accepts a connection and never says anything."""


class TestWebServer:
    """All listening ports of one test web."""

    __test__ = False  # not a pytest test class

    def __init__(self, web: Web, host: str = "127.0.0.1", *, access_log: bool = False) -> None:
        self.web = web
        self.host = host
        self.access_log = access_log
        self.ca = CertificateAuthority()
        self._ports: list[Any] = []
        self._refused: socket.socket | None = None

    def listen(self, reactor: TwistedReactor, ca_file: Path | None = None) -> WebState:
        """Bind every port now (errors raise here) and describe them."""
        site = _WebSite(WebResource(self.web, reactor), self.access_log)
        http = reactor.listenTCP(0, site, interface=self.host)
        tls = SniContextFactory(self.web, self.ca)
        https = reactor.listenSSL(0, site, tls, interface=self.host)
        hang_factory = Factory.forProtocol(_Silent)
        hang_factory.noisy = False
        hang = reactor.listenTCP(0, hang_factory, interface=self.host)
        self._ports = [http, https, hang]
        # Bound but never listening: the kernel refuses connections, and keeping
        # the socket open stops anyone else from taking the port.
        family = socket.AF_INET6 if ipaddress.ip_address(self.host).version == 6 else socket.AF_INET
        self._refused = socket.socket(family, socket.SOCK_STREAM)
        self._refused.bind((self.host, 0))
        if ca_file is not None:
            ca_file.write_bytes(self.ca.pem())
        return WebState(
            address=self.host,
            http_port=_port_of(http),
            https_port=_port_of(https),
            refused_port=self._refused.getsockname()[1],
            hang_port=_port_of(hang),
            hosts=self.web.hosts,
            refused_hosts=list(self.web.refused_hosts),
            hang_hosts=list(self.web.hang_hosts),
            pid=os.getpid(),
            ca_file=str(ca_file) if ca_file is not None else None,
        )

    def stop(self) -> None:
        """Stop listening and release the refused port."""
        for port in self._ports:
            port.stopListening()
        self._ports = []
        if self._refused is not None:
            self._refused.close()
            self._refused = None


def _port_of(port: Any) -> int:
    address: Any = port.getHost()
    return int(address.port)


def serve(
    web: Web,
    state_file: Path,
    host: str = "127.0.0.1",
    *,
    access_log: bool = False,
    exit_with_parent: bool = False,
) -> None:
    """Run the test web until SIGTERM/SIGINT; the state file exists while it listens."""
    from twisted.internet import reactor as _reactor
    from twisted.internet.task import LoopingCall
    from twisted.logger import (
        FilteringLogObserver,
        LogLevel,
        LogLevelFilterPredicate,
        globalLogBeginner,
        textFileLogObserver,
    )

    reactor: TwistedReactor = _reactor
    warnings_only: Any = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    stderr: Any = textFileLogObserver(sys.stderr)
    observer: Any = FilteringLogObserver(stderr, [warnings_only])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    server = TestWebServer(web, host, access_log=access_log)
    ca_file = state_file.with_name(f"{state_file.stem}-ca.pem")
    state = server.listen(reactor, ca_file)
    reactor.callWhenRunning(state.write, state_file)
    if exit_with_parent:
        parent = os.getppid()

        def stop_if_orphaned() -> None:
            if os.getppid() != parent:
                reactor.stop()

        LoopingCall(stop_if_orphaned).start(1.0, now=False)
    try:
        reactor.run()
    finally:
        server.stop()
        if _written_by_me(state_file):  # a newer server may have taken the path over
            state_file.unlink()
            ca_file.unlink(missing_ok=True)


def _written_by_me(state_file: Path) -> bool:
    try:
        return WebState.read(state_file).pid == os.getpid()
    except RuntimeError:
        return False
