"""Unreachable hosts, timeouts and killed crawls lose nothing that was found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env
from linkspider.testweb import TestWeb
from tests.conftest import run_crawl


def test_unreachable_hosts_are_errors_and_the_crawl_goes_on(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    seeds = "slow-camping.com,down-hiking.com,no-such-host.example,http://ru-pohod.ru/"
    run = run_crawl(sample_web, tmp_path, "acme-boots.com", seeds,
                    settings={"DOWNLOAD_TIMEOUT": "2"})  # fmt: skip
    assert run.process.returncode == 0, run.log
    errors = {row["url"]: row["error"] for row in run.rows("errors.csv")}
    assert errors == {
        "http://slow-camping.com/": "timeout",  # https timed out, then the http fallback too
        "http://down-hiking.com/": "connection-refused",
        "https://no-such-host.example/": "dns-error",  # no fallback: http cannot resolve either
    }
    assert [row["source_url"] for row in run.rows()] == ["http://ru-pohod.ru/"]
    assert run.run_info()["status"] == "finished"


def test_refused_host_is_given_up_without_robots_retries(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    """A bare-domain seed refused on https falls back to http at once, and refused there
    too, its robots.txt is not fetched again: no retry is scheduled (retries are on)."""
    run = run_crawl(sample_web, tmp_path, "acme-boots.com", "down-hiking.com,http://ru-pohod.ru/",
                    settings={"LINKSPIDER_ROBOTS_RETRIES": "2",
                              "LINKSPIDER_ROBOTS_RETRY_DELAY": "0.2"})  # fmt: skip
    assert run.process.returncode == 0, run.log
    errors = {row["url"]: row["error"] for row in run.rows("errors.csv")}
    assert errors == {"http://down-hiking.com/": "connection-refused"}
    stats = run.run_info()["stats"]
    assert stats.get("linkspider/robots/retries", 0) == 0
    assert stats["linkspider/robots/fallback"] == 1  # https seed: not held for retries
    assert stats["linkspider/robots/fetched"] == 3  # https and http of down-hiking, ru-pohod
    assert [row["source_url"] for row in run.rows()] == ["http://ru-pohod.ru/"]


def start_crawl_with_one_row(
    web: TestWeb, workdir: Path, out: Path, download_timeout: int
) -> subprocess.Popen[bytes]:
    """Start a crawl whose fast page gives one row and whose hanging host keeps it alive;
    return once the row is on disk."""
    settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "DOWNLOAD_TIMEOUT": str(download_timeout)}
    command = crawl_command("acme-boots.com", "http://ru-pohod.ru/,http://slow-camping.com/",
                            settings, ["-a", f"output_dir={out}"])  # fmt: skip
    process = subprocess.Popen(command, cwd=workdir, env=crawl_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    jsonl = out / "backlinks.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (jsonl.exists() and jsonl.read_text("utf-8")):
        time.sleep(0.1)
    return process


def test_killed_crawl_keeps_rows_and_export_rebuilds(sample_web: TestWeb, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    process = start_crawl_with_one_row(sample_web, tmp_path, out, download_timeout=120)
    jsonl = out / "backlinks.jsonl"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    lines = jsonl.read_text("utf-8").splitlines()
    assert len(lines) == 1 and "походные ботинки Acme" in lines[0]
    assert '"status": "running"' in (out / "run.json").read_text("utf-8")
    assert not (out / "backlinks.csv").exists()
    with jsonl.open("a", encoding="utf-8") as handle:
        handle.write('{"source_url": "half a line')  # what a kill mid-write leaves
    # and what a kill during an earlier export leaves: DuckDB's spill folder, xlsxwriter's
    # row files, a half-written table
    for leftover in (".duckdb-spill-k1.tmp/tables.duckdb", ".xlsx-k2.tmp/tmpab12cd"):
        (out / leftover).parent.mkdir()
        (out / leftover).write_bytes(b"x" * 1000)
    (out / "backlinks.csv.tmp").write_text("source_url\n", "utf-8")
    result = subprocess.run([sys.executable, "-m", "linkspider.cli", "export", str(out)],
                            capture_output=True, text=True, env=crawl_env())  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not list(out.glob("*.tmp"))
    assert not [p for p in out.iterdir() if p.name.startswith((".", "tmp"))]
    assert "1 backlinks" in result.stdout and "1 unreadable line(s) skipped" in result.stdout
    csv_lines = (out / "backlinks.csv").read_text("utf-8").splitlines()
    assert len(csv_lines) == 2
    assert (out / "referring_domains.csv").read_text("utf-8").count("ru-pohod.ru") == 1


def test_sigterm_finishes_gracefully_with_exports(sample_web: TestWeb, tmp_path: Path) -> None:
    out = tmp_path / "stopped"
    # A graceful stop lets in-flight downloads finish or time out: keep the timeout short.
    process = start_crawl_with_one_row(sample_web, tmp_path, out, download_timeout=4)
    process.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy closes the spider cleanly
    assert process.wait(timeout=30) == 0
    assert len((out / "backlinks.csv").read_text("utf-8").splitlines()) == 2
    assert '"status": "stopped"' in (out / "run.json").read_text("utf-8")


def test_export_of_a_folder_without_rows_says_so(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "linkspider.cli", "export", str(tmp_path)],
                            capture_output=True, text=True, env=crawl_env())  # fmt: skip
    assert result.returncode == 2
    assert "has no backlinks.jsonl" in result.stderr
