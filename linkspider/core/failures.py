"""Name download failures in a few stable words, for ``errors.csv`` and the seed fallback.

Scrapy 2.19 wraps Twisted's network errors in its own exceptions
(``CannotResolveHostError``...); both forms are recognised.

Only :class:`PolicyDrop` requests (robots.txt, SSRF guard, traps, page budget: each listed
or counted by its component) are dropped without an ``errors.csv`` row. Any other
``IgnoreRequest`` is an error: a gzip bomb (``too-large``), too many redirects
(``too-many-redirects``), or whatever a middleware refused (``ignored``, with its message).
"""

from __future__ import annotations

from scrapy import exceptions as sx
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((sx.CannotResolveHostError, net_error.DNSLookupError), "dns-error"),
    ((sx.DownloadConnectionRefusedError, net_error.ConnectionRefusedError), "connection-refused"),
    ((sx.DownloadTimeoutError, net_error.TimeoutError, net_error.TCPTimedOutError), "timeout"),
    ((sx.ResponseDataLossError,), "data-loss"),
    ((sx.UnsupportedURLSchemeError,), "unsupported-scheme"),
    ((sx.DownloadCancelledError,), "cancelled"),
)


#: Failure kinds that mean "the host did not answer".
NETWORK_KINDS = frozenset(
    {"timeout", "dns-error", "connection-refused", "tls-error", "connection-lost"}
)
#: Of those, the ones after which a bare-domain https seed tries http (not DNS: the name
#: does not resolve for http either). The spider and the robots.txt middleware use it.
FALLBACK_KINDS = NETWORK_KINDS - {"dns-error"}


class PolicyDrop(sx.IgnoreRequest):
    """A request not made on purpose; the component that refused it lists or counts it."""


class BodyTooLargeError(Exception):
    """A body over ``DOWNLOAD_MAXSIZE`` that did not announce its size (no Content-Length)."""

    failure_kind = "too-large"


_LOST = (sx.DownloadFailedError, ResponseNeverReceived, ResponseFailed, net_error.ConnectionLost,
         net_error.ConnectionDone, net_error.ConnectError)  # fmt: skip


def failure_kind(failure: Failure) -> str:
    """``http-404``, ``dns-error``, ``connection-refused``, ``timeout``, ``tls-error``..."""
    exc = failure.value
    if exc is None:
        return "unknown"
    if isinstance(exc, HttpError):
        return f"http-{exc.response.status}"
    declared = getattr(exc, "failure_kind", None)  # linkspider's own errors name their kind
    if isinstance(declared, str):
        return declared
    text = str(exc)
    # Scrapy cancels bodies over DOWNLOAD_MAXSIZE, and ignores ones that unpack to more.
    if "download max size" in text or "DOWNLOAD_MAXSIZE" in text:
        return "too-large"
    if isinstance(exc, sx.IgnoreRequest) and "max redirections reached" in text:
        return "too-many-redirects"
    for classes, kind in _KINDS:
        if isinstance(exc, classes):
            return kind
    if _is_tls(exc):
        return "tls-error"
    if isinstance(exc, _LOST):
        return "connection-lost"
    if isinstance(exc, sx.IgnoreRequest):
        return "ignored"
    return type(exc).__name__


def _is_tls(exc: BaseException) -> bool:
    chain: list[object] = [exc, exc.__cause__, *(getattr(exc, "reasons", None) or [])]
    text = " ".join(f"{type(e).__name__} {e!r}" for e in chain if e is not None)
    return "SSL" in text or "TLS" in text or "certificate" in text


def can_fall_back(failure: Failure) -> bool:
    """True when connecting failed in a way plain http might not (not DNS, not HTTP)."""
    return failure_kind(failure) in FALLBACK_KINDS


def is_policy_drop(failure: Failure) -> bool:
    """Requests dropped on purpose (robots, SSRF, traps, budget): listed elsewhere, not errors."""
    return isinstance(failure.value, PolicyDrop)
