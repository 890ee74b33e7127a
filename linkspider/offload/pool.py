"""Extraction processes: the crawl's parsing on the machine's other cores.

A crawl without latency is bound by one core: Scrapy's machinery and linkspider's
extraction share the process's interpreter. The pool moves extraction (parse, link scan,
backlink rows, the links to follow: :func:`linkspider.extract.crawl_page.crawl_page`) and
the ``render=auto`` check of raw pages to ``LINKSPIDER_EXTRACT_PROCESSES`` child processes
(``auto``: one when the machine has two cores or more), spoken to over pipes through the
reactor: no threads, no locks. :func:`pool_for` gives a crawl's pool (None without one) to
the spider and to the render middleware alike; it starts at the first job and ends when
the exports start, or the spider closes (the processes are waited for).

Nothing is lost when a process fails: a job whose process died, or that raised there,
fails with :class:`ExtractionUnavailable` and the caller does the job itself (so a page
that breaks extraction fails in the crawl exactly as it would without the pool). A process
that died is not replaced; when none is left, the crawl does every job itself.

Stats: ``linkspider/offload/<job>`` (jobs sent), ``linkspider/offload/errors`` (jobs that
raised in a process), ``linkspider/offload/process_lost``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
from itertools import count
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.error import ProcessDone
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

from linkspider.core.gcfreeze import ENV as GC_FREEZE_ENV
from linkspider.core.setting_values import bool_setting, text_setting
from linkspider.core.signals import exports_starting
from linkspider.extract.crawl_page import CrawlExtraction, PageJob, RenderCheck
from linkspider.offload.worker import SETUP, FrameReader, frame

logger = logging.getLogger(__name__)

SETTING = "LINKSPIDER_EXTRACT_PROCESSES"
WORKER_MODULE = "linkspider.offload.worker"
PIPE_BYTES = 1024 * 1024  # a pipe's buffer: about ten pages of HTML
CLOSE_TIMEOUT = 10.0  # seconds a process gets to end after its input closed
_JOB_NAMES = {PageJob: "page", RenderCheck: "render_check"}


class ExtractionUnavailable(Exception):
    """The job was not done in an extraction process: do it in the crawl's own."""


def extract_processes(settings: BaseSettings, cpu_count: int | None = None) -> int:
    """``LINKSPIDER_EXTRACT_PROCESSES`` as a number (``auto``: 1 with 2+ cores, else 0)."""
    value = text_setting(settings, SETTING).strip().lower()
    if value == "auto":
        cores = cpu_count if cpu_count is not None else len(os.sched_getaffinity(0))
        return 1 if cores >= 2 else 0
    try:
        processes = int(value)
    except ValueError:
        processes = -1
    if processes < 0:
        raise ValueError(f"{SETTING}: expected auto or a whole number (0: none), got {value!r}")
    return processes


_POOLS: WeakKeyDictionary[Crawler, ExtractionPool | None] = WeakKeyDictionary()


def pool_for(crawler: Crawler) -> ExtractionPool | None:
    """The crawl's extraction pool, None when ``LINKSPIDER_EXTRACT_PROCESSES`` is 0 (one
    pool per crawler, made at the first call; a bad setting is a :class:`UsageError`)."""
    if crawler not in _POOLS:
        try:
            processes = extract_processes(crawler.settings)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        pool = ExtractionPool(processes, crawler) if processes else None
        if pool is not None:
            crawler.signals.connect(pool.close, signal=signals.spider_closed)
            # Before the exports, when the crawl has a run report (no pages come any more).
            crawler.signals.connect(pool.close, signal=exports_starting)
        _POOLS[crawler] = pool
    return _POOLS[crawler]


class _Worker(ProcessProtocol):
    def __init__(self, pool: ExtractionPool) -> None:
        self.pool = pool
        self.pending: dict[int, Deferred[Any]] = {}
        self.reader = FrameReader()
        self.alive = True
        self.broken = False  # its answers could not be read: no new jobs
        self._waiters: list[Deferred[None]] = []  # fired when the process has ended
        self.pipes: Any = None  # the process transport (zope interfaces do not type-check)
        self.has_setup = False

    @property
    def ready(self) -> bool:
        return self.alive and not self.broken

    def connectionMade(self) -> None:
        self.pipes = self.transport
        for child_fd in (0, 1):  # room for several pages in each pipe (Linux: 64 KiB)
            _widen_pipe(getattr(self.pipes.pipes.get(child_fd), "fd", None))

    def send(self, job_id: int, job: object) -> Deferred[Any]:
        if isinstance(job, PageJob) and not self.has_setup and self.pool.setup is not None:
            self.pipes.write(frame((SETUP, self.pool.setup)))
            self.has_setup = True
        answer: Deferred[Any] = Deferred()
        self.pending[job_id] = answer
        self.pipes.write(frame((job_id, job)))
        return answer

    def outReceived(self, data: bytes) -> None:
        try:
            answers = self.reader.feed(data)
        except Exception as exc:  # a corrupt stream: stop using this process
            logger.warning(f"extraction process: unreadable answer ({exc}); stopping it")
            self.broken = True
            self.kill()
            return
        for job_id, value, error in answers:
            answer = self.pending.pop(job_id, None)
            if answer is None:
                continue
            if value is None:
                self.pool.stats_inc("linkspider/offload/errors")
                answer.errback(ExtractionUnavailable(error))
            else:
                answer.callback(value)

    def errReceived(self, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            if line.strip():
                logger.warning(f"extraction process: {line}")

    def processEnded(self, reason: Failure) -> None:
        self.alive = False
        pending, self.pending = self.pending, {}
        if not self.pool.closing or pending or not isinstance(reason.value, ProcessDone):
            self.pool.lost(reason, len(pending))
        for answer in pending.values():
            answer.errback(ExtractionUnavailable("the extraction process ended"))
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(None)

    def close_input(self) -> None:
        """Close the process's input: it answers the jobs it has, then ends."""
        if self.alive and self.pipes is not None:
            self.pipes.closeStdin()

    def when_ended(self) -> Deferred[None]:
        """Fires when the process has ended (and was reaped); at once if it has."""
        if not self.alive or self.pipes is None:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._waiters.append(waiter)
        return waiter

    def kill(self) -> None:
        if self.alive and self.pipes is not None:
            self.pipes.signalProcess("KILL")


class ExtractionPool:
    """``processes`` extraction processes, started at the first job."""

    def __init__(self, processes: int, crawler: Crawler | None = None) -> None:
        self.processes = processes
        self.crawler = crawler
        self.setup: CrawlExtraction | None = None
        self.closing = False
        self._workers: list[_Worker] | None = None
        self._ids = count(SETUP + 1)
        self._kill_timer: Any = None  # kills the processes that have not ended in time
        #: LINKSPIDER_GC_FREEZE, for the processes (they read no settings)
        self.gc_freeze = (
            bool_setting(crawler.settings, "LINKSPIDER_GC_FREEZE") if crawler is not None else True
        )

    def configure(self, setup: CrawlExtraction) -> None:
        """What page jobs are extracted with (sent to each process before its first)."""
        self.setup = setup

    @property
    def running(self) -> int:
        """Processes started and not yet ended."""
        return sum(worker.alive for worker in self._workers or [])

    @property
    def available(self) -> bool:
        return not self.closing and (self._workers is None or any(w.ready for w in self._workers))

    async def answer(self, job: PageJob | RenderCheck) -> Any | None:
        """The answer to ``job`` from an extraction process; None when there is none to be
        had (no process left, or the job failed there): the caller does the job itself."""
        if not self.available:
            return None
        try:
            return await maybe_deferred_to_future(self.submit(job))
        except ExtractionUnavailable:
            return None

    def submit(self, job: PageJob | RenderCheck) -> Deferred[Any]:
        """The answer to ``job``; fails with :class:`ExtractionUnavailable`."""
        workers = [] if self.closing else [w for w in self._start() if w.ready]
        if not workers or (isinstance(job, PageJob) and self.setup is None):
            failed: Deferred[Any] = Deferred()
            failed.errback(ExtractionUnavailable("no extraction process"))
            return failed
        worker = min(workers, key=lambda w: len(w.pending))
        self.stats_inc(f"linkspider/offload/{_JOB_NAMES[type(job)]}")
        return worker.send(next(self._ids), job)

    def _start(self) -> list[_Worker]:
        if self._workers is None:
            reactor = _reactor()
            # The child imports what this process imports (a Scrapyd egg included).
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            env[GC_FREEZE_ENV] = "1" if self.gc_freeze else "0"
            self._workers = []
            for _ in range(self.processes):
                worker = _Worker(self)
                try:
                    reactor.spawnProcess(
                        worker, sys.executable, [sys.executable, "-m", WORKER_MODULE], env=env
                    )
                except OSError as exc:  # no process to be had: the crawl extracts itself
                    logger.warning(f"no extraction process ({exc}); pages are parsed here")
                    break
                self._workers.append(worker)
            if self._workers:
                logger.info(f"extraction in {len(self._workers)} process(es) ({SETTING})")
        return self._workers

    def lost(self, reason: Failure, pending: int) -> None:
        self.stats_inc("linkspider/offload/process_lost")
        left = sum(w.ready for w in self._workers or [])
        logger.warning(
            f"an extraction process ended ({reason.getErrorMessage()}); the crawl does the "
            f"{pending} job(s) it held itself; {left} extraction process(es) left"
        )

    async def close(self, *_: Any) -> None:
        """End the processes; returns when they have ended (killed after
        :data:`CLOSE_TIMEOUT` seconds). Scrapy waits for it before the crawl ends, so no
        process is left behind and their CPU time counts in the crawl's."""
        workers = self._workers or []
        if not self.closing:  # the first call (exports_starting or spider_closed)
            self.closing = True
            for worker in workers:
                worker.close_input()
            if workers:
                self._kill_timer = _reactor().callLater(CLOSE_TIMEOUT, self.kill)
        # Every caller waits: Scrapy may run the second caller's coroutine first.
        await maybe_deferred_to_future(DeferredList([worker.when_ended() for worker in workers]))
        if self._kill_timer is not None and self._kill_timer.active():
            self._kill_timer.cancel()

    def kill(self) -> None:
        """Kill the processes (their jobs are then done by the crawl's process)."""
        for worker in self._workers or []:
            worker.kill()

    def stats_inc(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _widen_pipe(fd: int | None) -> None:
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if fd is None or set_size is None:
        return
    for size in (PIPE_BYTES, PIPE_BYTES // 4):  # pipe-max-size may be lower than ours
        try:
            fcntl.fcntl(fd, set_size, size)
            return
        except OSError:
            continue


def _reactor() -> Any:
    from twisted.internet import reactor

    return reactor
