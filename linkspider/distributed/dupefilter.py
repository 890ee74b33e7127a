"""The shared duplicate filter: scrapy-redis' exact set, or a Bloom filter for huge crawls.

``set`` (default) is scrapy-redis' ``RFPDupeFilter``: a Redis set of SHA-1 fingerprints,
exact, about 100 bytes of Redis memory per request (10 GB for 100 million URLs).

``bloom`` (``linkspider enqueue --dupefilter bloom --bloom-capacity N --bloom-error-rate P``)
keeps a bitmap of ``-N ln P / ln² 2`` bits (14.4 bits a URL at P=1e-3, 28.8 at P=1e-6):
180 MB for 100 million URLs at P=1e-4. The price: it can take a new URL for one already
seen, with probability up to P once N URLs are in (more beyond N), and that URL is then
never crawled, silently. Bits cannot be removed, and N is fixed when the crawl is queued.
The bitmap is one Redis string, at most 512 MB (2³² bits).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

from linkspider.distributed.frontier import DupefilterSpec, Frontier, FrontierError

if TYPE_CHECKING:
    from redis import Redis

MAX_BITS = 2**32  # a Redis string holds at most 512 MB
LOCAL_CACHE_SIZE = 200_000  # fingerprints a worker remembers locally (~25 MB)

# Set the request's bits; it was seen (1) when all of them were already set.
_TEST_AND_SET = """
local seen = 1
for i = 1, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then seen = 0 end
end
return seen
"""
# The same tests, then, for a request not seen, its push onto the frontier (a sorted set):
# one round trip instead of two. KEYS: filter, frontier; ARGV: score, encoded request, then
# the fingerprint (set) or the bit offsets (Bloom). Both return 1 when it was seen.
_ADD_AND_PUSH = """
if redis.call('SADD', KEYS[1], ARGV[3]) == 0 then return 1 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 0
"""
_TEST_SET_AND_PUSH = """
local seen = 1
for i = 3, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then seen = 0 end
end
if seen == 0 then redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2]) end
return seen
"""

#: What a new request becomes on the frontier: ``(frontier key, score, encoded request)``.
Push = Callable[[], tuple[str, float, bytes]]


def bloom_size(capacity: int, error_rate: float) -> tuple[int, int]:
    """``(bits, hash functions)`` of a Bloom filter for ``capacity`` items at ``error_rate``."""
    if capacity < 1:
        raise FrontierError(f"bloom capacity must be at least 1, got {capacity}")
    if not 0 < error_rate < 1:
        raise FrontierError(f"bloom error rate must be between 0 and 1, got {error_rate}")
    bits = math.ceil(-capacity * math.log(error_rate) / math.log(2) ** 2)
    if bits > MAX_BITS:
        raise FrontierError(
            f"a Bloom filter for {capacity} URLs at error rate {error_rate} needs "
            f"{bits / 8 / 2**20:.0f} MB, over Redis' 512 MB per key: lower the capacity or "
            "raise the error rate"
        )
    hashes = max(1, round(bits / capacity * math.log(2)))
    return bits, hashes


class SetDupeFilter(RFPDupeFilter):  # type: ignore[misc]  # untyped base
    """scrapy-redis' duplicate filter (a Redis set of fingerprints), asking Redis only about
    requests new to this worker.

    A page links to the same navigation URLs as its neighbours: most requests a worker
    makes it has made before. Fingerprints this worker has already added to the shared
    filter are remembered locally (up to ``LOCAL_CACHE_SIZE``, then forgotten at once, so
    memory stays bounded) and answered without a round trip. The answer is the same:
    nothing is ever removed from the shared filter.

    Given ``push`` (the scheduler's), a request new to the filter is also put on the
    frontier in the same Redis call (a Lua script): one round trip per new request, not two.
    """

    def __init__(self, server: Redis, key: str, debug: bool = False) -> None:
        super().__init__(server, key, debug)
        self._local: set[str] = set()
        self._add_and_push = server.register_script(_ADD_AND_PUSH)

    def request_seen(self, request: Request, push: Push | None = None) -> bool:
        """Whether ``request`` was seen; if not, it is now (and pushed, given ``push``)."""
        fingerprint: str = self.request_fingerprint(request)
        if fingerprint in self._local:
            return True
        if push is None:
            seen = self._test_and_add(fingerprint)
        else:
            seen = self._test_add_push(fingerprint, *push())
        if len(self._local) >= LOCAL_CACHE_SIZE:
            self._local.clear()
        self._local.add(fingerprint)
        return seen

    def _test_and_add(self, fingerprint: str) -> bool:
        return bool(self.server.sadd(self.key, fingerprint) == 0)

    def _test_add_push(self, fingerprint: str, queue: str, score: float, data: bytes) -> bool:
        return bool(self._add_and_push(keys=[self.key, queue], args=[score, data, fingerprint]))


class BloomDupeFilter(SetDupeFilter):
    """The same, with the fingerprints kept in a Redis Bloom filter (see the module docs)."""

    def __init__(
        self, server: Redis, key: str, capacity: int, error_rate: float, debug: bool = False
    ) -> None:
        super().__init__(server, key, debug)
        self.bits, self.hashes = bloom_size(capacity, error_rate)
        self._script = server.register_script(_TEST_AND_SET)
        self._set_and_push = server.register_script(_TEST_SET_AND_PUSH)

    def positions(self, fingerprint: str) -> list[int]:
        """The filter's bit offsets for one fingerprint (double hashing)."""
        digest = hashlib.blake2b(fingerprint.encode(), digest_size=16).digest()
        first = int.from_bytes(digest[:8], "big")
        step = int.from_bytes(digest[8:], "big") | 1
        return [(first + i * step) % self.bits for i in range(self.hashes)]

    def _test_and_add(self, fingerprint: str) -> bool:
        return bool(self._script(keys=[self.key], args=self.positions(fingerprint)))

    def _test_add_push(self, fingerprint: str, queue: str, score: float, data: bytes) -> bool:
        args: list[float | bytes | int] = [score, data, *self.positions(fingerprint)]
        return bool(self._set_and_push(keys=[self.key, queue], args=args))


def make_dupefilter(frontier: Frontier, spec: DupefilterSpec, debug: bool = False) -> SetDupeFilter:
    """The duplicate filter the crawl was queued with."""
    key = frontier.keys.dupefilter
    if spec.kind == "bloom":
        return BloomDupeFilter(frontier.server, key, spec.capacity, spec.error_rate, debug)
    if spec.kind == "set":
        return SetDupeFilter(frontier.server, key, debug)
    raise FrontierError(f"unknown duplicate filter {spec.kind!r} (set or bloom)")
