"""Crawler traps and session ids, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from linkspider.core.urls import crawl_url
from linkspider.policy.traps import (
    CALENDAR,
    LONG_URL,
    PAGINATION,
    REPEATED_PATH,
    PatternBudget,
    TrapLimits,
    url_pattern,
    url_trap,
)

LIMITS = TrapLimits(max_url_length=200, max_segment_repeats=3)


@pytest.mark.parametrize(
    ("url", "trap"),
    [
        ("https://a.com/a/b/a/b/a/", REPEATED_PATH),
        ("https://a.com/x/x/x", REPEATED_PATH),
        ("https://a.com/a/b/a/b/", None),  # twice may be a real path
        ("https://a.com/2001/01/01/", None),
        ("https://a.com/" + "x" * 200, LONG_URL),
        ("https://a.com/?q=" + "y" * 190, LONG_URL),
        ("https://a.com/blog/post.html", None),
    ],
)
def test_url_traps(url: str, trap: str | None) -> None:
    assert url_trap(url, LIMITS) == trap


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.com/events/2024-05/?view=month", (CALENDAR, "a.com/events/{date}/?view=month")),
        ("https://a.com/events/2031-12/?view=month", (CALENDAR, "a.com/events/{date}/?view=month")),
        ("https://a.com/calendar/2024/05/17/", (CALENDAR, "a.com/calendar/{date}/")),
        ("https://a.com/calendar?month=2024-06", (CALENDAR, "a.com/calendar?month={date}")),
        ("https://a.com/?m=202405", (CALENDAR, "a.com/?m={date}")),
        ("https://a.com/agenda?year=2031&view=list", (CALENDAR, "a.com/agenda?view=list&year={n}")),
        ("https://a.com/blog/page/3/", (PAGINATION, "a.com/blog/page/{n}/")),
        ("https://a.com/list?page=4&sort=new", (PAGINATION, "a.com/list?page={n}&sort=new")),
        ("https://a.com/search?q=x&offset=40", (PAGINATION, "a.com/search?offset={n}&q=x")),
        ("https://a.com/2024/05/my-post", (CALENDAR, "a.com/{date}/my-post")),  # one per post
        ("https://a.com/events/2024-01-17/8812", (CALENDAR, "a.com/events/{date}/{n}")),
        ("https://a.com/list?page=9&x=9", (PAGINATION, "a.com/list?page={n}&x={n}")),
        (
            "https://a.com/list?page=9&sort=new&id=",
            (PAGINATION, "a.com/list?id=&page={n}&sort=new"),
        ),
        ("https://a.com/thread/123", None),  # ids are not pages of a list
        ("https://a.com/product/202405", None),
        ("https://a.com/?p=123", None),  # WordPress post id
        ("https://a.com/p/12345", None),
        ("https://a.com/about", None),
    ],
)
def test_calendar_and_pagination_patterns(url: str, expected: tuple[str, str] | None) -> None:
    assert url_pattern(url) == expected


def test_pattern_budget_counts_distinct_urls_per_site_and_pattern() -> None:
    budget = PatternBudget(max_per_pattern=3)
    months = [f"https://a.com/cal/2024-{m:02d}/" for m in range(1, 7)]
    assert [budget.admit("a.com", u) for u in months] == [None, None, None] + [CALENDAR] * 3
    assert budget.admit("a.com", months[0]) is None  # already admitted: not counted again
    assert budget.admit("b.com", "https://b.com/cal/2024-01/") is None  # per site
    assert budget.admit("a.com", "https://a.com/list?page=1") is None  # another pattern
    assert budget.admit("a.com", "https://a.com/about") is None
    assert PatternBudget(0).admit("a.com", months[5]) is None  # 0: no limit


@pytest.mark.parametrize(
    "make_url",
    [
        lambda i: f"https://a.com/events/2024-01-{i % 28 + 1:02d}/{70000 + i}",  # a new id a day
        lambda i: f"https://a.com/list?page={i}&x={i}",
        lambda i: f"https://a.com/list?x={i * 7}&page={i}",
    ],
    ids=["event-id-per-day", "page-number-copied", "counter-beside-page"],
)
def test_ids_beside_dates_and_page_numbers_do_not_evade_the_limit(make_url: Any) -> None:
    budget = PatternBudget(max_per_pattern=50)
    admitted = [u for u in map(make_url, range(1000)) if budget.admit("a.com", u) is None]
    assert len(admitted) == 50


@pytest.mark.parametrize(
    ("url", "crawled"),
    [
        ("https://a.com/x?PHPSESSID=9f8e7d6c&b=1", "https://a.com/x?b=1"),
        ("https://a.com/x?b=1&jsessionid=ABC", "https://a.com/x?b=1"),
        ("https://a.com/shop;jsessionid=0AB12CD?item=3", "https://a.com/shop?item=3"),
        ("https://a.com/shop;jsessionid=0AB12CD", "https://a.com/shop"),
        ("https://a.com/?ASPSESSIONIDQSTRCDAB=KJHGFDS", "https://a.com/"),
        ("https://a.com/?sid=4f1a9c0e2b7d4e6fa8c3b5d7e9f1a2b3", "https://a.com/"),
        ("https://a.com/?sid=12", "https://a.com/?sid=12"),  # a short value is data
        ("https://a.com/?s=hiking+boots", "https://a.com/?s=hiking+boots"),  # search
        ("https://a.com/a?CFID=1&CFTOKEN=2&x=y#top", "https://a.com/a?x=y"),
        ("https://a.com/a?utm_source=n&zenid=q", "https://a.com/a"),
    ],
)
def test_session_ids_are_removed_from_followed_urls(url: str, crawled: str) -> None:
    assert crawl_url(url) == crawled
