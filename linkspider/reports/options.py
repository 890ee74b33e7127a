"""What ``build_exports`` needs besides the run folder, read once from settings.

Light on purpose: the crawl reads these options when it starts, and the table libraries
(pyarrow, DuckDB, pandas) are only imported when the exports are built.

Every caller (the crawl's run report, ``linkspider export``, ``linkspider merge``) builds one
:class:`ExportOptions` and passes it on, so a new export knob is added here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkspider.engines.headers import SpreadsheetOptions
from linkspider.reports.disavow import DisavowRules
from linkspider.reports.risk import ReportRules


@dataclass(frozen=True)
class SitewideRule:
    """``LINKSPIDER_SITEWIDE_MIN_PAGES`` / ``LINKSPIDER_SITEWIDE_MIN_SHARE``
    (:mod:`linkspider.reports.sitewide`); bad values stop at once with a message naming the
    setting."""

    min_pages: int = 3
    min_share: float = 0.5

    def __post_init__(self) -> None:
        if self.min_pages < 1:
            raise ValueError(
                f"LINKSPIDER_SITEWIDE_MIN_PAGES must be at least 1, got {self.min_pages!r}"
            )
        if not 0 < self.min_share <= 1:
            raise ValueError(
                f"LINKSPIDER_SITEWIDE_MIN_SHARE must be in (0, 1], got {self.min_share!r}"
            )


@dataclass(frozen=True)
class ExportOptions:
    sitewide: SitewideRule = field(default_factory=SitewideRule)
    #: Keep the link history and write new/lost/changed links (``linkspider.monitor``):
    #: on for crawls and the CLI (``LINKSPIDER_HISTORY``), off for bare ``ExportOptions()``.
    history: bool = False
    #: The history's folder (``LINKSPIDER_HISTORY_DIR``); None: ``history/`` next to the
    #: run folder (``output/history`` for default run folders).
    history_dir: Path | None = None
    history_lock_timeout: float = 60.0
    #: report.html warning thresholds and disavow_candidates.txt rules (LINKSPIDER_REPORT_*,
    #: LINKSPIDER_DISAVOW_*); bad values stop at once with a message naming the rule.
    report: ReportRules = field(default_factory=ReportRules)
    disavow: DisavowRules = field(default_factory=DisavowRules)
    #: backlinks.xlsx, the CSV files' BOM and header names (LINKSPIDER_XLSX,
    #: LINKSPIDER_CSV_BOM, LINKSPIDER_EXPORT_HEADERS); none of it for bare ExportOptions().
    spreadsheet: SpreadsheetOptions = field(default_factory=SpreadsheetOptions)
    #: Open authority (``LINKSPIDER_AUTHORITY_RELEASE``): a Common Crawl web-graph release
    #: name or folder; '' uses the release of ``-a discover``, if any (reports.authority).
    authority_release: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> ExportOptions:
        """From Scrapy ``Settings`` (or anything with ``getint``/``getfloat``/``get``)."""
        return cls(
            spreadsheet=SpreadsheetOptions.from_settings(settings),
            sitewide=SitewideRule(
                min_pages=settings.getint("LINKSPIDER_SITEWIDE_MIN_PAGES", 3),
                min_share=settings.getfloat("LINKSPIDER_SITEWIDE_MIN_SHARE", 0.5),
            ),
            history=settings.getbool("LINKSPIDER_HISTORY", True),
            history_dir=_history_dir(settings),
            history_lock_timeout=settings.getfloat("LINKSPIDER_HISTORY_LOCK_TIMEOUT", 60.0),
            report=ReportRules(
                exact_share=settings.getfloat("LINKSPIDER_REPORT_EXACT_SHARE", 0.10),
                domain_share=settings.getfloat("LINKSPIDER_REPORT_DOMAIN_SHARE", 0.25),
                nonindexable_share=settings.getfloat("LINKSPIDER_REPORT_NONINDEXABLE_SHARE", 0.20),
                money_categories=_names(settings.get("LINKSPIDER_REPORT_MONEY_ANCHORS")),
                top_n=settings.getint("LINKSPIDER_REPORT_TOP_N", 25),
            ),
            disavow=DisavowRules(
                min_links=settings.getint("LINKSPIDER_DISAVOW_MIN_LINKS", 3),
                min_share=settings.getfloat("LINKSPIDER_DISAVOW_MIN_SHARE", 1.0),
                keep_rank=settings.getint("LINKSPIDER_DISAVOW_KEEP_RANK", 10_000),
            ),
            authority_release=_release(settings.get("LINKSPIDER_AUTHORITY_RELEASE")),
        )


def _names(value: Any, default: tuple[str, ...] = ("exact", "compound")) -> tuple[str, ...]:
    """A comma-separated text or a list of names; unset: ``default``."""
    if value is None or value == "":
        return default
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(item).strip().lower() for item in items if str(item).strip())


def _history_dir(settings: Any) -> Path | None:
    folder = settings.get("LINKSPIDER_HISTORY_DIR")
    return Path(folder).absolute() if folder else None


def _release(value: Any) -> str:
    text = str(value or "").strip()
    if text:
        # Imported here: authority_source needs pyarrow, which a crawl loads only for its
        # exports (these options are read when the crawl starts).
        from linkspider.reports.authority_source import check_release_setting

        check_release_setting(text)  # a folder that holds no release stops at once
    return text
