"""The item classes under their first import path, which ``FEEDS`` settings name
(``"item_classes": ["linkspider.items.PageItem"]``); they live in :mod:`linkspider.core.items`."""

from __future__ import annotations

from linkspider.core.items import BacklinkItem, ErrorItem, PageItem

__all__ = ["BacklinkItem", "ErrorItem", "PageItem"]
