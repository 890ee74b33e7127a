"""Running a contender and measuring it: wall time, CPU seconds, peak RSS of its process tree.

A run is a sequence of steps; each step starts one or more commands together (two workers)
and waits for all of them. CPU seconds are the difference of ``getrusage(RUSAGE_CHILDREN)``
around the run: every process of the run (grandchildren included, as their parents wait for
them) and nothing else, since the servers keep running. Memory is sampled every 0.1 s with
psutil over each command's whole process tree: ``peak_rss`` is the highest sum over the
live trees, ``peak_rss_process`` the largest single process. Every process runs in its own
session, so a timeout, a failure or Ctrl-C kills exactly the process groups we started.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]

PR_SET_PDEATHSIG = 1
#: Process groups started and not yet reaped (for cleanup on errors and Ctrl-C).
LIVE: set[int] = set()


class RunFailed(RuntimeError):
    """A command of a run exited non-zero or timed out (the run is not counted)."""


@dataclass
class Command:
    argv: list[str]
    cwd: Path
    env: Mapping[str, str]
    log: Path


@dataclass
class Usage:
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0
    peak_rss_process: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (unix time, tree RSS)
    server_cpu: float = 0.0
    load_before: float = 0.0


def die_with_parent() -> None:
    """``preexec_fn``: SIGTERM this child when the harness dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def kill_all() -> None:
    """SIGKILL every process group this module started and has not reaped."""
    for pgid in list(LIVE):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        LIVE.discard(pgid)


class _Sampler(threading.Thread):
    def __init__(self, usage: Usage, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.usage = usage
        self.interval = interval
        self.roots: list[int] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            total = 0
            for pid in list(self.roots):
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in procs:
                    try:
                        rss = int(proc.memory_info().rss)
                    except psutil.Error:
                        continue
                    total += rss
                    self.usage.peak_rss_process = max(self.usage.peak_rss_process, rss)
            if total:
                self.usage.samples.append((time.time(), total))
                self.usage.peak_rss = max(self.usage.peak_rss, total)


def run_steps(
    steps: list[list[Command]], timeout: float, server_cpu: Callable[[], float] | None = None
) -> Usage:
    """Run the steps in order, each step's commands in parallel; measure the whole."""
    usage = Usage(load_before=os.getloadavg()[0])
    sampler = _Sampler(usage)
    sampler.start()
    cpu_before = children_cpu()
    server_before = server_cpu() if server_cpu else 0.0
    started = time.monotonic()
    deadline = started + timeout
    try:
        for step in steps:
            processes = []
            for command in step:
                with command.log.open("ab") as log:
                    process = subprocess.Popen(
                        command.argv,
                        cwd=command.cwd,
                        env=dict(command.env),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                        preexec_fn=die_with_parent,
                    )
                LIVE.add(process.pid)
                processes.append((process, command))
                sampler.roots.append(process.pid)
            for process, command in processes:
                try:
                    code = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    kill_all()
                    raise RunFailed(f"timed out after {timeout:.0f} s: see {command.log}") from None
                LIVE.discard(process.pid)
                sampler.roots.remove(process.pid)
                if code != 0:
                    kill_all()
                    raise RunFailed(
                        f"exit {code}: {command.argv[:4]}... see {command.log}:\n"
                        f"{_tail(command.log)}"
                    )
    finally:
        sampler.stopped.set()
        sampler.join()
    usage.wall = time.monotonic() - started
    usage.cpu = children_cpu() - cpu_before
    usage.server_cpu = (server_cpu() - server_before) if server_cpu else 0.0
    return usage


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
