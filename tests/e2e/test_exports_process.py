"""``scrapy crawl backlinks`` builds the exports in a new process that replaces the crawl's
(``LINKSPIDER_EXPORTS_NEW_PROCESS``): the same pid, log file and exit code, and a crawl
process that never loaded the table libraries. Real crawls of the sample web."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from linkspider.cli import crawl_command, crawl_env
from linkspider.testweb import TestWeb
from tests.conftest import DEMO_SETTINGS, SAMPLE_SEEDS, SAMPLE_TARGETS, run_crawl
from tests.support.paths import ROOT

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[\w.]+\] [A-Z]+: ")


def test_the_exports_replace_the_crawls_process(sample_web: TestWeb, tmp_path: Path) -> None:
    out, log, probe = tmp_path / "out", tmp_path / "crawl.log", tmp_path / "modules.json"
    settings = {
        **DEMO_SETTINGS, **sample_web.scrapy_settings(), "LOG_FILE": str(log),
        "EXTENSIONS": json.dumps({"tests.support.module_probe.ModuleProbe": 50}),
        "MODULE_PROBE_FILE": str(probe),
    }  # fmt: skip
    command = crawl_command(SAMPLE_TARGETS, SAMPLE_SEEDS, settings, ["-a", f"output_dir={out}"])
    env = crawl_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")  # where the hand-off file is written
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    _, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-3000:]
    info = json.loads((out / "run.json").read_text("utf-8"))
    assert info["exports_process"] == "new" and info["exports_built"] is True
    assert info["pid"] == process.pid  # one process: replaced, not a child
    assert info["status"] == "finished" and info["pages_crawled"] > 0
    # The crawl's process never loaded the table libraries, not even when it stopped.
    assert json.loads(probe.read_text("utf-8"))["stopped"] == []
    lines = log.read_text("utf-8").splitlines()
    closed = next(i for i, line in enumerate(lines) if "Spider closed (finished)" in line)
    building = next(i for i, line in enumerate(lines) if "building the exports in" in line)
    summary = next(i for i, line in enumerate(lines) if " pages crawled, " in line)
    assert closed < building < summary == len(lines) - 1  # the crawl's log, continued
    assert LINE.match(lines[building]) and LINE.match(lines[summary])  # in its format
    assert f"{info['pages_crawled']} pages crawled" in lines[summary]
    assert not list((tmp_path / "tmp").glob("linkspider-exports-*"))  # read, then removed
    assert err == ""  # the log file has it all


def test_exports_in_the_crawls_process_when_told(sample_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(sample_web, tmp_path, settings={"LINKSPIDER_EXPORTS_NEW_PROCESS": "False"})
    assert run.process.returncode == 0, run.log[-3000:]
    info = run.run_info()
    assert info["exports_process"] == "crawl" and info["exports_built"] is True
    lines = run.log.splitlines()
    building = next(i for i, line in enumerate(lines) if "building the exports in" in line)
    closed = next(i for i, line in enumerate(lines) if "Spider closed (finished)" in line)
    assert building < closed


def test_a_bad_value_is_one_line_before_the_crawl(sample_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(sample_web, tmp_path, settings={"LINKSPIDER_EXPORTS_NEW_PROCESS": "maybe"})
    assert run.process.returncode == 2
    assert "LINKSPIDER_EXPORTS_NEW_PROCESS: expected true or false, got 'maybe'" in run.log
    assert "Traceback" not in run.log and not (tmp_path / "out" / "run.json").exists()
