"""WARC recording of real crawls of the local test web (``-a warc=DIR``).

One crawl of a small web (robots.txt, a redirect chain, a gzip-encoded page, a 404, a PDF)
with files rotated at a small size: every fetched URL has its records, the records give
back the crawl's own backlink rows through linkspider's extraction, and warcio and FastWARC
both read every file with its digests. Then the ways a recording ends badly: a killed
crawl (only closed files look complete; a resumed crawl adds files), a full disk and a
read-only folder (one line, exit code 3), a bad setting (one line, exit code 2).
"""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env
from linkspider.config.targets import load_targets
from linkspider.extract.backlinks import FetchContext, backlink_rows, facts_for
from linkspider.extract.html import is_html
from linkspider.extract.page import LinkPage
from linkspider.extract.rendered import rendered_page_rows
from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.e2e.test_runs import mounted

TARGETS = "acme-boots.com"
HOST = "warc-blog.test"
JS_HOST = "warc-js.test"
CHROMIUM = Path("/usr/bin/chromium")
SEEDS = f"http://{HOST}/"
MAX_BYTES = 6000
PAGE_FIELDS_NOT_FROM_THE_PAGE = {"first_seen", "last_seen"}  # fetch-time fields
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def page(title: str, *links: str) -> str:
    anchors = " ".join(f'<p>See <a href="{href}">{text}</a> here.</p>' for href, text in
                       (link.split("|") for link in links))  # fmt: skip
    return (f"<!doctype html><html lang=en><head><title>{title}</title></head><body><main>"
            f"<h1>{title}</h1>{anchors}</main><footer><a href='https://acme-boots.com/'>"
            f"Acme Boots</a></footer></body></html>\n")  # fmt: skip


def make_web(root: Path) -> None:
    js = root / JS_HOST
    js.mkdir()
    (js / "index.html").write_text(
        "<!doctype html><html><head><title>JS</title></head><body><main><p>Static "
        "<a href='https://acme-boots.com/static'>static boots</a></p><div id=more></div>"
        "</main><script>document.getElementById('more').innerHTML = \"<p>Also "
        "<a href='https://acme-boots.com/script'>script-boots</a></p>\";</script></body></html>",
        "utf-8")  # fmt: skip
    site = root / HOST
    (site / "files").mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", "utf-8")
    (site / "index.html").write_text(page(
        "Home", "/post.html|post", "/gz.html|compressed", "/older|old link",
        "/missing.html|gone", "/report|a PDF", "/flaky|flaky", "/cut.html|cut short", "/private/x.html|private",
        "https://acme-boots.com/boots|waterproof boots"), "utf-8")  # fmt: skip
    (site / "post.html").write_text(page(
        "Post", "https://acme-boots.com/p1|Acme", "https://www.acme-boots.com/p2?x=1|boots",
        "/hold.html|held"), "utf-8")  # fmt: skip
    (site / "new.html").write_text(page("New", "https://acme-boots.com/new|new boots"), "utf-8")
    (site / "hold.html").write_text(page("Held", "https://acme-boots.com/h|held"), "utf-8")
    compressed = page("Gzip", "https://acme-boots.com/gz|gzip boots") + "<!-- x -->" * 500
    (site / "files" / "gz.html.gz").write_bytes(gzip.compress(compressed.encode()))
    (site / "doc.pdf").write_bytes(PDF)
    (site / "_site.toml").write_text(
        '[[route]]\npath = "/gz.html"\nfile = "files/gz.html.gz"\n'
        'content_type = "text/html; charset=utf-8"\nheaders = { "Content-Encoding" = "gzip" }\n'
        '[[route]]\npath = "/report"\nfile = "doc.pdf"\n'
        '[[route]]\npath = "/flaky"\nstatus = 503\n'
        # headers the extraction reads: the rows rebuilt from the records must see them
        '[[route]]\npath = "/new.html"\nheaders = { "X-Robots-Tag" = "noindex", '
        '"Link" = "<http://warc-blog.test/post.html>; rel=canonical" }\n'
        '[[route]]\npath = "/cut.html"\nfile = "post.html"\ntruncate_at = 120\n'
        '[[route]]\npath = "/older"\nstatus = 302\nlocation = "/old-page"\n'
        '[[route]]\npath = "/old-page"\nstatus = 301\nlocation = "/new.html"\n'
        '[[route]]\npath = "/missing.html"\nstatus = 404\n'
        f'[[route]]\npath = "/hold.html"\nhold_until = "{root / "gate"}"\n', "utf-8")  # fmt: skip


@dataclass
class Record:
    kind: str
    uri: str
    headers: dict[str, str]
    status: int = 0
    http: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""  # content coding undone (what Scrapy hands the spider)
    raw: bytes = b""  # as stored
    file: str = ""

    def http_values(self, name: str) -> list[str]:
        return [v for k, v in self.http if k.lower() == name.lower()]

    def fields(self) -> list[tuple[str, str]]:
        lines = self.raw.decode().splitlines()
        return [tuple(line.split(": ", 1)) for line in lines if line]  # type: ignore[misc]


def read_records(folder: Path) -> list[Record]:
    """Every record of the closed files of ``folder``, in file order, digests checked."""
    records = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for item in WarcioIterator(handle, check_digests="raise"):
                record = Record(item.rec_type, item.rec_headers.get_header("WARC-Target-URI") or "",
                                dict(item.rec_headers.headers), file=path.name)  # fmt: skip
                if item.http_headers is not None and item.rec_type == "response":
                    record.status = int(item.http_headers.get_statuscode())
                    record.http = list(item.http_headers.headers)
                    record.raw = item.raw_stream.read()
                    encoding = record.http_values("Content-Encoding")
                    record.body = (
                        gzip.decompress(record.raw) if encoding == ["gzip"] else record.raw
                    )
                elif item.http_headers is not None:  # a request: its request line and headers
                    record.http = list(item.http_headers.headers)
                    record.raw = item.http_headers.to_bytes() + item.content_stream().read()
                else:
                    record.raw = item.content_stream().read()
                records.append(record)
    return records


def responses(records: list[Record], uri: str) -> list[Record]:
    return [r for r in records if r.kind == "response" and r.uri == uri]


def jsonl(folder: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / name).read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestWeb, Path]]:
    root = tmp_path_factory.mktemp("warc-sites")
    make_web(root)
    (root / "gate").touch()  # open: nothing is held in the full crawl
    with TestWeb([root]) as test_web:
        yield test_web, root


@pytest.fixture(scope="module")
def recorded(web: tuple[TestWeb, Path], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[CrawlRun, Path, list[Record]]:  # fmt: skip
    workdir = tmp_path_factory.mktemp("warc-crawl")
    warcs = workdir / "warcs"
    run = run_crawl(web[0], workdir, TARGETS, SEEDS, "-a", f"warc={warcs}", "-a", "render=off",
                    settings={"LINKSPIDER_WARC_MAX_BYTES": str(MAX_BYTES), "RETRY_TIMES": "1",
                              "DOWNLOAD_FAIL_ON_DATALOSS": "False"})  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    return run, warcs, read_records(warcs)


def test_every_fetched_url_has_its_response_and_request_records(
    recorded: tuple[CrawlRun, Path, list[Record]],
) -> None:
    run, _, records = recorded
    pages = jsonl(run.output_dir, "pages.jsonl")
    assert {p["url"] for p in pages} >= {SEEDS, f"{SEEDS}post.html", f"{SEEDS}gz.html",
                                          f"{SEEDS}new.html", f"{SEEDS}report",
                                          f"{SEEDS}missing.html"}  # fmt: skip
    for row in pages:
        *retried, found = responses(records, row["url"])
        assert len(retried) == (1 if row["url"] == f"{SEEDS}flaky" else 0)  # RETRY_TIMES=1
        assert found.status == row["status"]
        assert found.headers["WARC-IP-Address"] == "127.0.0.1"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", found.headers["WARC-Date"])
        assert found.headers["WARC-Date"][:19] <= row["fetched_at"][:19]  # fetched, then parsed
        (request,) = [r for r in records if r.headers.get("WARC-Concurrent-To")
                      == found.headers["WARC-Record-ID"] and r.kind == "request"]  # fmt: skip
        assert request.raw.startswith(b"GET /")
        assert b"\r\nUser-Agent: linkspider/" in request.raw
    assert not [r for r in records if "/private/" in r.uri]  # refused by robots.txt: not fetched
    assert run.run_info()["pages_crawled"] == len(pages)


def row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, v) for k, v in row.items() if k not in PAGE_FIELDS_NOT_FROM_THE_PAGE))


def rows_from_records(records: list[Record]) -> Counter[tuple[Any, ...]]:
    """The backlink rows linkspider's extraction gives from the records alone: a response
    with its metadata (depth, redirects) and, if rendered, its conversion record (DOM)."""
    targets = load_targets(TARGETS)
    by_id = {r.headers["WARC-Record-ID"]: r for r in records}
    doms = {r.headers["WARC-Refers-To"]: r for r in records if r.kind == "conversion"}
    rebuilt: Counter[tuple[Any, ...]] = Counter()
    for meta in (r for r in records if r.kind == "metadata"):
        response = by_id[meta.headers["WARC-Concurrent-To"]]
        content_type = (response.http_values("Content-Type") or [None])[0]
        fields = meta.fields()
        if response.status != 200 or ("linkspider-robots-fetch", "true") in fields:
            continue
        if not is_html(content_type, response.body):
            continue
        ctx = FetchContext(
            status=response.status, depth=int(dict(fields)["linkspider-depth"]),
            headers={k.lower(): response.http_values(k) for k, _ in response.http
                     if k.lower() in ("x-robots-tag", "link", "content-language")},
            redirect_urls=[v for k, v in fields if k == "linkspider-redirect-url"],
            redirect_statuses=[int(v) for k, v in fields if k == "linkspider-redirect-reason"],
        )  # fmt: skip
        page_ = LinkPage(response.body, response.uri, content_type)
        dom = doms.get(response.headers["WARC-Record-ID"])
        if dom is None:
            rows = backlink_rows(page_, targets, ctx, facts_for(page_, ctx))
        else:
            dom_page = LinkPage(dom.raw, dom.uri, dom.headers["Content-Type"])
            rows, _ = rendered_page_rows(page_, dom_page, targets, ctx)
        rebuilt.update(row_key(vars(row)) for row in rows)
    return rebuilt


def test_the_records_give_back_the_crawls_backlink_rows(
    recorded: tuple[CrawlRun, Path, list[Record]],
) -> None:
    """The records carry all the extraction used: final URL, status, headers, body as
    parsed, depth and redirects. Rows rebuilt from them == the crawl's rows."""
    run, _, records = recorded
    crawled = Counter(row_key(row) for row in jsonl(run.output_dir, "backlinks.jsonl"))
    assert sum(crawled.values()) >= 8
    # rows that depend on headers and redirects: noindex, canonical, the hops
    (new,) = [dict(key) for key in crawled if dict(key)["target_url"].endswith("/new")]
    assert new["source_indexable"] is False and "noindex" in new["source_index_reason"]
    assert new["source_canonical"] == f"{SEEDS}post.html"
    assert new["source_redirects"] and new["depth"] == 1
    assert rows_from_records(records) == crawled


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_a_rendered_page_adds_its_dom_as_a_conversion_record(
    web: tuple[TestWeb, Path], tmp_path: Path,
) -> None:  # fmt: skip
    warcs = tmp_path / "warcs"
    run = run_crawl(web[0], tmp_path, TARGETS, f"http://{JS_HOST}/", "-a", f"warc={warcs}",
                    "-a", "render=always")  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    records = read_records(warcs)
    (response,) = responses(records, f"http://{JS_HOST}/")
    (dom,) = [r for r in records if r.kind == "conversion"]
    assert dom.headers["WARC-Refers-To"] == response.headers["WARC-Record-ID"]
    assert dom.headers["WARC-Refers-To-Target-URI"] == f"http://{JS_HOST}/"
    written = b'<p>Also <a href="https://acme-boots.com/script">'  # as the DOM serialises it
    assert written in dom.raw and written not in response.body
    assert not [
        r
        for r in records
        if r.kind == "response" and r.uri != response.uri and not r.uri.endswith("/robots.txt")
    ]  # the browser's answer is no response
    crawled = Counter(row_key(row) for row in jsonl(run.output_dir, "backlinks.jsonl"))
    assert any("script-boots" in str(key) for key in crawled)
    assert rows_from_records(records) == crawled


def test_robots_txt_fetches_are_recorded(recorded: tuple[CrawlRun, Path, list[Record]]) -> None:
    _, _, records = recorded
    (robots,) = responses(records, f"{SEEDS}robots.txt")
    assert robots.status == 200
    assert robots.body == b"User-agent: *\nDisallow: /private/\n"
    (meta,) = [r for r in records if r.kind == "metadata"
               and r.headers["WARC-Concurrent-To"] == robots.headers["WARC-Record-ID"]]  # fmt: skip
    assert ("linkspider-robots-fetch", "true") in meta.fields()


def test_each_redirect_hop_is_its_own_record(
    recorded: tuple[CrawlRun, Path, list[Record]],
) -> None:
    _, _, records = recorded
    (first,) = responses(records, f"{SEEDS}older")
    (second,) = responses(records, f"{SEEDS}old-page")
    (final,) = responses(records, f"{SEEDS}new.html")
    assert (first.status, first.http_values("Location")) == (302, ["/old-page"])
    assert (second.status, second.http_values("Location")) == (301, ["/new.html"])
    assert final.status == 200
    assert final.http_values("X-Robots-Tag") == ["noindex"]
    (meta,) = [r for r in records if r.kind == "metadata"
               and r.headers["WARC-Concurrent-To"] == final.headers["WARC-Record-ID"]]  # fmt: skip
    fields = meta.fields()
    assert [v for k, v in fields if k == "linkspider-redirect-url"] == [
        f"{SEEDS}older", f"{SEEDS}old-page"]  # fmt: skip
    assert [v for k, v in fields if k == "linkspider-redirect-reason"] == ["302", "301"]
    assert ("via", f"{SEEDS}old-page") in fields  # the Referer sent: the hop before
    (first_meta,) = [r for r in records if r.kind == "metadata"
                     and r.headers["WARC-Concurrent-To"] == first.headers["WARC-Record-ID"]]  # fmt: skip
    assert ("via", SEEDS) in first_meta.fields()  # the page that linked to it


def test_a_compressed_page_is_stored_as_transferred(
    recorded: tuple[CrawlRun, Path, list[Record]], web: tuple[TestWeb, Path],
) -> None:  # fmt: skip
    _, _, records = recorded
    (found,) = responses(records, f"{SEEDS}gz.html")
    sent = (web[1] / HOST / "files" / "gz.html.gz").read_bytes()
    assert found.raw == sent
    assert found.http_values("Content-Encoding") == ["gzip"]
    assert found.http_values("Content-Length") == [str(len(sent))]
    assert b"gzip boots" in found.body


def test_non_html_and_error_responses_are_recorded(
    recorded: tuple[CrawlRun, Path, list[Record]],
) -> None:
    _, _, records = recorded
    (pdf,) = responses(records, f"{SEEDS}report")  # a PDF at an extensionless URL
    assert pdf.body == PDF and pdf.http_values("Content-Type") == ["application/pdf"]
    (missing,) = responses(records, f"{SEEDS}missing.html")
    assert missing.status == 404 and b"404" in missing.body


def test_every_attempt_of_a_retried_request_is_recorded(
    recorded: tuple[CrawlRun, Path, list[Record]],
) -> None:
    _, _, records = recorded
    attempts = responses(records, f"{SEEDS}flaky")
    assert [r.status for r in attempts] == [503, 503]
    assert attempts[0].headers["WARC-Record-ID"] != attempts[1].headers["WARC-Record-ID"]


def test_a_body_cut_short_is_marked_truncated(
    recorded: tuple[CrawlRun, Path, list[Record]], web: tuple[TestWeb, Path],
) -> None:  # fmt: skip
    _, _, records = recorded
    (cut,) = responses(records, f"{SEEDS}cut.html")
    full = (web[1] / HOST / "post.html").read_bytes()
    assert cut.headers["WARC-Truncated"] == "disconnect"
    assert cut.raw == full[:120]
    assert cut.http_values("Content-Length") == ["120"]
    assert cut.http_values("X-Crawler-Content-Length") == [str(len(full))]


def test_files_rotate_closed_named_and_read_by_both_libraries(
    recorded: tuple[CrawlRun, Path, list[Record]],
) -> None:
    run, warcs, records = recorded
    files = sorted(warcs.iterdir())
    assert len(files) >= 3 and all(re.fullmatch(r"linkspider-\d{14}-\d{5}\.warc\.gz", p.name)
                                   for p in files)  # fmt: skip
    for path in files:
        mine = [r for r in records if r.file == path.name]
        assert mine[0].kind == "warcinfo" and mine[0].headers["WARC-Filename"] == path.name
        assert b"software: linkspider/" in mine[0].raw
        if len([r for r in mine if r.kind == "response"]) > 1:
            assert path.stat().st_size <= MAX_BYTES
        count = 0
        with path.open("rb") as handle:
            for item in FastIterator(handle, parse_http=False):
                assert item.verify_block_digest(), (path, item.record_id)
                count += 1
        assert count == len(mine)
        checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                                 capture_output=True, text=True)  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert run.run_info()["status"] == "finished"
    assert f"WARC: {len(files)} file(s) in {warcs} (closed)" in run.log


# -- a recording that ends badly -----------------------------------------------------------


def crawl(web: TestWeb, workdir: Path, warcs: Path, **settings: str) -> list[str]:
    all_settings = {**DEMO_SETTINGS, **web.scrapy_settings(), **settings}
    return crawl_command(TARGETS, SEEDS, all_settings,
                         ["-a", f"warc={warcs}", "-a", "render=off",
                          "-a", f"output_dir={workdir / 'out'}"])  # fmt: skip


def test_a_killed_crawl_leaves_only_closed_files_complete_and_a_resumed_one_adds_files(
    web: tuple[TestWeb, Path], tmp_path: Path,
) -> None:  # fmt: skip
    test_web, root = web
    gate = root / "gate"
    gate.unlink()
    held = root / "gate.held"
    held.unlink(missing_ok=True)
    warcs = tmp_path / "warcs"
    cmd = crawl(test_web, tmp_path, warcs, JOBDIR=str(tmp_path / "job"),
                LINKSPIDER_WARC_MAX_BYTES=str(MAX_BYTES))  # fmt: skip
    try:
        process = subprocess.Popen(cmd, cwd=tmp_path, env=crawl_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            pages = tmp_path / "out" / "pages.jsonl"
            # Stuck on /hold.html, with the page that links to it written as done.
            while not (held.exists() and pages.exists() and f'"{SEEDS}post.html"' in
                       pages.read_text("utf-8")):  # fmt: skip
                assert process.poll() is None, "the crawl ended before /hold.html was asked for"
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        left = sorted(warcs.iterdir())
        unfinished = [p for p in left if p.name.endswith(".warc.gz.open")]
        assert len(unfinished) == 1  # the file being written: it does not look complete
        closed = [p for p in left if p.name.endswith(".warc.gz")]
        assert len(closed) + 1 == len(left)
        before = {p.name: p.read_bytes() for p in left}
        for path in closed:  # complete files: warcio checks every digest
            checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                                     capture_output=True, text=True)  # fmt: skip
            assert checked.returncode == 0, checked.stdout
        with unfinished[0].open("rb") as handle:  # whole records up to the kill
            kinds = [item.headers.get("WARC-Type") for item in FastIterator(handle)]
        assert kinds and kinds[0] == "warcinfo"
        assert not responses(read_records(warcs), f"{SEEDS}hold.html")

        gate.touch()  # resume: the held page answers now
        again = subprocess.run(cmd, cwd=tmp_path, env=crawl_env(), capture_output=True,
                               text=True, timeout=120)  # fmt: skip
        assert again.returncode == 0, again.stderr[-3000:]
        assert "WARC: 1 unfinished file(s)" in again.stderr
        after = {p.name: p for p in warcs.iterdir()}
        assert {name: after[name].read_bytes() for name in before} == before  # untouched
        new = sorted(set(after) - set(before))
        assert new and all(name.endswith(".warc.gz") for name in new)
        resumed = read_records(warcs)
        assert len(responses(resumed, f"{SEEDS}hold.html")) == 1
        assert [
            r.uri
            for r in resumed
            if r.file in new and r.kind == "response" and r.uri == f"{SEEDS}post.html"
        ] == []  # done before the kill: not fetched again
    finally:
        gate.touch()


def test_a_full_disk_stops_the_crawl_with_one_line_and_exit_3(
    web: tuple[TestWeb, Path], tmp_path: Path,
) -> None:  # fmt: skip
    with mounted(tmp_path / "disk", "-o", "size=12k") as disk:  # the first few records fit
        done = subprocess.run(crawl(web[0], tmp_path, disk / "warcs"), cwd=tmp_path,
                              env=crawl_env(), capture_output=True, text=True, timeout=120)  # fmt: skip
        log = done.stdout + done.stderr
        assert done.returncode == 3, log[-3000:]
        said = re.findall(r"writing \S+ failed \(No space left on device\)", log)
        assert len(said) == 1, log[-3000:]
        assert "Traceback" not in log
        info = json.loads((tmp_path / "out" / "run.json").read_text("utf-8"))
        assert info["status"] == "failed" and "No space left on device" in info["error"]
        files = list((disk / "warcs").iterdir())
        assert files and not [p for p in files if p.name.endswith(".open")]
        for path in files:  # cut back to whole records
            checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                                     capture_output=True, text=True)  # fmt: skip
            assert checked.returncode == 0, checked.stdout


def test_a_read_only_folder_stops_the_crawl_at_once_with_one_line(
    web: tuple[TestWeb, Path], tmp_path: Path,
) -> None:  # fmt: skip
    source = tmp_path / "source"
    source.mkdir()
    with mounted(tmp_path / "ro", source=str(source)) as folder:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                                 capture_output=True)  # fmt: skip
        if remount.returncode:
            pytest.skip("a read-only remount is not permitted here")
        done = subprocess.run(crawl(web[0], tmp_path, folder / "warcs"), cwd=tmp_path,
                              env=crawl_env(), capture_output=True, text=True, timeout=120)  # fmt: skip
        log = done.stdout + done.stderr
        assert done.returncode == 3, log[-3000:]
        assert len(re.findall(r"writing \S+ failed \(Read-only file system\)", log)) == 1
        assert "Traceback" not in log
        pages = (tmp_path / "out" / "pages.jsonl").read_text("utf-8")
        assert pages == ""  # stopped before any page


@pytest.mark.parametrize("value", ["lots", "0"])
def test_a_bad_rotation_size_is_one_line_and_exit_2(
    web: tuple[TestWeb, Path], tmp_path: Path, value: str,
) -> None:  # fmt: skip
    done = subprocess.run(crawl(web[0], tmp_path, tmp_path / "w", LINKSPIDER_WARC_MAX_BYTES=value),
                          cwd=tmp_path, env=crawl_env(), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    log = done.stdout + done.stderr
    assert done.returncode == 2, log[-3000:]
    errors = [line for line in log.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "LINKSPIDER_WARC_MAX_BYTES" in errors[0], log[-3000:]
    assert "Traceback" not in log
