"""Distributed crawling, for real: a ``redis-server`` on loopback, ``linkspider enqueue``,
``scrapy crawl backlinks_distributed`` workers as subprocesses over the local test web, and
``linkspider merge``.

The web is the bundled sample web plus generated sites (a binary tree of pages each, one
target link per page, a robots-disallowed folder), so that two workers both have work.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkspider.cli import DEMO_SETTINGS, crawl_env
from linkspider.core.items import BACKLINK_COLUMNS
from linkspider.core.jsonl import concatenate
from linkspider.distributed.dupefilter import BloomDupeFilter, bloom_size
from linkspider.distributed.frontier import FrontierError, connect
from linkspider.distributed.merge import merge_parts
from linkspider.testweb import DEFAULT_SITES_DIR, TestWeb
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, run_crawl

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (Debian: apt-get install redis-server; .ci/run does)",
)

SITES, PAGES = 6, 31  # 31 pages: a full binary tree of depth 4
TARGETS = "acme-boots.com,globex.co.uk"
#: Columns that differ between two crawls of the same web: fetch times, and the depth at
#: which a page was first found (two workers may find a page by another path first).
UNSTABLE = {"first_seen", "last_seen", "depth"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert REDIS_SERVER is not None
    home = tmp_path_factory.mktemp("redis")
    port = free_port()
    with (home / "redis.log").open("wb") as log:
        process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(home)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connect(url)
                break
            except FrontierError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((home / "redis.log").read_text()) from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def make_sites(root: Path, gate: Path | None = None) -> list[str]:
    """Generated sites; returns their seeds (bare domains: https).

    With ``gate``, every page but the home pages is held by the test web until the gate
    file exists (see ``hold_until`` in linkspider/testweb/sites.py).
    """
    seeds = []
    for i in range(SITES):
        site = root / f"trail-{i:02d}.org"
        (site / "private").mkdir(parents=True)
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", "utf-8")
        (site / "private" / "index.html").write_text(
            '<a href="https://acme-boots.com/secret">secret</a>', "utf-8"
        )
        for k in range(PAGES):
            links = [f'<a href="/p{c}.html">page {c}</a>' for c in (2 * k + 1, 2 * k + 2)
                     if c < PAGES]  # fmt: skip
            links += ['<a href="/">home</a>', '<a href="/private/">members</a>',
                      f'<a href="https://acme-boots.com/p/{i}/{k}">Acme boots {i}.{k}</a>']  # fmt: skip
            if k % 3 == 0:
                links.append(f'<a rel="nofollow" href="https://globex.co.uk/{i}">Globex</a>')
            html = (f"<!doctype html><title>Trail {i} page {k}</title><main><p>Trail notes "
                    f"{k}.</p><p>{' | '.join(links)}</p></main>")  # fmt: skip
            (site / ("index.html" if k == 0 else f"p{k}.html")).write_text(html, "utf-8")
        if gate is not None:
            (site / "_site.toml").write_text(
                f'[[route]]\npath = "/p"\nprefix = true\nhold_until = "{gate}"\n', "utf-8"
            )
        seeds.append(site.name)
    return seeds


def generated_pages() -> set[str]:
    return {
        f"https://trail-{i:02d}.org/" + ("" if k == 0 else f"p{k}.html")
        for i in range(SITES)
        for k in range(PAGES)
    }


@pytest.fixture(scope="module")
def big_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestWeb, str]]:
    generated = tmp_path_factory.mktemp("sites")
    seeds = make_sites(generated)
    sample_seeds = [line.split("#")[0].strip()
                    for line in Path(SAMPLE_SEEDS).read_text("utf-8").splitlines()]  # fmt: skip
    all_seeds = ",".join([s for s in sample_seeds if s] + seeds)
    with TestWeb([DEFAULT_SITES_DIR, generated]) as web:
        yield web, all_seeds


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linkspider.cli", *args], env=crawl_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def start_worker(web: TestWeb, redis: str, crawl: str, worker: str, out: Path,
                 **settings: str) -> subprocess.Popen[bytes]:  # fmt: skip
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks_distributed",
               "-a", f"crawl={crawl}", "-a", f"worker={worker}", "-a", f"output_dir={out}"]  # fmt: skip
    all_settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "LINKSPIDER_REDIS_URL": redis,
                    "LINKSPIDER_REDIS_POLL_INTERVAL": "0.1", **settings}  # fmt: skip
    for name, value in all_settings.items():
        command += ["-s", f"{name}={value}"]
    out.mkdir(parents=True, exist_ok=True)
    with (out / f"{worker}.log").open("wb") as log:
        return subprocess.Popen(command, env=crawl_env(), cwd=out, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip


def run_workers(web: TestWeb, redis: str, crawl: str, out: Path, n: int = 2,
                **settings: str) -> None:  # fmt: skip
    workers = [start_worker(web, redis, crawl, f"w{i}", out, **settings) for i in range(1, n + 1)]
    for i, process in enumerate(workers, 1):
        assert process.wait(timeout=120) == 0, (out / f"w{i}.log").read_text()


def rows(folder: Path, name: str = "backlinks.csv") -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def stable(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[c] for c in BACKLINK_COLUMNS if c not in UNSTABLE)


def part_pages(folder: Path, worker: str) -> list[str]:
    path = folder / "parts" / worker / "pages.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["url"] for line in path.read_text("utf-8").splitlines() if line]


def test_two_workers_find_exactly_what_one_process_finds(
    big_web: tuple[TestWeb, str], redis_url: str, tmp_path: Path
) -> None:
    web, seeds = big_web
    (tmp_path / "single").mkdir()
    single = run_crawl(web, tmp_path / "single", SAMPLE_TARGETS, seeds)
    assert single.process.returncode == 0, single.log

    enqueued = cli("enqueue", SAMPLE_TARGETS, seeds, "--redis", redis_url, "--crawl", "same")
    assert enqueued.returncode == 0, enqueued.stderr
    assert "crawl 'same' created" in enqueued.stdout
    out = tmp_path / "distributed"
    # Few requests in flight per worker, so that both take part.
    run_workers(web, redis_url, "same", out, CONCURRENT_REQUESTS="4")
    merged = cli("merge", str(out))
    assert merged.returncode == 0, merged.stderr
    assert "merged 2 part(s)" in merged.stdout

    assert Counter(map(stable, rows(out))) == Counter(map(stable, rows(single.output_dir)))
    pages = [row["url"] for row in rows(out, "pages.csv")]
    assert len(pages) == len(set(pages))  # no page fetched twice
    assert set(pages) == {row["url"] for row in rows(single.output_dir, "pages.csv")}
    assert generated_pages() <= set(pages)
    assert not [p for p in pages if "/private/" in p or "drafts" in p]  # robots.txt held
    errors = {(r["url"], r["error"]) for r in rows(out, "errors.csv")}
    assert errors == {(r["url"], r["error"]) for r in rows(single.output_dir, "errors.csv")}
    both = [part_pages(out, w) for w in ("w1", "w2")]
    assert all(len(p) >= 10 for p in both), [len(p) for p in both]  # both workers crawled

    blocked = {(r["url"], r["reason"]) for r in rows(out, "blocked_pages.csv")}
    assert blocked == {
        (r["url"], r["reason"]) for r in rows(single.output_dir, "blocked_pages.csv")
    }
    assert ("https://trail-00.org/private/", "robots-disallowed") in blocked
    run = json.loads((out / "run.json").read_text("utf-8"))
    assert run["status"] == "finished" and run["pages_crawled"] == len(pages)
    assert run["robots_blocked"] == single.run_info()["robots_blocked"] > SITES
    assert [w["worker"] for w in run["workers"]] == ["w1", "w2"]
    for worker in ("w1", "w2"):
        info = json.loads((out / "parts" / worker / "worker.json").read_text("utf-8"))
        assert (info["status"], info["crawl_finished"]) == ("finished", True)
        assert info["definition"]["crawl"] == "same"


def test_page_budgets_hold_across_workers(
    big_web: tuple[TestWeb, str], redis_url: str, tmp_path: Path
) -> None:
    web, _ = big_web
    seeds = ",".join(f"trail-{i:02d}.org" for i in range(SITES))
    result = cli("enqueue", TARGETS, seeds, "--redis", redis_url, "--crawl", "budget",
                 "--max-pages-per-site", "5", "--dupefilter", "bloom",
                 "--bloom-capacity", "10000", "--bloom-error-rate", "1e-6")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "max_pages_per_site=5, dupefilter=bloom" in result.stdout
    out = tmp_path / "budget"
    # Each worker's own setting says 1000: the crawl's budget wins.
    run_workers(web, redis_url, "budget", out, CONCURRENT_REQUESTS="4",
                LINKSPIDER_MAX_PAGES_PER_SITE="1000")  # fmt: skip
    assert cli("merge", str(out)).returncode == 0
    per_site = Counter(row["host"] for row in rows(out, "pages.csv"))
    assert per_site == {f"trail-{i:02d}.org": 5 for i in range(SITES)}
    run = json.loads((out / "run.json").read_text("utf-8"))
    assert run["budget_dropped"] > 0


def test_workers_join_and_leave(redis_url: str, tmp_path: Path) -> None:
    """A worker joins a crawl in progress and another leaves it (SIGINT) without losing
    a page. The order of events is forced by a gate in the test web, not by timing: every
    page but the home pages waits at the gate, so the crawl cannot finish before the gate
    opens, whatever the machine's speed."""
    generated = tmp_path / "sites"
    gate = tmp_path / "gate"
    seeds = ",".join(make_sites(generated, gate=gate))
    out = tmp_path / "crawl"
    assert cli("enqueue", TARGETS, seeds, "--redis", redis_url, "--crawl", "churn").returncode == 0
    # Two requests in flight per worker, and no timeout while a page waits at the gate.
    settings = {"CONCURRENT_REQUESTS": "2", "DOWNLOAD_TIMEOUT": "600"}
    with TestWeb([generated]) as web:
        first = start_worker(web, redis_url, "churn", "first", out, **settings)
        _wait_for(lambda: held(gate) >= 1, first)  # the first worker is at the gate
        second = start_worker(web, redis_url, "churn", "second", out, **settings)
        # The first worker has at most 2 requests in flight: a third held request is the
        # second worker's, which has joined and taken work from the shared queue.
        _wait_for(lambda: held(gate) >= 3, second)
        assert first.poll() is None
        first.send_signal(signal.SIGINT)  # leaves: finishes its downloads, queues their links
        _wait_for(lambda: "Closing spider (shutdown)" in log(out, "first"), first)
        gate.touch()  # now the crawl can go on, and end
        assert first.wait(timeout=120) == 0, log(out, "first")
        assert second.wait(timeout=300) == 0, log(out, "second")
    merged = merge_parts(out)
    pages = [row["url"] for row in rows(out, "pages.csv")]
    assert sorted(pages) == sorted(generated_pages())  # every page, each once
    assert merged.summary.backlinks == SITES * (PAGES + (PAGES + 2) // 3)
    statuses = {w["worker"]: w["status"] for w in merged.run["workers"]}
    assert statuses == {"first": "stopped", "second": "finished"}
    assert merged.run["status"] == "partial"  # says that a worker stopped early
    assert part_pages(out, "first") and part_pages(out, "second")  # both did work


def test_a_worker_joining_a_small_crawl_gets_work(redis_url: str, tmp_path: Path) -> None:
    """With few pages, the first worker must not take every queued request into its own
    download slots (LINKSPIDER_REDIS_PREFETCH): one site, one connection per worker, a
    home page linking to 10 pages that wait at a gate. Without the limit the first worker
    takes all 10 (9 wait in its slot) and the second finds nothing to do."""
    site = tmp_path / "sites" / "fan.org"
    site.mkdir(parents=True)
    gate = tmp_path / "gate"
    links = " ".join(f'<a href="/p{k}.html">page {k}</a>' for k in range(1, 11))
    (site / "index.html").write_text(f"<title>Fan</title><p>{links}</p>", "utf-8")
    for k in range(1, 11):
        (site / f"p{k}.html").write_text(
            f'<title>Fan {k}</title><p><a href="https://acme-boots.com/{k}">Acme {k}</a></p>',
            "utf-8",
        )
    (site / "_site.toml").write_text(
        f'[[route]]\npath = "/p"\nprefix = true\nhold_until = "{gate}"\n', "utf-8"
    )
    assert (
        cli("enqueue", TARGETS, "fan.org", "--redis", redis_url, "--crawl", "fan").returncode == 0
    )
    out = tmp_path / "crawl"
    # A download delay keeps Scrapy 2.19 to one connection per slot: with none, a slot's
    # queue is sent in one go (the transfer starts as a task after the check).
    settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.2",
                "DOWNLOAD_TIMEOUT": "600"}  # fmt: skip
    with TestWeb([tmp_path / "sites"]) as web:
        first = start_worker(web, redis_url, "fan", "first", out, **settings)
        _wait_for(lambda: held(gate) >= 1, first)
        second = start_worker(web, redis_url, "fan", "second", out, **settings)
        # One connection per worker: a second held request is the second worker's.
        _wait_for(lambda: held(gate) >= 2, second)
        gate.touch()
        assert first.wait(timeout=300) == 0, log(out, "first")
        assert second.wait(timeout=300) == 0, log(out, "second")
    merge_parts(out)
    pages = sorted(row["url"] for row in rows(out, "pages.csv"))
    assert pages == sorted(
        ["https://fan.org/"] + [f"https://fan.org/p{k}.html" for k in range(1, 11)]
    )
    assert part_pages(out, "first") and part_pages(out, "second")  # both crawled


def held(gate: Path) -> int:
    """How many requests the test web has held at the gate so far."""
    path = gate.with_name(gate.name + ".held")
    return len(path.read_text("utf-8").splitlines()) if path.exists() else 0


def log(out: Path, worker: str) -> str:
    return (out / f"{worker}.log").read_text("utf-8", "replace")


def _wait_for(condition: object, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Poll ``condition``; fail if ``process`` ends first. The timeout only stops a hung
    test: nothing here depends on how fast the machine is."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, "worker ended early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_enqueue_and_worker_arguments(
    big_web: tuple[TestWeb, str], redis_url: str, tmp_path: Path
) -> None:
    args = ("--redis", redis_url, "--crawl", "args")
    first = cli("enqueue", TARGETS, "trail-00.org,trail-01.org", *args)
    assert first.returncode == 0 and "2 seed(s) queued" in first.stdout
    again = cli("enqueue", TARGETS, "trail-01.org,trail-02.org", *args)  # same crawl: adds
    assert "crawl 'args' extended: 1 seed(s) queued, 1 already seen" in again.stdout
    other = cli("enqueue", "initech.com.au", "trail-03.org", *args)
    assert other.returncode == 2 and "already exists with other targets" in other.stderr
    reset = cli("enqueue", "initech.com.au", "trail-03.org", *args, "--reset")
    assert reset.returncode == 0 and "created: 1 seed(s) queued" in reset.stdout
    bad = cli("enqueue", TARGETS, "trail-00.org", "--redis", "redis://127.0.0.1:1/0")
    assert bad.returncode == 2 and "cannot reach Redis at redis://127.0.0.1:1/0" in bad.stderr

    web, _ = big_web
    for extra, message in (
        (["-a", "crawl=missing"], "no crawl 'missing' in Redis"),
        (["-a", "crawl=args", "-a", "targets=x.com"], "unknown argument(s) targets"),
        (["-a", "crawl=../etc"], "crawl name '../etc' must be"),
    ):
        command = [sys.executable, "-m", "scrapy", "crawl", "backlinks_distributed",
                   "-s", f"LINKSPIDER_REDIS_URL={redis_url}", *web.scrapy_args(), *extra]  # fmt: skip
        result = subprocess.run(command, env=crawl_env(), cwd=tmp_path, capture_output=True,
                                text=True, timeout=60)  # fmt: skip
        assert result.returncode != 0 and message in result.stderr, result.stderr[-2000:]


def test_bloom_filter_remembers_requests(redis_url: str) -> None:
    from scrapy import Request

    assert bloom_size(1_000_000, 0.01) == (9_585_059, 7)
    with pytest.raises(FrontierError, match="over Redis' 512 MB per key"):
        bloom_size(10**10, 1e-9)
    server = connect(redis_url)
    one, other = (BloomDupeFilter(server, "test:bloom", capacity=1000, error_rate=1e-6)
                  for _ in range(2))  # fmt: skip  # two workers
    urls = [f"https://example.com/page/{i}" for i in range(500)]
    assert not any(one.request_seen(Request(url)) for url in urls)
    assert all(other.request_seen(Request(url)) for url in urls)
    assert other.request_seen(Request("https://example.com/page/1?"))  # canonical URL
    assert not other.request_seen(Request("https://example.com/new"))
    assert server.strlen("test:bloom") <= one.bits // 8 + 1
    server.delete("test:bloom")


def test_merge_streams_parts_and_keeps_lines_whole(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"x": 1}\n{"x": 2', "utf-8")  # killed mid-line
    (tmp_path / "b.jsonl").write_text('{"x": 3}\n', "utf-8")
    concatenate([tmp_path / "a.jsonl", tmp_path / "missing", tmp_path / "b.jsonl"],
                tmp_path / "all.jsonl")  # fmt: skip
    assert (tmp_path / "all.jsonl").read_text("utf-8").splitlines() == [
        '{"x": 1}', '{"x": 2', '{"x": 3}',
    ]  # fmt: skip
    result = cli("merge", str(tmp_path))
    assert result.returncode == 2 and "has no parts/<worker>/ folders" in result.stderr


def test_a_worker_without_redis_says_so(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks_distributed",
               "-s", f"LINKSPIDER_REDIS_URL=redis://127.0.0.1:{port}/0"]  # fmt: skip
    result = subprocess.run(command, env=crawl_env(), cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in result.stderr
    assert not (tmp_path / "output").exists()  # failed before making any folder


def test_a_worker_holding_pages_for_robots_txt_counts_as_busy() -> None:
    from types import SimpleNamespace

    from scrapy import Request

    from linkspider.distributed.worker import holds_requests

    robots = SimpleNamespace(held={"https://slow.example:443": []})
    crawler = SimpleNamespace(
        engine=SimpleNamespace(downloader=SimpleNamespace(
            middleware=SimpleNamespace(middlewares=[object(), robots]))))  # fmt: skip
    assert not holds_requests(crawler)  # type: ignore[arg-type]
    robots.held["https://slow.example:443"].append(Request("https://slow.example/"))
    assert holds_requests(crawler)  # type: ignore[arg-type]
    assert not holds_requests(SimpleNamespace(engine=None))  # type: ignore[arg-type]
