"""The robots prefilter's decisions, with a real crawler's signals and stats."""

from __future__ import annotations

from protego import Protego
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from linkspider.core.signals import BlockedPage, page_blocked, robots_rules
from linkspider.middlewares.robots_prefilter import RobotsPrefilterMiddleware
from linkspider.policy.robots import Entry, State

RULES = Protego.parse("User-agent: *\nDisallow: /private/\n")
ORIGIN = "https://walks.test:443"


def _middleware() -> tuple[RobotsPrefilterMiddleware, list[BlockedPage], list[float]]:
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True})
    now = [0.0]
    mw = RobotsPrefilterMiddleware(crawler, clock=lambda: now[0])
    crawler.signals.connect(mw.robots_rules, signal=robots_rules)
    blocked: list[BlockedPage] = []
    crawler.signals.connect(lambda page: blocked.append(page), signal=page_blocked, weak=False)
    return mw, blocked, now


def _send(mw: RobotsPrefilterMiddleware, entry: Entry, origin: str = ORIGIN) -> None:
    mw.crawler.signals.send_catch_log(
        signal=robots_rules, origin=origin, entry=entry, user_agent="linkspider"
    )


def test_only_known_fresh_rules_decide() -> None:
    mw, blocked, now = _middleware()
    private = Request("https://walks.test/private/a.html")
    assert mw.get_processed_request(private, None) is private  # rules not known yet
    _send(mw, Entry(State.RULES, expires_at=100.0, rules=RULES))
    assert mw.get_processed_request(Request("https://walks.test/ok.html"), None) is not None
    assert mw.get_processed_request(private, None) is None
    other = Request("http://walks.test/private/a.html")  # another origin: not known
    assert mw.get_processed_request(other, None) is other
    ignore = Request("https://walks.test/private/b.html", meta={"dont_obey_robotstxt": True})
    assert mw.get_processed_request(ignore, None) is ignore
    assert [(p.url, p.reason, p.detail) for p in blocked] == [
        (private.url, "robots-disallowed", "https://walks.test/robots.txt")
    ]
    assert mw.crawler.stats is not None
    assert mw.crawler.stats.get_value("linkspider/robots/prefiltered") == 1
    now[0] = 100.0  # expired: the downloader middleware fetches it again and decides
    assert mw.get_processed_request(private, None) is private
    assert ORIGIN not in mw.rules


def test_entries_without_rules_are_not_kept() -> None:
    mw, _, _ = _middleware()
    _send(mw, Entry(State.ALLOW_ALL, expires_at=100.0))
    _send(mw, Entry(State.GAVE_UP, expires_at=100.0))
    assert not mw.rules
