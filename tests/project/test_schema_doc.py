"""docs/schema.md documents every exported column, in the order they are written."""

from __future__ import annotations

import re

import pytest

from linkspider.core.items import BACKLINK_COLUMNS, ERROR_COLUMNS, PAGE_COLUMNS
from linkspider.reports.authority import AUTHORITY_COLUMNS
from tests.support.paths import ROOT

DOC = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")


def documented(section: str) -> list[str]:
    body = DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("section", "columns"),
    [
        ("backlinks", BACKLINK_COLUMNS + AUTHORITY_COLUMNS),  # the exports add the authority
        ("pages", PAGE_COLUMNS),
        ("errors", ERROR_COLUMNS),
    ],
)
def test_every_column_documented_in_order(section: str, columns: tuple[str, ...]) -> None:
    assert documented(section) == list(columns)
