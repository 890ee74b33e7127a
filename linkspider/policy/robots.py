"""robots.txt per RFC 9309: what a fetch outcome means, and the per-origin cache.

The status policy (RFC 9309 section 2.3.1):

========================  ==================================================
outcome                   meaning for the origin
========================  ==================================================
2xx                       parse the file (at most the first 500 KiB)
3xx with a Location       follow, up to 5 hops, across hosts too
more than 5 redirects     unavailable: allow everything
4xx (404, 410, 401, 403)  unavailable: allow everything
429, 5xx                  unreachable: disallow everything, retry later
no response (timeout,     unreachable: disallow everything, retry later
DNS, refused, TLS)
========================  ==================================================

"Unreachable" holds the origin's pages back and fetches robots.txt again later with a
growing delay; after a bounded number of retries the cache gives up and the origin's
pages are not crawled (``robots-unavailable``). A host that refused the connection on both
schemes (https and http, default ports) is given up at once: nothing listens there, and
waiting for retries would only hold the crawl. Every entry is kept at most
``max_age`` seconds (24 h by default), then fetched again.

An origin is scheme, host and port (``https://example.com:443``), as RFC 9309 says: the
http and https sites of a host have separate robots files.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol
from urllib.parse import urlsplit

import brotli  # type: ignore[import-untyped]  # a Scrapy dependency

MAX_REDIRECTS = 5
REFUSED = "connection-refused"  # the failure kind (linkspider.core.failures)
DEFAULT_MAX_BYTES = 500 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}


class Outcome(str, Enum):
    """What a robots.txt response means for its origin."""

    PARSE = "parse"  # 2xx: the rules apply
    FOLLOW = "follow"  # a redirect to follow
    ALLOW_ALL = "allow-all"  # "unavailable": no rules
    UNREACHABLE = "unreachable"  # complete disallow until it answers


def status_outcome(status: int, has_location: bool = True, hops: int = 0) -> Outcome:
    """The outcome of an HTTP answer to a robots.txt request.

    ``hops`` is how many redirects were already followed to get this answer.
    """
    if 200 <= status < 300:
        return Outcome.PARSE
    if status in REDIRECT_STATUSES and has_location:
        return Outcome.FOLLOW if hops < MAX_REDIRECTS else Outcome.ALLOW_ALL
    if status == 429 or 500 <= status < 600:
        return Outcome.UNREACHABLE
    if 300 <= status < 500:  # 4xx, and redirects without a target
        return Outcome.ALLOW_ALL
    return Outcome.UNREACHABLE  # 1xx and nonsense statuses: no usable answer


def origin_of(url: str) -> str:
    """``scheme://host:port`` of an absolute http(s) URL (default port made explicit)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{host}:{port}"


def other_scheme_origin(origin: str) -> str | None:
    """The same host's origin on the other scheme (default ports only), else None."""
    scheme, _, rest = origin.partition("://")
    host, _, port = rest.rpartition(":")
    if not port.isdigit() or DEFAULT_PORTS.get(scheme) != int(port):
        return None
    other = "http" if scheme == "https" else "https"
    return f"{other}://{host}:{DEFAULT_PORTS[other]}"


def robots_url(origin: str) -> str:
    """The robots.txt URL of an origin (default ports left out)."""
    scheme, _, rest = origin.partition("://")
    host, _, port = rest.rpartition(":")
    if DEFAULT_PORTS.get(scheme) == int(port):
        return f"{scheme}://{host}/robots.txt"
    return f"{scheme}://{host}:{port}/robots.txt"


def truncate_robots(body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, bool]:
    """The part of a robots.txt body to parse, and whether it was cut.

    A body over ``max_bytes`` is cut after its last complete line within the limit, so
    that a rule is never read half-way (``Disallow: /private`` must not become
    ``Disallow: /pri``).
    """
    if len(body) <= max_bytes:
        return body, False
    head = body[:max_bytes]
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return (head[: end + 1] if end >= 0 else b""), True


def decoded_head(body: bytes, encodings: Sequence[bytes], limit: int) -> bytes:
    """The first ``limit`` bytes (and one more, to show a cut) of a body with the given
    ``Content-Encoding`` values (gzip, deflate, br), unpacked without unpacking the rest:
    a gzip bomb costs ``limit`` bytes, and a body cut while downloading gives its start.

    ``ValueError`` for an unknown encoding or a body that is not what it says it is.
    """
    names = [name.strip().lower() for value in encodings for name in value.split(b",")]
    for name in reversed([n for n in names if n and n != b"identity"]):
        body = _unpack_head(body, name, limit + 1)
    return body


def _unpack_head(body: bytes, name: bytes, size: int) -> bytes:
    try:
        if name in (b"gzip", b"x-gzip", b"deflate"):
            wbits = 47 if name != b"deflate" else (15 if body[:1] == b"\x78" else -15)
            return zlib.decompressobj(wbits).decompress(body, size)
        if name == b"br":
            return bytes(brotli.Decompressor().process(body, output_buffer_limit=size))[:size]
    except (zlib.error, brotli.error) as exc:
        raise ValueError(f"bad {name.decode('latin-1')} data: {exc}") from None
    raise ValueError(f"unknown Content-Encoding {name.decode('latin-1')!r}")


def decode_robots(body: bytes) -> str:
    """robots.txt is UTF-8 (RFC 9309); a BOM is dropped and bad bytes are replaced."""
    return body.decode("utf-8-sig", errors="replace")


def retry_delay(attempt: int, base: float) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): base, 2x base, 4x base..."""
    return float(base * 2 ** max(attempt - 1, 0))


class Rules(Protocol):
    """What the cache needs from a parsed robots.txt (Protego fits)."""

    def can_fetch(self, url: str, user_agent: str) -> bool: ...

    def crawl_delay(self, user_agent: str) -> float | None: ...


class State(str, Enum):
    RULES = "rules"  # parsed: ask the rules
    ALLOW_ALL = "allow-all"
    WAITING = "waiting"  # unreachable, will be retried at ``retry_at``
    GAVE_UP = "gave-up"  # unreachable after every retry: the origin is not crawled


@dataclass(frozen=True)
class Entry:
    """What is known about one origin's robots.txt."""

    state: State
    expires_at: float  # when to fetch again (WAITING: the retry time)
    rules: Rules | None = None
    attempts: int = 0  # consecutive unreachable fetches
    detail: str = ""  # why unreachable: "HTTP 503", "timeout"...
    error_kind: str = ""  # failure kind of a network error ("timeout"...), else ""
    truncated: bool = False

    def allows(self, url: str, user_agent: str) -> bool:
        if self.state is State.RULES and self.rules is not None:
            return self.rules.can_fetch(url, user_agent)
        return self.state is State.ALLOW_ALL

    def crawl_delay(self, user_agent: str, cap: float) -> float:
        """The origin's Crawl-delay for ``user_agent``, at most ``cap`` seconds (0: none)."""
        if self.rules is None:
            return 0.0
        delay = self.rules.crawl_delay(user_agent)
        return min(float(delay), cap) if delay else 0.0


class RobotsCache:
    """Per-origin robots.txt entries with expiry and bounded retries (no I/O, no clock).

    ``retries``: how many times an unreachable robots.txt is fetched again before giving
    up; ``retry_delay``: seconds before the first retry, doubled each time; ``max_age``:
    seconds an entry is kept.
    """

    def __init__(self, retries: int = 2, retry_delay: float = 30.0, max_age: float = 86400.0):
        self.retries = retries
        self.retry_delay = retry_delay
        self.max_age = max_age
        self._entries: dict[str, Entry] = {}

    def get(self, origin: str, now: float) -> Entry | None:
        """The entry to apply, or None when robots.txt must be fetched (again)."""
        entry = self._entries.get(origin)
        if entry is None:
            return None
        if entry.state is not State.WAITING and now >= entry.expires_at:
            return None
        return entry

    def peek(self, origin: str) -> Entry | None:
        """The entry last stored for ``origin``, expired or not."""
        return self._entries.get(origin)

    def due(self, origin: str, now: float) -> bool:
        """True when a WAITING origin's retry time has come."""
        entry = self._entries.get(origin)
        return entry is not None and entry.state is State.WAITING and now >= entry.expires_at

    def store_rules(self, origin: str, rules: Rules, now: float, truncated: bool = False) -> Entry:
        return self._put(origin, Entry(State.RULES, now + self.max_age, rules, truncated=truncated))

    def store_allow_all(self, origin: str, now: float, detail: str = "") -> Entry:
        return self._put(origin, Entry(State.ALLOW_ALL, now + self.max_age, detail=detail))

    def store_unreachable(
        self, origin: str, now: float, detail: str, error_kind: str = ""
    ) -> Entry:
        """Record a failed fetch: WAITING for a retry, or GAVE_UP after the last one."""
        previous = self._entries.get(origin)
        attempts = previous.attempts + 1 if previous and previous.state is State.WAITING else 1
        if attempts > self.retries or self.refused_both(origin, error_kind):
            entry = Entry(State.GAVE_UP, now + self.max_age, None, attempts, detail, error_kind)
        else:
            retry_at = now + retry_delay(attempts, self.retry_delay)
            entry = Entry(State.WAITING, retry_at, None, attempts, detail, error_kind)
        return self._put(origin, entry)

    def refused_both(self, origin: str, error_kind: str) -> bool:
        """True when ``origin`` and its other-scheme origin both refused the connection."""
        if error_kind != REFUSED:
            return False
        other = self._entries.get(other_scheme_origin(origin) or "")
        return (
            other is not None
            and other.error_kind == REFUSED
            and other.state in (State.WAITING, State.GAVE_UP)
        )

    def give_up(self, origin: str, now: float) -> Entry | None:
        """Turn a WAITING entry into GAVE_UP (no more retries); None if it is not waiting."""
        entry = self._entries.get(origin)
        if entry is None or entry.state is not State.WAITING:
            return None
        return self._put(origin, replace(entry, state=State.GAVE_UP, expires_at=now + self.max_age))

    def _put(self, origin: str, entry: Entry) -> Entry:
        self._entries[origin] = entry
        return entry

    def __len__(self) -> int:
        return len(self._entries)
