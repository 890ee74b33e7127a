"""Why a link that counted before does not count now: ``lost_reason``, from the new run's
view of the link's source page, decided in this order (first match wins):

==================  =====================================================================
``link-removed``    the page was fetched (2xx) and is indexable, but the link is not on it
                    (also: the page is no longer HTML; ``lost_detail`` says ``not-html``)
``noindex``         fetched, but noindex (meta robots or ``X-Robots-Tag``): its links no
                    longer count, present or not
``not-canonical``   fetched, but its canonical URL points elsewhere
``page-not-found``  the page answers 404 or 410
``page-error``      another HTTP error (5xx, 403...), a network error (DNS, timeout,
                    refused, TLS...), or its robots.txt never answered
``page-redirected`` the page now redirects to another URL (``lost_detail``: where)
``robots-blocked``  robots.txt now disallows the page
``not-crawled``     the page was not fetched in this run (outside its budget, depth or
                    seeds; or refused as a trap / by the SSRF guard): **not a claimed
                    loss** (``lost`` is false) and the link stays active in the history
==================  =====================================================================

Everything is computed on whole frames (joins and ``numpy.select``), never row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LINK_REMOVED = "link-removed"
NOINDEX = "noindex"
NOT_CANONICAL = "not-canonical"
PAGE_NOT_FOUND = "page-not-found"
PAGE_ERROR = "page-error"
PAGE_REDIRECTED = "page-redirected"
ROBOTS_BLOCKED = "robots-blocked"
NOT_CRAWLED = "not-crawled"
LOST_REASONS = (
    LINK_REMOVED, NOINDEX, NOT_CANONICAL, PAGE_NOT_FOUND, PAGE_ERROR, PAGE_REDIRECTED,
    ROBOTS_BLOCKED, NOT_CRAWLED,
)  # fmt: skip
_GONE_STATUSES = (404, 410)
_GONE_ERRORS = ("http-404", "http-410")


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

    status = out["f_status"].fillna(0).astype("int64")
    was_fetched = out["f_status"].notna()
    ok = was_fetched & status.between(200, 299)
    parsed = out["f_parsed"].fillna(False).astype(bool)
    index_reason = out["f_index_reason"].fillna("").astype(str)
    error = out["e_error"].fillna("").astype(str)
    block = out["b_reason"].fillna("").astype(str)
    status_text = "http-" + status.astype(str)
    conditions = [
        ok & ~parsed,
        ok & index_reason.str.startswith("noindex"),
        ok & (index_reason == "canonical-elsewhere"),
        ok & (index_reason == "http-status"),
        ok,
        was_fetched & status.isin(_GONE_STATUSES),
        was_fetched,
        error.isin(_GONE_ERRORS),
        error != "",
        out["r_url"].notna(),
        block == "robots-disallowed",
        block == "robots-unavailable",
        block != "",
    ]
    choices = [
        (LINK_REMOVED, out["f_note"].fillna("")),
        (NOINDEX, index_reason),
        (NOT_CANONICAL, out["f_canonical"].fillna("")),
        (PAGE_ERROR, status_text),
        (LINK_REMOVED, out["f_note"].fillna("")),  # "truncated": only the start was parsed
        (PAGE_NOT_FOUND, status_text),
        (PAGE_ERROR, status_text),
        (PAGE_NOT_FOUND, error),
        (PAGE_ERROR, error),
        (PAGE_REDIRECTED, out["r_url"].fillna("")),
        (ROBOTS_BLOCKED, block),
        (PAGE_ERROR, block),
        (NOT_CRAWLED, block),
    ]
    out["lost_reason"] = np.select(conditions, [c[0] for c in choices], default=NOT_CRAWLED)
    out["lost_detail"] = np.select(conditions, [c[1] for c in choices], default="")
    return out[["source_url", "lost_reason", "lost_detail"]]
