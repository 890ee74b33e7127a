"""The exports' own process (:mod:`linkspider.reports.handoff`), run for real: the
pickled hand-off the crawl command writes, the log it continues, the exit code it gives,
and what an interruption leaves."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from linkspider.engines.headers import SpreadsheetOptions
from linkspider.output import EXIT_INCOMPLETE, EXIT_OK
from linkspider.reports.handoff import (
    MODULE,
    Handoff,
    LogTarget,
    RunEnd,
    exec_exports,
    log_targets,
    read_handoff,
    write_handoff,
)
from linkspider.reports.options import ExportOptions

FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


def run_end(folder: Path, status: str = "finished") -> RunEnd:
    info: dict[str, Any] = {
        "status": status, "finish_reason": "finished", "elapsed_seconds": 2.0, "sessions": [],
        "output_dir": str(folder),
    }  # fmt: skip
    return RunEnd(folder, info, ExportOptions(), {"stats": {"item_scraped_count": 0}})


def start(handoff: Handoff, *code: str) -> subprocess.Popen[str]:
    path = write_handoff(handoff)
    if code:  # the module's main, then a look at what the process had loaded
        command = [sys.executable, "-c", "\n".join(code), str(path)]
    else:
        command = [sys.executable, "-m", MODULE, str(path)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_exports_process_builds_finishes_run_json_and_loads_no_scrapy(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "backlinks.jsonl").write_text("", "utf-8")
    log = tmp_path / "crawl.log"
    log.write_text("the crawl's lines\n", "utf-8")
    target = LogTarget(logging.INFO, FORMAT, "%Y-%m-%d %H:%M:%S", path=str(log), stream="")
    process = start(
        Handoff(run_end(folder), [target], logging.NOTSET),
        "import json, sys",
        "from linkspider.reports.handoff import main",
        "code = main(sys.argv[1:])",
        "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules}"
        " & {'scrapy', 'twisted', 'playwright'})]))",
    )
    out, err = process.communicate(timeout=120)
    code, frameworks = json.loads(out)
    assert code == EXIT_OK, err
    assert frameworks == []  # the crawl's framework stays behind
    info = json.loads((folder / "run.json").read_text("utf-8"))
    assert info["status"] == "finished" and info["exports_built"] is True
    assert info["stats"] == {"item_scraped_count": 0}  # the tail comes after the counts
    assert list(info).index("stats") > list(info).index("pages_crawled")
    assert (folder / "report.html").is_file() and (folder / "backlinks.csv").is_file()
    lines = log.read_text("utf-8").splitlines()
    assert lines[0] == "the crawl's lines"  # appended to, never truncated
    assert f"[linkspider.reports.finish] INFO: building the exports in {folder}" in lines[1]
    assert lines[-1].endswith(f"linkspider: 0 pages crawled, 0 links seen, 0 backlinks to 0 "
                              f"target(s) from 0 referring domain(s), 0 error(s), 0 blocked by "
                              f"robots.txt -> {folder}")  # fmt: skip
    assert err == ""  # the log went to the file only, as the crawl's did


@pytest.mark.parametrize("fresh", [True, False])
def test_a_large_runs_last_stage_gets_a_fresh_process(tmp_path: Path, fresh: bool) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "backlinks.jsonl").write_text("", "utf-8")
    end = run_end(folder)
    end.options = ExportOptions(spreadsheet=SpreadsheetOptions(xlsx=True))
    end.fresh_stage = fresh  # decided by the size of the JSON Lines files otherwise
    target = LogTarget(logging.DEBUG, FORMAT, None)
    process = start(Handoff(end, [target], logging.NOTSET))
    _, err = process.communicate(timeout=120)
    assert process.returncode == EXIT_OK, err
    handed = "the exports' documents stage: in a fresh process"
    assert err.count(handed) == (1 if fresh else 0), err
    assert "WARNING" not in err and "Traceback" not in err
    assert err.count("building the exports in") == 1  # said once, by the first process
    info = json.loads((folder / "run.json").read_text("utf-8"))
    assert info["exports_built"] is True and info["status"] == "finished"
    assert "backlinks.xlsx" in info["files"] and "report.html" in info["files"]
    assert "backlinks.csv" in info["files"]  # the earlier stages' files, listed at the end


def test_without_a_fresh_process_the_last_stage_runs_here(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from linkspider.reports.finish import finish_run

    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "backlinks.jsonl").write_text("", "utf-8")
    end = run_end(folder)
    end.fresh_stage = True
    stages: list[int] = []

    def cannot_start(later: RunEnd) -> None:
        stages.append(later.stage)
        raise OSError("exec: no such file")

    with caplog.at_level(logging.INFO):
        assert finish_run(end, cannot_start) == "finished"
    assert stages == [2]  # the documents stage was handed over, with what the others found
    assert "no fresh process for the exports (exec: no such file)" in caplog.text
    info = json.loads((folder / "run.json").read_text("utf-8"))
    assert info["exports_built"] is True and (folder / "report.html").is_file()


def test_an_interrupted_export_says_so_keeps_the_rows_and_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "backlinks.jsonl").write_text('{"source_url": "http://a.test/"}\n', "utf-8")
    fifo = folder / "blocked_pages.jsonl"  # the first file the exports read: they wait on it
    os.mkfifo(fifo)
    target = LogTarget(logging.INFO, FORMAT, None)
    process = start(Handoff(run_end(folder), [target], logging.NOTSET))
    while True:  # a writer can open the pipe once the exports have opened it to read
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
    process.send_signal(signal.SIGTERM)  # Scrapyd's cancel
    _, err = process.communicate(timeout=60)
    os.close(writer)
    assert process.returncode == EXIT_INCOMPLETE, err
    assert "Traceback" not in err
    assert f"building the exports was interrupted; the *.jsonl files are kept: run " \
           f"`linkspider export {folder}`" in err  # fmt: skip
    info = json.loads((folder / "run.json").read_text("utf-8"))
    assert info["status"] == "export-failed" and info["export_error"] == "interrupted"
    assert info["exports_built"] is False
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*.tmp"))
    assert (folder / "backlinks.jsonl").read_text("utf-8").count("\n") == 1


def test_a_failed_run_gets_no_exports_in_the_new_process_either(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "backlinks.jsonl").write_text("", "utf-8")
    process = start(Handoff(run_end(folder, status="failed")))
    _, err = process.communicate(timeout=120)
    assert process.returncode == EXIT_INCOMPLETE
    assert not (folder / "backlinks.csv").exists()
    assert json.loads((folder / "run.json").read_text("utf-8"))["exports_built"] is False
    assert err == ""  # no log target given: the crawl logged nowhere, nor do the exports


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x04K\x01."])
def test_an_unreadable_hand_off_is_one_line_and_removed(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "handoff.pickle"
    path.write_bytes(content)  # empty, garbage, a pickle of something else
    done = subprocess.run(
        [sys.executable, "-m", MODULE, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == EXIT_INCOMPLETE
    assert done.stderr.startswith("error: the crawl's exports could not start: ")
    assert len(done.stderr.splitlines()) == 1
    assert not path.exists()


def test_the_hand_off_keeps_what_the_exports_need(tmp_path: Path) -> None:
    end = run_end(tmp_path)
    target = LogTarget(logging.INFO, FORMAT, None, stream="stdout")
    path = write_handoff(Handoff(end, [target], logging.DEBUG))
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # private: mkstemp's
    read = read_handoff(path)
    assert read.end == end and read.logs == [target] and read.root_level == logging.DEBUG
    assert not path.exists()


def test_log_targets_are_the_root_loggers_file_and_console_handlers(tmp_path: Path) -> None:
    root = logging.getLogger()
    made = [logging.FileHandler(tmp_path / "a.log", encoding="utf-8"),
            logging.StreamHandler(sys.stderr), logging.NullHandler()]  # fmt: skip
    made[0].setFormatter(logging.Formatter(FORMAT, "%H:%M"))
    made[0].setLevel(logging.WARNING)
    for handler in made:
        root.addHandler(handler)
    try:
        found = log_targets()
    finally:
        for handler in made:
            root.removeHandler(handler)
            handler.close()
    assert (
        LogTarget(logging.WARNING, FORMAT, "%H:%M", str(tmp_path / "a.log"), "", "utf-8") in found
    )
    assert LogTarget(logging.NOTSET, None, None, stream="stderr") in found
    assert len([t for t in found if t.path == str(tmp_path / "a.log")]) == 1


def test_when_the_process_cannot_be_replaced_nothing_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with pytest.raises(OSError):
        exec_exports(Handoff(run_end(tmp_path)))
    assert not list(tmp_path.glob("linkspider-exports-*"))  # the caller builds them itself
