"""A cheap test on raw hrefs: which link elements could point at a target?

Resolving an href (WHATWG parse, host, registrable domain) costs more than parsing its
share of the page, and most links of a page are internal or go to other sites. So
``backlink_rows`` first runs one regular expression over each href as written and
resolves only the hrefs it finds something in. It must never drop a link that resolves to
a target (the rows are the same with and without it, ``tests/unit/test_href_filter.py``), so
it lets through every href whose host it cannot read off the text:

* an href made only of printable ASCII without ``%`` before its query or fragment has, once
  resolved, either the base URL's host (a relative href) or a host that is a lower-cased
  piece of the href itself (``HTTP://WWW.Acme.COM``, ``//acme.com``, ``https:\\\\acme.com``
  with backslashes): the URL parser only lower-cases ASCII host names;
* anything else (non-ASCII or IDN hosts, percent-encoding, whitespace, tabs and newlines,
  which the parser removes) is always a candidate.

With targets, a candidate contains a target domain (punycode, any case); the filter is
off when the base URL's own host is a target (relative hrefs would point at it) and for
targets that look like IPv4 addresses (``0x7f.1`` is ``127.0.0.1``). In ``*`` mode every
href with a scheme or starting with two slashes is a candidate; relative hrefs are not when
the base URL is on the page's own site (they are internal links).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add

#: The longest start of an href made of characters the parser keeps as they are
#: (printable ASCII but ``%``); an href is *plain* when it reaches ``?``, ``#`` or the end.
_PLAIN_RUN = re.compile(r"[!-$&-~]*")
#: Characters that make an href not plain (if they come before ``?`` or ``#``).
_NOT_PLAIN = re.compile(r"[^\x00!-$&-~]")
#: hrefs that can leave the base URL's host: a scheme, or a network-path reference.
_LEAVES_BASE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:|[/\\][/\\]")
#: Joins a page's hrefs: the HTML parser turns NUL into U+FFFD, so no href holds one.
_SEPARATOR = "\x00"


def is_plain(href: str) -> bool:
    """True if the parser can only lower-case the href's host (nothing decoded or removed)."""
    end = _PLAIN_RUN.match(href).end()  # type: ignore[union-attr]  # always matches
    return end == len(href) or href[end] in "?#"


def _ends_in_number(domain: str) -> bool:
    last = domain.rstrip(".").rsplit(".", 1)[-1]
    if last.isdigit():
        return True
    digits = last[2:]
    return last[:2] == "0x" and all(ch in "0123456789abcdef" for ch in digits)


class HrefFilter:
    """Which hrefs may resolve to a wanted link: to one of ``needles`` (target domains),
    or, with no needles (``*`` mode), to another host than the base URL's."""

    def __init__(self, needles: tuple[str, ...] | None) -> None:
        self.needles = needles

    def __call__(self, href: str) -> bool:
        """The rule for one href (:meth:`candidates` applies it to a whole page at once)."""
        if not is_plain(href):
            return True
        if self.needles is None:
            return _LEAVES_BASE.match(href) is not None
        lowered = href.lower()
        return any(needle in lowered for needle in self.needles)

    def candidates(self, hrefs: Sequence[str]) -> list[int]:
        """Indices of the hrefs that pass, in order.

        With needles, the page's hrefs are searched as one string (a few C-level scans
        instead of Python work per href); only hrefs holding a character that is not plain
        are looked at one by one.
        """
        if self.needles is None:
            return [index for index, href in enumerate(hrefs) if self(href)]
        joined = _SEPARATOR.join(hrefs)
        lowered = joined.lower()
        if len(lowered) != len(joined):  # a letter lower-cased to two ("İ"): positions move
            return [index for index, href in enumerate(hrefs) if self(href)]
        starts = list(accumulate(map(add, map(len, hrefs), repeat(1)), initial=0))
        found: set[int] = set()
        checked: set[int] = set()
        for match in _NOT_PLAIN.finditer(joined):
            index = bisect_right(starts, match.start()) - 1
            if index not in checked:
                checked.add(index)
                if not is_plain(hrefs[index]):
                    found.add(index)
        for needle in self.needles:
            position = lowered.find(needle)
            while position != -1:
                found.add(bisect_right(starts, position) - 1)
                position = lowered.find(needle, position + 1)
        return sorted(found)


@lru_cache(maxsize=256)
def target_filter(domains: tuple[str, ...]) -> HrefFilter | None:
    """Candidates for links to ``domains`` (canonical host names); None: no safe filter."""
    if not domains or any(_ends_in_number(domain) for domain in domains):
        return None
    return HrefFilter(tuple(sorted(set(domains), key=len)))


#: ``*`` mode: every href but plain relative ones (they stay on the base host).
EXTERNAL_FILTER = HrefFilter(None)
