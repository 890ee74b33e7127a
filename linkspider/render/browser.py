"""The render mode, the browser, and the settings that switch scrapy-playwright on.

``-a render=off|auto|always`` (setting ``LINKSPIDER_RENDER``, default ``auto``). With
``off`` nothing here runs and no browser is ever started. Otherwise the spider calls
:func:`configure_rendering` before the crawl starts, which installs scrapy-playwright's
download handler for http and https (pages not rendered are still downloaded by Scrapy's
own HTTP handler, which scrapy-playwright extends; one handler instance serves both
schemes, :mod:`linkspider.render.handler`) and fills in its settings.

The browser is Debian's ``chromium`` package (``apt-get install chromium``);
``playwright install`` is not needed. Settings:

* ``LINKSPIDER_CHROMIUM_PATH``: the executable; default ``/usr/bin/chromium``, else the
  first of ``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable``
  on ``PATH``. ``executable_path`` in ``PLAYWRIGHT_LAUNCH_OPTIONS`` wins over it.
* ``LINKSPIDER_BROWSER_ARGS``: extra Chromium switches (a list or a JSON list), added to
  :data:`DEFAULT_ARGS` (the test web uses it to map host names to its ports).
* ``LINKSPIDER_RENDER_TIMEOUT`` (seconds, default 20): page load timeout
  (``PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT``, unless that is set).
* ``LINKSPIDER_RENDER_MAX_PAGES`` (default 4): pages rendered at the same time
  (``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``, unless that is set; one browser context).
* ``LINKSPIDER_RENDER_SETTLE`` (seconds, default 2): after the load event, how long at
  most to wait for the network to go quiet after scrolling (lazy widgets).
* ``LINKSPIDER_RENDER_BLOCK_RESOURCES`` (default ``image, media, font``): resource types
  the browser may not load.

A user's own ``PLAYWRIGHT_LAUNCH_OPTIONS`` is honoured: the project's defaults fill only
the keys it leaves out, and its ``args`` are appended to the default switches (a default
switch the user gives a value of their own is dropped). A proxy of the user's own for the
browser is an error: the browser connects only through linkspider's guard proxy
(:mod:`linkspider.render.proxy`, started with the browser).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from linkspider.core.setting_values import float_setting, int_setting, text_setting
from linkspider.settings_reference import default_of

logger = logging.getLogger(__name__)

RENDER_MODES = ("off", "auto", "always")
DEFAULT_MODE = default_of("LINKSPIDER_RENDER", str)
HANDLER = "linkspider.render.handler.RenderDownloadHandler"
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
#: The browser context linkspider renders in (created on first use).
CONTEXT_NAME = "linkspider-render"
#: Options of that context: service workers could fetch behind the request guard's back.
CONTEXT_OPTIONS: dict[str, Any] = {"service_workers": "block", "accept_downloads": False}

#: Chromium switches: run as root in a container, headless, and quiet on the network
#: (without the background-networking switches Chromium keeps calling Google services).
DEFAULT_ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebRTC may not send UDP around the proxy (and the proxy relays no UDP); no DNS
    # lookups of the browser's own (the proxy resolves names).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--dns-prefetch-disable",
)
#: Switches that would take the browser's connections away from linkspider's proxy.
PROXY_SWITCHES = ("--proxy-server", "--proxy-pac-url", "--no-proxy-server", "--proxy-bypass-list")
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEFAULT_BLOCKED_RESOURCES = tuple(default_of("LINKSPIDER_RENDER_BLOCK_RESOURCES", list))


class RenderConfigError(ValueError):
    """A rendering setting is wrong, or rendering cannot work here."""


def parse_mode(value: object) -> str:
    """``off``, ``auto`` or ``always`` (any case); ``ValueError`` otherwise."""
    mode = str(value if value is not None else DEFAULT_MODE).strip().lower()
    if mode not in RENDER_MODES:
        raise ValueError(f"render must be one of {', '.join(RENDER_MODES)}, got {value!r}")
    return mode


def find_chromium(configured: str | None) -> str | None:
    """The Chromium executable: ``configured`` (a path or a name on PATH) or a default."""
    if configured:
        found = shutil.which(configured)
        return found or (configured if os.path.isfile(configured) else None)
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def string_list(value: object, name: str) -> list[str]:
    """A list of strings from a list or a JSON list (``-s NAME='["a", "b"]'``)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RenderConfigError(f"{name}: not a JSON list: {value!r} ({exc.msg})") from None
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise RenderConfigError(f"{name}: expected a list of strings, got {value!r}")
    if not all(isinstance(item, str) for item in value):
        raise RenderConfigError(f"{name}: expected a list of strings, got {value!r}")
    return list(value)


def _switch(arg: str) -> str:
    return arg.split("=", 1)[0]


def merge_launch_options(
    user: Mapping[str, Any], executable: str | None, extra_args: Sequence[str] = ()
) -> dict[str, Any]:
    """``PLAYWRIGHT_LAUNCH_OPTIONS``: the user's keys win; default switches come first.

    A default switch (``--proxy-server``, ``--headless``...) the user also gives is left
    out, so the user's value is the only one Chromium sees.
    """
    user_args = list(user.get("args") or [])
    given = {_switch(arg) for arg in user_args}
    defaults = [arg for arg in (*DEFAULT_ARGS, *extra_args) if _switch(arg) not in given]
    merged: dict[str, Any] = {"headless": True}
    if executable:
        merged["executable_path"] = executable
    merged.update(user)
    merged["args"] = [*defaults, *user_args]
    return merged


@dataclass(frozen=True)
class RenderOptions:
    """The rendering settings, read once (see the module); defaults: the settings registry."""

    mode: str = DEFAULT_MODE
    chromium_path: str = default_of("LINKSPIDER_CHROMIUM_PATH", str)
    browser_args: tuple[str, ...] = tuple(default_of("LINKSPIDER_BROWSER_ARGS", list))
    timeout: float = default_of("LINKSPIDER_RENDER_TIMEOUT", float)
    max_pages: int = default_of("LINKSPIDER_RENDER_MAX_PAGES", int)
    settle: float = default_of("LINKSPIDER_RENDER_SETTLE", float)
    blocked_resources: frozenset[str] = frozenset(DEFAULT_BLOCKED_RESOURCES)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RenderOptions:
        try:
            mode = parse_mode(settings.get("LINKSPIDER_RENDER"))
        except ValueError as exc:
            raise RenderConfigError(f"LINKSPIDER_RENDER: {exc}") from None
        try:
            timeout = float_setting(settings, "LINKSPIDER_RENDER_TIMEOUT")
            max_pages = int_setting(settings, "LINKSPIDER_RENDER_MAX_PAGES")
            settle = float_setting(settings, "LINKSPIDER_RENDER_SETTLE")
        except ValueError as exc:
            raise RenderConfigError(str(exc)) from None
        if timeout <= 0:
            raise RenderConfigError(f"LINKSPIDER_RENDER_TIMEOUT must be > 0, got {timeout}")
        if max_pages < 1:
            raise RenderConfigError(f"LINKSPIDER_RENDER_MAX_PAGES must be >= 1, got {max_pages}")
        if settle < 0:
            raise RenderConfigError(f"LINKSPIDER_RENDER_SETTLE must be >= 0, got {settle}")
        blocked = settings.get("LINKSPIDER_RENDER_BLOCK_RESOURCES")
        if blocked is None:
            blocked = DEFAULT_BLOCKED_RESOURCES
        if isinstance(blocked, str) and not blocked.lstrip().startswith("["):
            blocked = [part for part in blocked.replace(",", " ").split() if part]
        return cls(
            mode=mode,
            chromium_path=text_setting(settings, "LINKSPIDER_CHROMIUM_PATH"),
            browser_args=tuple(
                string_list(settings.get("LINKSPIDER_BROWSER_ARGS"), "LINKSPIDER_BROWSER_ARGS")
            ),
            timeout=timeout,
            max_pages=max_pages,
            settle=settle,
            blocked_resources=frozenset(string_list(blocked, "LINKSPIDER_RENDER_BLOCK_RESOURCES")),
        )


def configure_rendering(crawler: Crawler, explicit: bool) -> str:
    """Switch scrapy-playwright on for a crawl that renders; the effective mode.

    Called by the spider before the crawl starts (settings not frozen yet). ``explicit``:
    the mode was asked for (``-a render`` or ``-s LINKSPIDER_RENDER``). Without a browser
    an explicit mode is an error, the default ``auto`` falls back to ``off`` with a
    warning. Raises :class:`RenderConfigError` for bad settings.
    """
    from linkspider.render.guard import BrowserRequestGuard

    settings = crawler.settings
    options = RenderOptions.from_settings(settings)
    if options.mode == "off":
        return "off"
    remote = settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL")
    user_launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    executable = None
    if not remote and not user_launch.get("executable_path"):
        executable = find_chromium(options.chromium_path)
        if executable is None:
            where = options.chromium_path or f"{DEFAULT_CHROMIUM} or {', '.join(CHROMIUM_NAMES)}"
            message = (
                f"render={options.mode} needs Chromium, not found at {where}: install "
                "Debian's chromium package (apt-get install chromium), set "
                "LINKSPIDER_CHROMIUM_PATH, or crawl with -a render=off"
            )
            if explicit:
                raise RenderConfigError(message)
            logger.warning(f"{message}; rendering is off for this crawl")
            settings.set("LINKSPIDER_RENDER", "off", priority="cmdline")
            return "off"
    launch_args = [*options.browser_args, *(user_launch.get("args") or [])]
    own_proxy = [arg for arg in launch_args if _switch(str(arg)) in PROXY_SWITCHES]
    if user_launch.get("proxy") or own_proxy:
        given = own_proxy[0] if own_proxy else "PLAYWRIGHT_LAUNCH_OPTIONS proxy"
        raise RenderConfigError(
            f"render={options.mode}: the browser connects only through linkspider's guard "
            f"proxy (SSRF policy); remove {given} from the browser settings"
        )
    if remote:
        logger.warning(
            "render: a remote browser (PLAYWRIGHT_CDP_URL/PLAYWRIGHT_CONNECT_URL) opens its "
            "own connections: its requests are guarded, its WebSockets and DNS are not"
        )
    reactor = settings.get("TWISTED_REACTOR")
    if reactor and reactor != ASYNCIO_REACTOR:
        raise RenderConfigError(
            f"render={options.mode} needs TWISTED_REACTOR={ASYNCIO_REACTOR} (got {reactor}); "
            "or crawl with -a render=off"
        )
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    for scheme in ("http", "https"):
        current = handlers.get(scheme)
        if current and not _is_playwright_handler(current):
            raise RenderConfigError(
                f"render={options.mode} needs scrapy-playwright's download handler for "
                f"{scheme}, but DOWNLOAD_HANDLERS sets {current!r}; remove it or crawl with "
                "-a render=off"
            )
    settings.set("DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER}, priority="cmdline")
    settings.set(
        "PLAYWRIGHT_LAUNCH_OPTIONS",
        merge_launch_options(user_launch, executable, options.browser_args),
        priority="cmdline",
    )
    _default(settings, "PLAYWRIGHT_BROWSER_TYPE", "chromium")
    _default(settings, "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", options.timeout * 1000)
    _default(settings, "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", options.max_pages)
    guard = BrowserRequestGuard.from_settings(settings, crawler, options.blocked_resources)
    if settings.get("PLAYWRIGHT_ABORT_REQUEST"):
        guard.then = settings.get("PLAYWRIGHT_ABORT_REQUEST")  # the user's own, after ours
    settings.set("PLAYWRIGHT_ABORT_REQUEST", guard, priority="cmdline")
    return options.mode


def _default(settings: BaseSettings, name: str, value: Any) -> None:
    if settings.getpriority(name) is None:
        settings.set(name, value, priority="cmdline")


def _is_playwright_handler(value: object) -> bool:
    if isinstance(value, str):
        return value in (HANDLER, "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler")
    try:
        from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
    except ImportError:  # pragma: no cover - a dependency
        return False
    return isinstance(value, type) and issubclass(value, ScrapyPlaywrightDownloadHandler)
