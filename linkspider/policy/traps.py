"""Crawler traps: URL spaces that never end, recognised from the URL alone.

* repeated path segments (``/a/b/a/b/a/...``): relative links on pages served for any
  path make the path grow forever;
* very long URLs (a growing path or query);
* calendars and pagination: ``/events/2031-07/``, ``?month=2031-07``, ``?page=9412``,
  ``/page/77/``. Each URL is fine, but a site generates them without end, so only a
  limited number of URLs per calendar or pagination *pattern* (the URL with its dates and
  page numbers taken out) is crawled per site.

Session ids are another trap (every visit a new URL); they are removed from followed URLs
by :func:`linkspider.core.urls.crawl_url` before de-duplication.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

REPEATED_PATH = "trap-repeated-path"
LONG_URL = "trap-long-url"
CALENDAR = "trap-calendar"
PAGINATION = "trap-pagination"

_YEAR = r"(?:19|20|21)\d\d"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MM = r"(?:0[1-9]|1[0-2])"
_DD = r"(?:0[1-9]|[12]\d|3[01])"
# A date inside a path segment: 2024-05, 2024-05-17, 2024_05_17, 17.05.2024 (a separator
# is required: a bare 202405 in a path is as likely a product number).
_DATE_IN_TEXT = re.compile(
    rf"(?<!\d)(?:{_YEAR}[-_.]{_MONTH}(?:[-_.]{_DAY})?|{_DAY}[-_.]{_MONTH}[-_.]{_YEAR})(?!\d)"
)
# A date in a calendar query parameter may also be compact: 202405, 20240517.
_DATE_VALUE = re.compile(rf"(?<!\d)(?:{_YEAR}{_MM}(?:{_DD})?)(?!\d)")
_YEAR_SEGMENT = re.compile(rf"^{_YEAR}$")
_MONTH_SEGMENT = re.compile(rf"^{_MONTH}$")
_NUMBER = re.compile(r"^\d{1,7}$")
_ID = re.compile(r"^\d+$")  # a number of any length: an id or a counter
_PAGE_SEGMENT = re.compile(r"^(page|seite|pagina|strona)[-_]?(\d{1,7})$", re.IGNORECASE)
#: Query parameters that hold a date (their values are taken out of the pattern).
CALENDAR_PARAMS = frozenset(
    {"date", "day", "month", "year", "week", "cal", "calendar", "ym", "yearmonth", "d", "m", "y",
     "from", "to", "start", "end", "start_date", "end_date", "startdate", "enddate",
     "tribe-bar-date", "eventdate", "time", "when"}
)  # fmt: skip
#: Query parameters that hold a page number or offset (not ``p``: WordPress post ids).
PAGINATION_PARAMS = frozenset(
    {"page", "pg", "paged", "pagenum", "page_num", "pageno", "page_no", "pagenumber",
     "start", "offset", "skip", "from", "pn", "seite", "pagina", "strona", "sida"}
)  # fmt: skip


@dataclass(frozen=True)
class TrapLimits:
    """``max_url_length``: longest URL crawled. ``max_segment_repeats``: a path segment
    seen this many times marks a loop. ``max_per_pattern``: URLs crawled per calendar or
    pagination pattern and site (0: no limit)."""

    max_url_length: int = 2048
    max_segment_repeats: int = 3
    max_per_pattern: int = 50


def url_trap(url: str, limits: TrapLimits) -> str | None:
    """``trap-long-url`` or ``trap-repeated-path`` for a trap URL, else None."""
    if limits.max_url_length and len(url) > limits.max_url_length:
        return LONG_URL
    if limits.max_segment_repeats and repeated_segment(urlsplit(url).path, limits):
        return REPEATED_PATH
    return None


def repeated_segment(path: str, limits: TrapLimits) -> str | None:
    """A path segment that occurs ``max_segment_repeats`` times or more, if any."""
    counts = Counter(segment for segment in path.split("/") if segment)
    if not counts:
        return None
    segment, count = counts.most_common(1)[0]
    return segment if count >= limits.max_segment_repeats else None


def url_pattern(url: str) -> tuple[str, str] | None:
    """``(kind, pattern)`` for calendar and pagination URLs, else None.

    The pattern is the URL with its dates and page numbers replaced by placeholders:
    ``/events/2024-05/?view=month`` and ``/events/2031-01/?view=month`` share
    ``/events/{date}/?view=month``. Once a URL is a calendar or pagination URL, its other
    numbers (path segments and query values made of digits only) are placeholders too:
    ``/events/2024-01-17/8812`` and ``?page=9&x=9`` cannot make a pattern per URL. A blog
    post under a dated path (``/2024/05/my-post``) keeps its own slug in the pattern, so
    posts are never counted together.
    """
    parts = urlsplit(url)
    kind: str | None = None
    segments = parts.path.split("/")
    out: list[str] = []
    i = 0
    while i < len(segments):
        segment = segments[i]
        nxt = segments[i + 1] if i + 1 < len(segments) else ""
        if _YEAR_SEGMENT.match(segment) and _MONTH_SEGMENT.match(nxt):
            kind = CALENDAR  # /2024/05/ (and /2024/05/17/)
            i += 2
            if i < len(segments) and re.match(rf"^{_DAY}$", segments[i]):
                i += 1
            out.append("{date}")
            continue
        if _DATE_IN_TEXT.search(segment):
            kind = CALENDAR
            out.append(_DATE_IN_TEXT.sub("{date}", segment))
        elif _PAGE_SEGMENT.match(segment):
            kind = kind or PAGINATION
            out.append(_PAGE_SEGMENT.sub(r"\1{n}", segment))
        elif segment.lower() in ("page", "seite", "pagina", "strona") and _NUMBER.match(nxt):
            kind = kind or PAGINATION
            out += [segment, "{n}"]
            i += 1
        else:
            out.append(segment)
        i += 1
    query: list[str] = []
    for item in parts.query.split("&") if parts.query else []:
        name, _, value = item.partition("=")
        lowered = name.lower()
        is_date = bool(_DATE_IN_TEXT.search(value) or _DATE_VALUE.search(value))
        if lowered in CALENDAR_PARAMS and is_date:
            kind = CALENDAR
            query.append(f"{name}={{date}}")
        elif lowered in PAGINATION_PARAMS and _NUMBER.match(value):
            kind = kind or PAGINATION
            query.append(f"{name}={{n}}")
        elif lowered in CALENDAR_PARAMS and _NUMBER.match(value):
            kind = kind or CALENDAR  # ?year=2031, ?week=7
            query.append(f"{name}={{n}}")
        else:
            query.append(item)
    if kind is None:
        return None
    # Numbers beside a date or page number (an event id, a copy of the page number:
    # /events/2024-01-17/8812, ?page=9&x=9) would make every URL a pattern of its own.
    out = ["{n}" if _ID.match(segment) else segment for segment in out]
    query = [_numeric_value(item) for item in query]
    host = (parts.hostname or "").lower()
    pattern = f"{host}{'/'.join(out)}"
    if query:
        pattern += "?" + "&".join(sorted(query))
    return kind, pattern


def _numeric_value(item: str) -> str:
    name, sep, value = item.partition("=")
    return f"{name}={{n}}" if sep and _ID.match(value) else item


@dataclass
class PatternBudget:
    """Counts distinct URLs per (site, pattern); says which one is over the limit."""

    max_per_pattern: int
    _urls: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def admit(self, site: str, url: str) -> str | None:
        """None if ``url`` may be crawled; the trap kind when its pattern is used up."""
        if self.max_per_pattern <= 0:
            return None
        found = url_pattern(url)
        if found is None:
            return None
        kind, pattern = found
        urls = self._urls.setdefault((site, pattern), set())
        if url in urls:
            return None
        if len(urls) >= self.max_per_pattern:
            return kind
        urls.add(url)
        return None
