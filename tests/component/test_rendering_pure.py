"""render=auto heuristic, raw/rendered merge, launch options and the browser request guard.

Pure functions on real-looking pages; the end-to-end crawl with Chromium is in
tests/e2e/test_rendering_crawl.py.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import sys
from dataclasses import replace

import pytest
from scrapy.utils.test import get_crawler

from linkspider.core.items import BacklinkItem
from linkspider.extract.client_rendered import client_rendered
from linkspider.extract.page import LinkPage
from linkspider.extract.rendered import merge_rendered, rendered_link_count
from linkspider.policy.addresses import AddressPolicy, parse_allow_setting
from linkspider.render.browser import (
    DEFAULT_ARGS,
    RenderConfigError,
    configure_rendering,
    merge_launch_options,
    parse_mode,
    string_list,
)
from linkspider.render.guard import BrowserRequestGuard, static_refusal
from linkspider.render.proxy import GuardedSocksProxy
from linkspider.testweb.sites import DEFAULT_SITES_DIR
from tests.support.paths import WEBS

RENDER_SITES = WEBS / "render"

# -- the render=auto heuristic -----------------------------------------------------------
ARTICLE = "<p>" + "Walking boots need care after a wet season, and wax helps. " * 12 + "</p>"
NAV = "".join(f'<a href="/p{i}">Page {i}</a> ' for i in range(12))

PAGES = {
    # (html, expected reasons)
    "create-react-app shell": (
        '<html><head><script defer src="/static/js/main.4f2a9c.js"></script></head><body>'
        "<noscript>You need to enable JavaScript to run this app.</noscript>"
        '<div id="root"></div></body></html>',
        {"noscript-enable-js", "empty-app-root", "framework-bundle", "little-text"},
    ),
    "vue shell with a loading text": (
        '<html><body><div id="app">Loading...</div>'
        '<script src="/js/chunk-vendors.2b1c.js"></script><script src="/js/app.9a8b.js"></script>'
        "</body></html>",
        {"empty-app-root", "framework-bundle", "little-text"},
    ),
    "angular shell": (
        '<html><body><app-root></app-root><script src="runtime.abc123.js" type="module">'
        '</script><script src="main.def456.js" type="module"></script></body></html>',
        {"empty-app-root", "framework-bundle", "little-text"},
    ),
    "next.js page rendered on the server": (
        f'<html><body><div id="__next"><header>{NAV}</header><main>{ARTICLE}</main></div>'
        '<script id="__NEXT_DATA__" type="application/json">{"props":{}}</script>'
        '<script src="/_next/static/chunks/main-1a2b.js" defer></script></body></html>',
        set(),
    ),
    "wordpress article with jquery and analytics": (
        "<html><head><script src='/wp-includes/js/jquery/jquery.min.js'></script>"
        "<script>window.dataLayer=[];</script></head>"
        f"<body><nav>{NAV}</nav><article>{ARTICLE}</article>"
        '<noscript><img src="https://www.facebook.com/tr?id=1&ev=PageView"></noscript>'
        "</body></html>",
        set(),
    ),
    "full page with a polite noscript banner": (
        f"<html><body><nav>{NAV}</nav><article>{ARTICLE * 3}</article>"
        "<noscript>JavaScript is disabled. For a better experience, please enable JavaScript"
        "</noscript><script src='/site.js'></script></body></html>",
        set(),
    ),
    "static page without scripts, even a thin one": (
        '<html><body><div id="root"></div><p>Coming soon.</p></body></html>',
        set(),
    ),
    "comments widget that writes into the page": (
        f'<html><body><article>{ARTICLE}</article><nav>{NAV}</nav><div id="isso-thread"></div>'
        '<script src="https://comments.example.org/js/embed.min.js"></script></body></html>',
        {"empty-widget"},
    ),
    "disqus lives in an iframe: rendering adds no link to the page": (
        f'<html><body><article>{ARTICLE}</article><nav>{NAV}</nav><div id="disqus_thread"></div>'
        "<script>var d=document,s=d.createElement('script');s.src='https://x.disqus.com/embed.js';"
        "d.body.appendChild(s);</script></body></html>",
        set(),
    ),
    "thin page whose text a script writes": (
        '<html><body><div class="planner"></div><script>document.querySelector(".planner")'
        '.innerHTML = "<a href=/x>x</a>";</script></body></html>',
        {"little-text"},
    ),
    "json data scripts do not count as scripts": (
        '<html><body><div id="root"></div><script type="application/ld+json">{"@type":"Thing"}'
        "</script></body></html>",
        set(),
    ),
    "react server-rendered root with content": (
        f'<html><body><div id="root" data-reactroot=""><nav>{NAV}</nav>{ARTICLE}</div>'
        '<script src="/static/js/main.1234.js"></script></body></html>',
        set(),
    ),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_auto_heuristic(name: str) -> None:
    html, expected = PAGES[name]
    signals = client_rendered(html.encode(), "text/html; charset=utf-8")
    assert set(signals.reasons) == expected
    assert signals.render == bool(expected)


# On a full page (text, a dozen links, scripts) only a marker in the bytes lets the
# pre-check parse the page: each marker, in any case and attribute syntax, must get through.
FULL = f"<nav>{NAV}</nav><article>{ARTICLE}</article><script src='/site.js'></script>"


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        ("<div ID = 'root'></div>", "empty-app-root"),
        ("<div id=app>Loading...</div>", "empty-app-root"),
        ('<div class="x" data-reactroot=""></div>', "empty-app-root"),
        ("<div data-v-app></div>", "empty-app-root"),
        ("<section DATA-APP-ROOT></section>", "empty-app-root"),
        ("<div ng-app='shop'></div>", "empty-app-root"),
        ('<main ng-version="17.1"><!-- app --></main>', "empty-app-root"),
        ("<APP-ROOT></APP-ROOT>", "empty-app-root"),
        ('<div id="commento"></div>', "empty-widget"),
        ("<div Id='isso-thread'></div>", "empty-widget"),
        ("<aside data-lazy-links></aside>", "empty-widget"),
    ],
)
def test_markers_on_a_full_page_are_found(element: str, reason: str) -> None:
    html = f"<html><body>{FULL}{element}</body></html>"
    assert client_rendered(html.encode(), "text/html").reasons == (reason,)
    # The same element with content is no signal.
    head, _, tail = element.rpartition("</")
    filled = f"{head}<p>Text of the element, long enough.</p></{tail}"
    assert not client_rendered(f"<html><body>{FULL}{filled}</body></html>".encode()).render


def test_no_page_of_the_static_test_webs_is_rendered() -> None:
    pages = [
        *DEFAULT_SITES_DIR.rglob("*.html"),
        *(WEBS / "testweb").rglob("*.html"),
        *(WEBS / "policy").rglob("*.html"),
        RENDER_SITES / "static-news.com" / "index.html",
        RENDER_SITES / "hybrid-blog.com" / "index.html",
    ]
    assert len(pages) > 30
    rendered = [p for p in pages if client_rendered(p.read_bytes()).render]
    assert rendered == []


@pytest.mark.parametrize(
    ("site", "reason"),
    [
        ("spa-shop.com", "empty-app-root"),
        ("lazy-comments.com", "empty-widget"),
        ("noscript-app.com", "noscript-enable-js"),
        ("guarded-app.com", "empty-app-root"),
    ],
)
def test_client_rendered_test_sites_are_detected(site: str, reason: str) -> None:
    body = (RENDER_SITES / site / "index.html").read_bytes()
    assert reason in client_rendered(body).reasons


def test_heuristic_reads_only_the_parse_cap() -> None:
    html = b'<html><body><div id="root"></div><script src="/main.1.js"></script>'
    assert client_rendered(html).render
    padded = b"<html><body>" + b"<p>text</p>" * 1000 + html
    assert not client_rendered(padded, max_bytes=500).render


# -- merging raw and rendered rows -------------------------------------------------------
def row(target: str, anchor: str, rel: str = "", href: str | None = None) -> BacklinkItem:
    return BacklinkItem(
        source_url="https://blog.example/", source_host="blog.example",
        source_domain="blog.example", source_title="", source_status=200,
        target_url=target, href=href if href is not None else target,
        target_host="acme.com", target_domain="acme.com", target="acme.com",
        anchor_text=anchor, link_type="text" if anchor else "empty", image_alt="", rel=rel,
        nofollow="nofollow" in rel, ugc=False, sponsored=False, link_index=0, depth=0,
        first_seen="", last_seen="",
    )  # fmt: skip


A = "https://acme.com/a"
B = "https://acme.com/b"


def origins(rows: list[BacklinkItem]) -> list[tuple[str, str, str, str]]:
    return [(r.target_url, r.anchor_text, r.origin, r.rendered_changes) for r in rows]


def test_merge_pairs_same_link_and_reports_rel_change() -> None:
    merged = merge_rendered([row(A, "Acme")], [row(A, "Acme", rel="nofollow")])
    assert origins(merged) == [(A, "Acme", "both", 'rel: "" -> "nofollow"')]
    assert merged[0].nofollow  # the rendered row's values


def test_merge_inserted_link_does_not_shift_the_others() -> None:
    raw = [row(A, "Acme"), row(B, "Boots")]
    rendered = [row("https://acme.com/new", "New"), row(A, "Acme"), row(B, "Boots")]
    assert origins(merge_rendered(raw, rendered)) == [
        ("https://acme.com/new", "New", "rendered", ""),
        (A, "Acme", "both", ""),
        (B, "Boots", "both", ""),
    ]


def test_merge_removed_link_is_raw() -> None:
    assert origins(merge_rendered([row(A, "Acme"), row(B, "Boots")], [row(B, "Boots")])) == [
        (B, "Boots", "both", ""),
        (A, "Acme", "raw", ""),
    ]


def test_merge_href_rewritten_to_another_target_page() -> None:
    merged = merge_rendered([row(A, "Acme", href="/a")], [row(B, "Acme", href="/b")])
    assert origins(merged) == [(B, "Acme", "both", 'href: "/a" -> "/b"')]


def test_merge_href_rewritten_away_from_the_target() -> None:
    others = [(("Acme", "text", ""), "https://clicks.example/go?acme", "sponsored")]
    merged = merge_rendered([row(A, "Acme")], [], others)
    assert origins(merged) == [
        (A, "Acme", "raw", 'rel: "" -> "sponsored"; href: "https://acme.com/a" -> '
         '"https://clicks.example/go?acme"')
    ]  # fmt: skip


def test_merge_repeated_links_pair_in_order() -> None:
    raw = [row(A, "Acme"), row(A, "Acme")]
    rendered = [row(A, "Acme"), row(A, "Acme", rel="ugc"), row(A, "Acme")]
    assert [r.origin for r in merge_rendered(raw, rendered)] == ["both", "both", "rendered"]
    assert merge_rendered(raw, rendered)[1].rendered_changes == 'rel: "" -> "ugc"'


def test_merge_empty_anchors_only_pair_by_url() -> None:
    merged = merge_rendered([row(A, "")], [row(B, "")])
    assert [(r.target_url, r.origin) for r in merged] == [(B, "rendered"), (A, "raw")]


def test_rendered_link_count_is_the_dom_and_the_removed_links() -> None:
    dom = LinkPage(
        b'<a href="https://acme.com/b">Boots</a> <a href="https://clicks.example/go">Acme</a>',
        "https://blog.example/",
        "text/html",
    )
    kept = replace(row(B, "Boots"), origin="both")
    rewritten_away = replace(row(A, "Acme"), rendered_changes='href: "a" -> "b"')  # in the DOM
    removed = row(A, "Acme removed")  # origin raw, no change: only in the raw HTML
    assert rendered_link_count(dom, [kept, rewritten_away, removed]) == 3
    assert rendered_link_count(dom, []) == 2


def test_rows_not_rendered_are_raw() -> None:
    assert row(A, "Acme").origin == "raw"
    assert replace(row(A, "Acme")).rendered_changes == ""


# -- settings ----------------------------------------------------------------------------
def test_render_mode() -> None:
    assert parse_mode(None) == "auto"
    assert parse_mode(" Always ") == "always"
    with pytest.raises(ValueError, match="off, auto, always"):
        parse_mode("sometimes")


def test_launch_options_user_keys_win_and_args_merge() -> None:
    user = {
        "executable_path": "/opt/chrome",
        "args": ["--proxy-server=http://p:3128", "--headless=new"],
    }
    merged = merge_launch_options(
        user, "/usr/bin/chromium", ["--host-resolver-rules=MAP * 1.2.3.4"]
    )
    assert merged["executable_path"] == "/opt/chrome"
    assert merged["headless"] is True
    assert merged["args"][-2:] == ["--proxy-server=http://p:3128", "--headless=new"]
    assert "--headless" not in merged["args"]  # the user's own value is the only one
    assert "--no-sandbox" in merged["args"]
    assert "--host-resolver-rules=MAP * 1.2.3.4" in merged["args"]


def test_launch_options_defaults() -> None:
    merged = merge_launch_options({}, "/usr/bin/chromium")
    assert merged == {
        "headless": True,
        "executable_path": "/usr/bin/chromium",
        "args": list(DEFAULT_ARGS),
    }
    assert {"--disable-background-networking", "--disable-quic"} <= set(merged["args"])


def test_browser_args_setting() -> None:
    assert string_list('["--a", "--b=1"]', "X") == ["--a", "--b=1"]
    assert string_list(["--a"], "X") == ["--a"]
    with pytest.raises(RenderConfigError, match="X: not a JSON list"):
        string_list("--a", "X")


# -- the browser request guard -----------------------------------------------------------
BLOCKED = frozenset({"image", "media", "font"})
TEST_WEB = parse_allow_setting("127.0.0.0/8")


@pytest.mark.parametrize(
    ("url", "resource", "policy", "kind"),
    [
        ("https://cdn.example/hero.png", "image", AddressPolicy(), "resource"),
        ("https://cdn.example/font.woff2", "font", AddressPolicy(), "resource"),
        ("https://cdn.example/clip.mp4", "media", AddressPolicy(), "resource"),
        ("https://cdn.example/app.js", "script", AddressPolicy(), None),
        ("http://169.254.169.254/latest/meta-data/", "fetch", AddressPolicy(), "ssrf"),
        ("http://2130706433/", "xhr", AddressPolicy(), "ssrf"),
        ("http://[::ffff:10.0.0.1]/x.js", "script", AddressPolicy(), "ssrf"),
        ("http://127.0.0.1:8080/x.js", "script", TEST_WEB, None),
        ("http://10.0.0.1/x.js", "script", TEST_WEB, "ssrf"),
        ("http://10.0.0.1/x.js", "script", None, None),  # LINKSPIDER_SSRF_GUARD=False
        ("ftp://files.example/x", "other", AddressPolicy(), "scheme"),
        ("data:text/javascript,1", "script", AddressPolicy(), None),
    ],
)
def test_static_refusal(
    url: str, resource: str, policy: AddressPolicy | None, kind: str | None
) -> None:
    refusal = static_refusal(url, resource, BLOCKED, policy)
    assert (refusal.kind if refusal else None) == kind


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str) -> None:
        self.values[key] = self.values.get(key, 0) + 1


class _Crawler:
    def __init__(self) -> None:
        self.stats = _Stats()


class _BrowserRequest:
    def __init__(self, url: str, resource_type: str = "script") -> None:
        self.url = url
        self.resource_type = resource_type


def test_guard_resolves_host_names_with_the_crawl_resolver() -> None:
    answers = {"intranet.example": ["10.1.2.3"], "public.example": ["93.184.215.14"],
               "mixed.example": ["127.0.0.1", "93.184.215.14"], "nowhere.example": []}  # fmt: skip
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[host]

    crawler = _Crawler()
    guard = BrowserRequestGuard(AddressPolicy(), crawler, BLOCKED, resolve)

    async def verdicts() -> list[bool]:
        return [
            await guard(_BrowserRequest("https://intranet.example/api")),
            await guard(_BrowserRequest("https://intranet.example/api2")),
            await guard(_BrowserRequest("https://public.example/app.js")),
            await guard(_BrowserRequest("https://mixed.example/app.js")),
            await guard(_BrowserRequest("https://nowhere.example/app.js")),
            await guard(_BrowserRequest("https://public.example/logo.png", "image")),
        ]

    assert asyncio.run(verdicts()) == [True, True, False, False, True, True]
    assert asked.count("intranet.example") == 1  # cached per host and port
    assert crawler.stats.values == {
        "linkspider/render/ssrf_blocked": 3,
        "linkspider/render/aborted/image": 1,
    }


def test_guard_runs_the_users_own_abort_request_after_its_own() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    guard = BrowserRequestGuard(AddressPolicy(), _Crawler(), BLOCKED, resolve)
    guard.then = lambda request: "ads" in request.url
    assert asyncio.run(guard(_BrowserRequest("https://ads.example/x.js"))) is True
    assert asyncio.run(guard(_BrowserRequest("https://cdn.example/x.js"))) is False


# -- the connection guard: the SOCKS5 proxy the browser connects through ------------------
# Real sockets on loopback: an echo server the policy allows (127.0.0.1) and a canary it
# refuses (127.0.0.2) that never accepts, so the kernel queues every connection made to it.
ONLY_WEB = parse_allow_setting("127.0.0.1/32")


def _queued(listener: socket.socket) -> int:
    listener.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


async def _socks(port: int, request: bytes, payload: bytes = b"") -> tuple[int, bytes]:
    """One SOCKS5 exchange: the reply code, and the echo of ``payload`` when connected."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"\x05\x01\x00")
        assert await reader.readexactly(2) == b"\x05\x00"
        writer.write(request)
        answer = await reader.readexactly(10)
        echoed = b""
        if answer[1] == 0 and payload:
            writer.write(payload)
            echoed = await reader.readexactly(len(payload))
        return answer[1], echoed
    finally:
        writer.close()


def _name(host: str, port: int, command: int = 1) -> bytes:
    return bytes((5, command, 0, 3, len(host))) + host.encode() + struct.pack("!H", port)


def _ipv4(address: str, port: int) -> bytes:
    return b"\x05\x01\x00\x01" + socket.inet_aton(address) + struct.pack("!H", port)


def test_proxy_connects_only_to_addresses_the_policy_allows() -> None:
    canary = socket.create_server(("127.0.0.2", 0))
    canary_port = int(canary.getsockname()[1])

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(100))
        await writer.drain()
        writer.close()

    async def scenario() -> tuple[list[tuple[int, bytes]], dict[str, int]]:
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        web_port = int(server.sockets[0].getsockname()[1])
        answers = {
            "web.example": [("127.0.0.1", web_port)],
            "rebind.example": [("127.0.0.2", canary_port)],  # a name pointing at loopback
            "mixed.example": [("127.0.0.2", canary_port), ("127.0.0.1", web_port)],
            "nowhere.example": [],
        }

        async def endpoints(host: str, port: int) -> list[tuple[str, int]]:
            return answers[host]

        crawler = _Crawler()
        guard = BrowserRequestGuard(ONLY_WEB, crawler, BLOCKED, endpoints=endpoints)
        proxy = GuardedSocksProxy(guard.connection, guard.connection_refused)
        await proxy.start()
        results = [
            await _socks(proxy.port, _name("web.example", 80), b"ping"),
            await _socks(proxy.port, _name("rebind.example", 80), b"ping"),
            await _socks(proxy.port, _ipv4("127.0.0.2", canary_port), b"ping"),
            await _socks(proxy.port, _name("2130706434", canary_port), b"ping"),
            await _socks(proxy.port, _name("mixed.example", 443), b"pong"),
            await _socks(proxy.port, _name("nowhere.example", 80)),
            await _socks(proxy.port, _name("web.example", 80, command=2)),  # BIND
        ]
        await proxy.close()
        server.close()
        return results, crawler.stats.values

    try:
        results, stats = asyncio.run(scenario())
        made = _queued(canary)
    finally:
        canary.close()
    # 0 connected, 2 not allowed by the policy, 4 unreachable, 7 command not supported
    assert results == [(0, b"ping"), (2, b""), (2, b""), (2, b""), (0, b"pong"), (4, b""),
                       (7, b"")]  # fmt: skip
    assert made == 0
    assert stats == {"linkspider/render/connection_blocked": 3}


def test_proxy_switches_keep_the_proxy_reachable() -> None:
    proxy = GuardedSocksProxy(BrowserRequestGuard(None, _Crawler(), BLOCKED).connection,
                              lambda host, port, reason: None)  # fmt: skip
    proxy.port = 1080
    args = proxy.browser_args(
        ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=x:1"]
    )
    assert args == [
        "--no-sandbox",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=socks5://127.0.0.1:1080",
        "--proxy-bypass-list=<-loopback>",
    ]


@pytest.mark.parametrize(
    ("settings", "given"),
    [
        ({"LINKSPIDER_BROWSER_ARGS": '["--proxy-server=http://p:3128"]'},
         "--proxy-server=http://p:3128"),
        ({"PLAYWRIGHT_LAUNCH_OPTIONS": {"proxy": {"server": "http://p:3128"}}},
         "PLAYWRIGHT_LAUNCH_OPTIONS proxy"),
    ],
)  # fmt: skip
def test_a_browser_proxy_of_the_users_own_is_an_error(
    settings: dict[str, object], given: str
) -> None:
    base = {"LINKSPIDER_RENDER": "always", "LINKSPIDER_CHROMIUM_PATH": sys.executable}
    crawler = get_crawler(settings_dict={**base, **settings})
    with pytest.raises(RenderConfigError, match=f"guard proxy .*; remove {re.escape(given)}"):
        configure_rendering(crawler, explicit=True)
