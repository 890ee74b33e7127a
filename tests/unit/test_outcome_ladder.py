"""The outcome ladder as a table: one row per rule, passed by both of its callers.

Each row is a source page's facts in one run and the verdict of the ladder; the placement
check (``placements_status.csv`` ``status``) and the monitor (``lost_reason``) must decide
the same, each in its own words for ``not-fetched`` and ``page-ok``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from linkspider.config.placements import ExpectedLink
from linkspider.extract.outcome_ladder import RULES, SourcePage, page_verdict
from linkspider.extract.placement_check import PageOutcome, check_placement
from linkspider.monitor.reasons import page_outcomes

SOURCE = "http://blog.example/post"
ELSEWHERE = "http://blog.example/moved"


@dataclass(frozen=True)
class Row:
    rule: str  # RULES[i].when
    page: SourcePage
    verdict: str
    status: str  # placements_status.csv, for an expected link that is not on the page
    lost_reason: str
    lost_detail: str


def fetched(**facts: object) -> SourcePage:
    """A parsed, indexable 200 answer at the URL itself; ``facts`` override."""
    base = dict(url=SOURCE, http_status=200, parsed=True, index_reason="indexable")
    return SourcePage(**{**base, **facts})  # type: ignore[arg-type]


TABLE = [
    Row("nothing known", SourcePage(url=SOURCE),
        "not-fetched", "not-checked", "not-crawled", ""),
    Row("robots.txt disallows", SourcePage(url=SOURCE, blocked="robots-disallowed"),
        "robots-blocked", "robots-blocked", "robots-blocked", "robots-disallowed"),
    Row("robots.txt never answered",
        SourcePage(url=SOURCE, blocked="robots-unavailable", error="connection-refused"),
        "page-error", "page-error", "page-error", "connection-refused"),
    Row("refused by the crawler's guards", SourcePage(url=SOURCE, blocked="ssrf-blocked"),
        "not-fetched", "not-checked", "not-crawled", "ssrf-blocked"),
    Row("HTTP 404 or 410", fetched(http_status=404, error="http-404", parsed=False,
                                   index_reason="http-status"),
        "page-not-found", "page-not-found", "page-not-found", "http-404"),
    Row("no answer", SourcePage(url=SOURCE, error="timeout"),
        "page-error", "page-error", "page-error", "timeout"),
    Row("an answer outside 2xx", fetched(http_status=503, error="http-503", parsed=False,
                                         index_reason="http-status"),
        "page-error", "page-error", "page-error", "http-503"),
    Row("a 2xx answer not parsed", fetched(parsed=False, index_reason="", note="not-html"),
        "page-error", "page-error", "page-error", "not-html"),
    Row("redirects to another page", SourcePage(url=SOURCE, moved_to=ELSEWHERE),
        "page-redirected", "page-redirected", "page-redirected", ELSEWHERE),
    Row("noindex", fetched(index_reason="noindex-meta"),
        "noindex", "noindex", "noindex", "noindex-meta"),
    Row("canonical elsewhere", fetched(index_reason="canonical-elsewhere", canonical=ELSEWHERE),
        "not-canonical", "not-canonical", "not-canonical", ELSEWHERE),
    Row("indexability judged on another status", fetched(index_reason="http-status"),
        "page-error", "page-error", "page-error", "http-200"),
    Row("parsed and indexable", fetched(),
        "page-ok", "link-not-found", "link-removed", ""),
]  # fmt: skip


def test_one_row_per_rule() -> None:
    assert [row.rule for row in TABLE] == [rule.when for rule in RULES]


@pytest.mark.parametrize("row", TABLE, ids=[row.rule for row in TABLE])
def test_the_ladder(row: Row) -> None:
    decided = page_verdict(row.page)
    assert (decided.rule.when, decided.verdict) == (row.rule, row.verdict)


def _outcome(page: SourcePage) -> PageOutcome | None:
    """The placement check's view of ``page``: one fetch that started at ``SOURCE``."""
    if page == SourcePage(url=SOURCE):
        return None
    if page.moved_to:
        return PageOutcome(SOURCE, page.moved_to, 200, parsed=True, index_reason="indexable")
    return PageOutcome(
        SOURCE,
        SOURCE if page.http_status else "",
        page.http_status,
        error=page.error or page.note,
        blocked=page.blocked,
        parsed=page.parsed,
        index_reason=page.index_reason,
        canonical=page.canonical,
    )


@pytest.mark.parametrize("row", TABLE, ids=[row.rule for row in TABLE])
def test_placement_check_follows_the_ladder(row: Row) -> None:
    expected = ExpectedLink(row=1, line=2, source_url=SOURCE, target_url="https://acme.test/")
    assert check_placement(expected, _outcome(row.page)).status == row.status


def _run_frames(page: SourcePage) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The monitor's view of ``page``: a run's pages, errors and blocked pages."""
    pages = pd.DataFrame(columns=["url", "requested_url", "status", "parsed", "note",
                                  "index_reason", "canonical"])  # fmt: skip
    if page.moved_to:
        pages.loc[0] = [page.moved_to, SOURCE, 200, True, "", "indexable", ""]
    elif page.http_status:
        pages.loc[0] = [SOURCE, SOURCE, page.http_status, page.parsed, page.note,
                        page.index_reason, page.canonical]  # fmt: skip
    errors = pd.DataFrame({"url": [SOURCE], "error": [page.error]}).iloc[: int(bool(page.error))]
    blocked = pd.DataFrame({"url": [SOURCE], "reason": [page.blocked]})
    blocked = blocked.iloc[: int(bool(page.blocked))]
    return pages, errors, blocked


@pytest.mark.parametrize("row", TABLE, ids=[row.rule for row in TABLE])
def test_monitor_follows_the_ladder(row: Row) -> None:
    out = page_outcomes(pd.Series([SOURCE]), *_run_frames(row.page))
    assert out.to_dict("records") == [
        {"source_url": SOURCE, "lost_reason": row.lost_reason, "lost_detail": row.lost_detail}
    ]
