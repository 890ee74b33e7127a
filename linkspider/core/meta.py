"""Every request meta key linkspider sets or reads, defined once.

Each is ``linkspider_*``: the crawl journal keeps a request's ``linkspider_*`` keys (with
JSON-native values) when it schedules the request again after a resume.
:func:`rendered_dom` reads the one structured value that several components read (the
spider and the WARC recorder), so none of them imports the render middleware for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The prefix of every key below.
META_PREFIX = "linkspider_"

# -- set by the spider ------------------------------------------------------------------
#: The seed site a page request belongs to (the page budget's key); only page requests
#: carry it (not robots.txt fetches, target checks...).
META_SITE = "linkspider_site"
#: The http URL to try when a bare-domain https seed cannot be reached.
META_FALLBACK = "linkspider_fallback"
#: True on seed requests.
META_SEED = "linkspider_seed"
#: With ``-a expect``: the source URL whose placements a response is checked for.
META_EXPECT = "linkspider_expect"
#: With ``-a discover``: ``[url, fallback]`` of the candidate's ``www.`` seed, tried when
#: its seed (the graph's name, ``www.`` stripped) cannot be reached.
META_ALTERNATE = "linkspider_alternate"

# -- the page budget ----------------------------------------------------------------------
#: The request took a page of its site's budget (a retry or a resumed request does not).
META_BUDGETED = "linkspider_budgeted"

# -- robots.txt -----------------------------------------------------------------------------
#: A robots.txt request (guarded by the SSRF guard, never listed as a blocked page).
META_ROBOTS_FETCH = "linkspider_robots_fetch"
#: Set on a page request released after waiting for its robots.txt.
META_ROBOTS_HELD = "linkspider_robots_held"
#: A held request's own ``dont_filter``.
META_ROBOTS_DONT_FILTER = "linkspider_robots_dont_filter"
#: Bytes of a robots.txt body received so far.
META_ROBOTS_BYTES = "linkspider_robots_bytes"
#: A robots.txt response before it was unpacked.
META_ROBOTS_RAW = "linkspider_robots_raw"

# -- downloads ------------------------------------------------------------------------------
#: Bytes of a body received so far (the body size limit).
META_BYTES_RECEIVED = "linkspider_bytes_received"
#: On a target check request (``-a check_targets``).
META_TARGET_CHECK = "linkspider_target_check"

# -- rendering ------------------------------------------------------------------------------
#: The raw response (url, status, headers: lower-case name -> values, body), on the
#: request that takes a fetched page to the browser.
META_RENDER_RAW = "linkspider_render_raw"
#: Set when the browser was served the raw HTML.
META_RENDER_SERVED_RAW = "linkspider_render_served_raw"
#: Why a page is rendered, or why rendering failed.
META_RENDER_REASON = "linkspider_render_reason"
#: The rendered DOM, on the response to the spider.
META_RENDERED_DOM = "linkspider_rendered_dom"

# -- WARC recording ---------------------------------------------------------------------------
#: The response record's WARC-Record-ID.
META_WARC_RECORD = "linkspider_warc_record"
#: When the response's headers arrived.
META_WARC_STARTED = "linkspider_warc_started"


def rendered_dom(meta: Mapping[str, Any]) -> tuple[bytes, str, str] | None:
    """``(body, url, content_type)`` of the rendered DOM in a response's meta, or None."""
    dom = meta.get(META_RENDERED_DOM)
    if not dom:
        return None
    return dom["body"], dom["url"], dom["content_type"]
