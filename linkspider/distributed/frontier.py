"""The shared crawl in Redis: key names, the crawl definition and the workers' states.

One crawl (``linkspider enqueue --crawl NAME``, default ``backlinks``) lives under the key
prefix ``linkspider:NAME:``:

==============  ======  ================================================================
key             type    contents
==============  ======  ================================================================
``definition``  string  JSON written by ``linkspider enqueue``: targets, scope, depth, page
                        budget and duplicate filter, so that every worker crawls alike
``requests``    zset    the frontier: scrapy-redis' priority queue (score = depth)
``dupefilter``  set     fingerprints of every request ever queued (``bloom``: a bitmap)
``budget``      hash    pages taken per site (``SiteBudgetMiddleware``'s shared counter)
``workers``     hash    worker id -> ``busy <t>`` or ``idle <t>`` (Redis server time, s)
``done``        string  set when the frontier is empty and no worker is busy
==============  ======  ================================================================

**When is a crawl shared by many workers finished?** A worker's requests are either in
the frontier or in flight on a worker marked ``busy``: a worker marks itself busy in the
same atomic step that pops a request (a Lua script), and idle only when Scrapy finds it
idle (nothing downloading, nothing being parsed; whatever its pages linked to is already
queued). So "frontier empty and no worker busy", read in one atomic step, means done. A
busy worker whose heartbeat is older than ``LINKSPIDER_REDIS_WORKER_TIMEOUT`` counts as
gone (killed, or its machine lost): the requests it had in flight are lost.

Settings: ``LINKSPIDER_REDIS_URL`` (default ``redis://localhost:6379/0``),
``LINKSPIDER_REDIS_CRAWL`` and ``LINKSPIDER_REDIS_WORKER`` (set by the
``backlinks_distributed`` spider from ``-a crawl=`` and ``-a worker=``),
``LINKSPIDER_REDIS_WORKER_TIMEOUT`` (seconds, default 60).
"""

from __future__ import annotations

import json
import os
import re
import socket
import weakref
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from linkspider.config.sources import ConfigError
from linkspider.config.targets import Target, TargetSet
from linkspider.core.setting_values import float_setting, text_setting
from linkspider.settings_reference import default_of

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

DEFAULT_REDIS_URL = default_of("LINKSPIDER_REDIS_URL", str)
DEFAULT_CRAWL = "backlinks"
DEFAULT_WORKER_TIMEOUT = default_of("LINKSPIDER_REDIS_WORKER_TIMEOUT", float)
DEFINITION_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# Pop the lowest-score request and mark the worker busy, in one atomic step.
_POP_AND_MARK_BUSY = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 'busy ' .. redis.call('TIME')[1])
return found[1]
"""
# Mark the worker idle; the crawl is done when nothing is queued and no live worker is busy.
_IDLE_AND_CHECK_DONE = """
local now = tonumber(redis.call('TIME')[1])
redis.call('HSET', KEYS[2], ARGV[1], 'idle ' .. now)
if redis.call('EXISTS', KEYS[3]) == 1 then return 1 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
local states = redis.call('HGETALL', KEYS[2])
for i = 2, #states, 2 do
  local state, seen = string.match(states[i], '^(%a+) (%d+)$')
  if state == 'busy' and now - tonumber(seen) <= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[3], now)
return 1
"""
# Mark the worker busy (it holds requests outside the frontier).
_MARK_BUSY = """
redis.call('HSET', KEYS[1], ARGV[1], 'busy ' .. redis.call('TIME')[1])
return 1
"""
# Refresh the worker's heartbeat, keeping its state.
_HEARTBEAT = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local state = current and string.match(current, '^(%a+)') or 'idle'
redis.call('HSET', KEYS[1], ARGV[1], state .. ' ' .. redis.call('TIME')[1])
return 1
"""


class FrontierError(ConfigError):
    """Redis is unreachable, or the crawl is missing or inconsistent; the message says which."""


def check_name(value: str, what: str) -> str:
    """A crawl or worker name: letters, digits, ``.``, ``_``, ``-`` (it becomes a path)."""
    if not _NAME_RE.match(value):
        raise FrontierError(
            f"{what} {value!r} must be 1-100 letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit)"
        )
    return value


def default_worker_id() -> str:
    """``<host>-<pid>``: unique among the workers of one crawl."""
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:60] or "worker"
    return f"{host}-{os.getpid()}"


def redact_url(url: str) -> str:
    """The Redis URL without its password, for logs and reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def connect(url: str) -> Redis:
    """A Redis client for ``url``, checked with a PING; a clear error otherwise."""
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the installation
        raise FrontierError(
            "distributed crawling needs the redis client: pip install 'linkspider[distributed]'"
        ) from None
    try:
        client: Redis = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)
        client.ping()
    except ValueError as exc:
        raise FrontierError(f"bad Redis URL {redact_url(url)!r}: {exc}") from None
    except redis.RedisError as exc:
        raise FrontierError(f"cannot reach Redis at {redact_url(url)}: {exc}") from None
    return client


@dataclass(frozen=True)
class CrawlKeys:
    """Redis key names of one crawl."""

    crawl: str

    @property
    def prefix(self) -> str:
        return f"linkspider:{self.crawl}:"

    @property
    def definition(self) -> str:
        return self.prefix + "definition"

    @property
    def requests(self) -> str:
        return self.prefix + "requests"

    @property
    def dupefilter(self) -> str:
        return self.prefix + "dupefilter"

    @property
    def budget(self) -> str:
        return self.prefix + "budget"

    @property
    def workers(self) -> str:
        return self.prefix + "workers"

    @property
    def done(self) -> str:
        return self.prefix + "done"

    def all(self) -> list[str]:
        return [self.definition, self.requests, self.dupefilter, self.budget, self.workers,
                self.done]  # fmt: skip


@dataclass(frozen=True)
class DupefilterSpec:
    """How the shared duplicate filter remembers requests (decided once, at enqueue)."""

    kind: str = "set"  # "set": exact, ~100 bytes a URL; "bloom": ~2-4 bytes, false positives
    capacity: int = 0  # bloom: number of requests it is sized for
    error_rate: float = 0.0  # bloom: chance that a new request is taken for a seen one


@dataclass
class CrawlDefinition:
    """What every worker of a crawl must agree on; stored as JSON by ``linkspider enqueue``."""

    crawl: str
    scope: str
    depth: int
    max_pages_per_site: int
    targets: TargetSet
    targets_spec: str = ""
    seeds_spec: str = ""
    dupefilter: DupefilterSpec = field(default_factory=DupefilterSpec)
    created_at: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": DEFINITION_VERSION,
                "crawl": self.crawl,
                "scope": self.scope,
                "depth": self.depth,
                "max_pages_per_site": self.max_pages_per_site,
                "all_external": self.targets.all_external,
                "targets": [asdict(t) for t in self.targets.targets],
                "targets_spec": self.targets_spec,
                "seeds_spec": self.seeds_spec,
                "dupefilter": asdict(self.dupefilter),
                "created_at": self.created_at,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CrawlDefinition:
        data: dict[str, Any] = json.loads(text)
        if data.get("version") != DEFINITION_VERSION:
            raise FrontierError(
                f"crawl definition version {data.get('version')!r} is not supported by this "
                f"linkspider (expects {DEFINITION_VERSION}): re-enqueue with --reset"
            )
        targets = TargetSet(
            targets=tuple(
                Target(
                    domain=t["domain"],
                    brand=tuple(t.get("brand", ())),
                    keywords=tuple(t.get("keywords", ())),
                    generic=tuple(t.get("generic", ())),
                )
                for t in data["targets"]
            ),
            all_external=bool(data["all_external"]),
        )
        return cls(
            crawl=data["crawl"],
            scope=data["scope"],
            depth=int(data["depth"]),
            max_pages_per_site=int(data["max_pages_per_site"]),
            targets=targets,
            targets_spec=data.get("targets_spec", ""),
            seeds_spec=data.get("seeds_spec", ""),
            dupefilter=DupefilterSpec(**data.get("dupefilter", {})),
            created_at=data.get("created_at", ""),
        )

    def same_crawl(self, other: CrawlDefinition) -> bool:
        """Whether ``other`` crawls alike (seeds and time of creation aside)."""
        mine = json.loads(self.to_json())
        theirs = json.loads(other.to_json())
        for data in (mine, theirs):
            for key in ("seeds_spec", "created_at", "targets_spec"):
                data.pop(key)
        return bool(mine == theirs)


class Frontier:
    """One worker's (or ``linkspider enqueue``'s) handle on a shared crawl."""

    def __init__(
        self,
        server: Redis,
        crawl: str,
        worker: str = "",
        url: str = DEFAULT_REDIS_URL,
        worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
    ) -> None:
        self.server = server
        self.keys = CrawlKeys(check_name(crawl, "crawl name"))
        self.worker = check_name(worker, "worker id") if worker else ""
        self.url = url
        self.worker_timeout = worker_timeout
        self._pop = server.register_script(_POP_AND_MARK_BUSY)
        self._idle = server.register_script(_IDLE_AND_CHECK_DONE)
        self._heartbeat = server.register_script(_HEARTBEAT)
        self._busy = server.register_script(_MARK_BUSY)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Frontier:
        url = text_setting(settings, "LINKSPIDER_REDIS_URL") or DEFAULT_REDIS_URL
        return cls(
            connect(url),
            settings.get("LINKSPIDER_REDIS_CRAWL") or DEFAULT_CRAWL,
            settings.get("LINKSPIDER_REDIS_WORKER") or "",
            url=url,
            worker_timeout=float_setting(settings, "LINKSPIDER_REDIS_WORKER_TIMEOUT", minimum=0),
        )

    # -- the crawl definition ------------------------------------------------------------

    def load_definition(self) -> CrawlDefinition:
        raw = self.server.get(self.keys.definition)
        if raw is None:
            raise FrontierError(
                f"no crawl {self.keys.crawl!r} in Redis at {redact_url(self.url)}: "
                f"run `linkspider enqueue --crawl {self.keys.crawl} ...` first"
            )
        return CrawlDefinition.from_json(raw)

    def store_definition(self, definition: CrawlDefinition) -> None:
        self.server.set(self.keys.definition, definition.to_json())

    def reset(self) -> int:
        """Delete every key of the crawl; return how many existed."""
        return int(self.server.delete(*self.keys.all()))

    # -- worker states -------------------------------------------------------------------

    def pop_request(self) -> bytes | None:
        """The next encoded request (lowest depth first); marks this worker busy."""
        found = self._pop(keys=[self.keys.requests, self.keys.workers], args=[self.worker])
        return bytes(found) if found is not None else None

    def idle_and_check_done(self) -> bool:
        """Mark this worker idle; True when the whole crawl is finished."""
        done = self._idle(
            keys=[self.keys.requests, self.keys.workers, self.keys.done],
            args=[self.worker, int(self.worker_timeout)],
        )
        return bool(done)

    def mark_busy(self) -> None:
        self._busy(keys=[self.keys.workers], args=[self.worker])

    def heartbeat(self) -> None:
        self._heartbeat(keys=[self.keys.workers], args=[self.worker])

    def leave(self) -> None:
        self.server.hdel(self.keys.workers, self.worker)

    def workers(self) -> dict[str, str]:
        states: dict[bytes, bytes] = self.server.hgetall(self.keys.workers)  # type: ignore[assignment]
        return {k.decode(): v.decode() for k, v in states.items()}

    def is_done(self) -> bool:
        return bool(self.server.exists(self.keys.done))

    def queued(self) -> int:
        return int(self.server.zcard(self.keys.requests))


_frontiers: weakref.WeakKeyDictionary[Crawler, Frontier] = weakref.WeakKeyDictionary()


def frontier_for(crawler: Crawler) -> Frontier:
    """The crawler's frontier: one Redis connection pool shared by its components."""
    frontier = _frontiers.get(crawler)
    if frontier is None:
        frontier = _frontiers[crawler] = Frontier.from_settings(crawler.settings)
    return frontier
