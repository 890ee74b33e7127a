"""render=off|auto|always end to end: real crawls of tests/webs/render with real Chromium.

The sites: static-news.com (server-rendered, a script for analytics only), spa-shop.com
(an empty app root filled by a bundle; /deals is reachable only through a rendered link),
hybrid-blog.com (server-rendered; a script keeps one link, marks one nofollow, rewrites
two hrefs, removes one and adds one), lazy-comments.com (a comment with a link appears when
the thread scrolls into view), noscript-app.com ("please enable JavaScript"),
guarded-app.com (scripts and a fetch aimed at private addresses, an image).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.support.paths import WEBS

SITES = WEBS / "render"
TARGETS = str(SITES / "targets.toml")
SEEDS = str(SITES / "seeds.txt")
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (tests/install-and-run.sh installs it)"
)


@pytest.fixture(scope="module")
def render_web() -> TestWeb:
    with TestWeb([SITES]) as web:
        yield web  # type: ignore[misc]


def crawl(web: TestWeb, tmp: Path, mode: str, *extra: str) -> CrawlRun:
    run = run_crawl(web, tmp, TARGETS, SEEDS, "-a", f"render={mode}", *extra, output_dir=tmp / mode)
    assert run.process.returncode == 0, run.log[-3000:]
    return run


@pytest.fixture(scope="module")
def always(render_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    return crawl(render_web, tmp_path_factory.mktemp("always"), "always")


@pytest.fixture(scope="module")
def auto(render_web: TestWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    return crawl(render_web, tmp_path_factory.mktemp("auto"), "auto")


def by_target(run: CrawlRun) -> dict[str, dict[str, str]]:
    rows = run.rows()
    found = {r["target_url"]: r for r in rows}
    assert len(found) == len(rows), "one row per target URL on these sites"
    return found


def pages(run: CrawlRun) -> dict[str, dict[str, str]]:
    return {r["url"]: r for r in run.rows("pages.csv")}


@pytest.mark.parametrize("mode", ["always", "auto"])
def test_injected_links_are_found_with_origin_rendered(
    mode: str, request: pytest.FixtureRequest
) -> None:
    run: CrawlRun = request.getfixturevalue(mode)
    rows = by_target(run)
    for target, source in [
        ("https://acme-boots.com/spa", "https://spa-shop.com/"),
        ("https://acme-boots.com/deals", "https://spa-shop.com/deals"),  # followed from the DOM
        ("https://acme-boots.com/care/wax", "https://lazy-comments.com/"),  # after scrolling
        ("https://acme-boots.com/planner-pick", "https://noscript-app.com/"),
        ("https://acme-boots.com/guarded", "https://guarded-app.com/"),
    ]:
        assert rows[target]["origin"] == "rendered", target
        assert rows[target]["source_url"] == source
    assert rows["https://acme-boots.com/care/wax"]["rel"] == "ugc"
    assert rows["https://acme-boots.com/care/wax"]["ugc"] == "true"


def test_auto_renders_only_client_rendered_pages(auto: CrawlRun) -> None:
    seen = pages(auto)
    rendered = {url for url, page in seen.items() if page["rendered"] == "true"}
    assert rendered == {
        "https://spa-shop.com/", "https://spa-shop.com/deals", "https://lazy-comments.com/",
        "https://noscript-app.com/", "https://guarded-app.com/",
    }  # fmt: skip
    assert seen["https://static-news.com/"]["render_reason"] == ""
    assert seen["https://lazy-comments.com/"]["render_reason"] == "auto: empty-widget"
    assert "empty-app-root" in seen["https://spa-shop.com/"]["render_reason"]
    rows = by_target(auto)
    # Plain pages are not rendered: their links are raw, the script's changes unseen.
    assert rows["https://acme-boots.com/ridge-gtx"]["origin"] == "raw"
    assert rows["https://acme-boots.com/sale"]["origin"] == "raw"
    assert rows["https://acme-boots.com/sale"]["nofollow"] == "false"
    info = auto.run_info()
    assert info["rendered_pages"] == 5
    assert info["render_failed"] == 0
    assert info["settings"]["LINKSPIDER_RENDER"] == "auto"
    assert info["stats"]["linkspider/render/reason/empty-app-root"] == 3


def test_always_merges_raw_and_rendered_links(always: CrawlRun) -> None:
    rows = by_target(always)
    kept = rows["https://acme-boots.com/"]
    assert (kept["origin"], kept["rendered_changes"]) == ("both", "")
    paid = rows["https://acme-boots.com/sale"]
    assert (paid["origin"], paid["rendered_changes"]) == ("both", 'rel: "" -> "nofollow"')
    assert (paid["rel"], paid["nofollow"], paid["follow"]) == ("nofollow", "true", "false")
    moved = rows["https://acme-boots.com/reviews/first-boot"]
    assert moved["origin"] == "both"
    assert moved["rendered_changes"] == (
        'href: "https://acme-boots.com/old-review" -> "https://acme-boots.com/reviews/first-boot"'
    )
    assert "https://acme-boots.com/old-review" not in rows
    assert rows["https://acme-boots.com/readers-choice"]["origin"] == "rendered"
    assert (
        rows["https://acme-boots.com/offer-2019"]["origin"],
        rows["https://acme-boots.com/offer-2019"]["rendered_changes"],
    ) == ("raw", "")
    tracked = rows["https://acme-boots.com/partner"]
    assert tracked["origin"] == "raw"
    assert tracked["rendered_changes"] == (
        'href: "https://acme-boots.com/partner" -> "https://clicks.example.net/go?to=acme"'
    )
    # A plain page rendered anyway: the same link, found in both.
    assert rows["https://acme-boots.com/ridge-gtx"]["origin"] == "both"
    seen = pages(always)
    html_pages = {u for u, p in seen.items() if p["status"] == "200"}
    assert {u for u in html_pages if seen[u]["rendered"] == "true"} == html_pages
    assert all(seen[u]["render_reason"] == "always" for u in html_pages)
    assert always.run_info()["rendered_pages"] == len(html_pages) == 7


@pytest.mark.parametrize("mode", ["always", "auto"])
def test_rendered_pages_count_the_links_of_their_dom(
    mode: str, request: pytest.FixtureRequest
) -> None:
    run: CrawlRun = request.getfixturevalue(mode)
    seen = pages(run)
    for url, page in seen.items():
        assert int(page["links"]) >= int(page["backlinks"]), url
    # The raw HTML has no link; the bundle writes three (home, the Acme link, deals).
    assert (seen["https://spa-shop.com/"]["links"], seen["https://spa-shop.com/"]["backlinks"]) == (
        "3", "1",
    )  # fmt: skip
    if mode == "always":
        # Five links in the DOM (one rewritten away from its target, one added) and the
        # 2019 offer a script removed: six links, six rows.
        hybrid = seen["https://hybrid-blog.com/"]
        assert (hybrid["links"], hybrid["backlinks"]) == ("6", "6")


def test_browser_requests_follow_the_ssrf_policy_and_skip_images(always: CrawlRun) -> None:
    stats = always.run_info()["stats"]
    # guarded-app.com: two scripts (10.0.0.1, 169.254.169.254) and a fetch (192.168.0.1)
    assert stats["linkspider/render/ssrf_blocked"] == 3
    assert stats["linkspider/render/aborted/image"] == 1
    assert "the browser may not request http://169.254.169.254/" in always.log
    # The raw HTML is served to the browser: each page is fetched once, by Scrapy.
    assert stats.get("linkspider/render/refetched", 0) == 0
    assert stats["playwright/request_count/navigation"] == 7


def test_render_off_never_starts_a_browser(render_web: TestWeb, tmp_path: Path) -> None:
    run = crawl(render_web, tmp_path, "off")
    assert "scrapy-playwright" not in run.log
    assert {r["origin"] for r in run.rows()} == {"raw"}
    assert "https://acme-boots.com/spa" not in by_target(run)
    assert run.run_info()["rendered_pages"] == 0


def test_auto_on_static_sites_starts_no_browser(render_web: TestWeb, tmp_path: Path) -> None:
    run = crawl(render_web, tmp_path, "auto", "-a", "seeds=static-news.com,hybrid-blog.com")
    assert "Starting download handler" not in run.log  # not even the Playwright driver
    assert run.run_info()["rendered_pages"] == 0
    assert {r["origin"] for r in run.rows()} == {"raw"}


def test_render_timeout_keeps_the_raw_links(render_web: TestWeb, tmp_path: Path) -> None:
    # A page timeout far too short for the browser: every render fails, nothing is lost.
    run = crawl(
        render_web, tmp_path, "always", "-a", "seeds=hybrid-blog.com",
        "-s", "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=1",
    )  # fmt: skip
    rows = by_target(run)
    assert rows["https://acme-boots.com/sale"]["origin"] == "raw"
    page = pages(run)["https://hybrid-blog.com/"]
    assert page["rendered"] == "false"
    assert page["render_reason"].startswith("failed: ")
    assert run.run_info()["render_failed"] == 1


def test_bad_render_argument_fails_at_start(render_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(render_web, tmp_path, TARGETS, SEEDS, "-a", "render=sometimes")
    assert run.process.returncode != 0
    assert "invalid argument: render: Input should be 'off', 'auto' or 'always'" in run.log
    run = run_crawl(render_web, tmp_path, TARGETS, SEEDS, settings={"LINKSPIDER_RENDER": "x"})
    assert run.process.returncode != 0
    assert "LINKSPIDER_RENDER: render must be one of off, auto, always, got 'x'" in run.log


def test_missing_browser_is_an_error_when_asked_for(render_web: TestWeb, tmp_path: Path) -> None:
    run = run_crawl(
        render_web, tmp_path, TARGETS, SEEDS, "-a", "render=always",
        settings={"LINKSPIDER_CHROMIUM_PATH": "/nonexistent/chromium"},
    )  # fmt: skip
    assert run.process.returncode != 0
    assert "needs Chromium, not found at /nonexistent/chromium" in run.log


# -- red team: nothing the browser does may reach a refused address ------------------------
# Each page is thin (an empty #root, so render=auto renders it too) and attacks loopback
# canaries at load: popups (window.open, a target=_blank link and a form POST), an iframe,
# WebSockets, a worker and a service worker. The crawl allows only the test web's own
# address (127.0.0.1); the canaries listen on 127.0.0.2 and [::1], refused by that policy.
# A canary never accepts: the kernel queues every TCP connection made to it, and the test
# counts them after the crawl (the browser has exited by then).

REDTEAM = "redteam-app.com"
ATTACKS = {
    "popup": """window.open("{v4}/popup-get"); window.open("{v6}/popup-get", "_blank", "noopener");
      var a = document.createElement("a"); a.href = "{v4_decimal}/popup-link"; a.target = "_blank";
      document.body.appendChild(a); a.click();""",
    "popup-form": """var f = document.createElement("form"); f.method = "POST";
      f.action = "{v4}/popup-post"; f.target = "_blank";
      f.innerHTML = '<input name="secret" value="1">'; document.body.appendChild(f); f.submit();
      var w = window.open("about:blank"); if (w) {{ w.document.write(
      '<form method=POST action="{v6}/popup-post2"></form>'); w.document.forms[0].submit(); }}""",
    "iframe": """var i = document.createElement("iframe"); i.src = "{v4}/frame";
      document.body.appendChild(i);""",
    "websocket": """try {{ new WebSocket("{ws4}/ws"); }} catch (e) {{}}
      try {{ new WebSocket("{ws6}/ws"); }} catch (e) {{}}""",
    "worker": """var code = 'fetch("{v4}/worker").catch(function () {{}});'
      + 'try {{ new WebSocket("{ws6}/worker-ws"); }} catch (e) {{}}';
      new Worker(URL.createObjectURL(new Blob([code], {{type: "text/javascript"}})));""",
    "service-worker": """if (navigator.serviceWorker) {{
      navigator.serviceWorker.register("/sw.js").catch(function () {{}}); }}""",
}


class Canary:
    """Listening sockets on refused loopback addresses that count the connections made."""

    def __init__(self) -> None:
        for _ in range(20):
            v4 = socket.create_server(("127.0.0.2", 0), backlog=256)
            port = int(v4.getsockname()[1])
            try:
                v6 = socket.create_server(("::1", port), family=socket.AF_INET6, backlog=256)
            except OSError:
                v4.close()
                continue
            self.sockets, self.port = (v4, v6), port
            return
        raise RuntimeError("no free port on both 127.0.0.2 and [::1]")

    def connections(self) -> int:
        """Connections made so far (queued by the kernel; taken and closed here)."""
        count = 0
        for listener in self.sockets:
            listener.setblocking(False)
            while True:
                try:
                    connection, _ = listener.accept()
                except BlockingIOError:
                    break
                connection.close()
                count += 1
        return count

    def close(self) -> None:
        for listener in self.sockets:
            listener.close()


def redteam_site(root: Path, port: int) -> list[str]:
    """The red-team pages, their canary URLs filled in; returns the seeds."""
    site = root / REDTEAM
    site.mkdir(parents=True)
    # https and wss: no mixed-content blocking in Chromium (the TCP connection comes
    # before TLS, so the canary counts it all the same).
    urls = {
        "v4": f"https://127.0.0.2:{port}", "v6": f"https://[::1]:{port}",
        "v4_decimal": f"https://2130706434:{port}",  # 127.0.0.2
        "ws4": f"wss://127.0.0.2:{port}", "ws6": f"wss://[::1]:{port}",
    }  # fmt: skip
    (site / "_site.toml").write_text(
        '[[route]]\npath = "/sw.js"\nfile = "sw.js"\ncontent_type = "application/javascript"\n',
        "utf-8",
    )
    (site / "sw.js").write_text(
        'self.addEventListener("install", function () {{ fetch("{v4}/sw"); }});\n'
        'fetch("{v6}/sw").catch(function () {{}});\n'.format(**urls),
        "utf-8",
    )
    for name, attack in ATTACKS.items():
        (site / f"{name}.html").write_text(
            f"<!doctype html><html><head><title>{name}</title></head><body>"
            f'<div id="root"></div><script>{attack.format(**urls)}\n'
            f"document.getElementById('root').innerHTML = '<a href=\"https://acme-boots.com/"
            f"redteam/{name}\">Acme boots</a>';</script></body></html>\n",
            "utf-8",
        )
    # Service workers need a secure context (https); the other pages are plain http.
    return [
        f"{'https' if name == 'service-worker' else 'http'}://{REDTEAM}/{name}.html"
        for name in ATTACKS
    ]


def open_browser_args(web: TestWeb) -> str:
    """Chromium switches that map the red-team site to the test web and leave every other
    name and address alone, as on a real machine (the test web's own switches make every
    other name fail, which would hide connections to IP literals)."""
    state = web.web_state
    rules = ", ".join(
        f"MAP {REDTEAM}:{port} {state.address}:{real}"
        for port, real in ((80, state.http_port), (443, state.https_port))
    )
    return json.dumps([f"--host-resolver-rules={rules}", "--ignore-certificate-errors"])


@pytest.mark.e2e
@pytest.mark.parametrize("mode", ["always", "auto"])
def test_browser_cannot_connect_to_refused_addresses(mode: str, tmp_path: Path) -> None:
    canary = Canary()
    try:
        seeds = redteam_site(tmp_path / "sites", canary.port)
        (tmp_path / "seeds.txt").write_text("\n".join(seeds) + "\n", "utf-8")
        with TestWeb([tmp_path / "sites"]) as web:
            assert web.address == "127.0.0.1"
            run = run_crawl(
                web, tmp_path, TARGETS, str(tmp_path / "seeds.txt"), "-a", f"render={mode}",
                settings={"LINKSPIDER_ALLOW_PRIVATE_NETWORKS": "127.0.0.1/32",
                          "LINKSPIDER_BROWSER_ARGS": open_browser_args(web)},
                output_dir=tmp_path / "out",
            )  # fmt: skip
        assert run.process.returncode == 0, run.log[-3000:]
        made = canary.connections()
    finally:
        canary.close()
    # The attacks ran: every page was rendered and its script-written link found.
    seen = pages(run)
    assert {url for url in seeds if seen[url]["rendered"] == "true"} == set(seeds)
    rows = by_target(run)
    for name in ATTACKS:
        assert rows[f"https://acme-boots.com/redteam/{name}"]["origin"] == "rendered", name
    assert made == 0, "the browser opened TCP connections to refused addresses"
    stats = run.run_info()["stats"]
    assert stats["linkspider/render/popup_blocked"] >= 1  # the target=_blank link and form
    assert stats["linkspider/render/connection_blocked"] >= 1  # WebSockets: no route sees them
