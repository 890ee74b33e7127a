"""Pages per second of ``linkspider archive`` (1 and 2 Spark executors) against a live crawl.

Run from the repository root (installs nginx with apt if it is missing)::

    python benchmarks/archive_speed.py [--pages 2000] [--hosts 40] [--repeat 3]

1. The benchmark web of ``benchmarks/compare`` (real page skins, 50-150 KB, 60+ links a
   page) is served by nginx on loopback, without added latency.
2. **live**: ``scrapy crawl backlinks`` crawls it with the WARC recorder on
   (``LINKSPIDER_WARC_DIR``, files rotated at ``--warc-mb`` so that there are several
   files to share out); pages/s = ``pages_crawled / elapsed_seconds`` of its run.json.
3. **archive local[N]** (N = 1, 2): ``linkspider archive --warc DIR --master local[N]`` on
   those files. Two rates: *job*, the Spark job alone (every WARC record read and
   extracted, rows written as Parquet; measured in-process around ``run_job`` after the
   session started, so the JVM start is not counted), and *command*, the whole command
   (JVM start, job, exports and report built on the driver).
4. **Common Crawl path**: the same WARCs turned into a Common Crawl-style crawl (index
   + WARC files, ``linkspider.testweb.cccrawl``) served by nginx, read with
   ``linkspider archive --crawl ... --domains ... --master local[2]``: index query, then
   every record by an HTTP range request.

Goals (issue 15): archive >= 5x the live crawl's pages/s; 2 executors >= 1.8x one. The
machine is shared with other work: its load average is recorded before every run. With
``--repeat N`` the whole sequence runs N times; the table shows each row's median run and
the ratios of every repetition. The Markdown report is printed and written to
``benchmarks/results/archive_speed.md``; a hand-written reading below the line
``<!-- reading -->`` of that file is kept across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.compare.contenders import (  # noqa: E402
    COMMON_SETTINGS,
    LINKSPIDER_SETTINGS,
    PAGE_BUDGET,
    project_env,
)
from benchmarks.compare.server import ensure_tools, serving, start_nginx  # noqa: E402
from benchmarks.compare.web import WebFiles, ensure_web  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results" / "archive_speed.md"
LIVE_COMMAND = "live crawl, whole command (`scrapy crawl backlinks`)"
JOB1, JOB2 = "archive job, local[1]", "archive job, local[2]"
ARCHIVE2 = "`linkspider archive` --warc, local[2]"
CRAWL = "CC-MAIN-2026-49"
READING = "<!-- reading -->"


@dataclass
class Measure:
    name: str
    pages: int
    seconds: float
    load: float
    note: str = ""
    cpu: float = 0.0  # CPU seconds of every process of the run

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.pages if self.pages else 0.0


class TreeCpu(threading.Thread):
    """CPU seconds used by this process and its descendants while it runs (nginx aside).

    Sampled every 0.1 s (psutil), the last value seen per process is kept, so processes
    that end meanwhile (a Spark task's forked Python worker, the crawl) still count, and
    so does a JVM that outlives its parent's ``wait``. Processes alive before the run
    count from their CPU at the start.
    """

    def __init__(self, include_self: bool = False) -> None:
        super().__init__(daemon=True)
        self.include_self = include_self
        self.stopped = threading.Event()
        self.start_cpu: dict[int, float] = {}
        self.last_cpu: dict[int, float] = {}
        self.start_cpu = self._sample()

    def _sample(self) -> dict[int, float]:
        me = psutil.Process()
        found: dict[int, float] = {}
        try:
            tree = [me, *me.children(recursive=True)]
        except psutil.Error:  # a process ended during the scan: next sample
            return found
        for process in tree:
            try:
                if process.name() == "nginx" or (process.pid == me.pid and not self.include_self):
                    continue
                times = process.cpu_times()
            except psutil.Error:
                continue
            found[process.pid] = times.user + times.system
        return found

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            for pid, cpu in self._sample().items():
                self.last_cpu[pid] = max(cpu, self.last_cpu.get(pid, 0.0))

    def total(self) -> float:
        self.stopped.set()
        self.join()
        self.last_cpu.update(self._sample())
        return sum(cpu - self.start_cpu.get(pid, 0.0) for pid, cpu in self.last_cpu.items())


def load_average() -> float:
    return os.getloadavg()[0]


def run(argv: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float) -> float:
    """Run a command to completion; its wall time (RuntimeError with the log's tail if not 0)."""
    started = time.monotonic()
    with log.open("wb") as out:
        code = subprocess.run(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
        ).returncode
    wall = time.monotonic() - started
    if code not in (0,):
        tail = "\n".join(log.read_text("utf-8", "replace").splitlines()[-20:])
        raise RuntimeError(f"{argv[:5]} exited {code}:\n{tail}")
    return wall


def live_crawl(
    web: WebFiles, state: Path, work: Path, warc_mb: int, timeout: float
) -> tuple[Measure, Measure]:
    """The crawl (``elapsed_seconds`` of its run.json), then the whole command: start-up,
    crawl and exports, as ``linkspider archive`` is timed."""
    out, warcs = work / "live", work / "warcs"
    settings = {
        **COMMON_SETTINGS,
        **LINKSPIDER_SETTINGS,
        "LINKSPIDER_TESTWEB": str(state),
        "LINKSPIDER_WARC_DIR": str(warcs),
        "LINKSPIDER_WARC_MAX_BYTES": str(warc_mb << 20),
        "LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "scrapy", "crawl", "backlinks"]
    argv += ["-a", f"targets={web.targets}", "-a", f"seeds={web.seeds}"]
    argv += ["-a", f"output_dir={out}", "-a", "depth=50", "-a", f"max_pages_per_site={PAGE_BUDGET}"]
    for name, value in settings.items():
        argv += ["-s", f"{name}={value}"]
    load = load_average()
    sampler = TreeCpu()
    sampler.start()
    wall = run(argv, work, project_env(), work / "live.log", timeout)
    cpu = sampler.total()
    info = json.loads((out / "run.json").read_text("utf-8"))
    files = sorted(warcs.glob("*.warc.gz"))
    size = sum(p.stat().st_size for p in files)
    note = f"{len(files)} WARC files, {size / 2**20:.0f} MB recorded"
    pages = int(info["pages_crawled"])
    crawl = Measure(
        "live crawl (recording WARCs)", pages, float(info["elapsed_seconds"]), load, note, cpu
    )
    whole = Measure(LIVE_COMMAND, pages, wall, load, "start-up, crawl and every export")
    return crawl, whole


def archive_job(web: WebFiles, warcs: Path, work: Path, cores: int) -> Measure:
    """The Spark job alone, in this process (the session is started first, not timed)."""
    from linkspider.archive.cli import warc_inputs
    from linkspider.archive.job import run_job
    from linkspider.archive.process import ExtractOptions
    from linkspider.archive.spark import start_session
    from linkspider.config.targets import load_targets

    spark = start_session(f"local[{cores}]")
    spark.sparkContext.setLogLevel("ERROR")
    try:
        inputs = warc_inputs([str(warcs)])
        options = ExtractOptions(load_targets(str(web.targets)))
        rows = work / f"job-rows-{cores}"
        # warm-up: the Python workers start once per executor
        run_job(spark, inputs[:cores], options, str(work / f"warm-{cores}"))
        load = load_average()
        sampler = TreeCpu(include_self=True)
        sampler.start()
        started = time.monotonic()
        tables = run_job(spark, inputs, options, str(rows))
        seconds = time.monotonic() - started
        cpu = sampler.total()
        pages = spark.read.parquet(tables["pages"]).count()
    finally:
        spark.stop()
    note = f"{len(inputs)} tasks"
    return Measure(f"archive job, local[{cores}]", pages, seconds, load, note, cpu)


def extraction_only(web: WebFiles, warcs: Path) -> Measure:
    """The job's per-record work in this one process, without Spark: its lower bound."""
    from linkspider.archive.cli import warc_inputs
    from linkspider.archive.process import ExtractOptions, process_inputs
    from linkspider.config.targets import load_targets

    inputs = warc_inputs([str(warcs)])
    options = ExtractOptions(load_targets(str(web.targets)))
    load = load_average()
    cpu, started = time.process_time(), time.monotonic()
    tables = [table for table, _row in process_inputs(iter(inputs), options)]
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    pages = tables.count("pages")
    note = "linkspider.archive.process.process_inputs, one process, no Spark"
    return Measure("extraction alone (no Spark)", pages, seconds, load, note, cpu)


def archive_command(web: WebFiles, args: list[str], work: Path, name: str, cores: int) -> Measure:
    out = work / f"out-{name}"
    argv = [sys.executable, "-m", "linkspider.cli", "archive", "--targets", str(web.targets)]
    argv += [*args, "--master", f"local[{cores}]", "--out", str(out)]
    load = load_average()
    wall = run(argv, work, project_env(), work / f"{name}.log", 3600)
    info = json.loads((out / "archive.json").read_text("utf-8"))
    note = f"status {info['status']}, {info['backlinks']} backlinks"
    return Measure(
        f"`linkspider archive` {name}, local[{cores}]", int(info["pages_crawled"]), wall, load, note
    )


def median(measures: list[Measure]) -> Measure:
    """The run with the median pages/s (the lower middle one for an even count)."""
    ordered = sorted(measures, key=lambda m: m.rate)
    return ordered[(len(ordered) - 1) // 2]


def ratios(run: list[Measure]) -> tuple[float, float, float]:
    """Job local[2] / live crawl, job local[2] / local[1], whole commands."""
    by = {m.name: m for m in run}
    live, job1, job2 = by["live crawl (recording WARCs)"], by[JOB1], by[JOB2]
    archive2, command = by[ARCHIVE2], by[LIVE_COMMAND]
    return job2.rate / live.rate, job2.rate / job1.rate, archive2.rate / command.rate


def report(runs: list[list[Measure]], args: argparse.Namespace, web: WebFiles) -> str:
    names = [m.name for m in runs[0]]
    measures = [median([run[i] for run in runs]) for i in range(len(names))]
    live = measures[0]
    by = {m.name: m for m in measures}
    job1, job2 = by[JOB1], by[JOB2]
    every = [ratios(run) for run in runs]
    speedup = sorted(r[0] for r in every)
    scale = sorted(r[1] for r in every)
    whole = sorted(r[2] for r in every)
    mid = (len(runs) - 1) // 2
    lines = [
        "# `linkspider archive` speed: 1 and 2 Spark executors against a live crawl",
        "",
        f"Command: `python benchmarks/archive_speed.py --pages {args.pages} --hosts {args.hosts}"
        f" --repeat {args.repeat}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}; `uptime` before the "
        f"run: `{args.uptime}`.",
        f"Web: {web.read_manifest().get('pages')} pages on {args.hosts} hosts, served by "
        "nginx on loopback without latency.",
        "",
        f"Each row is its median run of {len(runs)} (by pages/s).",
        "",
        "| run | pages | seconds | pages/s | x live | CPU ms/page | load before | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in measures:
        ratio = m.rate / live.rate if live.rate else 0.0
        lines.append(
            f"| {m.name} | {m.pages} | {m.seconds:.1f} | {m.rate:.1f} | {ratio:.2f}x | "
            f"{f'{m.cpu_ms:.1f}' if m.cpu else '-'} | {m.load:.2f} | {m.note} |"
        )
    lines += ["", "| repetition | job local[2] / live | local[2] / local[1] | whole commands |"]
    lines += ["| --- | --- | --- | --- |"]
    for n, (a, b, c) in enumerate(every, 1):
        lines.append(f"| {n} | {a:.2f}x | {b:.2f}x | {c:.2f}x |")
    lines += [
        "",
        f"- archive job local[2] / live crawl: **{speedup[mid]:.2f}x** median, "
        f"{speedup[0]:.2f}-{speedup[-1]:.2f}x (goal >= 5x: "
        f"{'met' if speedup[0] >= 5 else 'not met'} in every repetition"
        f"{'' if speedup[0] >= 5 else ' (see the table)'}).",
        f"- 2 executors / 1 executor (job): **{scale[mid]:.2f}x** median, "
        f"{scale[0]:.2f}-{scale[-1]:.2f}x (goal >= 1.8x: "
        f"{'met' if scale[0] >= 1.8 else 'not met'} in every repetition"
        f"{'' if scale[0] >= 1.8 else ' (see the table)'}).",
        f"- whole commands, `linkspider archive --warc` local[2] / `scrapy crawl backlinks` "
        f"(each with start-up and every export): **{whole[mid]:.2f}x** median, "
        f"{whole[0]:.2f}-{whole[-1]:.2f}x.",
        f"- CPU per page (every process of the run, load-independent): live crawl "
        f"{live.cpu_ms:.1f} ms, archive job {job1.cpu_ms:.1f} ms (local[1]) and "
        f"{job2.cpu_ms:.1f} ms (local[2]): on idle cores the job would extract "
        f"{live.cpu_ms / job1.cpu_ms:.1f}x the pages per CPU-second of the live crawl. "
        "This CPU time is the basis of the projection in docs/common-crawl-archives.md.",
    ]
    return "\n".join(lines) + "\n"


def kept_reading(path: Path) -> str:
    """The hand-written part of the last report (from the ``READING`` line on), if any."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return ""
    return text[text.index(READING) :] if READING in text else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--warc-mb", type=int, default=4, help="WARC file rotation size (MB)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions (median reported)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    ensure_tools(latency=False)
    web = ensure_web(CACHE, args.pages, args.hosts, args.seed)
    runs = [one_run(web, args) for _ in range(args.repeat)]
    text = report(runs, args, web)
    reading = kept_reading(RESULTS)
    RESULTS.write_text(text + ("\n" + reading if reading else ""), "utf-8")
    print(text)
    return 0


def one_run(web: WebFiles, args: argparse.Namespace) -> list[Measure]:
    """Every row once, in a fresh work folder."""
    work = Path(tempfile.mkdtemp(prefix="linkspider-archive-bench-"))
    work.chmod(0o755)  # nginx's workers (www-data) read the Common Crawl files in it
    measures: list[Measure] = []
    try:
        with serving(work, "none", web.sites, web.hosts, None) as (_nginx, state):
            measures += live_crawl(web, state, work, args.warc_mb, 120 + args.pages)
        print(*measures, sep="\n", flush=True)
        warcs = work / "warcs"
        measures.append(extraction_only(web, warcs))
        print(measures[-1], flush=True)
        for cores in (1, 2):
            measures.append(archive_job(web, warcs, work, cores))
            print(measures[-1], flush=True)
        for cores in (1, 2):
            measures.append(archive_command(web, ["--warc", str(warcs)], work, "--warc", cores))
            print(measures[-1], flush=True)
        measures.append(common_crawl(web, warcs, work))
        print(measures[-1], flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder kept: {work}", file=sys.stderr)
    return measures


def common_crawl(web: WebFiles, warcs: Path, work: Path) -> Measure:
    """The same records through a Common Crawl-style index and HTTP range requests."""
    from linkspider.testweb.cccrawl import build_cc_crawl

    sites = work / "cc-sites"
    build_cc_crawl([warcs], sites / "127.0.0.1", CRAWL, row_group_rows=1000, index_parts=4)
    domains = work / "domains.txt"
    domains.write_text("\n".join(web.hosts) + "\n", "utf-8")
    nginx = start_nginx(work / "nginx-cc", sites, None)
    try:
        base = f"http://127.0.0.1:{nginx.port}/"
        flags = ["--crawl", CRAWL, "--domains", str(domains), "--cc-base-url", base]
        return archive_command(web, flags, work, "--crawl (ranges)", 2)
    finally:
        nginx.stop()


if __name__ == "__main__":
    sys.exit(main())
