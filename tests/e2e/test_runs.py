"""How a run ends, and what ``run.json`` and the exit code say about it.

A real full disk (a small tmpfs) and a real read-only folder (a read-only bind mount):
both need root and mount permission, and are skipped with the reason otherwise. Killed
and resumed crawls of the local web: run.json says ``interrupted`` with what was
recovered, and a resumed run counts like an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import crawl_env
from linkspider.output import (
    EXPORT_FAILED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    STOPPED,
    exit_code,
    status_after_export,
)  # fmt: skip
from linkspider.reports.html_report import crawl_arguments
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.e2e.test_policy_resume import command, finished_run, interrupt_after, make_web, table

# -- pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "alive", "after"),
    [
        (RUNNING, "", False, INTERRUPTED),  # killed: the process is gone
        (RUNNING, "", True, RUNNING),  # still crawling: the export is a snapshot
        (EXPORT_FAILED, "finished", False, FINISHED),  # retried after freeing space
        (EXPORT_FAILED, "closespider_pagecount", False, STOPPED),
        (FAILED, "write-failed", False, FAILED),  # rows were lost: stays failed
        (FINISHED, "finished", False, FINISHED),
    ],
)
def test_status_after_export(status: str, reason: str, alive: bool, after: str) -> None:
    assert status_after_export(status, reason, alive) == after


@pytest.mark.parametrize(
    ("status", "code"),
    [(FINISHED, 0), (STOPPED, 0), (INTERRUPTED, 0), (EXPORT_FAILED, 3), (FAILED, 3),
     (RUNNING, 3)],
)  # fmt: skip
def test_exit_code_says_whether_the_exports_are_complete(status: str, code: int) -> None:
    assert exit_code(status) == code


def test_crawl_arguments_keep_what_shaped_the_crawl() -> None:
    argv = ["/x/scrapy/__main__.py", "backlinks", "-a", "targets=acme.com", "-a", "depth=2",
            "-s", "DOWNLOAD_DELAY=0", "-s", 'LINKSPIDER_BROWSER_ARGS=["--host-resolver-rules=MAP"]',
            "-s", "TWISTED_DNS_RESOLVER=x.Resolver", "--set", "JOBDIR=crawls/a b"]  # fmt: skip
    shown = crawl_arguments(argv, {"DOWNLOAD_DELAY", "JOBDIR"}, "backlinks")
    assert shown == (
        "scrapy crawl backlinks -a targets=acme.com -a depth=2 -s DOWNLOAD_DELAY=0 "
        "-s 'JOBDIR=crawls/a b'"
    )


# -- a full disk, a read-only folder --------------------------------------------------------


@contextmanager
def mounted(point: Path, *options: str, source: str = "tmpfs") -> Iterator[Path]:
    point.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("a real full disk or read-only folder needs root (mount)")
    args = ["mount", "-t", "tmpfs", *options, "tmpfs", str(point)]
    if source != "tmpfs":
        args = ["mount", "--bind", source, str(point)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def run_info(folder: Path) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((folder / "run.json").read_text("utf-8"))
    return info


def blocks(path: Path) -> int:
    """Bytes a file takes on tmpfs (whole 4 KiB pages)."""
    return math.ceil(path.stat().st_size / 4096) * 4096


@pytest.fixture(scope="module")
def whole_run(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_crawl(sample_web, tmp_path_factory.mktemp("whole-sample"))
    assert run.process.returncode == 0, run.log[-3000:]
    return run


@pytest.mark.e2e
def test_a_full_disk_stops_the_crawl_with_one_message_and_exit_3(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    with mounted(tmp_path / "disk", "-o", "size=48k") as disk:  # less than the rows need
        run = run_crawl(sample_web, tmp_path, output_dir=disk / "out")
        assert run.process.returncode == 3, run.log[-3000:]
        said = re.findall(r"writing \S+ failed \(No space left on device\)", run.log)
        assert len(said) == 1, run.log[-3000:]
        assert "Traceback" not in run.log and "Error processing" not in run.log
        assert not list((disk / "out").glob("*.tmp"))
        assert not (disk / "out" / "backlinks.csv").exists()  # no exports from missing rows
        info = run_info(disk / "out")
        assert info["status"] == FAILED and info["finish_reason"] == "write-failed"
        assert "No space left on device" in info["error"]


@pytest.mark.e2e
def test_exports_that_do_not_fit_say_so_and_export_retries(
    sample_web: TestWeb, whole_run: CrawlRun, tmp_path: Path
) -> None:
    rows = sum(blocks(p) for p in whole_run.output_dir.glob("*.jsonl"))
    size = rows + 3 * 4096 + blocks(whole_run.output_dir / "run.json")  # rows fit, exports not
    with mounted(tmp_path / "disk", "-o", f"size={size}") as disk:
        run = run_crawl(sample_web, tmp_path, output_dir=disk / "out")
        assert run.process.returncode == 3, run.log[-3000:]
        assert "Traceback" not in run.log
        assert len(re.findall(r"building the exports failed", run.log)) == 1
        assert not list((disk / "out").glob("*.tmp"))
        assert run_info(disk / "out")["status"] == EXPORT_FAILED
        pages = (disk / "out" / "pages.jsonl").read_text("utf-8").splitlines()
        assert len(pages) == run_info(whole_run.output_dir)["pages_crawled"]  # no row lost

        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)  # space freed
        again = subprocess.run(
            [sys.executable, "-m", "linkspider.cli", "export", str(disk / "out")],
            env=crawl_env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        info = run_info(disk / "out")
        assert info["status"] == FINISHED and "export_error" not in info
        assert info["links_found"] == run_info(whole_run.output_dir)["links_found"]


@pytest.mark.e2e
def test_a_read_only_output_folder_is_one_line(sample_web: TestWeb, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    with mounted(tmp_path / "ro", source=str(source)) as folder:
        done = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True)
        if done.returncode:
            pytest.skip("a read-only remount is not permitted here")
        for out in (folder, folder / "new" / "run"):
            run = run_crawl(sample_web, tmp_path, output_dir=out)
            assert run.process.returncode == 2
            errors = [line for line in run.log.splitlines() if "error" in line.lower()]
            assert errors == [
                f"__main__.py: error: output folder {out} cannot be written: Read-only file system"
            ], run.log[-3000:]
            assert "Traceback" not in run.log and "linkspider export" not in run.log


# -- killed and resumed crawls ----------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestWeb, str]]:
    root = tmp_path_factory.mktemp("run-sites")
    seeds = make_web(root)
    with TestWeb([root]) as web:
        yield web, seeds


@pytest.fixture(scope="module")
def uninterrupted(
    slow_web: tuple[TestWeb, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    web, seeds = slow_web
    workdir = tmp_path_factory.mktemp("uninterrupted")
    done = subprocess.run(command(web, seeds), cwd=workdir, env=crawl_env(), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return run_info(finished_run(workdir))


@pytest.mark.e2e
def test_killed_crawl_then_export_says_interrupted_with_what_was_recovered(
    slow_web: tuple[TestWeb, str], tmp_path: Path
) -> None:
    web, seeds = slow_web
    interrupt_after(command(web, seeds), tmp_path, pages=20, sig=signal.SIGKILL)
    folder = finished_run(tmp_path)
    assert run_info(folder)["status"] == RUNNING  # what a kill leaves
    done = subprocess.run([sys.executable, "-m", "linkspider.cli", "export", str(folder)],
                          env=crawl_env(), capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    info = run_info(folder)
    assert info["status"] == INTERRUPTED
    pages = table(folder, "pages.csv")
    assert info["recovered"]["pages_crawled"] == len(pages) >= 20
    assert info["recovered"]["links_found"] == sum(int(p["links"]) for p in pages)
    assert info["sessions"][0]["finish_reason"].startswith("killed")
    assert info["finished_at"] >= info["started_at"]
    blocked = {(r["url"], r["reason"]) for r in table(folder, "blocked_pages.csv")}
    assert blocked == {("http://resume-down.test/", "robots-unavailable")}
    crawl = (folder / "report.html").read_text("utf-8").split('<section id="crawl">')[1]
    assert "<dt>status</dt><dd>interrupted</dd>" in crawl
    assert "<dt>not fetched on purpose</dt><dd>1</dd>" in crawl
    assert "the crawl was killed" in done.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_resumed_run_counts_like_an_uninterrupted_one(
    slow_web: tuple[TestWeb, str], uninterrupted: dict[str, Any], tmp_path: Path,
    sig: signal.Signals,
) -> None:  # fmt: skip
    web, seeds = slow_web
    cmd = command(web, seeds, JOBDIR=str(tmp_path / "job"))
    interrupt_after(cmd, tmp_path, pages=20, sig=sig)
    again = subprocess.run(cmd, cwd=tmp_path, env=crawl_env(), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    info = run_info(finished_run(tmp_path))
    assert info["status"] == FINISHED
    for key in ("pages_crawled", "links_found", "backlinks", "errors", "blocked_pages"):
        assert info[key] == uninterrupted[key], key
    (whole,) = uninterrupted["sessions"]
    assert uninterrupted["elapsed_seconds"] == whole["elapsed_seconds"]
    first, second = info["sessions"]
    assert first["finish_reason"] == ("shutdown" if sig == signal.SIGINT else
                                      "killed (ended at its last write)")  # fmt: skip
    assert first["elapsed_seconds"] > 0 and second["elapsed_seconds"] > 0
    assert info["elapsed_seconds"] == round(first["elapsed_seconds"] + second["elapsed_seconds"], 3)
    assert info["started_at"] == first["started_at"] <= second["started_at"]
    summary = [line for line in again.stderr.splitlines() if "pages crawled" in line][-1]
    assert f"{info['pages_crawled']} pages crawled, {info['links_found']} links seen" in summary
    assert "over 2 sessions" in summary
