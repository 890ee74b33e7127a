"""Tests of the local multi-site test web (``linkspider.testweb``).

Pure parts (site loading, address mapping, answer planning) are tested directly;
the server is tested as the real subprocess, over HTTP, HTTPS and a real
``scrapy runspider`` crawl going through ``TestWebResolver``.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.client import RemoteDisconnected
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.settings import Settings
from twisted.internet.address import IPv4Address

from linkspider.testweb import (
    SiteConfigError,
    TestWeb,
    TestWebError,
    TestWebResolver,
    TestWebStateError,
    WebState,
    content_type_for,
    load_web,
    map_address,
    normalize_host,
    python_env,
)
from linkspider.testweb.server import plan_answer
from tests.support.paths import WEBS

SITES = WEBS / "testweb"

STATE = WebState(
    address="127.0.0.1",
    http_port=8080,
    https_port=8443,
    refused_port=9001,
    hang_port=9002,
    hosts=["site-a.example", "news.gearlab.co.uk"],
    refused_hosts=["refused.example"],
    hang_hosts=["hang.example"],
)


# --- pure parts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("site-a.example", 80, ("127.0.0.1", 8080)),
        ("site-a.example", 443, ("127.0.0.1", 8443)),
        ("site-a.example", 8000, ("127.0.0.1", 8000)),
        ("SITE-A.Example.", 80, ("127.0.0.1", 8080)),
        ("news.gearlab.co.uk", 443, ("127.0.0.1", 8443)),
        ("refused.example", 80, ("127.0.0.1", 9001)),
        ("refused.example", 443, ("127.0.0.1", 9001)),
        ("hang.example", 443, ("127.0.0.1", 9002)),
        ("localhost", 5000, ("127.0.0.1", 5000)),
        ("10.1.2.3", 80, ("10.1.2.3", 80)),
        ("::1", 443, ("::1", 443)),
        ("[::1]", 80, ("::1", 80)),
        ("example.com", 80, None),
        ("www.site-a.example", 80, None),
        ("gearlab.co.uk", 80, None),
    ],
)
def test_map_address(host: str, port: int, expected: tuple[str, int] | None) -> None:
    assert map_address(STATE, host, port) == expected


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.began = self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        self.began = True

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.complete = True


def test_resolver_answers_synchronously() -> None:
    resolver = TestWebResolver(reactor=None, state=STATE)  # type: ignore[arg-type]
    served, unknown = _Receiver(), _Receiver()
    resolver.resolveHostName(served, "site-a.example", 443)
    resolver.resolveHostName(unknown, "example.com", 80)
    assert served.complete and served.addresses == [IPv4Address("TCP", "127.0.0.1", 8443)]
    assert unknown.began and unknown.complete and unknown.addresses == []


def test_resolver_needs_a_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKSPIDER_TESTWEB", raising=False)
    crawler = SimpleNamespace(settings=Settings())
    with pytest.raises(TestWebStateError, match="LINKSPIDER_TESTWEB"):
        TestWebResolver.from_crawler(crawler, reactor=None)  # type: ignore[arg-type]
    monkeypatch.setenv("LINKSPIDER_TESTWEB", str(tmp_path / "missing.json"))
    with pytest.raises(TestWebStateError, match=r"missing\.json"):
        TestWebResolver.from_crawler(crawler, reactor=None)  # type: ignore[arg-type]
    STATE.write(tmp_path / "state.json")
    crawler.settings.set("LINKSPIDER_TESTWEB", str(tmp_path / "state.json"))
    resolver = TestWebResolver.from_crawler(crawler, reactor=None)  # type: ignore[arg-type]
    assert resolver.state == STATE


def test_load_web() -> None:
    web = load_web([SITES])
    assert web.hosts == [
        "plain-http.example",
        "secure-only.example",
        "site-a.example",
        "tls-only.example",
    ]
    assert web.refused_hosts == ("refused.example",)
    assert web.hang_hosts == ("hang.example",)
    assert web.site("Site-A.example:8080") is web.sites["site-a.example"]
    plain = web.sites["plain-http.example"]
    assert (plain.http, plain.https, plain.https_redirect) == (True, False, False)


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ("htps = false\n", "unknown keys"),
        ("http = 1\n", "wrong type"),
        ('[[route]]\npath = "nope"\n', "must start with '/'"),
        ('[[route]]\npath = "/x"\nfile = "missing.pdf"\n', "file not found"),
        ('[[route]]\npath = "/x"\nfile = "../../etc/passwd"\n', "file not found"),
        ('[[route]]\npath = "/x"\nstatus = 700\n', "100..599"),
        ("http = \n", "_site.toml"),
    ],
)
def test_bad_site_config(tmp_path: Path, config: str, error: str) -> None:
    (tmp_path / "bad.example").mkdir()
    (tmp_path / "bad.example" / "_site.toml").write_text(config)
    with pytest.raises(SiteConfigError, match=error):
        load_web([tmp_path])


def test_host_defined_twice(tmp_path: Path) -> None:
    (tmp_path / "site-a.example").mkdir()
    with pytest.raises(SiteConfigError, match="defined twice"):
        load_web([SITES, tmp_path])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com:8080", "example.com"),
        ("example.com.", "example.com"),
        ("[::1]:443", "::1"),
        ("::1", "::1"),
    ],
)
def test_normalize_host(host: str, expected: str) -> None:
    assert normalize_host(host) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.html", "text/html; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("R.PDF", "application/pdf"),
        ("x.png", "image/png"),
        ("x.jpg", "image/jpeg"),
        ("x.json", "application/json"),
        ("sitemap.xml", "application/xml"),
        ("archive.tar.gz", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type_for(name) == expected


@pytest.mark.parametrize(
    ("uri", "status", "location"),
    [
        ("/", 200, None),
        ("/blog?page=2", 301, "/blog/?page=2"),
        ("/blog/", 200, None),
        ("/about.html?utm=x", 200, None),
        ("/_site.toml", 404, None),
        ("/../plain-http.example/index.html", 404, None),
        ("/%2e%2e/plain-http.example/index.html", 404, None),
        ("/blog//index.html", 404, None),
        ("/old-page?x=1", 301, "/about.html"),
        ("/trap/a/b/c/", 200, None),
    ],
)
def test_plan_answer(uri: str, status: int, location: str | None) -> None:
    answer = plan_answer(load_web([SITES]), "site-a.example", "GET", uri, secure=False)
    assert answer.status == status
    assert dict(answer.headers).get("Location") == location


def test_plan_answer_schemes() -> None:
    web = load_web([SITES])
    assert plan_answer(web, "tls-only.example", "GET", "/", secure=False).drop
    assert plan_answer(web, "plain-http.example", "GET", "/", secure=True).drop
    assert plan_answer(web, "site-a.example", "POST", "/", secure=False).status == 405


# --- the server subprocess ----------------------------------------------------


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with TestWeb([SITES]) as running:
        yield running


def test_state(web: TestWeb) -> None:
    state = json.loads(web.state_file.read_text())
    assert set(state) >= {
        "address",
        "http_port",
        "https_port",
        "refused_port",
        "hang_port",
        "hosts",
        "refused_hosts",
        "hang_hosts",
        "pid",
    }
    assert state["hosts"] == web.hosts
    assert web.scrapy_args() == [
        "-s",
        "TWISTED_DNS_RESOLVER=linkspider.testweb.resolver.TestWebResolver",
        "-s",
        f"LINKSPIDER_TESTWEB={web.state_file}",
        "-s",
        f"LINKSPIDER_BROWSER_ARGS={web.browser_settings()['LINKSPIDER_BROWSER_ARGS']}",
    ]
    rules = json.loads(web.browser_settings()["LINKSPIDER_BROWSER_ARGS"])[0]
    assert f"MAP site-a.example:443 127.0.0.1:{web.https_port}" in rules  # Chromium, too
    assert web.url("site-a.example", "/x", https=True) == f"https://127.0.0.1:{web.https_port}/x"


@pytest.mark.parametrize("https", [False, True])
def test_pages_by_host(web: TestWeb, https: bool) -> None:
    home = web.fetch("site-a.example", "/", https=https)
    assert home.status == 200
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    assert b"<title>Site A home</title>" in home.body
    other = web.fetch("plain-http.example:80", "/")
    assert b"<title>Plain http</title>" in other.body
    robots = web.fetch("site-a.example", "/robots.txt", https=https)
    assert (robots.status, robots.headers["content-type"]) == (200, "text/plain; charset=utf-8")
    assert robots.body.startswith(b"User-agent: *")
    no_robots = "secure-only.example" if https else "plain-http.example"
    assert web.fetch(no_robots, "/robots.txt", https=https).status == 404
    missing = web.fetch("site-a.example", "/nope.html", https=https)
    assert missing.status == 404 and b"404 Not Found" in missing.body
    assert web.fetch("unknown.example", "/").status == 404


def test_routes(web: TestWeb) -> None:
    old = web.fetch("site-a.example", "/old-page")
    assert (old.status, old.headers["location"]) == (301, "/about.html")
    gone = web.fetch("site-a.example", "/gone")
    assert (gone.status, gone.body) == (410, b"<html><body>gone</body></html>")
    pdf = web.fetch("site-a.example", "/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body == (SITES / "site-a.example/files/report.pdf").read_bytes()
    legacy = web.fetch("site-a.example", "/legacy.html")
    assert legacy.headers["content-type"] == "text/html"
    assert legacy.headers["x-robots-tag"] == "noindex"
    assert legacy.body == (SITES / "site-a.example/legacy-cp1251.html").read_bytes()
    assert web.fetch("site-a.example", "/error").status == 500
    loop = web.fetch("site-a.example", "/loop-a")
    assert (loop.status, loop.headers["location"]) == (302, "/loop-b")
    assert len(web.fetch("site-a.example", "/big").body) == 64 * 1024
    assert b"deeper" in web.fetch("site-a.example", "/trap/x/next/next/").body


def test_head(web: TestWeb) -> None:
    head = web.fetch("site-a.example", "/legacy.html", method="HEAD")
    size = (SITES / "site-a.example/legacy-cp1251.html").stat().st_size
    assert (head.status, head.headers["content-length"], head.body) == (200, str(size), b"")


def test_delay_does_not_block_the_server(web: TestWeb) -> None:
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        slow = pool.submit(web.fetch, "site-a.example", "/slow")
        time.sleep(0.1)
        assert web.fetch("site-a.example", "/").status == 200
        assert time.monotonic() - started < 0.8
        assert slow.result().status == 200
        assert time.monotonic() - started >= 1.0


def test_https_false_fails_the_handshake(web: TestWeb) -> None:
    with pytest.raises(ssl.SSLError):
        web.fetch("plain-http.example", "/", https=True)
    assert web.fetch("plain-http.example", "/").status == 200


def test_http_false_drops_the_connection(web: TestWeb) -> None:
    with pytest.raises((RemoteDisconnected, ConnectionError)):
        web.fetch("tls-only.example", "/")
    assert web.fetch("tls-only.example", "/", https=True).status == 200


def test_https_redirect(web: TestWeb) -> None:
    plain = web.fetch("secure-only.example", "/a/b?c=d")
    assert (plain.status, plain.headers["location"]) == (301, "https://secure-only.example/a/b?c=d")
    assert web.fetch("secure-only.example", "/", https=True).status == 200


def test_unreachable_ports(web: TestWeb) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((web.address, web.state["refused_port"]), timeout=2).close()
    with socket.create_connection((web.address, web.state["hang_port"]), timeout=2) as hang:
        hang.settimeout(0.2)
        hang.sendall(b"GET / HTTP/1.1\r\nHost: hang.example\r\n\r\n")
        with pytest.raises(TimeoutError):
            hang.recv(1)


def test_start_failure_reports_server_error(tmp_path: Path) -> None:
    with pytest.raises(TestWebError, match="sites directory not found"):
        TestWeb([tmp_path / "nope"]).start()


def test_stop_removes_the_state_file(tmp_path: Path) -> None:
    with TestWeb([SITES], state_dir=tmp_path) as running:
        state_file, ca_file = running.state_file, running.ca_file
        assert state_file.exists() and ca_file.exists()
    assert not state_file.exists() and not ca_file.exists()


# --- a real crawl through the resolver ----------------------------------------

SPIDER = """
import json, os
import scrapy

class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        for url in json.loads(os.environ["PROBE_URLS"]):
            yield scrapy.Request(
                url, self.ok, errback=self.failed, cb_kwargs={"asked": url}, dont_filter=True
            )

    def ok(self, response, asked):
        title = response.css("title::text").get()
        yield {"asked": asked, "url": response.url, "status": response.status, "title": title}

    def failed(self, failure):
        yield {"asked": failure.request.cb_kwargs["asked"], "error": failure.type.__name__}
"""

# asked URL -> (final URL, status, title) or the exception name given to the errback
CRAWL_EXPECTED: dict[str, tuple[str, int, str] | str] = {
    "http://site-a.example/": ("http://site-a.example/", 200, "Site A home"),
    "https://site-a.example/": ("https://site-a.example/", 200, "Site A home"),
    "http://Site-A.example/about.html": ("http://site-a.example/about.html", 200, "About site A"),
    "http://site-a.example/old-page": ("http://site-a.example/about.html", 200, "About site A"),
    "http://secure-only.example/": ("https://secure-only.example/", 200, "Secure only"),
    "http://nowhere.example/": "CannotResolveHostError",
    "http://refused.example/": "DownloadConnectionRefusedError",
    "https://plain-http.example/": "DownloadFailedError",
    "http://hang.example/": "DownloadTimeoutError",
}


@pytest.fixture(scope="module")
def crawl_rows(web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("crawl")  # no scrapy.cfg above: no project settings
    (workdir / "probe.py").write_text(SPIDER)
    command = [sys.executable, "-m", "scrapy", "runspider", "probe.py", "-O", "rows.json"]
    command += web.scrapy_args()
    for setting in ("ROBOTSTXT_OBEY=False", "RETRY_ENABLED=False", "DOWNLOAD_TIMEOUT=0.5"):
        command += ["-s", setting]
    env = python_env({"PROBE_URLS": json.dumps(list(CRAWL_EXPECTED))})
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads((workdir / "rows.json").read_text())
    return {row["asked"]: row for row in rows}


@pytest.mark.parametrize(("asked", "expected"), list(CRAWL_EXPECTED.items()))
def test_crawl_through_resolver(
    crawl_rows: dict[str, Any], asked: str, expected: tuple[str, int, str] | str
) -> None:
    row = crawl_rows[asked]
    if isinstance(expected, str):
        assert row["error"] == expected
    else:
        assert (row["url"], row["status"], row["title"]) == expected


# --- byte ranges (resumed downloads, record reads) ----------------------------


@pytest.mark.parametrize(
    ("header", "status", "content_range", "part"),
    [
        ("bytes=2-5", 206, "bytes 2-5/10", b"2345"),
        ("bytes=7-", 206, "bytes 7-9/10", b"789"),
        ("bytes=-3", 206, "bytes 7-9/10", b"789"),
        ("bytes=-30", 206, "bytes 0-9/10", b"0123456789"),
        ("bytes=8-100", 206, "bytes 8-9/10", b"89"),
        ("bytes=10-", 416, "bytes */10", b""),
        ("bytes=-0", 416, "bytes */10", b""),
        ("bytes=5-2", 200, None, b"0123456789"),  # invalid: ignored
        ("bytes=0-1,4-5", 200, None, b"0123456789"),  # several ranges: whole body
        ("items=0-1", 200, None, b"0123456789"),
        ("bytes=-", 200, None, b"0123456789"),
    ],
)
def test_apply_range(header: str, status: int, content_range: str | None, part: bytes) -> None:
    from linkspider.testweb.server import Answer, apply_range

    answer = apply_range(Answer(status=200, body=b"0123456789"), header)
    assert (answer.status, answer.body) == (status, part)
    assert dict(answer.headers).get("Content-Range") == content_range


def test_range_requests(web: TestWeb) -> None:
    whole = (SITES / "site-a.example/files/report.pdf").read_bytes()
    full = web.fetch("site-a.example", "/report.pdf")
    assert (full.status, full.headers["accept-ranges"]) == (200, "bytes")
    part = web.fetch("site-a.example", "/report.pdf", headers={"Range": "bytes=3-"}, https=True)
    assert part.status == 206
    assert part.headers["content-range"] == f"bytes 3-{len(whole) - 1}/{len(whole)}"
    assert part.body == whole[3:]
    past = web.fetch("site-a.example", "/report.pdf", headers={"Range": f"bytes={len(whole)}-"})
    assert (past.status, past.headers["content-range"]) == (416, f"bytes */{len(whole)}")
    head = web.fetch("site-a.example", "/report.pdf", method="HEAD", headers={"Range": "bytes=0-1"})
    assert (head.status, head.headers["content-length"]) == (200, str(len(whole)))
    ignored = web.fetch("site-a.example", "/no-ranges.pdf", headers={"Range": "bytes=3-"})
    assert (ignored.status, ignored.body) == (200, whole)
    assert "accept-ranges" not in ignored.headers
    assert web.fetch("site-a.example", "/nope.pdf", headers={"Range": "bytes=0-1"}).status == 404


def test_truncated_download(web: TestWeb) -> None:
    import http.client

    whole = (SITES / "site-a.example/files/report.pdf").read_bytes()
    connection = http.client.HTTPConnection(web.address, web.http_port, timeout=10)
    try:
        connection.request("GET", "/cut.pdf", headers={"Host": "site-a.example"})
        response = connection.getresponse()
        assert response.getheader("content-length") == str(len(whole))
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        assert cut.value.partial == whole[:10]
    finally:
        connection.close()
