"""The exports of a crawl, built in a new process that replaces the crawl's.

When a crawl ends, its process still holds what it needed to crawl: Scrapy, Twisted, the
extraction code and what the allocator kept of the pages in flight (about 275 MB after
50,000 pages). Building the exports there adds their own memory on top of it (DuckDB,
Arrow, pandas: 470 MB in all). So ``scrapy crawl`` (linkspider's command) hands the end
of the run over: the run report leaves a :class:`RunEnd` instead of building the exports,
and once Scrapy has stopped the command replaces its process with this module
(``os.execve``: the same pid, stdout, stderr, log file and log format; whoever waits for
the crawl gets the exports' exit code). It loads no Scrapy and no Twisted. A large run's
last export stage is handed on the same way, to a fresh process of its own
(:func:`linkspider.reports.finish.finish_run`).

``python -m linkspider.reports.handoff FILE``: ``FILE`` is the pickled :class:`Handoff`
the command wrote (in the system's temporary folder, removed once read). Only the
command runs it; ``linkspider export DIR`` is the way to rebuild a folder's exports.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from linkspider.output import EXIT_INCOMPLETE, EXIT_USAGE
from linkspider.reports.options import ExportOptions

if TYPE_CHECKING:
    from linkspider.reports.exports import ExportSummary

MODULE = "linkspider.reports.handoff"
#: glibc's ``MALLOC_MMAP_THRESHOLD_`` in the exports' process, unless the environment sets it.
MMAP_THRESHOLD = 128 * 1024


@dataclass
class RunEnd:
    """What building the exports of a run and finishing its ``run.json`` needs."""

    folder: Path
    #: ``run.json`` so far: arguments, timing, ``status`` (``failed``: no exports).
    info: dict[str, Any]
    options: ExportOptions
    #: Written after the counts: the session counters and the crawl's stats.
    tail: dict[str, Any] = field(default_factory=dict)
    #: The export stage to run next (an index of ``reports.exports.STAGES``) and what the
    #: stages before found: a large run's last stage runs in a fresh process of its own.
    stage: int = 0
    summary: ExportSummary | None = None
    #: Whether the last stage gets a fresh process; None: when the JSON Lines files are
    #: large (``reports.finish.FRESH_STAGE_BYTES``).
    fresh_stage: bool | None = None


@dataclass(frozen=True)
class LogTarget:
    """Where the crawl's log went: a file (appended to) or ``stderr``/``stdout``."""

    level: int
    fmt: str | None
    datefmt: str | None
    path: str = ""
    stream: str = "stderr"
    encoding: str | None = None

    def handler(self) -> logging.Handler:
        made: logging.Handler
        if self.path:
            made = logging.FileHandler(self.path, mode="a", encoding=self.encoding)
        else:
            made = logging.StreamHandler(sys.stdout if self.stream == "stdout" else sys.stderr)
        made.setLevel(self.level)
        made.setFormatter(logging.Formatter(self.fmt, self.datefmt))
        return made


@dataclass
class Handoff:
    end: RunEnd
    logs: list[LogTarget] = field(default_factory=list)
    root_level: int = logging.WARNING


def log_targets() -> list[LogTarget]:
    """The root logger's file and console handlers, as this process has them (Scrapy's
    ``LOG_FILE``, ``LOG_LEVEL``, ``LOG_FORMAT``, ``LOG_DATEFORMAT``, ``LOG_ENCODING``)."""
    found = []
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        fmt = formatter._fmt if formatter is not None else None
        datefmt = formatter.datefmt if formatter is not None else None
        if isinstance(handler, logging.FileHandler):
            found.append(
                LogTarget(handler.level, fmt, datefmt, handler.baseFilename, "", handler.encoding)
            )
        elif isinstance(handler, logging.StreamHandler) and handler.stream in (
            sys.stdout,
            sys.stderr,
            sys.__stdout__,
            sys.__stderr__,
        ):
            stream = "stdout" if handler.stream in (sys.stdout, sys.__stdout__) else "stderr"
            found.append(LogTarget(handler.level, fmt, datefmt, stream=stream))
    return found


def write_handoff(handoff: Handoff) -> Path:
    """Pickle ``handoff`` into a new private file in the system's temporary folder."""
    descriptor, name = tempfile.mkstemp(prefix="linkspider-exports-", suffix=".pickle")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(handoff, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def read_handoff(path: Path) -> Handoff:
    """The :class:`Handoff` in ``path``; the file is removed. ``ValueError`` if unreadable."""
    try:
        with path.open("rb") as handle:
            found = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    finally:
        path.unlink(missing_ok=True)
    if not isinstance(found, Handoff):
        raise ValueError(f"{path}: not a linkspider exports hand-off")
    return found


def exec_exports(handoff: Handoff) -> None:
    """Replace this process with the exports' (never returns; ``OSError`` if it cannot)."""
    path = write_handoff(handoff)
    for handler in logging.getLogger().handlers:
        handler.flush()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    # The crawl's import path (a Scrapyd egg, a project folder) is the exports' too.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # glibc: large blocks (pandas' and numpy's) in mappings of their own, given back when
    # freed, instead of a heap that the next step's peak lands on top of (326 -> 310 MB
    # for a 50,000-page folder, same CPU time; benchmarks/results/memory.md).
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD))
    try:
        os.execve(sys.executable, [sys.executable, "-m", MODULE, str(path)], env)
    except OSError:
        path.unlink(missing_ok=True)
        raise


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM (Scrapyd's cancel) ends the exports as Ctrl-C does


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(f"usage: python -m {MODULE} FILE (run by `scrapy crawl`)", file=sys.stderr)
        return EXIT_USAGE
    try:
        handoff = read_handoff(Path(args[0]))
    except ValueError as exc:
        print(f"error: the crawl's exports could not start: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    root = logging.getLogger()
    root.setLevel(handoff.root_level)
    for target in handoff.logs:
        root.addHandler(target.handler())
    if not handoff.logs:
        root.addHandler(logging.NullHandler())
    logging.captureWarnings(True)
    signal.signal(signal.SIGTERM, _interrupt)
    from linkspider.output import exit_code
    from linkspider.reports.finish import finish_run

    def next_stage(end: RunEnd) -> None:  # the same logs, in a fresh process
        exec_exports(Handoff(end, handoff.logs, handoff.root_level))

    return exit_code(finish_run(handoff.end, next_stage))


if __name__ == "__main__":
    # Under its own name, not ``__main__``: the pickled classes are that module's.
    from linkspider.reports.handoff import main as run

    sys.exit(run())
