"""Broken backlinks (``-a check_targets=true``): every linked target URL asked once.

Targets live on ``tests/webs/target`` (200, 301 to 200, 302 to 410, 404, 410, 500,
refused connections, robots.txt-disallowed) and on a scripted server on 127.0.0.1 that
refuses ``HEAD`` (405) or drops it, and answers ``GET``. The linking pages are written per
test run, because they must name the scripted server's port.
"""

from __future__ import annotations

import csv
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyarrow.parquet as pq
import pytest

from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.support.paths import WEBS

TARGET_SITES = WEBS / "target"
SHOP = "http://tc-shop.test"


class HeadShyServer:
    """127.0.0.1: ``/head-refused`` answers HEAD with 405, ``/head-drops`` closes the
    connection on HEAD; both answer GET with 200. Counts requests per (method, path)."""

    def __init__(self) -> None:
        counts: Counter[tuple[str, str]] = Counter()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                counts["GET", self.path] += 1
                if self.path == "/robots.txt":
                    self._answer(404, b"")
                else:
                    self._answer(200, b"<html><title>fine</title></html>")

            def do_HEAD(self) -> None:
                counts["HEAD", self.path] += 1
                if self.path == "/head-drops":
                    self.close_connection = True  # no answer at all
                    return
                self._answer(405, b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.counts = counts
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def head_shy() -> Iterator[HeadShyServer]:
    server = HeadShyServer()
    yield server
    server.close()


def expected_answers(base: str) -> dict[str, tuple[str, bool]]:
    """Target URL -> (target_status, broken)."""
    return {
        f"{SHOP}/ok.html": ("200", False),
        f"{SHOP}/moved": ("200", False),  # 301 -> 200
        f"{SHOP}/moved-gone": ("410", True),  # 302 -> 410: broken
        f"{SHOP}/gone": ("410", True),
        f"{SHOP}/missing.html": ("404", True),
        f"{SHOP}/error": ("500", True),
        "http://tc-down.test/page": ("connection-refused", True),
        f"{SHOP}/private/x.html": ("robots-disallowed", False),  # unknown, not broken
        f"{base}/head-refused": ("200", False),  # HEAD 405, then GET
        f"{base}/head-drops": ("200", False),  # HEAD failed, then GET
    }


@pytest.fixture(scope="module")
def target_run(tmp_path_factory: pytest.TempPathFactory, head_shy: HeadShyServer) -> CrawlRun:
    sites = tmp_path_factory.mktemp("sites")
    blog = sites / "tc-blog.test"
    blog.mkdir()
    links = "".join(f'<p><a href="{url}">link {n}</a></p>'
                    for n, url in enumerate(expected_answers(head_shy.base)))  # fmt: skip
    # The same targets again from a second page, and twice on one page: asked once each.
    (blog / "index.html").write_text(
        f'<html><body>{links}<a href="/second.html">more</a></body></html>', "utf-8"
    )
    (blog / "second.html").write_text(
        f'<html><body><a href="{SHOP}/gone">again</a><a href="{SHOP}/gone#x">and again</a>'
        f'<a href="{SHOP}/ok.html?utm_source=x">ok</a></body></html>',
        "utf-8",
    )
    with TestWeb([TARGET_SITES, sites]) as web:
        run = run_crawl(
            web, tmp_path_factory.mktemp("run"), "*", "http://tc-blog.test/",
            "-a", "check_targets=true",
            settings={"DOWNLOAD_TIMEOUT": "3"},
        )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    return run


def test_each_target_asked_once_with_head_then_get(
    target_run: CrawlRun, head_shy: HeadShyServer
) -> None:
    lines = (target_run.output_dir / "target_status.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    checked = Counter(r["target_url"] for r in records if not r["blocked"])
    assert set(checked) == set(expected_answers(head_shy.base)) - {f"{SHOP}/private/x.html"}
    assert max(checked.values()) == 1
    assert head_shy.counts["HEAD", "/head-refused"] == 1
    assert head_shy.counts["GET", "/head-refused"] == 1
    assert head_shy.counts["GET", "/head-drops"] == 1
    by_url = {r["target_url"]: r for r in records}
    assert by_url[f"{SHOP}/ok.html"]["method"] == "HEAD"
    assert by_url[f"{head_shy.base}/head-refused"]["method"] == "GET"
    assert by_url[f"{SHOP}/moved"]["final_url"] == f"{SHOP}/ok.html"
    assert by_url[f"{SHOP}/moved-gone"]["final_url"] == f"{SHOP}/gone"
    stats = target_run.run_info()["stats"]
    assert stats["downloader/request_method_count/HEAD"] == 10  # one per target but robots'
    assert stats["linkspider/target_check/targets"] == 10
    assert stats["linkspider/target_check/broken"] == 5
    assert stats["linkspider/target_check/blocked"] == 1


def test_target_status_joined_into_backlinks(target_run: CrawlRun, head_shy: HeadShyServer) -> None:
    expected = expected_answers(head_shy.base)
    rows = target_run.rows()
    assert {r["target_url"]: r["target_status"] for r in rows} == {
        url: status for url, (status, _) in expected.items()
    }
    table = pq.read_table(target_run.output_dir / "backlinks.parquet")
    assert table.column("target_status").to_pylist() == [r["target_status"] for r in rows]


def test_broken_backlinks_one_row_per_link(target_run: CrawlRun, head_shy: HeadShyServer) -> None:
    expected = expected_answers(head_shy.base)
    with (target_run.output_dir / "broken_backlinks.csv").open(encoding="utf-8-sig") as handle:
        broken = list(csv.DictReader(handle))
    links = Counter((r["source_url"], r["target_url"]) for r in broken)
    assert links == Counter(
        {("http://tc-blog.test/", url): 1 for url, (_, bad) in expected.items() if bad}
        | {("http://tc-blog.test/second.html", f"{SHOP}/gone"): 2}
    )
    first = next(r for r in broken if r["target_url"] == f"{SHOP}/moved-gone")
    assert (first["target_status"], first["target_final_url"]) == ("410", f"{SHOP}/gone")
    assert first["anchor_text"] == "link 2" and first["follow"] == "true"
    refused = next(r for r in broken if r["target_url"] == "http://tc-down.test/page")
    assert (refused["target_status"], refused["target_error"]) == (
        "connection-refused",
        "connection-refused",
    )
    assert target_run.run_info()["broken_backlinks"] == len(broken) == 7
    assert "target checks: 9 target URL(s) answered, 5 broken, 1 not requested" in target_run.log
