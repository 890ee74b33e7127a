"""Resumable crawls lose nothing and write nothing twice.

Export-time de-duplication on hand-made files, then the real thing: crawls of the local
web stopped with Ctrl-C or SIGKILL and resumed with the same command give the rows of an
uninterrupted crawl.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env
from linkspider.core.items import BACKLINK_COLUMNS, ErrorItem
from linkspider.engines.tables import TableResult, arrow_schema, last_rows, read_jsonl_batches
from linkspider.testweb import TestWeb


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), "utf-8")


def test_last_row_of_each_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "errors.jsonl"
    rows = [
        {"url": "https://a.com/1", "error": "timeout"},
        {"url": "https://a.com/2", "error": "http-404"},
        {"url": "https://a.com/1", "error": "dns-error"},  # fetched again after a resume
    ]
    _write(path, [json.dumps(r) for r in rows[:2]] + ['{"url": "half a li', json.dumps(rows[2])])
    keep = last_rows(path, ("url",))
    assert keep == {1, 3}
    result = TableResult()
    schema = arrow_schema(ErrorItem)
    table = [b.to_pylist() for b in read_jsonl_batches(path, schema, result, keep=keep)]
    assert [(r["url"], r["error"]) for r in table[0]] == [
        ("https://a.com/2", "http-404"), ("https://a.com/1", "dns-error"),
    ]  # fmt: skip
    assert (result.rows, result.duplicates, result.bad_lines) == (2, 1, 1)


def test_no_repeated_key_reads_everything(tmp_path: Path) -> None:
    path = tmp_path / "errors.jsonl"
    _write(path, [json.dumps({"url": f"https://a.com/{n}"}) for n in range(3)])
    assert last_rows(path, ("url",)) is None
    assert last_rows(tmp_path / "missing.jsonl", ("url",)) is None


# -- interrupted and resumed crawls of the local web ---------------------------------------

HOSTS = ("resume-a.test", "resume-b.test", "resume-c.test")
UNSTABLE = {"first_seen", "last_seen"}


def make_web(root: Path) -> str:
    """Three sites of 25 slow pages (2 target links each, one 404) and one whose robots.txt
    answers 503; returns the seeds."""
    for host in HOSTS:
        site = root / host
        site.mkdir(parents=True)
        (site / "_site.toml").write_text(
            '[[route]]\npath = "/missing.html"\nstatus = 404\n'
            '[[route]]\npath = "/"\nprefix = true\ndelay = 0.15\n', "utf-8"
        )  # fmt: skip
        tree = {"index.html": [f"p{i}.html" for i in range(1, 7)]}
        for i in range(1, 7):
            tree[f"p{i}.html"] = [f"q{i}-{j}.html" for j in range(1, 4)]
            tree.update({f"q{i}-{j}.html": [] for j in range(1, 4)})
        tree["p6.html"].append("missing.html")
        for name, children in tree.items():
            links = " ".join(f'<a href="/{c}">{c}</a>' for c in children)
            targets = " ".join(f'<a href="https://acme-boots.com/{host}/{name}/{n}">Acme {n}</a>'
                               for n in (1, 2))  # fmt: skip
            (site / name).write_text(f"<html><head><title>{host} {name}</title></head><body>"
                                     f"{links} {targets}</body></html>\n", "utf-8")  # fmt: skip
    down = root / "resume-down.test"
    down.mkdir()
    (down / "_site.toml").write_text('[[route]]\npath = "/robots.txt"\nstatus = 503\n', "utf-8")
    (down / "index.html").write_text('<a href="https://acme-boots.com/down">x</a>', "utf-8")
    return ",".join(f"http://{h}/" for h in (*HOSTS, "resume-down.test"))


@pytest.fixture(scope="module")
def resume_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestWeb, str]]:
    root = tmp_path_factory.mktemp("resume-sites")
    seeds = make_web(root)
    with TestWeb([root]) as web:
        yield web, seeds


def command(web: TestWeb, seeds: str, *extra: str, **settings: str) -> list[str]:
    # Few requests in flight: the rest waits in the scheduler (JOBDIR) when the crawl stops.
    all_settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "CONCURRENT_REQUESTS": "4",
                    "CONCURRENT_REQUESTS_PER_DOMAIN": "2", **settings}  # fmt: skip
    return crawl_command("acme-boots.com", seeds, all_settings, list(extra))


def finished_run(workdir: Path) -> Path:
    """The one run folder under ``workdir/output``."""
    (folder,) = [
        p
        for p in (workdir / "output").iterdir()
        if p.is_dir() and p.name not in {"latest", "history"}
    ]
    return folder


def interrupt_after(cmd: list[str], workdir: Path, pages: int, sig: signal.Signals) -> None:
    """Run ``cmd`` until ``pages`` page rows are on disk, then send ``sig``."""
    process = subprocess.Popen(cmd, cwd=workdir, env=crawl_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        found = list((workdir / "output").glob("*/pages.jsonl"))
        if found and len(found[0].read_text("utf-8").splitlines()) >= pages:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the crawl ended before it could be interrupted"
    process.send_signal(sig)
    process.wait(timeout=60)


def table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def stable_rows(folder: Path) -> Counter[tuple[str, ...]]:
    return Counter(tuple(r[c] for c in BACKLINK_COLUMNS if c not in UNSTABLE)
                   for r in table(folder, "backlinks.csv"))  # fmt: skip


@pytest.fixture(scope="module")
def uninterrupted(
    resume_web: tuple[TestWeb, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    web, seeds = resume_web
    workdir = tmp_path_factory.mktemp("whole")
    done = subprocess.run(command(web, seeds), cwd=workdir, env=crawl_env(), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return finished_run(workdir)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_resumed_crawl_has_every_row_exactly_once(
    resume_web: tuple[TestWeb, str], uninterrupted: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    web, seeds = resume_web
    cmd = command(web, seeds, JOBDIR=str(tmp_path / "job"))
    interrupt_after(cmd, tmp_path, pages=20, sig=sig)
    first = finished_run(tmp_path)
    first_pages = len((first / "pages.jsonl").read_text("utf-8").splitlines())
    assert first_pages < 60  # stopped early

    again = subprocess.run(cmd, cwd=tmp_path, env=crawl_env(), capture_output=True, text=True,
                           timeout=120)  # the same command  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    folder = finished_run(tmp_path)  # the same run folder, not a new one
    assert folder == first
    assert "resuming from" in again.stderr

    expected = stable_rows(uninterrupted)
    assert sum(expected.values()) == 150 and max(expected.values()) == 1
    assert stable_rows(folder) == expected  # every link of every page, once
    pages = [r["url"] for r in table(folder, "pages.csv")]
    assert len(pages) == len(set(pages)) == 78  # 75 pages and three 404s
    assert set(pages) == {r["url"] for r in table(uninterrupted, "pages.csv")}
    errors = {(r["url"], r["error"]) for r in table(folder, "errors.csv")}
    assert errors == {(r["url"], r["error"]) for r in table(uninterrupted, "errors.csv")}
    assert {(r["url"], r["reason"]) for r in table(folder, "blocked_pages.csv")} == {
        ("http://resume-down.test/", "robots-unavailable")
    }
    info = json.loads((folder / "run.json").read_text("utf-8"))
    assert info["status"] == "finished" and info["pages_crawled"] == 78
    assert info["backlinks"] == 150
    # Only pages in flight when the crawl stopped (at most CONCURRENT_REQUESTS) are fetched
    # twice; finished ones are not fetched again.
    fetched = len((folder / "pages.jsonl").read_text("utf-8").splitlines())
    assert 78 <= fetched <= 78 + 4
    assert info["stats"]["linkspider/journal/rescheduled"] > 0


def test_resumed_crawl_keeps_the_page_budget(
    resume_web: tuple[TestWeb, str], tmp_path: Path
) -> None:
    web, _ = resume_web
    cmd = command(web, "http://resume-a.test/", "-a", "max_pages_per_site=12",
                  JOBDIR=str(tmp_path / "job"))  # fmt: skip
    interrupt_after(cmd, tmp_path, pages=5, sig=signal.SIGKILL)
    done_before = len((finished_run(tmp_path) / "pages.jsonl").read_text("utf-8").splitlines())
    again = subprocess.run(cmd, cwd=tmp_path, env=crawl_env(), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    folder = finished_run(tmp_path)
    pages = [r["url"] for r in table(folder, "pages.csv")]
    assert len(pages) == len(set(pages)) == 12
    # The resumed part took only what was left of the budget (pages in flight at the kill
    # keep the budget page they took: they are fetched again without taking another).
    info = json.loads((folder / "run.json").read_text("utf-8"))
    assert info["stats"]["linkspider/budget/pages"] <= 12 - done_before


# -- rendered pages (render=always) ------------------------------------------------------

RENDER_HOST = "resume-render.test"
RENDERED = ("p1", "p2", "p3", "p4", "held")


def make_render_web(root: Path) -> str:
    """A site whose links scripts write; /held.html keeps the browser busy (a fetch that is
    answered after 600 s, and the crawl waits for the network to go quiet)."""
    site = root / RENDER_HOST
    site.mkdir(parents=True)
    (site / "_site.toml").write_text(
        '[[route]]\npath = "/slow"\nbody = "late"\ndelay = 600\n', "utf-8"
    )
    links = " ".join(f'<a href="/{name}.html">{name}</a>' for name in RENDERED)
    (site / "index.html").write_text(f"<html><body>{links}</body></html>\n", "utf-8")
    for name in RENDERED:
        hold = 'fetch("/slow");' if name == "held" else ""
        (site / f"{name}.html").write_text(
            f'<html><body><div id="root"></div><script>{hold}\n'
            f"document.getElementById('root').innerHTML = '<a href=\"https://acme-boots.com/"
            f"render/{name}\">Acme {name}</a>';</script></body></html>\n",
            "utf-8",
        )
    return f"http://{RENDER_HOST}/"


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_page_killed_in_the_browser_is_rendered_after_resume(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = tmp_path_factory.mktemp("render-resume-sites")
    seeds = make_render_web(root)
    with TestWeb([root]) as web:
        job = {"JOBDIR": str(tmp_path / "job")}
        # The held page stays in the browser until the settle cap (a long one here): when
        # every other page has its row, it is being rendered.
        first = command(web, seeds, "-a", "render=always", LINKSPIDER_RENDER_SETTLE="900", **job)
        interrupt_after(first, tmp_path, pages=5, sig=signal.SIGKILL)
        folder = finished_run(tmp_path)
        before = [
            json.loads(line)["url"] for line in (folder / "pages.jsonl").open(encoding="utf-8")
        ]
        assert f"http://{RENDER_HOST}/held.html" not in before
        journal = (tmp_path / "job" / "linkspider" / "journal.jsonl").read_text("utf-8")
        assert f'"started": "http://{RENDER_HOST}/held.html"' in journal  # it was fetched
        # The same crawl resumed; a short settle cap lets the held page end this time.
        again = command(web, seeds, "-a", "render=always", LINKSPIDER_RENDER_SETTLE="1", **job)
        done = subprocess.run(again, cwd=tmp_path, env=crawl_env(), capture_output=True,
                              text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resuming from" in done.stderr
    assert finished_run(tmp_path) == folder
    pages = {r["url"]: r for r in table(folder, "pages.csv")}
    assert set(pages) == {f"http://{RENDER_HOST}/"} | {
        f"http://{RENDER_HOST}/{name}.html" for name in RENDERED
    }
    assert len(table(folder, "pages.csv")) == len(pages)  # each page once
    assert all(pages[f"http://{RENDER_HOST}/{name}.html"]["rendered"] == "true"
               for name in RENDERED)  # fmt: skip
    rows = table(folder, "backlinks.csv")
    assert sorted(r["target_url"] for r in rows) == sorted(
        f"https://acme-boots.com/render/{name}" for name in RENDERED
    )
    assert {r["origin"] for r in rows} == {"rendered"}
    assert table(folder, "errors.csv") == []
