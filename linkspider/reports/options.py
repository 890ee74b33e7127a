"""What ``build_exports`` needs besides the run folder, read once from settings.

Every caller (the crawl's run report, ``linkspider export``, ``linkspider merge``) builds one
:class:`ExportOptions` and passes it on, so a new export knob is added here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkspider.reports.sitewide import SitewideRule


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

    @classmethod
    def from_settings(cls, settings: Any) -> ExportOptions:
        """From Scrapy ``Settings`` (or anything with ``getint``/``getfloat``/``get``)."""
        return cls(
            sitewide=SitewideRule(
                min_pages=settings.getint("LINKSPIDER_SITEWIDE_MIN_PAGES", 3),
                min_share=settings.getfloat("LINKSPIDER_SITEWIDE_MIN_SHARE", 0.5),
            ),
            history=settings.getbool("LINKSPIDER_HISTORY", True),
            history_dir=_history_dir(settings),
            history_lock_timeout=settings.getfloat("LINKSPIDER_HISTORY_LOCK_TIMEOUT", 60.0),
        )


def _history_dir(settings: Any) -> Path | None:
    folder = settings.get("LINKSPIDER_HISTORY_DIR")
    return Path(folder).absolute() if folder else None
