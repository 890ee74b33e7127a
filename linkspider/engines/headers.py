"""Column headers of the spreadsheet-facing exports: linkspider's names or familiar ones.

``LINKSPIDER_EXPORT_HEADERS=ahrefs`` writes the headers SEO tools use ("Referring page URL",
"Anchor", "Nofollow", "First seen", "Lost reason"...) in the spreadsheet-facing CSV files
and in ``backlinks.xlsx``; a column without a familiar name gets its own name in sentence
case ("source_index_reason" -> "Source index reason"). Every familiar header maps back to
exactly one column of its file (:func:`column_names`), so linkspider reads either spelling.

Spreadsheet-facing files are the link tables people open (:data:`SPREADSHEET_FILES`);
the crawl records linkspider reads back itself (``pages.csv``, ``errors.csv``,
``blocked_pages.csv``), JSON Lines, Parquet and Scrapy feeds keep their names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

HeaderStyle = Literal["linkspider", "ahrefs"]
STYLES: tuple[HeaderStyle, ...] = ("linkspider", "ahrefs")

#: The CSV files written for people (a UTF-8 BOM with LINKSPIDER_CSV_BOM, familiar headers
#: with LINKSPIDER_EXPORT_HEADERS=ahrefs).
SPREADSHEET_FILES = (
    "backlinks.csv",
    "referring_domains.csv",
    "anchors.csv",
    "anchor_categories.csv",
    "target_pages.csv",
    "target_page_groups.csv",
    "target_folders.csv",
    "linked_domains.csv",
    "new_links.csv",
    "lost_links.csv",
    "changed_links.csv",
    "placements_status.csv",
    "broken_backlinks.csv",
)

#: Familiar names, as in Ahrefs' exports where it has the column.
FAMILIAR = {
    "source_url": "Referring page URL",
    "source_title": "Referring page title",
    "source_status": "Referring page HTTP code",
    "source_host": "Referring host",
    "source_domain": "Referring domain",
    "source_lang": "Language",
    "source_canonical": "Referring page canonical",
    "source_indexable": "Referring page indexable",
    "source_index_reason": "Referring page index reason",
    "source_redirects": "Referring page redirects",
    "target_url": "Target URL",
    "old_target_url": "Old target URL",
    "target_final_url": "Target final URL",
    "target_status": "Target HTTP code",
    "anchor_text": "Anchor",
    "anchor": "Anchor",
    "old_anchor": "Old anchor",
    "top_anchor": "Top anchor",
    "link_type": "Type",
    "nofollow": "Nofollow",
    "ugc": "UGC",
    "sponsored": "Sponsored",
    "in_content": "Content",
    "context_before": "Left context",
    "context_after": "Right context",
    "first_seen": "First seen",
    "last_seen": "Last seen",
    "lost_reason": "Lost reason",
    "lost_detail": "Lost detail",
    "lost": "Lost",
    "links_in_group": "Links in group",
    "referring_domains": "Referring domains",
    "linking_pages": "Referring pages",
    "backlinks": "Backlinks",
    "url": "URL",
    "url_group": "URL group",
    "tld": "TLD",
    "xpath": "XPath",
}

#: Where a column means something else in a file: counts in the aggregates, not flags.
_AGGREGATE = {"dofollow": "Dofollow links", "nofollow": "Nofollow links"}
_DOMAINS = {
    **_AGGREGATE, "source_domain": "Domain", "backlinks": "Links to target", "language": "Language",
}  # fmt: skip
FILE_FAMILIAR: dict[str, dict[str, str]] = {
    "referring_domains.csv": _DOMAINS,
    "anchors.csv": _AGGREGATE,
    "anchor_categories.csv": _AGGREGATE,
    "target_pages.csv": _AGGREGATE,
    "target_page_groups.csv": _AGGREGATE,
    "target_folders.csv": _AGGREGATE,
    "linked_domains.csv": _AGGREGATE,
}


@dataclass(frozen=True)
class SpreadsheetOptions:
    """What the files for people look like. Crawls and the CLI read the settings
    (``from_settings``: xlsx and BOM on); a bare ``SpreadsheetOptions()`` writes neither."""

    #: ``LINKSPIDER_XLSX``: write ``backlinks.xlsx``.
    xlsx: bool = False
    #: ``LINKSPIDER_CSV_BOM``: a UTF-8 byte order mark at the start of the spreadsheet-facing
    #: CSV files (Excel then reads them as UTF-8).
    csv_bom: bool = False
    #: ``LINKSPIDER_EXPORT_HEADERS``: ``linkspider`` (column names) or ``ahrefs``.
    headers: HeaderStyle = "linkspider"

    @classmethod
    def from_settings(cls, settings: Any) -> SpreadsheetOptions:
        """From Scrapy ``Settings``; a bad header style stops at once, naming the setting."""
        return cls(
            xlsx=settings.getbool("LINKSPIDER_XLSX", True),
            csv_bom=settings.getbool("LINKSPIDER_CSV_BOM", True),
            headers=header_style(settings.get("LINKSPIDER_EXPORT_HEADERS")),
        )


def header_style(value: object) -> HeaderStyle:
    """``LINKSPIDER_EXPORT_HEADERS``: ``linkspider`` (unset) or ``ahrefs``."""
    text = str(value or "linkspider").strip().lower()
    for style in STYLES:
        if text == style:
            return style
    raise ValueError(f"LINKSPIDER_EXPORT_HEADERS must be linkspider or ahrefs, got {value!r}")


def header(file: str, column: str, style: HeaderStyle) -> str:
    """The header of ``column`` in ``file`` (a file name such as ``backlinks.csv``).

    A column without a familiar name is in sentence case, unless that would read as
    another column's familiar name (a ``language`` column where ``source_lang`` is
    "Language"): then its own name, so every header names one column.
    """
    if style == "linkspider":
        return column
    named = FILE_FAMILIAR.get(file, {}).get(column) or FAMILIAR.get(column)
    if named:
        return named
    sentence = _sentence(column)
    return sentence if _familiar_column(file, sentence) in (None, column) else column


def headers(file: str, columns: Sequence[str], style: HeaderStyle) -> list[str]:
    """The headers of ``columns`` in ``file``; two columns that would share one get their
    own names (familiar names are never lower case, so those read back unchanged)."""
    named = [header(file, column, style) for column in columns]
    counts = Counter(named)
    return [
        text if counts[text] == 1 else column for text, column in zip(named, columns, strict=True)
    ]


def column_names(file: str, texts: Sequence[str]) -> list[str]:
    """The columns a header line of ``file`` names, in either style (a BOM is ignored)."""
    found = []
    for index, text in enumerate(texts):
        text = text.lstrip("\ufeff") if index == 0 else text
        found.append(_familiar_column(file, text) or _snake(text))
    return found


def _familiar_column(file: str, text: str) -> str | None:
    """The column whose familiar name in ``file`` is ``text``, if any."""
    for column, named in FILE_FAMILIAR.get(file, {}).items():
        if named == text:
            return column
    if text == "Anchor":  # anchor_text in the backlink tables, anchor in the others
        return "anchor_text" if file in _ANCHOR_TEXT_FILES else "anchor"
    for column, named in FAMILIAR.items():
        if named == text and column not in FILE_FAMILIAR.get(file, {}):
            return column
    return None


def _sentence(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _snake(text: str) -> str:
    """A header in sentence case back to its column name (a column name stays as it is)."""
    if " " in text or text[:1].isupper():
        return text.replace(" ", "_").lower()
    return text


_ANCHOR_TEXT_FILES = {"backlinks.csv", "broken_backlinks.csv", "placements_status.csv"}
