"""Pages per second of a distributed crawl with 1 and 2 workers (and the single-process spider).

Run from the repository root (needs ``redis-server`` and the ``test`` extra)::

    python benchmarks/distributed.py [--sites 24] [--pages 120] [--repeat 3]

A generated web is served by the local test web on loopback: ``--sites`` sites of
``--pages`` pages each (about 12 KB of prose, 25 same-site links, 3 target links, some
boilerplate), linked as a tree so that every page is found. A ``redis-server`` is started on
a free port. For each configuration and repetition the crawl is queued afresh
(``linkspider enqueue --reset``) and the workers are started together; throughput is pages
crawled divided by the time from the first worker's ``start_time`` to the last worker's
``finish_time`` (Scrapy stats), so process start-up is not counted. ``single`` is
``scrapy crawl backlinks`` (no Redis) over the same web, for the cost of sharing the frontier.

Everything (test web server, Redis, workers) runs on this machine: with 2 cores, two
workers share them with the server. The machine is shared with other work, so the load
average before each run is reported; medians of ``--repeat`` runs are used.

The Markdown report is printed and written to ``benchmarks/results/distributed.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env
from linkspider.testweb import TestWeb

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "distributed.md"
TARGETS = "acme-boots.com,globex.co.uk,initech.com.au"
WORDS = ("trail", "ridge", "summit", "boots", "pack", "water", "map", "weather", "camp",
         "route", "valley", "forest", "river", "lake", "climb", "descent", "gear", "layer",
         "socks", "blister", "shelter", "stove", "compass")  # fmt: skip


def make_web(root: Path, sites: int, pages: int) -> list[str]:
    seeds = []
    for i in range(sites):
        host = f"bench-{i:03d}.org"
        site = root / host
        site.mkdir(parents=True)
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", "utf-8")
        for k in range(pages):
            children = [c for c in range(4 * k + 1, 4 * k + 5) if c < pages]
            related = [(k * 7 + j * 13) % pages for j in range(21)]
            nav = "".join(f'<li><a href="/p{c}.html">Section {c}</a></li>' for c in related)
            prose = " ".join(WORDS[(k * 31 + j * 7) % len(WORDS)] for j in range(1800))
            content_links = " ".join(f'<a href="/p{c}.html">read part {c}</a>' for c in children)
            targets = (
                f'<a href="https://acme-boots.com/p/{i}/{k}">Acme boots</a> '
                f'<a rel="nofollow" href="https://globex.co.uk/{k % 9}">Globex</a> '
                f'<a href="https://initech.com.au/">initech.com.au</a>'
            )
            html = (
                f"<!doctype html><html><head><title>Bench {i} page {k}</title></head><body>"
                f'<header><nav><ul><li><a href="/">Home</a></li>{nav}</ul></nav></header>'
                f"<main><article><h1>Page {k}</h1><p>{prose}</p><p>{content_links}</p>"
                f"<p>{targets}</p></article></main>"
                f'<footer><a href="/admin/">admin</a> <a href="/">home</a></footer></body></html>'
            )
            (site / ("index.html" if k == 0 else f"p{k}.html")).write_text(html, "utf-8")
        seeds.append(f"https://{host}/")
    return seeds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children_cpu() -> float:
    """CPU seconds of the finished (waited-for) child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds used so far by a running process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    pages: int
    seconds: float
    load: float
    crawler_cpu: float = 0.0
    server_cpu: float = 0.0
    redis_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def stats_window(part_dirs: list[Path]) -> tuple[int, float]:
    """(pages, seconds from the first start to the last finish) from the workers' stats."""
    starts, finishes, pages = [], [], 0
    for part in part_dirs:
        info = json.loads((part / "worker.json").read_text("utf-8"))
        starts.append(datetime.fromisoformat(info["stats"]["start_time"]))
        finishes.append(datetime.fromisoformat(info["stats"]["finish_time"]))
        pages += int(info["pages"])
    return pages, (max(finishes) - min(starts)).total_seconds()


def run_distributed(web: TestWeb, redis: str, seeds: str, workers: int, work: Path) -> Run:
    enqueue = [sys.executable, "-m", "linkspider.cli", "enqueue", TARGETS, seeds,
               "--redis", redis, "--crawl", "bench", "--depth", "50", "--reset"]  # fmt: skip
    queued = subprocess.run(enqueue, check=True, env=crawl_env(), capture_output=True, text=True)
    if f"{seeds.count(',') + 1} seed(s) queued" not in queued.stdout:
        raise SystemExit(f"enqueue did not queue every seed: {queued.stdout}")
    out = work / f"dist-{workers}-{time.monotonic_ns()}"
    out.mkdir(parents=True)
    settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "LINKSPIDER_REDIS_URL": redis}
    before = Run(0, 0, os.getloadavg()[0], children_cpu(), process_cpu(web.web_state.pid))
    processes = []
    for n in range(workers):
        command = [sys.executable, "-m", "scrapy", "crawl", "backlinks_distributed",
                   "-a", "crawl=bench", "-a", f"worker=w{n}", "-a", f"output_dir={out}"]  # fmt: skip
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        with (out / f"w{n}.log").open("wb") as log:
            processes.append(subprocess.Popen(command, env=crawl_env(), cwd=work,
                                              stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
    for process in processes:
        if process.wait() != 0:
            raise SystemExit(f"a worker failed (exit {process.returncode}), see {out}")
    pages, seconds = stats_window([out / "parts" / f"w{n}" for n in range(workers)])
    return Run(pages, seconds, before.load, children_cpu() - before.crawler_cpu,
               process_cpu(web.web_state.pid) - before.server_cpu)  # fmt: skip


def run_single(web: TestWeb, seeds: str, work: Path) -> Run:
    out = work / f"single-{time.monotonic_ns()}"
    settings = {**DEMO_SETTINGS, **web.scrapy_settings()}
    command = crawl_command(TARGETS, seeds, settings,
                            ["-a", f"output_dir={out}", "-a", "depth=50"])  # fmt: skip
    before = Run(0, 0, os.getloadavg()[0], children_cpu(), process_cpu(web.web_state.pid))
    subprocess.run(command, check=True, env=crawl_env(), cwd=work, capture_output=True)
    info = json.loads((out / "run.json").read_text("utf-8"))
    start = datetime.fromisoformat(str(info["stats"]["start_time"]))
    finish = datetime.fromisoformat(str(info["stats"]["finish_time"]))
    # The crawler's CPU includes building the exports at the end (not in the time window).
    return Run(int(info["pages_crawled"]), (finish - start).total_seconds(), before.load,
               children_cpu() - before.crawler_cpu,
               process_cpu(web.web_state.pid) - before.server_cpu)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=24)
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server not found (apt-get install redis-server)")
    work = Path(tempfile.mkdtemp(prefix="linkspider-bench-"))
    seeds = ",".join(make_web(work / "sites", args.sites, args.pages))
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL)  # fmt: skip
    redis_url = f"redis://127.0.0.1:{port}/0"
    results: dict[str, list[Run]] = {"single": [], "1 worker": [], "2 workers": []}
    try:
        time.sleep(0.5)
        with TestWeb([work / "sites"]) as web:
            for _ in range(args.repeat):
                for name, runs in results.items():
                    redis_before = process_cpu(redis.pid)
                    if name == "single":
                        run = run_single(web, seeds, work)
                    else:
                        run = run_distributed(web, redis_url, seeds, int(name[0]), work)
                    run.redis_cpu = process_cpu(redis.pid) - redis_before
                    runs.append(run)
                    print(f"{name}: {run.pages} pages in {run.seconds:.1f}s = {run.rate:.1f} "
                          f"pages/s; CPU s: crawler {run.crawler_cpu:.1f}, server "
                          f"{run.server_cpu:.1f}, redis {run.redis_cpu:.1f} (load before: "
                          f"{run.load:.2f})", file=sys.stderr)  # fmt: skip
    finally:
        redis.terminate()
        redis.wait()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = render(results, args)
    print(report)
    if not args.no_write:
        RESULTS.write_text(report, "utf-8")


def render(results: dict[str, list[Run]], args: argparse.Namespace) -> str:
    def median(name: str, value: Callable[[Run], float]) -> float:
        return statistics.median(value(run) for run in results[name])

    one = median("1 worker", lambda r: r.rate)
    two = median("2 workers", lambda r: r.rate)
    lines = [
        "# Distributed crawling: pages per second, 1 and 2 workers",
        "",
        "Generated by `python benchmarks/distributed.py` (do not edit by hand).",
        f"Web: {args.sites} generated sites x {args.pages} pages (~12 KB each, 25 same-site "
        "links, 3 target links), served on loopback by the local test web. Redis, the test "
        f"web server and the workers all run on this machine ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}), which is shared with "
        "other work (see the load average). Settings: the demo settings (no delay, no "
        "AutoThrottle, 8 requests per site), CONCURRENT_REQUESTS 64 per worker, robots.txt "
        f"obeyed. Median of {args.repeat} runs; pages/s over the time from the first "
        "worker's start to the last one's finish (Scrapy stats). CPU: seconds of CPU used "
        "by the crawl processes, the test web server and Redis during the run.",
        "",
        "| configuration | pages | median pages/s | runs (pages/s) | crawler CPU ms/page "
        "| server CPU ms/page | Redis CPU ms/page | load average before |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        rates = ", ".join(f"{r.rate:.1f}" for r in runs)
        loads = ", ".join(f"{r.load:.2f}" for r in runs)
        per_page = [median(name, lambda r, f=f: 1000 * getattr(r, f) / r.pages)  # type: ignore[misc]
                    for f in ("crawler_cpu", "server_cpu", "redis_cpu")]  # fmt: skip
        lines.append(
            f"| {name} | {runs[0].pages} | **{median(name, lambda r: r.rate):.1f}** | {rates} "
            f"| {per_page[0]:.2f} | {per_page[1]:.2f} | {per_page[2]:.2f} | {loads} |"
        )
    paired = [
        b.rate / a.rate for a, b in zip(results["1 worker"], results["2 workers"], strict=True)
    ]
    lines += [
        "",
        f"Speed-up of 2 workers over 1: **{two / one:.2f}x** from the medians; per repetition "
        f"(runs back to back, similar load): {', '.join(f'{x:.2f}x' for x in paired)}, median "
        f"**{statistics.median(paired):.2f}x** (goal: 1.8x, issue 17). 1 worker vs the single-process "
        f"spider: {one / median('single', lambda r: r.rate):.2f}x.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
