"""Crawl progress: periodic log lines without a terminal, a live line on one (a real
pseudo-terminal running a real crawl), and the settings' values."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env
from linkspider.extensions.progress import Snapshot, format_progress, progress_mode
from linkspider.testweb import TestWeb
from tests.conftest import run_crawl

PAGES = 5
#: One request at a time and a 0.7 s answer per page: a crawl of a few seconds.
SLOW = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "LINKSPIDER_PROGRESS_INTERVAL": "1"}
LINE = re.compile(
    r"linkspider: (\d+) pages crawled \((\d+) responses?\), (\d+) queued, (\d+) links, "
    r"(\d+) backlinks, (\d+\.\d) pages/s, (\d+:\d\d:\d\d) elapsed"
)
#: Scrapy's own count: its LogStats line says "Crawled N pages" of this stat.
RESPONSES_STAT = re.compile(r"'response_received_count': (\d+)")
#: Terminal control sequences (cursor moves, erase line, show/hide cursor).
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def slow_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestWeb]:
    site = tmp_path_factory.mktemp("sites") / "slow-pages.test"
    site.mkdir()
    links = "".join(f'<a href="/p{n}.html">p{n}</a> ' for n in range(1, PAGES))
    (site / "index.html").write_text(
        f'<html><body>{links}<a href="https://acme-boots.com/">Acme</a></body></html>', "utf-8"
    )
    for n in range(1, PAGES):
        (site / f"p{n}.html").write_text(f"<html><body>page {n}</body></html>", "utf-8")
    (site / "_site.toml").write_text('[[route]]\npath = "/"\nprefix = true\ndelay = 0.7\n', "utf-8")
    down = site.parent / "robots-down.test"  # robots.txt answers 503: its pages are held
    down.mkdir()
    (down / "index.html").write_text("<html><body>held</body></html>", "utf-8")
    (down / "_site.toml").write_text('[[route]]\npath = "/robots.txt"\nstatus = 503\n', "utf-8")
    with TestWeb([site.parent]) as web:
        yield web


def test_log_lines_when_not_a_terminal(slow_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(slow_web, tmp_path, "acme-boots.com", "http://slow-pages.test/",
                    settings=SLOW)  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    lines = [line for line in run.log.splitlines() if "[linkspider.extensions.progress]" in line]
    elapsed = run.run_info()["elapsed_seconds"]
    assert 2 <= len(lines) <= elapsed + 1  # one per interval (1 s), no more
    assert "\r" not in run.log and "\x1b" not in run.log  # plain lines in a log file
    counts = [LINE.search(line) for line in lines]
    assert all(counts), lines
    pages = [int(m.group(1)) for m in counts if m]
    assert pages == sorted(pages) and pages[-1] <= PAGES
    # Scrapy's "Crawled N pages" counts responses (robots.txt too): the line shows both.
    responses = [int(m.group(2)) for m in counts if m]
    assert responses == sorted(responses)
    assert all(r >= p for p, r in zip(pages, responses, strict=True))
    final = RESPONSES_STAT.search(run.log)  # Scrapy's stats, dumped at the end
    assert final and responses[-1] <= int(final.group(1))


def test_queued_counts_the_downloader_and_held_hosts_are_shown(
    slow_web: TestWeb, tmp_path: Path
) -> None:
    """Requests waiting in the downloader's slot are queued (the scheduler hands them on at
    once); pages held for an unreachable robots.txt are shown, with their hosts."""
    run = run_crawl(slow_web, tmp_path, "acme-boots.com",
                    "http://slow-pages.test/,http://robots-down.test/",
                    settings={**SLOW, "LINKSPIDER_ROBOTS_RETRIES": "1",
                              "LINKSPIDER_ROBOTS_RETRY_DELAY": "4"})  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    lines = [line for line in run.log.splitlines() if "[linkspider.extensions.progress]" in line]
    queued = [int(m.group(1)) for m in map(re.compile(r", (\d+) queued").search, lines) if m]
    assert len(queued) == len(lines) and max(queued) > 0, lines
    assert any(", 1 held for robots.txt (1 host), " in line for line in lines), lines


def test_no_progress_when_off(slow_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(slow_web, tmp_path, "acme-boots.com", "http://slow-pages.test/",
                    settings={**SLOW, "LINKSPIDER_PROGRESS": "off"})  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    assert "[linkspider.extensions.progress]" not in run.log
    assert "linkspider: 5 pages crawled, " in run.log  # the run summary only


def run_on_terminal(web: TestWeb, workdir: Path) -> str:
    """The crawl with its stderr on a pseudo-terminal; everything the terminal received."""
    settings = {**DEMO_SETTINGS, **web.scrapy_settings(), **SLOW}
    command = crawl_command("acme-boots.com", "http://slow-pages.test/", settings,
                            ["-a", f"output_dir={workdir / 'out'}"])  # fmt: skip
    master, slave = pty.openpty()
    # A terminal 160 columns wide (a pseudo-terminal starts at 0 x 0).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the crawl ended and closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        process = subprocess.run(command, cwd=workdir, env=crawl_env(), stdout=subprocess.DEVNULL,
                                 stderr=slave, stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_live_line_on_a_terminal(slow_web: TestWeb, tmp_path: Path) -> None:
    raw = run_on_terminal(slow_web, tmp_path).replace("\r\n", "\n")  # the tty's newlines
    assert "\r" in raw  # redrawn in place
    # What the terminal shows, draw by draw: control sequences out, split at each redraw.
    draws = [chunk for chunk in re.split(r"[\r\n]", CONTROL.sub("", raw)) if chunk]
    drawn = [m for m in map(LINE.match, draws) if m]
    assert len(drawn) >= 3, raw[-2000:]  # updated in place while crawling, and at the end
    # The final line is printed whole, last of the progress lines, and ended by a newline.
    last = drawn[-1]
    assert int(last.group(1)) == PAGES and last.group(3) == "0"
    assert last.group(0) + "\n" in CONTROL.sub("", raw)
    # A log line never runs into the live line: each starts on a line of its own.
    for chunk in draws:
        assert not re.search(r"elapsed.*\d{4}-\d\d-\d\d \d\d:", chunk), chunk
    assert any(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", c) for c in draws)
    assert "linkspider: 5 pages crawled, " in raw  # the run summary is still logged


@pytest.mark.parametrize(
    ("value", "isatty", "mode"),
    [("auto", True, "live"), ("auto", False, "log"), ("AUTO ", False, "log"),
     (True, True, "live"), ("true", False, "log"), ("false", True, "off"), (False, True, "off"),
     ("live", False, "live"), ("log", True, "log"), ("off", True, "off")],
)  # fmt: skip
def test_progress_modes(value: object, isatty: bool, mode: str) -> None:
    assert progress_mode(value, isatty) == mode


def test_bad_mode_is_named() -> None:
    with pytest.raises(ValueError, match="LINKSPIDER_PROGRESS must be auto, live, log or off"):
        progress_mode("sometimes", True)


def test_format() -> None:
    line = format_progress(Snapshot(1204, 310, 48112, 95, 3725.9, responses=1310), 3.14)
    assert line == ("linkspider: 1,204 pages crawled (1,310 responses), 310 queued, 48,112 "
                    "links, 95 backlinks, 3.1 pages/s, 1:02:05 elapsed")  # fmt: skip
    assert ", queued" not in format_progress(Snapshot(1, None, 0, 0, 0.0), 0.0)
