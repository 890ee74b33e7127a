"""Crawl policy end to end: real ``scrapy crawl`` runs against the policy sites.

``tests/webs/policy`` holds one host per robots.txt case (``r<status>.test``...), an SSRF
site redirecting to non-public addresses, a trap site and a site of broken pages. Each
test runs one crawl over many hosts at once and checks pages, errors, blocked pages and
``run.json`` against the policy.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from linkspider.cli import crawl_env
from linkspider.testweb import TestWeb
from linkspider.testweb.probe import probe_settings
from tests.conftest import CrawlRun, run_crawl
from tests.e2e.test_placements_check import run_expect
from tests.support.paths import ROOT, WEBS

POLICY_SITES = WEBS / "policy"


@pytest.fixture(scope="module")
def policy_web() -> Iterator[TestWeb]:
    with TestWeb([POLICY_SITES]) as web:
        yield web


def urls(run: CrawlRun, name: str = "pages.csv", column: str = "url") -> set[str]:
    return {row[column] for row in run.rows(name)}


def blocked(run: CrawlRun) -> set[tuple[str, str]]:
    return {(row["url"], row["reason"]) for row in run.rows("blocked_pages.csv")}


def site_pages(host: str, *paths: str) -> set[str]:
    return {f"http://{host}{path}" for path in paths}


ALL = ("/", "/page.html", "/private/secret.html")
ROBOTS_HOSTS = ["r200", "r404", "r410", "r403", "r500", "r503", "r429", "rredirect", "rloop",
                "rslow", "rbig", "rdelay", "rdelaycap"]  # fmt: skip


@pytest.fixture(scope="module")
def robots_run(policy_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    seeds = ",".join(f"http://{h}.test/" for h in ROBOTS_HOSTS) + ",rnotls.test"
    workdir = tmp_path_factory.mktemp("robots")
    run = run_crawl(
        policy_web, workdir, "acme-boots.com", seeds,
        settings={**probe_settings(workdir / "slots.jsonl"), "DOWNLOAD_TIMEOUT": "1", "LINKSPIDER_ROBOTS_RETRIES": "1",
                  "LINKSPIDER_ROBOTS_RETRY_DELAY": "0.3",
                  "LINKSPIDER_CRAWL_DELAY_MAX": "1", "AUTOTHROTTLE_ENABLED": "True",
                  "AUTOTHROTTLE_START_DELAY": "0", "LOG_LEVEL": "DEBUG",
                  "LOG_FORMAT": "%(created)f [%(name)s] %(levelname)s: %(message)s"},
    )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    return run


def test_robots_status_matrix(robots_run: CrawlRun) -> None:
    expected = (
        site_pages("r200.test", "/", "/page.html")  # the linkspider group, not "*"
        | site_pages("r404.test", *ALL)  # 4xx: no rules
        | site_pages("r410.test", *ALL)
        | site_pages("r403.test", *ALL)
        | site_pages("rredirect.test", "/", "/page.html")  # rules found after 3 hops
        | site_pages("rloop.test", *ALL)  # more than 5 hops: no rules
        | site_pages("rbig.test", "/", "/page.html")  # truncated, not dropped
        | site_pages("rnotls.test", *ALL)  # https robots failed; http has its own
        | site_pages("rdelay.test", *ALL)
        | site_pages("rdelaycap.test", *ALL)
    )  # r500, r503, r429, rslow: complete disallow, not one page
    assert urls(robots_run) == expected
    assert blocked(robots_run) == {
        ("http://r200.test/private/secret.html", "robots-disallowed"),
        ("http://rredirect.test/private/secret.html", "robots-disallowed"),
        ("http://rbig.test/private/secret.html", "robots-disallowed"),
        ("http://r500.test/", "robots-unavailable"),
        ("http://r503.test/", "robots-unavailable"),
        ("http://r429.test/", "robots-unavailable"),
        ("http://rslow.test/", "robots-unavailable"),
    }  # not https://rnotls.test/: the seed fell back to http, which was crawled
    # The host that never answered robots.txt is also an error, like any unreachable host.
    errors = {(row["url"], row["error"]) for row in robots_run.rows("errors.csv")}
    assert errors == {("http://rslow.test/", "timeout")}


def test_robots_counts_and_retries(robots_run: CrawlRun) -> None:
    info = robots_run.run_info()
    assert (info["robots_blocked"], info["robots_unavailable"]) == (3, 4)
    by_host = info["robots_blocked_by_host"]
    assert by_host["r200.test"] == {"disallowed": 1, "unavailable": 0}
    assert by_host["r503.test"] == {"disallowed": 0, "unavailable": 1}
    assert "r404.test" not in by_host
    stats = info["stats"]
    # Each unreachable origin once more, but rnotls's https: its seed tried http at once.
    assert stats["linkspider/robots/retries"] == 4
    assert stats["linkspider/robots/fallback"] == 1
    assert stats["linkspider/robots/truncated"] == 1
    assert stats["linkspider/robots/status/301"] == 7  # rloop: 6 fetches; rredirect: 1
    assert "robotstxt/request_count" not in stats  # Scrapy's middleware is off
    log = robots_run.log
    assert log.count("robots.txt of http://r503.test:80 unreachable") == 1  # logged once
    assert "only its first 511" in log  # the 600 KiB file, cut at a line end


@pytest.mark.parametrize("host", ["rdelay.test", "rdelaycap.test"])
def test_crawl_delay_holds_with_autothrottle_and_is_capped(robots_run: CrawlRun, host: str) -> None:
    """The mechanism, not a stopwatch: after every response of the host (once AutoThrottle
    and the robots middleware have adjusted the slot) the download slot holds the
    Crawl-delay, capped, with no random jitter that could go below it. Scrapy's
    downloader sends a slot's requests at least that delay apart."""
    # rdelay asks 1 s; rdelaycap asks 100 s, capped at LINKSPIDER_CRAWL_DELAY_MAX=1.
    assert f"{host}: Crawl-delay 1 s" in robots_run.log
    records = [r for r in slot_records(robots_run) if r["host"] == host]
    assert len(records) == 4  # robots.txt and 3 pages
    pages = [r for r in records if not r["url"].endswith("/robots.txt")]
    assert len(pages) == 3
    assert all(r["delay"] >= 1.0 and r["jitter"] == 0.0 for r in pages), pages
    assert all(r["delay"] <= 30.0 for r in pages), pages  # AutoThrottle's max, not 100 s


def slot_records(run: CrawlRun) -> list[dict[str, Any]]:
    path = run.output_dir.parent / "slots.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_robots_obey_off_switches_the_policy_off(policy_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(policy_web, tmp_path, "acme-boots.com", "http://r503.test/,http://r200.test/",
                    settings={"ROBOTSTXT_OBEY": "False"})  # fmt: skip
    assert run.process.returncode == 0, run.log
    assert urls(run) == site_pages("r503.test", *ALL) | site_pages("r200.test", *ALL)
    assert not run.rows("blocked_pages.csv")


# -- SSRF guard ---------------------------------------------------------------------------


def test_ssrf_every_redirect_hop_and_literal_is_checked(
    policy_web: TestWeb, tmp_path: Path
) -> None:
    seeds = "http://ssrf.test/,http://10.0.0.1/,http://[fd00::1]/,http://169.254.169.254/"
    run = run_crawl(policy_web, tmp_path, "acme-boots.com", seeds)  # 127.0.0.0/8 allowed
    assert run.process.returncode == 0, run.log
    assert urls(run) == {
        "http://ssrf.test/",
        "http://ssrf.test/ok.html",
        "http://ssrf.test/to-file",
    }
    rows = {row["url"]: row for row in run.rows("blocked_pages.csv")}
    assert set(rows) == {
        "http://10.0.0.1/", "http://[fd00::1]/", "http://169.254.169.254/",
        "http://169.254.169.254/latest/meta-data/", "http://2852039166/latest/meta-data/",
        "http://0xa9fea9fe/latest/",
        "http://[::ffff:a9fe:a9fe]/latest/", "http://10.0.0.1/admin", "http://100.64.0.1/",
        "http://0.0.0.0/", "http://[::1]/", "http://[64:ff9b::a9fe:a9fe]/",
    }  # fmt: skip
    assert {row["reason"] for row in rows.values()} == {"ssrf-blocked"}
    decimal = rows["http://2852039166/latest/meta-data/"]
    assert decimal["detail"] == "link-local 169.254.169.254"
    assert decimal["requested_url"] == "http://ssrf.test/to-metadata-decimal"  # the hop's page
    assert rows["http://[::ffff:a9fe:a9fe]/latest/"]["detail"].startswith(
        "link-local 169.254.169.254"
    )
    assert rows["http://100.64.0.1/"]["detail"] == "cgnat 100.64.0.1"
    # file:// is never followed: the redirect itself is the page's answer.
    assert {(r["url"], r["error"]) for r in run.rows("errors.csv")} == {
        ("http://ssrf.test/to-file", "http-302")
    }
    info = run.run_info()
    assert info["ssrf_blocked"] == 12 and info["stats"]["linkspider/ssrf/blocked"] == 12
    assert run.log.count("SSRF guard: not connecting to 169.254.169.254") == 1  # once per host


def test_ssrf_default_refuses_names_resolving_to_loopback(
    policy_web: TestWeb, tmp_path: Path
) -> None:
    """Without an allow list for 127.0.0.0/8 the test web itself is refused: its names
    resolve to 127.0.0.1 through a custom TWISTED_DNS_RESOLVER, which the guard wraps."""
    seeds = "http://r404.test/,http://localhost/,http://2130706433/,http://[::ffff:127.0.0.1]/"
    run = run_crawl(policy_web, tmp_path, "acme-boots.com", seeds,
                    settings={"LINKSPIDER_ALLOW_PRIVATE_NETWORKS": '["10.0.0.0/8"]'})  # fmt: skip
    assert run.process.returncode == 0, run.log
    assert not run.rows("pages.csv") and not run.rows("errors.csv")
    summary = next(line for line in run.log.splitlines() if " pages crawled, " in line)
    assert "4 refused by the SSRF guard (" in summary  # 0 pages: the summary says why
    assert "localhost" in summary and "r404.test" in summary
    assert "LINKSPIDER_ALLOW_PRIVATE_NETWORKS" in summary
    details = {row["url"]: row["detail"] for row in run.rows("blocked_pages.csv")}
    assert details == {
        "http://r404.test/": "r404.test resolves to loopback 127.0.0.1",
        "http://localhost/": "localhost resolves to loopback 127.0.0.1",
        "http://127.0.0.1/": "loopback 127.0.0.1",  # 2130706433, as the seed parser reads it
        "http://[::ffff:7f00:1]/": "loopback 127.0.0.1 (as IPv6 ::ffff:7f00:1)",
    }
    stats = run.run_info()["stats"]
    assert "linkspider/robots/fetched" not in stats  # not even robots.txt was requested
    # No remote consoles either.
    assert "TelnetConsole" not in run.log and "Telnet console listening" not in run.log
    assert "RemoteControl" not in run.log and "Remote control" not in run.log


@pytest.mark.e2e
def test_docs_test_web_example_crawls_as_written(tmp_path: Path) -> None:
    """docs/testweb.md's test-web commands, run as written (state file and folder aside)."""
    page = (ROOT / "docs" / "testweb.md").read_text("utf-8")
    block = page.split("```bash\n", 1)[1].split("```", 1)[0]
    state = str(tmp_path / "web.json")
    lines = block.replace("/tmp/web.json", state).replace("\\\n", " ").splitlines()
    serve, crawl = (shlex.split(line.split("#")[0].rstrip(" &")) for line in lines)
    assert serve[:3] == ["python", "-m", "linkspider.testweb"] and crawl[0] == "scrapy"
    for name in ("linkspider", "scrapy.cfg"):  # relative paths as in a clone's root
        (tmp_path / name).symlink_to(ROOT / name)
    server = subprocess.Popen([sys.executable, *serve[1:]], cwd=tmp_path, env=crawl_env())
    try:
        while not Path(state).exists() and server.poll() is None:
            time.sleep(0.1)  # polling for the state file, no timing assumption
        process = subprocess.run([sys.executable, "-m", *crawl], cwd=tmp_path, env=crawl_env(),
                                 capture_output=True, text=True, timeout=300)  # fmt: skip
    finally:
        server.terminate()
        server.wait()
    assert process.returncode == 0, process.stderr[-3000:]
    summary = next(line for line in process.stderr.splitlines() if " pages crawled, " in line)
    pages = int(summary.split("linkspider: ", 1)[1].split(" pages crawled")[0])
    assert pages > 0 and "SSRF" not in summary, summary


def test_guarded_resolver_passes_only_allowed_addresses() -> None:
    """The wrapper filters every resolution, so a name that resolves to a public address
    first and to a private one later (DNS rebinding) never gets a private connection."""
    from twisted.internet.address import IPv4Address

    from linkspider.core.resolver import GuardedResolver
    from linkspider.middlewares.ssrf import address_refusal
    from linkspider.policy.addresses import parse_allow_setting

    answers = [["93.184.216.34"], ["10.0.0.8"], ["10.0.0.8", "93.184.216.34"]]

    class Inner:  # a resolver whose answers change between lookups
        def resolveHostName(self, receiver: Any, name: str, *args: Any) -> None:
            receiver.resolutionBegan(None)
            for host in answers.pop(0):
                receiver.addressResolved(IPv4Address("TCP", host, 80))
            receiver.resolutionComplete()

    class Receiver:
        def __init__(self) -> None:
            self.hosts: list[str] = []

        def resolutionBegan(self, resolution: Any) -> None:
            pass

        def addressResolved(self, address: Any) -> None:
            self.hosts.append(address.host)

        def resolutionComplete(self) -> None:
            pass

    refused: dict[str, str] = {}
    guarded = GuardedResolver(Inner(), address_refusal(parse_allow_setting(False)), refused)
    results = []
    for _ in range(3):
        receiver = Receiver()
        guarded.resolveHostName(receiver, "rebind.example", 80)
        results.append((receiver.hosts, dict(refused)))
    assert results == [
        (["93.184.216.34"], {}),
        ([], {"rebind.example": "private 10.0.0.8"}),  # reported as a block, not a DNS error
        (["93.184.216.34"], {}),
    ]


def test_safe_and_polite_defaults() -> None:
    from scrapy.addons import AddonManager
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("linkspider.settings", priority="project")
    AddonManager.load_pre_crawler_settings(settings)  # the add-on's components and defaults
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert {s for s in ("file", "data", "ftp", "s3") if handlers.get(s)} == set()
    assert handlers.get("http") and handlers.get("https")
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    extensions = settings.getwithbase("EXTENSIONS")
    assert extensions["scrapy.extensions.telnet.TelnetConsole"] is None
    assert extensions["scrapy.extensions.remote_control.RemoteControl"] is None
    # Politeness for third-party sites: adaptive, few requests per host, many hosts.
    assert settings.getbool("AUTOTHROTTLE_ENABLED") and settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getfloat("DOWNLOAD_DELAY") > 0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getint("CONCURRENT_REQUESTS") == 64
    assert settings.getint("DOWNLOAD_MAXSIZE") == 32 * 1024 * 1024
    assert settings.getbool("LINKSPIDER_SSRF_GUARD")
    assert not settings.get("LINKSPIDER_ALLOW_PRIVATE_NETWORKS")
    assert settings.getint("LINKSPIDER_ROBOTS_MAX_BYTES") == 500 * 1024
    assert settings.getfloat("LINKSPIDER_CRAWL_DELAY_MAX") == 30
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None


# -- traps, limits and broken pages -------------------------------------------------------


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 answering from ``answer(path, count)``, where
    ``count`` is how many times the path was asked before. An answer is the raw bytes to
    send; the connection is closed after each."""

    def __init__(self, answer: Callable[[str, int], bytes]) -> None:
        counts: Counter[str] = Counter()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.wfile.write(answer(self.path, counts[self.path]))
                counts[self.path] += 1
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.counts = counts
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def http_answer(status: str, body: bytes, content_type: str = "text/html",
                length: int | None = None) -> bytes:  # fmt: skip
    size = len(body) if length is None else length
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {size}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def truncating(path: str, count: int) -> bytes:
    """Announces 10000 bytes and sends 60: a truncated response (robots.txt: 404)."""
    if path == "/robots.txt":
        return http_answer("404 Not Found", b"")
    return http_answer(
        "200 OK", b"<html><a href='https://acme-boots.com/cut'>cut</a>", length=10000
    )


def test_robots_answering_later_releases_the_held_pages(
    policy_web: TestWeb, tmp_path: Path
) -> None:
    def flaky(path: str, count: int) -> bytes:
        if path == "/robots.txt":  # down at first, then up with rules
            if count == 0:
                return http_answer("503 Service Unavailable", b"busy")
            return http_answer("200 OK", b"User-agent: *\nDisallow: /private/\n", "text/plain")
        links = b'<a href="/a.html">a</a> <a href="/private/x.html">x</a>'
        return http_answer("200 OK", b"<html>" + links + b"<a href='https://acme-boots.com/'>A</a>")

    server = ScriptedServer(flaky)
    base = f"http://127.0.0.1:{server.port}"
    try:
        run = run_crawl(policy_web, tmp_path, "acme-boots.com", f"{base}/",
                        settings={"LINKSPIDER_ROBOTS_RETRIES": "1",
                                  "LINKSPIDER_ROBOTS_RETRY_DELAY": "0.5"})  # fmt: skip
    finally:
        server.close()
    assert run.process.returncode == 0, run.log
    assert server.counts["/robots.txt"] == 2  # fetched again later, not at once
    assert server.counts["/"] == 1  # the seed waited, then was crawled once
    assert urls(run) == {f"{base}/", f"{base}/a.html"}
    assert blocked(run) == {(f"{base}/private/x.html", "robots-disallowed")}
    stats = run.run_info()["stats"]
    assert (stats["linkspider/robots/held"], stats["linkspider/robots/retries"]) == (1, 1)


def test_traps_end_on_their_own_and_broken_pages_are_errors(
    policy_web: TestWeb, tmp_path: Path
) -> None:
    server = ScriptedServer(truncating)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"http://trap.test/\nhttp://broken.test/\nnot a url\n"
                     f"http://127.0.0.1:{server.port}/cut\n", "utf-8")  # fmt: skip
    try:
        run = run_crawl(
            policy_web, tmp_path, "acme-boots.com", str(seeds),
            "-a", "depth=30", "-a", "max_pages_per_site=60",
            settings={"LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN": "5", "DOWNLOAD_TIMEOUT": "2",
                      "LINKSPIDER_PARSE_MAX_BYTES": "4096", "DOWNLOAD_MAXSIZE": "200000"},
        )  # fmt: skip
    finally:
        server.close()
    assert run.process.returncode == 0, run.log
    assert f"{seeds}:3: skipped seed 'not a url'" in run.log  # reported, skipped, crawl goes on
    pages = urls(run)
    trap_pages = {u for u in pages if u.startswith("http://trap.test/")}
    assert len(trap_pages) <= 60  # ended on its own, within the budget
    assert run.run_info()["budget_dropped"] == 0  # ... and the trap rules ended it, not the budget
    assert "http://trap.test/about.html" in pages
    reasons: dict[str, set[str]] = {}
    for url, reason in blocked(run):
        reasons.setdefault(reason, set()).add(url)
    assert {len(u) > 2048 for u in reasons.pop("trap-long-url")} == {True}
    assert len(reasons["trap-calendar"]) == 25  # 30 months linked, 5 crawled
    assert len(reasons["trap-pagination"]) == 25
    assert {u for u in pages if "/cal/20" in u} == {
        f"http://trap.test/cal/2020-0{m}/" for m in range(1, 6)
    }
    for url in reasons["trap-repeated-path"]:  # a segment three times: /loop/a/b/a/b/a/
        assert max(Counter(url.split("/")[3:-1]).values()) == 3, url
    assert max(u.count("/") for u in pages if "/loop/" in u) <= 8
    # Session ids are removed before de-duplication: three links, one fetch.
    assert {u for u in pages if "account" in u} == {"http://trap.test/account"}

    errors = {row["url"]: row["error"] for row in run.rows("errors.csv")}
    assert errors == {
        "http://broken.test/loop-b": "redirect-loop",
        "http://broken.test/self": "redirect-loop",
        "http://broken.test/hang": "timeout",
        "http://broken.test/huge": "too-large",  # over DOWNLOAD_MAXSIZE
        f"http://127.0.0.1:{server.port}/cut": "data-loss",  # truncated response
    }
    targets = {row["target_url"] for row in run.rows()}
    assert {"https://acme-boots.com/fine", "https://acme-boots.com/ru",  # wrong charset
            "https://acme-boots.com/wandern", "https://acme-boots.com/early"} <= targets  # fmt: skip
    assert "https://acme-boots.com/late" not in targets  # after the parse cap
    big = next(r for r in run.rows("pages.csv") if r["url"] == "http://broken.test/big.html")
    assert (big["parsed"], big["note"]) == ("true", "truncated")
    assert "only the first 4096 parsed" in run.log
    info = run.run_info()
    assert info["traps_blocked"] == sum(len(v) for v in reasons.values()) + 1
    assert info["status"] == "finished"


def unannounced(path: str, count: int) -> bytes:
    """A 300 KB body without Content-Length (ended by closing the connection)."""
    if path == "/robots.txt":
        return http_answer("404 Not Found", b"")
    head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
    return head + b"<html><a href='https://acme-boots.com/huge'>A</a>" + b" " * 300_000


@pytest.mark.e2e
def test_oversized_bodies_refresh_loops_and_big_robots_are_accounted(
    policy_web: TestWeb, tmp_path: Path
) -> None:
    """No page vanishes: a gzip bomb, a meta-refresh loop and a body over DOWNLOAD_MAXSIZE
    without Content-Length are errors (also for -a expect); a robots.txt over the download
    cap or gzip-bombed is parsed up to 500 KiB, not given up."""
    server = ScriptedServer(unannounced)
    huge = f"http://127.0.0.1:{server.port}/huge"
    seeds = ["http://broken.test/bomb", "http://broken.test/refresh-a.html", huge,
             "http://rbig.test/", "http://rbomb.test/"]  # fmt: skip
    small = {"DOWNLOAD_MAXSIZE": "200000", "DOWNLOAD_WARNSIZE": "0"}  # rbig's robots: 600 KiB
    (tmp_path / "crawl").mkdir()
    (tmp_path / "expect").mkdir()
    placements = ["source_url,target_url"] + [f"{url},https://acme-boots.com/" for url in seeds[:3]]
    (tmp_path / "expect" / "placements.csv").write_text("\n".join(placements) + "\n", "utf-8")
    try:
        run = run_crawl(policy_web, tmp_path / "crawl", "acme-boots.com", ",".join(seeds),
                        settings=small)  # fmt: skip
        checked = run_expect(policy_web, tmp_path / "expect",
                             *(f"-s{name}={value}" for name, value in small.items()))  # fmt: skip
    finally:
        server.close()
    assert run.process.returncode == 0, run.log[-3000:]
    errors = {row["url"]: (row["error"], row["message"]) for row in run.rows("errors.csv")}
    assert errors["http://broken.test/bomb"][0] == "too-large"
    assert "DOWNLOAD_MAXSIZE" in errors["http://broken.test/bomb"][1]
    assert errors["http://broken.test/refresh-b.html"][0] == "redirect-loop"
    assert errors[huge][0] == "too-large"
    assert "DOWNLOAD_MAXSIZE (200000" in errors[huge][1]  # not "cancelled" with no message
    assert urls(run) == site_pages("rbig.test", "/", "/page.html") | site_pages(
        "rbomb.test", "/", "/page.html"
    )
    assert blocked(run) == {
        ("http://rbig.test/private/secret.html", "robots-disallowed"),
        ("http://rbomb.test/private/secret.html", "robots-disallowed"),
    }
    assert run.run_info()["stats"]["linkspider/robots/truncated"] == 2
    assert checked.process.returncode == 0, checked.log[-3000:]
    statuses = {row["source_url"]: row["status"] for row in checked.rows("placements_status.csv")}
    assert statuses == dict.fromkeys(seeds[:3], "page-error"), statuses


# -- bad input ----------------------------------------------------------------------------


def crawl_fails(tmp_path: Path, *args: str) -> str:
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks", *args]
    process = subprocess.run(command, cwd=tmp_path, env=crawl_env(), capture_output=True,
                             text=True, timeout=60)  # fmt: skip
    assert process.returncode != 0
    assert "Traceback" not in process.stderr
    lines = [line for line in process.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, process.stderr  # one line naming the problem
    return lines[0]


def test_bad_input_fails_before_crawling_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n", "utf-8")
    assert f"seeds file {empty} has no seed" in crawl_fails(
        tmp_path, "-a", "targets=a.com", "-a", f"seeds={empty}"
    )
    bad = tmp_path / "bad.txt"
    bad.write_text("not a url\nftp://x.com/\n", "utf-8")
    assert f"{bad}: no valid seed ({bad}:1 'not a url'" in crawl_fails(
        tmp_path, "-a", "targets=a.com", "-a", f"seeds={bad}"
    )
    toml = tmp_path / "targets.toml"
    toml.write_text('[[target]]\ndomain = "a.com"\nbrand = ["x",\n\n[[target]]\n', "utf-8")
    assert (
        f"{toml}: invalid TOML"
        in (line := crawl_fails(tmp_path, "-a", f"targets={toml}", "-a", "seeds=a.com"))
        and "line" in line
    )
    assert "LINKSPIDER_ALLOW_PRIVATE_NETWORKS: not a network" in crawl_fails(
        tmp_path, "-a", "targets=a.com", "-a", "seeds=a.com",
        "-s", "LINKSPIDER_ALLOW_PRIVATE_NETWORKS=intranet")  # fmt: skip


def test_unknown_argument_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    line = crawl_fails(tmp_path, "-a", "targets=a.com", "-a", "seeds=a.com", "-a", "max_pages=5")
    assert "unknown argument(s) -a max_pages" in line
    assert "valid arguments: targets, seeds, scope, max_pages_per_site, depth" in line


def test_underscore_arguments_stay_allowed_for_scrapyd() -> None:
    from linkspider.config.args import CrawlConfig
    from linkspider.config.sources import ConfigError

    config = CrawlConfig.from_kwargs({"targets": "a.com", "seeds": "a.com", "_job": "j1"})
    assert config.args.targets == "a.com"
    with pytest.raises(ConfigError, match=r"unknown argument.*-a maxpages"):
        CrawlConfig.from_kwargs({"expect": "x.csv", "maxpages": "5"})


def test_blocked_pages_columns_are_documented_in_order() -> None:
    from dataclasses import fields

    from linkspider.core.signals import BlockedPage

    doc = (ROOT / "docs" / "schema.md").read_text("utf-8")
    body = doc.split("## blocked_pages", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.MULTILINE)
    assert documented == [f.name for f in fields(BlockedPage)]
