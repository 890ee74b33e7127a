"""One CSV cell made safe for a spreadsheet (CSV injection), without the table libraries.

Anchors, titles and context come from pages anyone can write: ``=HYPERLINK(...)``,
``+SUM(1,2)`` or ``=cmd|' /C calc'!A0`` in a CSV cell runs as a formula in Excel, LibreOffice
or Google Sheets. As OWASP recommends, a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a single quote ``'`` in front. The crawl's feed
exporter uses this per cell; :mod:`linkspider.engines.spreadsheet` applies the same rule to
whole Arrow columns and pandas frames (and is imported only when exports are built).
"""

from __future__ import annotations

from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_text(value: str) -> str:
    """``value``, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def safe_cell(value: Any) -> Any:
    """:func:`safe_text` for text; any other value as it is."""
    return safe_text(value) if isinstance(value, str) else value


def raw_text(value: str) -> str:
    """The text :func:`safe_text` was given: its ``'`` in front of a formula start removed."""
    if value.startswith(QUOTE) and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def csv_cell(value: Any) -> Any:
    """A value as the CSV exports write it: booleans ``true``/``false``, None empty, text
    that would run as a formula in a spreadsheet quoted (:func:`safe_cell`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else safe_cell(value)
