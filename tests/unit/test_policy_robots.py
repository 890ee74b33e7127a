"""robots.txt policy per RFC 9309, as a status matrix (StormCrawler style), and the cache."""

from __future__ import annotations

import pytest
from protego import Protego

from linkspider.policy.robots import (
    Outcome,
    RobotsCache,
    State,
    origin_of,
    retry_delay,
    robots_url,
    status_outcome,
    truncate_robots,
)

# (HTTP status, has Location, redirects already followed, outcome)
STATUS_MATRIX = [
    (200, False, 0, Outcome.PARSE),
    (203, False, 0, Outcome.PARSE),
    (204, False, 0, Outcome.PARSE),  # empty file: no rules
    (301, True, 0, Outcome.FOLLOW),
    (302, True, 4, Outcome.FOLLOW),  # the 5th hop is still followed
    (307, True, 5, Outcome.ALLOW_ALL),  # a 6th is not: unavailable
    (308, True, 0, Outcome.FOLLOW),
    (301, False, 0, Outcome.ALLOW_ALL),  # a redirect to nowhere
    (304, False, 0, Outcome.ALLOW_ALL),
    (400, False, 0, Outcome.ALLOW_ALL),
    (401, False, 0, Outcome.ALLOW_ALL),  # RFC 9309: every 4xx is "unavailable"
    (403, False, 0, Outcome.ALLOW_ALL),
    (404, False, 0, Outcome.ALLOW_ALL),
    (410, False, 0, Outcome.ALLOW_ALL),
    (429, False, 0, Outcome.UNREACHABLE),  # too many requests: come back later
    (500, False, 0, Outcome.UNREACHABLE),
    (502, False, 0, Outcome.UNREACHABLE),
    (503, False, 0, Outcome.UNREACHABLE),
    (504, False, 0, Outcome.UNREACHABLE),
    (599, False, 0, Outcome.UNREACHABLE),
    (100, False, 0, Outcome.UNREACHABLE),
    (999, False, 0, Outcome.UNREACHABLE),
]


@pytest.mark.parametrize(("status", "location", "hops", "outcome"), STATUS_MATRIX)
def test_status_matrix(status: int, location: bool, hops: int, outcome: Outcome) -> None:
    assert status_outcome(status, location, hops) is outcome


@pytest.mark.parametrize(
    ("url", "origin", "robots"),
    [
        ("https://Example.com/a?b", "https://example.com:443", "https://example.com/robots.txt"),
        ("http://example.com:80/", "http://example.com:80", "http://example.com/robots.txt"),
        (
            "http://example.com:8080/x",
            "http://example.com:8080",
            "http://example.com:8080/robots.txt",
        ),
        ("http://[::1]:81/", "http://[::1]:81", "http://[::1]:81/robots.txt"),
    ],
)
def test_origin_is_scheme_host_port(url: str, origin: str, robots: str) -> None:
    assert origin_of(url) == origin
    assert robots_url(origin) == robots


def test_http_and_https_are_separate_origins() -> None:
    assert origin_of("http://example.com/") != origin_of("https://example.com/")


def test_big_file_is_truncated_at_a_line_end_not_dropped() -> None:
    body = b"User-agent: *\nDisallow: /early/\n" + b"# pad\n" * 100 + b"Disallow: /late/\n"
    head, cut = truncate_robots(body, len(body) - 5)
    assert cut and head.endswith(b"\n") and b"/late" not in head
    rules = Protego.parse(head.decode())
    assert not rules.can_fetch("https://a.com/early/x", "linkspider")
    assert rules.can_fetch("https://a.com/late/x", "linkspider")
    assert truncate_robots(body, len(body)) == (body, False)
    assert truncate_robots(b"x" * 10, 5) == (b"", True)  # no complete line at all


# Group selection (RFC 9309 2.2.1): our product token, case-insensitive, else "*".
GROUPS = """
User-agent: *
Disallow: /

User-agent: LinkSpider
Disallow: /private/
Allow: /private/public.html
Crawl-delay: 4

User-agent: spider
Disallow: /spider-only/
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", True),  # our group replaces "*" entirely
        ("/private/x.html", False),
        ("/private/public.html", True),  # longest match wins
        ("/spider-only/", True),  # "spider" is not our token ("linkspider")
        ("/robots.txt", True),
    ],
)
def test_group_matching_for_product_token(path: str, allowed: bool) -> None:
    rules = Protego.parse(GROUPS)
    assert rules.can_fetch(f"https://a.com{path}", "linkspider") is allowed


def test_retry_delays_double() -> None:
    assert [retry_delay(n, 30) for n in (1, 2, 3)] == [30, 60, 120]


def test_cache_unreachable_waits_then_gives_up() -> None:
    cache = RobotsCache(retries=2, retry_delay=10, max_age=100)
    origin = "https://a.com:443"
    assert cache.get(origin, 0) is None  # never fetched
    first = cache.store_unreachable(origin, 0, "HTTP 503")
    assert (first.state, first.expires_at, first.attempts) == (State.WAITING, 10, 1)
    assert cache.get(origin, 5) is first and not cache.due(origin, 5)
    assert cache.due(origin, 10)
    second = cache.store_unreachable(origin, 10, "timeout", "timeout")
    assert (second.state, second.expires_at, second.attempts) == (State.WAITING, 30, 2)
    last = cache.store_unreachable(origin, 30, "timeout", "timeout")
    assert (last.state, last.attempts, last.error_kind) == (State.GAVE_UP, 3, "timeout")
    assert not last.allows("https://a.com/", "linkspider")
    assert cache.get(origin, 129) is last
    assert cache.get(origin, 130) is None  # after max_age: fetched again


def test_cache_answer_after_waiting_resets_attempts() -> None:
    cache = RobotsCache(retries=1, retry_delay=10, max_age=100)
    cache.store_unreachable("o", 0, "HTTP 500")
    entry = cache.store_rules("o", Protego.parse("User-agent: *\nDisallow: /x"), 10)
    assert entry.state is State.RULES and entry.attempts == 0
    assert entry.allows("https://a.com/y", "linkspider")
    assert not entry.allows("https://a.com/x", "linkspider")
    again = cache.store_unreachable("o", 200, "HTTP 500")
    assert again.state is State.WAITING and again.attempts == 1


def test_entries_expire_after_max_age() -> None:
    cache = RobotsCache(max_age=86400)
    entry = cache.store_allow_all("o", 0, "HTTP 404")
    assert cache.get("o", 86399) is not None
    assert cache.get("o", 86400) is None
    assert cache.peek("o") is entry  # what a fetch in progress hands its waiters


def test_crawl_delay_is_capped() -> None:
    cache = RobotsCache()
    entry = cache.store_rules("o", Protego.parse(GROUPS), 0)
    assert entry.crawl_delay("linkspider", cap=30) == 4
    assert entry.crawl_delay("linkspider", cap=1.5) == 1.5
    assert cache.store_allow_all("p", 0).crawl_delay("linkspider", 30) == 0


def test_refused_on_both_schemes_gives_up_at_once() -> None:
    cache = RobotsCache(retries=2, retry_delay=30, max_age=100)
    assert (
        cache.store_unreachable("https://a.com:443", 0, "refused", "connection-refused").state
        is State.WAITING
    )
    entry = cache.store_unreachable("http://a.com:80", 1, "refused", "connection-refused")
    assert entry.state is State.GAVE_UP  # no retries: nothing listens on either scheme
    assert (
        cache.store_unreachable("http://b.com:80", 1, "timeout", "timeout").state is State.WAITING
    )


def test_gzip_bomb_is_unpacked_only_up_to_the_cap() -> None:
    import gzip

    from linkspider.policy.robots import decoded_head

    bomb = gzip.compress(b"User-agent: *\nDisallow: /x\n" + b"#\n" * 5_000_000)
    head = decoded_head(bomb, [b"gzip"], 1000)
    assert len(head) == 1001 and head.startswith(b"User-agent: *\nDisallow: /x\n")
