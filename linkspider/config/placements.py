"""Placed links to verify: the ``expect`` argument (a CSV file, or CSV text for Scrapyd jobs).

Columns (header row required; names are case-insensitive; other columns are ignored):

* ``source_url`` (required): the page that should carry the link;
* ``target_url`` (required): where the link should point;
* ``anchor`` (optional): the expected anchor text (compared ignoring case and spacing);
  empty: any anchor;
* ``follow`` (optional): ``true``/``yes``/``1``/``follow``/``dofollow`` (the link must pass
  value), ``false``/``no``/``0``/``nofollow`` (it must not); empty: not checked.

The delimiter may be a comma, a semicolon (spreadsheets in many locales) or a tab. The
file is UTF-8, with or without a BOM. A URL without a scheme (``blog.com/post``) means
https, like a seed. Every row is kept, in input order, duplicates included: each gets its
own status. Any bad row stops the crawl at start with its line number (up to five are
listed), so that a weekly check never silently skips a placement.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from linkspider.config.seeds import parse_seed
from linkspider.config.sources import ConfigError, read_source
from linkspider.core.domains import registrable_domain
from linkspider.core.urls import normalise_url, split_host

REQUIRED = ("source_url", "target_url")
OPTIONAL = ("anchor", "follow")
_TRUE = frozenset({"true", "yes", "y", "1", "follow", "dofollow"})
_FALSE = frozenset({"false", "no", "n", "0", "nofollow"})
_MAX_LISTED = 5


@dataclass(frozen=True)
class ExpectedLink:
    """One expected link (one input row)."""

    row: int  # 1-based position among the data rows: the key of its status
    line: int  # line of the input file where the row starts
    source_url: str  # canonical URL to fetch
    target_url: str  # normalised expected target
    anchor: str | None = None  # None: any anchor
    follow: bool | None = None  # None: not checked
    fallback_url: str | None = None  # http URL when a scheme-less source fails over https


@dataclass(frozen=True)
class ExpectedLinks:
    links: tuple[ExpectedLink, ...]
    source: str | None = None  # the file, if any

    def source_pages(self) -> dict[str, list[ExpectedLink]]:
        """Distinct source URLs, in first-seen order, with their rows."""
        pages: dict[str, list[ExpectedLink]] = {}
        for link in self.links:
            pages.setdefault(link.source_url, []).append(link)
        return pages

    def target_sites(self) -> list[str]:
        """Registrable domains of the expected targets, in first-seen order."""
        return list(dict.fromkeys(registrable_domain(split_host(p.target_url)) for p in self.links))


def parse_follow(value: str) -> bool | None:
    """``True``/``False`` from the ``follow`` column, ``None`` when empty; ValueError if bad."""
    lowered = value.strip().lower()
    if not lowered:
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"follow must be true/false (yes/no, 1/0, dofollow/nofollow), got {value!r}")


def load_placements(spec: str) -> ExpectedLinks:
    """Parse the ``expect`` argument; raise :class:`ConfigError` naming file and line."""
    if not spec or not spec.strip():
        raise ConfigError("expect is empty: give a CSV file of source_url,target_url rows")
    text, path = read_source(spec, "expect")
    where = path or "expect"
    if path is None and "\n" not in text.strip():
        raise ConfigError(
            f"expect file not found: {spec.strip()} (give a CSV file, or CSV text with a header)"
        )
    text = text.lstrip("\ufeff")  # a BOM left in inline text
    if not text.strip():
        raise ConfigError(f"{where} is empty: it needs a header row and one row per link")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header_line = 1
    header: list[str] = []
    for header in reader:
        if any(cell.strip() for cell in header):
            header_line = reader.line_num
            break
    columns = [cell.strip().lower() for cell in header]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ConfigError(
            f"{where}:{header_line}: missing column(s) {', '.join(missing)} in the header "
            f"{header!r} (needed: source_url, target_url; optional: anchor, follow)"
        )
    index = {name: columns.index(name) for name in (*REQUIRED, *OPTIONAL) if name in columns}
    links: list[ExpectedLink] = []
    problems: list[str] = []
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        try:
            links.append(_expected_link(len(links) + 1, line, cells, index))
        except ValueError as exc:
            problems.append(f"{where}:{line}: {exc}")
    if problems:
        more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
        raise ConfigError("; ".join(problems[:_MAX_LISTED]) + more)
    if not links:
        raise ConfigError(f"{where} has a header but no rows")
    return ExpectedLinks(links=tuple(links), source=path)


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _expected_link(row: int, line: int, cells: list[str], index: dict[str, int]) -> ExpectedLink:
    def cell(name: str) -> str:
        position = index.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    source = _url(cell("source_url"), "source_url")
    target = _url(cell("target_url"), "target_url")
    anchor = cell("anchor") if "anchor" in index else ""
    follow = parse_follow(cell("follow"))
    return ExpectedLink(
        row=row,
        line=line,
        source_url=source[0],
        target_url=normalise_url(target[0]),
        anchor=anchor or None,
        follow=follow,
        fallback_url=source[1],
    )


def _url(value: str, column: str) -> tuple[str, str | None]:
    if not value:
        raise ValueError(f"{column} is empty")
    try:
        seed = parse_seed(value)
    except ConfigError as exc:
        raise ValueError(f"{column} {value!r}: {exc}") from None
    return seed.url, seed.fallback_url
