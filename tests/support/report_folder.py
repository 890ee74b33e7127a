"""Hand-made run folders for the report and disavow tests: JSON Lines in, real exports out."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from linkspider.core.items import BacklinkItem, PageItem
from linkspider.reports.exports import ExportSummary, build_exports
from linkspider.reports.options import ExportOptions


def page(host: str, n: int, indexable: bool = True) -> PageItem:
    return PageItem(url=f"https://{host}/p{n}", requested_url=f"https://{host}/p{n}", status=200,
                    host=host, domain=host, content_type="text/html", title=f"{host} {n}",
                    depth=1, parsed=True, links=5, backlinks=1, encoding="utf-8",
                    fetched_at="2026-01-01T00:00:00Z", note="", indexable=indexable)  # fmt: skip


def link(host: str, n: int, anchor: str = "Acme", category: str = "branded",
         placement: str = "content", follow: bool = True, target: str = "acme-boots.com",
         path: str = "/", **extra: Any) -> BacklinkItem:  # fmt: skip
    url = f"https://{target}{path}"
    return BacklinkItem(
        source_url=f"https://{host}/p{n}", source_host=host, source_domain=host,
        source_title=f"{host} {n}", source_status=200, target_url=url, href=url,
        target_host=target, target_domain=target, target=target, anchor_text=anchor,
        link_type="text", image_alt="", rel="" if follow else "nofollow", nofollow=not follow,
        ugc=False, sponsored=False, link_index=1, depth=1, first_seen="2026-01-01T00:00:00Z",
        last_seen="2026-01-01T00:00:00Z", placement=placement,
        in_content=placement == "content", anchor_category=category, follow=follow,
        follow_reason="follow" if follow else "rel:nofollow", **extra,
    )  # fmt: skip


def site(host: str, pages: int, **link_args: Any) -> tuple[list[PageItem], list[BacklinkItem]]:
    """A host whose every page carries the same link (sitewide once ``pages`` >= 3)."""
    return [page(host, n) for n in range(pages)], [link(host, n, **link_args) for n in range(pages)]


def make_folder(
    folder: Path,
    pages: list[PageItem],
    links: list[BacklinkItem],
    options: ExportOptions | None = None,
    run: dict[str, Any] | None = None,
) -> ExportSummary:
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in (("pages.jsonl", pages), ("backlinks.jsonl", links)):
        (folder / name).write_text("".join(json.dumps(asdict(i)) + "\n" for i in items), "utf-8")
    (folder / "errors.jsonl").write_text("", "utf-8")
    if run is not None:
        (folder / "run.json").write_text(json.dumps(run), "utf-8")
    return build_exports(folder, options or ExportOptions())
