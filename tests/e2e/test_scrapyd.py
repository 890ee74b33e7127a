"""Scrapyd, for real, set up as docs/scrapyd.md says: a ``scrapyd`` process on loopback started
with the page's ``scrapyd.conf`` (read out of docs/scrapyd.md: basic auth on), the project deployed
with ``scrapyd-deploy NAME`` (credentials in ``~/.netrc``), crawls of the local test web
scheduled over HTTP, ``listjobs.json`` polled, and each job's exports read in its own
folder; jobs refused by the safety lock (one log line, the page's); and two
``backlinks_distributed`` jobs as the workers of a crawl queued in Redis.

The deployed settings are the project's, plus what a server operator would add: an
absolute export root, and the two test-web settings in ``LINKSPIDER_JOB_OVERRIDABLE_SETTINGS``
(the test web lives on loopback, which the SSRF guard blocks unless allowed).
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import DEMO_SETTINGS, SAMPLE_DIR
from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, CrawlRun, run_crawl
from tests.e2e.test_distributed import REDIS_SERVER, redis_url  # noqa: F401  (a fixture)
from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

PROJECT = "linkspider"
KEY = ("source_url", "target_url", "anchor_text", "link_type", "rel", "nofollow")
SERVER_SETTINGS = """
# --- added by the server operator (test) ---
LINKSPIDER_OUTPUT_ROOT = {root!r}
LINKSPIDER_JOB_OVERRIDABLE_SETTINGS = ["TWISTED_DNS_RESOLVER", "LINKSPIDER_ALLOW_PRIVATE_NETWORKS"]
"""
#: Appended to docs/scrapyd.md's scrapyd.conf (the port comes from SCRAPYD_HTTP_PORT): quick
#: polling, and two jobs at once whatever the number of cores.
TEST_ONLY_CONF = """
# --- test only ---
poll_interval = 0.2
max_proc = 2
"""


def readme_scrapyd_blocks() -> list[tuple[str, str]]:
    """(language, text) of each fenced code block of the Scrapyd page, docs/scrapyd.md."""
    page = (ROOT / "docs" / "scrapyd.md").read_text("utf-8")
    return re.findall(r"^```(\w*)\n(.*?)^```$", page, flags=re.M | re.S)


def readme_block(language: str, containing: str = "") -> str:
    for lang, text in readme_scrapyd_blocks():
        if lang == language and containing in text:
            return text
    raise AssertionError(f"docs/scrapyd.md: no ```{language} block with {containing!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Scrapyd:
    url: str
    user: str
    password: str
    home: Path
    exports: Path
    process: subprocess.Popen[bytes]

    def call(self, endpoint: str, data: list[tuple[str, str]] | None = None,
             auth: bool = True) -> dict[str, Any]:  # fmt: skip
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + endpoint, data=body)
        if auth:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            result: dict[str, Any] = json.loads(response.read())
        return result

    def log(self, job: str, spider: str = "backlinks") -> str:
        path = self.home / "logs" / PROJECT / spider / f"{job}.log"
        return path.read_text("utf-8", errors="replace") if path.exists() else ""

    def wait_finished(self, jobs: set[str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listing = self.call(f"listjobs.json?project={PROJECT}")
            if jobs <= {job["id"] for job in listing["finished"]}:
                return
            time.sleep(0.3)
        raise AssertionError(f"jobs not finished after {timeout}s: {listing}")


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    conf_text = readme_block("ini", "[scrapyd]")  # docs/scrapyd.md's scrapyd.conf, verbatim
    conf = configparser.ConfigParser()  # read as Scrapyd reads it
    conf.read_string(conf_text)
    (home / "scrapyd.conf").write_text(conf_text + TEST_ONLY_CONF, "utf-8")
    env = {
        k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT")
    }
    env["SCRAPYD_HTTP_PORT"] = str(port)  # a free port instead of the page's 6800
    with (home / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    user, password = conf["scrapyd"]["username"], conf["scrapyd"]["password"]
    server = Scrapyd(f"http://127.0.0.1:{port}/", user, password, home, home / "exports", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.call("daemonstatus.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((home / "scrapyd.out").read_text()) from None
                time.sleep(0.1)
        _deploy(server, tmp_path_factory.mktemp("project"), tmp_path_factory.mktemp("home"))
        yield server
    finally:
        # Scrapyd and the crawls it spawned share a session: stop them all.
        with contextlib.suppress(ProcessLookupError):  # none left (Scrapyd did not start)
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _deploy(server: Scrapyd, project: Path, user_home: Path) -> None:
    """Copy the project, add the operator's settings and a ``[deploy:test]`` target, put the
    credentials in ``~/.netrc``, and run the real ``scrapyd-deploy test`` (docs/scrapyd.md, "Deploy")."""
    shutil.copytree(ROOT / "linkspider", project / "linkspider",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in ("pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, project / name)
    with (project / "linkspider" / "settings.py").open("a", encoding="utf-8") as handle:
        handle.write(SERVER_SETTINGS.format(root=str(server.exports)))
    with (project / "scrapy.cfg").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[deploy:test]\nurl = {server.url}\n")  # the project: [deploy]'s
    netrc = user_home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login {server.user} password {server.password}\n")
    netrc.chmod(0o600)
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    command = [str(deploy)] if deploy.exists() else [sys.executable, "-m", "scrapyd_client.deploy"]
    result = subprocess.run([*command, "test"], cwd=project, env={**os.environ, "HOME": str(user_home)},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["status"] == "ok", result.stdout
    assert "backlinks" in server.call(f"listspiders.json?project={PROJECT}")["spiders"]


def _job_settings(web: TestWeb, **extra: str) -> list[tuple[str, str]]:
    # Jobs here do not render: the browser switches are locked for jobs (operator's choice).
    browser = web.browser_settings()
    routing = {k: v for k, v in web.scrapy_settings().items() if k not in browser}
    settings = {**DEMO_SETTINGS, **routing, **extra}
    return [("setting", f"{name}={value}") for name, value in settings.items()]


def _schedule(server: Scrapyd, job: str, targets: str, seeds: str,
              settings: list[tuple[str, str]]) -> None:  # fmt: skip
    data = [("project", PROJECT), ("spider", "backlinks"), ("jobid", job),
            ("targets", targets), ("seeds", seeds), *settings]  # fmt: skip
    answer = server.call("schedule.json", data)
    assert (answer["status"], answer["jobid"]) == ("ok", job), answer


def _rows(folder: Path) -> set[tuple[str, ...]]:
    import csv

    with (folder / "backlinks.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {tuple(row[k] for k in KEY) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def cli_crawl(sample_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    """The sample crawl run from the command line, to compare the jobs with."""
    run = run_crawl(sample_web, tmp_path_factory.mktemp("cli"))
    assert run.process.returncode == 0, run.log
    return run


def test_the_api_wants_basic_auth(scrapyd: Scrapyd) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        scrapyd.call("daemonstatus.json", auth=False)
    assert info.value.code == 401


def test_jobs_crawl_like_the_command_line_each_into_its_own_folder(
    scrapyd: Scrapyd, sample_web: TestWeb, cli_crawl: CrawlRun
) -> None:
    inline_targets = (SAMPLE_DIR / "targets.toml").read_text("utf-8")  # TOML text
    inline_seeds = ",".join(
        line.split("#")[0].strip()
        for line in Path(SAMPLE_SEEDS).read_text("utf-8").splitlines()
        if line.split("#")[0].strip()
    )
    settings = _job_settings(sample_web)
    # Two jobs at once (max_proc = 2): inline values, and paths on the server.
    _schedule(scrapyd, "inline-values", inline_targets, inline_seeds, settings)
    _schedule(scrapyd, "server-paths", SAMPLE_TARGETS, SAMPLE_SEEDS, settings)
    cli = cli_crawl  # the same crawl from the command line
    scrapyd.wait_finished({"inline-values", "server-paths"})

    jobs_root = scrapyd.exports / PROJECT / "backlinks"
    # One folder per job, and the link history of the jobs' target sets beside them.
    names = sorted(p.name for p in jobs_root.iterdir())
    assert names == ["history", "inline-values", "server-paths"]
    expected = _rows(cli.output_dir)
    assert len(expected) > 20
    for job in ("inline-values", "server-paths"):
        folder = jobs_root / job
        info = json.loads((folder / "run.json").read_text("utf-8"))
        assert info["status"] == "finished", scrapyd.log(job)
        assert info["output_dir"] == str(folder)
        # Built in the process that replaced the job's (the egg on its import path), and
        # logged in the job's log file, after the crawl's lines.
        assert info["exports_process"] == "new" and info["exports_built"] is True
        log = scrapyd.log(job)
        assert log.index("Spider closed (finished)") < log.index(" pages crawled, ")
        assert _rows(folder) == expected, job
        assert "runs from" not in scrapyd.log(job)  # the deployed egg's code ran
        pages = (folder / "pages.jsonl").read_text("utf-8").splitlines()
        assert len(pages) == len(cli.rows("pages.csv"))  # no rows of the other job
    assert not (scrapyd.exports / "latest").exists()  # jobs never move `latest`


def test_a_job_cannot_switch_off_robots_or_the_ssrf_guard(
    scrapyd: Scrapyd, sample_web: TestWeb
) -> None:
    settings = _job_settings(sample_web, ROBOTSTXT_OBEY="False", LINKSPIDER_SSRF_GUARD="False")
    _schedule(scrapyd, "no-robots", "acme-boots.com", "http://ru-pohod.ru/", settings)
    # Unlocking through the job itself does not work either.
    unlock = _job_settings(sample_web, LINKSPIDER_JOB_OVERRIDABLE_SETTINGS="ROBOTSTXT_OBEY")
    _schedule(scrapyd, "self-unlock", "acme-boots.com", "http://ru-pohod.ru/", unlock)
    robots_off = _job_settings(sample_web, ROBOTSTXT_OBEY="False")
    _schedule(scrapyd, "robots-off", "acme-boots.com", "http://ru-pohod.ru/", robots_off)
    scrapyd.wait_finished({"no-robots", "self-unlock", "robots-off"})
    for job in ("no-robots", "self-unlock", "robots-off"):
        log = scrapyd.log(job)
        # One clean line, not asyncio's "Task exception was never retrieved" and a traceback.
        assert "Traceback" not in log, log
        assert "Task exception was never retrieved" not in log, log
        assert log.count("the server does not let jobs change") == 1, log
    # The page's example line is the log's line.
    example = readme_block("", "UsageError:").strip()
    assert example.replace("6487ec79...", "robots-off").removesuffix(" ...") in scrapyd.log(
        "robots-off"
    )
    log = scrapyd.log("no-robots")
    assert (
        "the server does not let jobs change ROBOTSTXT_OBEY, LINKSPIDER_SSRF_GUARD (safety "
        "settings)" in log
    ), log
    assert "LINKSPIDER_JOB_OVERRIDABLE_SETTINGS" in log
    assert "Spider opened" not in log  # failed at start: nothing was fetched
    assert "LINKSPIDER_JOB_OVERRIDABLE_SETTINGS (safety settings)" in scrapyd.log("self-unlock")
    jobs_root = scrapyd.exports / PROJECT / "backlinks"
    for job in ("no-robots", "self-unlock", "robots-off"):
        assert not (jobs_root / job).exists()


def test_a_job_id_that_cannot_name_a_folder_is_one_log_line(tmp_path: Path) -> None:
    """Like the safety lock, checked before the crawl starts: Scrapy 2.19 builds the spider
    inside an asyncio task and re-raises there, where nothing awaits it (asyncio would log
    "Task exception was never retrieved" and a traceback)."""
    log_file = tmp_path / "job.log"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "linkspider.settings"}
    env.pop("SCRAPY_JOB", None)
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "backlinks", "-a", "_job=no spaces allowed",
         "-a", "targets=acme-boots.com", "-a", "seeds=http://ru-pohod.ru/",
         "-s", f"LOG_FILE={log_file}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    log = log_file.read_text("utf-8")
    assert result.returncode == 2, result.stderr + log  # a usage error
    line = "UsageError: backlinks: Scrapyd job id 'no spaces allowed' cannot name a folder"
    assert log.count(line) == 1, log
    assert "Traceback" not in log + result.stderr, log + result.stderr
    assert "Task exception was never retrieved" not in log + result.stderr


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_distributed_workers_as_scrapyd_jobs(
    scrapyd: Scrapyd,
    sample_web: TestWeb,
    redis_url: str,  # noqa: F811  (the fixture imported above)
    cli_crawl: CrawlRun,
) -> None:
    enqueue = subprocess.run(
        [sys.executable, "-m", "linkspider.cli", "enqueue", SAMPLE_TARGETS, SAMPLE_SEEDS,
         "--redis", redis_url, "--crawl", "agency"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert enqueue.returncode == 0, enqueue.stderr
    settings = _job_settings(sample_web, LINKSPIDER_REDIS_URL=redis_url)
    for job in ("worker-a", "worker-b"):
        data = [("project", PROJECT), ("spider", "backlinks_distributed"), ("jobid", job),
                ("crawl", "agency"), *settings]  # fmt: skip
        assert scrapyd.call("schedule.json", data)["status"] == "ok"
    scrapyd.wait_finished({"worker-a", "worker-b"})
    crawl_dir = scrapyd.exports / "agency"  # <LINKSPIDER_OUTPUT_ROOT>/<crawl>/parts/<job>
    assert sorted(p.name for p in (crawl_dir / "parts").iterdir()) == ["worker-a", "worker-b"]
    merged = subprocess.run([sys.executable, "-m", "linkspider.cli", "merge", str(crawl_dir)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert merged.returncode == 0, merged.stderr + scrapyd.log("worker-a", "backlinks_distributed")
    assert _rows(crawl_dir) == _rows(cli_crawl.output_dir)
