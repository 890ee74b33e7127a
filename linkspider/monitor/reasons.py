"""Why a link that counted before does not count now: ``lost_reason``, from the new run's
view of the link's source page.

The precedence is the outcome ladder's (:mod:`linkspider.extract.outcome_ladder`, shared
with the placement check), first match wins: ``not-crawled`` (nothing known, or refused by
the crawler's own guards: SSRF, trap rules), ``robots-blocked`` (robots.txt disallows),
``page-error`` (robots.txt never answered), ``page-not-found`` (404, 410), ``page-error``
(no answer, an answer outside 2xx, a 2xx answer that is not HTML), ``page-redirected``,
``noindex``, ``not-canonical``, else ``link-removed`` (fetched, indexable, the link is not
on it). ``not-crawled`` is **not a claimed loss** (``lost`` is false) and the link stays
active in the history. ``lost_detail`` is the evidence (``http-404``, the error, the block
reason, the redirect or canonical target, ``truncated``...).

The pages, errors and blocked pages are joined per source URL on whole frames; the ladder
is then applied once per source URL (not per link).
"""

from __future__ import annotations

import pandas as pd

from linkspider.extract.outcome_ladder import (
    NOINDEX,
    NOT_CANONICAL,
    NOT_FETCHED,
    PAGE_ERROR,
    PAGE_NOT_FOUND,
    PAGE_OK,
    PAGE_REDIRECTED,
    ROBOTS_BLOCKED,
    SourcePage,
    page_verdict,
)

LINK_REMOVED = "link-removed"
NOT_CRAWLED = "not-crawled"
LOST_REASONS = (
    LINK_REMOVED, NOINDEX, NOT_CANONICAL, PAGE_NOT_FOUND, PAGE_ERROR, PAGE_REDIRECTED,
    ROBOTS_BLOCKED, NOT_CRAWLED,
)  # fmt: skip
#: The verdicts of the outcome ladder that lost reasons name otherwise.
_REASON_OF = {NOT_FETCHED: NOT_CRAWLED, PAGE_OK: LINK_REMOVED}


def _one_per(frame: pd.DataFrame, key: str, prefix: str) -> pd.DataFrame:
    """The first row per ``key`` value, columns renamed ``prefix + name``."""
    frame = frame.drop_duplicates(key, keep="first")
    return frame.rename(columns={c: prefix + c for c in frame.columns if c != key})


def page_outcomes(
    urls: pd.Series, pages: pd.DataFrame, errors: pd.DataFrame, blocked: pd.DataFrame
) -> pd.DataFrame:
    """Per source URL: ``lost_reason`` and ``lost_detail`` from a run's pages, errors and
    blocked pages (frames as read by :mod:`linkspider.monitor.runs`)."""
    out = pd.DataFrame({"source_url": pd.unique(urls)})
    wanted = out["source_url"]
    # The fetch that ended at the URL itself; a 2xx answer first when there are several.
    fetched = pages[pages["url"].isin(wanted)].copy()
    fetched["_ok"] = fetched["status"].between(200, 299)
    fetched = fetched.sort_values("_ok", ascending=False, kind="stable")
    fetched = _one_per(fetched.rename(columns={"url": "source_url"}), "source_url", "f_")
    # Requests of the URL that ended somewhere else: it redirects now.
    moved = pages[pages["requested_url"].isin(wanted) & (pages["url"] != pages["requested_url"])]
    moved = _one_per(
        moved[["requested_url", "url"]].rename(columns={"requested_url": "source_url"}),
        "source_url",
        "r_",
    )
    failed = errors[errors["url"].isin(wanted)][["url", "error"]]
    failed = _one_per(failed.rename(columns={"url": "source_url"}), "source_url", "e_")
    refused = blocked[blocked["url"].isin(wanted)][["url", "reason"]]
    refused = _one_per(refused.rename(columns={"url": "source_url"}), "source_url", "b_")
    for part in (fetched, moved, failed, refused):
        out = out.merge(part, on="source_url", how="left")

    pages_seen = [
        _source_page(*row)
        for row in zip(
            out["source_url"], out["f_status"], out["f_parsed"], out["f_index_reason"],
            out["f_canonical"], out["f_note"], out["e_error"], out["b_reason"], out["r_url"],
            strict=True,
        )
    ]  # fmt: skip
    verdicts = [page_verdict(page) for page in pages_seen]
    out["lost_reason"] = [_REASON_OF.get(v.verdict, v.verdict) for v in verdicts]
    out["lost_detail"] = [v.detail for v in verdicts]
    return out[["source_url", "lost_reason", "lost_detail"]]


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]


def _source_page(
    url: str,
    status: object,
    parsed: object,
    index_reason: object,
    canonical: object,
    note: object,
    error: object,
    block: object,
    moved_to: object,
) -> SourcePage:
    """The ladder's facts of one source URL; a fetch at the URL itself wins over where the
    URL redirects (the links of a redirected URL are keyed by the URL it leads to)."""
    fetched = status is not None and not pd.isna(status)  # type: ignore[call-overload]
    return SourcePage(
        url=url,
        http_status=int(status) if fetched else 0,  # type: ignore[call-overload]
        error=_text(error),
        blocked=_text(block),
        parsed=bool(parsed) if fetched else False,
        moved_to="" if fetched else _text(moved_to),
        index_reason=_text(index_reason) if fetched else "",
        canonical=_text(canonical) if fetched else "",
        note=_text(note) if fetched else "",
    )
