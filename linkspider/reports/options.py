"""What ``build_exports`` needs besides the run folder, read once from settings.

Every caller (the crawl's run report, ``linkspider export``, ``linkspider merge``) builds one
:class:`ExportOptions` and passes it on, so a new export knob is added here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linkspider.reports.sitewide import SitewideRule


@dataclass(frozen=True)
class ExportOptions:
    sitewide: SitewideRule = field(default_factory=SitewideRule)

    @classmethod
    def from_settings(cls, settings: Any) -> ExportOptions:
        """From Scrapy ``Settings`` (or anything with ``getint``/``getfloat``/``get``)."""
        return cls(
            sitewide=SitewideRule(
                min_pages=settings.getint("LINKSPIDER_SITEWIDE_MIN_PAGES", 3),
                min_share=settings.getfloat("LINKSPIDER_SITEWIDE_MIN_SHARE", 0.5),
            )
        )
