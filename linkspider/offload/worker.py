"""An extraction process: jobs in on stdin, answers out on stdout.

Started by :class:`linkspider.offload.pool.ExtractionPool` as ``python -m
linkspider.offload.worker``. Frames are a 4-byte big-endian length and a pickle. In:
``(0, CrawlExtraction)`` (the crawl's targets and rules, before its first page) and
``(job id, job)`` with a :class:`PageJob` or a :class:`RenderCheck`. Out: ``(job id,
answer or None, error text)``. The process ends at the end of its input (the crawl closed
it, or the crawl process is gone) and ignores Ctrl-C: the crawl decides when extraction
stops. No Scrapy, no Twisted: it starts in a fraction of a second and holds only the
extraction code. Once it has the crawl's setup it moves its start-up objects out of the
garbage collector's reach (:mod:`linkspider.core.gcfreeze`; ``LINKSPIDER_GC_FREEZE=0`` in
its environment, set by the pool from the setting, leaves the collector alone).
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import IO, Any

from linkspider.core.gcfreeze import ENV as GC_FREEZE_ENV
from linkspider.core.gcfreeze import freeze_startup_objects
from linkspider.extract.crawl_page import CrawlExtraction, PageJob, RenderCheck, crawl_page

_LENGTH = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024
SETUP = 0  # the job id of the crawl's CrawlExtraction


def frame(value: Any) -> bytes:
    """``value`` pickled, with its length in front."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


class FrameReader:
    """Splits a byte stream into the values of its frames (bytes may come in any pieces)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        self._buffer += data
        values = []
        start = 0
        while len(self._buffer) - start >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self._buffer, start)
            if size > MAX_FRAME:
                raise ValueError(f"extraction frame of {size} bytes: the stream is corrupt")
            end = start + _LENGTH.size + size
            if len(self._buffer) < end:
                break
            values.append(pickle.loads(self._buffer[start + _LENGTH.size : end]))
            start = end
        del self._buffer[:start]
        return values


def _read_frame(stream: IO[bytes]) -> Any | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None  # the crawl went away in the middle of a frame
    return pickle.loads(data)


class Jobs:
    """Answers jobs: page jobs with the crawl's :class:`CrawlExtraction`."""

    def __init__(self) -> None:
        self.setup: CrawlExtraction | None = None

    def answer(self, job: object) -> object:
        if isinstance(job, RenderCheck):
            return job.run()
        if isinstance(job, PageJob):
            if self.setup is None:
                raise RuntimeError("a page job before the crawl's targets")
            return crawl_page(job, self.setup)
        raise TypeError(f"not an extraction job: {type(job).__name__}")


def serve(source: IO[bytes], sink: IO[bytes]) -> int:
    """Answer every job of ``source`` on ``sink``; the number of jobs answered."""
    jobs = Jobs()
    answered = 0
    while (message := _read_frame(source)) is not None:
        job_id, job = message
        if job_id == SETUP and isinstance(job, CrawlExtraction):
            jobs.setup = job
            if os.environ.get(GC_FREEZE_ENV, "1") != "0":
                freeze_startup_objects()  # the modules and the crawl's targets and rules
            continue
        try:
            answer: tuple[int, Any, str] = (job_id, jobs.answer(job), "")
        except Exception as exc:  # the crawl does the job itself
            answer = (job_id, None, f"{type(exc).__name__}: {exc}")
        sink.write(frame(answer))
        sink.flush()
        answered += 1
    return answered


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Answers go to the original stdout; anything a library prints goes to stderr (the
    # crawl's log) instead of into the frames.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
