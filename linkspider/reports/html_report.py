"""``report.html`` and ``disavow_candidates.txt``: the last step of every export.

The report is one self-contained HTML file: inline CSS, inline SVG charts drawn here, one
small inline script that makes tables sortable and filterable (:mod:`html_table`; the
tables are complete without it), no font, image or stylesheet fetched at view time. It
reads well on a laptop and a phone (wide tables scroll inside their box, with a hint;
detail tables are collapsed) and prints. This module computes what each section shows
(view models); the markup is in Jinja2 templates (``templates/report.html.j2`` and
``templates/sections/``) rendered with autoescape, so every string from the web (anchors,
titles, URLs) is escaped in text and attributes alike; only http(s) URLs become links.

It is built from the files of the run folder (see :mod:`linkspider.reports.report_data`),
so ``linkspider export DIR`` rebuilds it, and it holds top rows only: its size does not grow
with the backlink table. Sections for the monitoring and verification files (new, lost and
changed links, placement status, broken backlinks) appear when those files exist.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from linkspider.reports import disavow, svg
from linkspider.reports.authority_source import read_authority_info
from linkspider.reports.html_table import (
    SCRIPT,
    SCRIPT_SOURCE,
    TABLE_CSS,
    Column,
    Render,
    TableView,
    asset,
    num,
    render,
    table_view,
    text,
)
from linkspider.reports.html_table import anchor_cell as _anchor
from linkspider.reports.html_table import as_int as _int
from linkspider.reports.html_table import chart as chart_markup
from linkspider.reports.html_table import fmt_num as _num
from linkspider.reports.html_table import pct as _pct
from linkspider.reports.html_table import share as _share
from linkspider.reports.html_table import url_cell as _url
from linkspider.reports.html_table import yes_no as _bool
from linkspider.reports.options import ExportOptions
from linkspider.reports.report_audit import (
    domain_mix_block,
    linked_domains_section,
    position_block,
    target_groups_block,
)
from linkspider.reports.report_authority import (
    authority_block,
    candidates_section,
    domain_ranks,
    rank_column,
)
from linkspider.reports.report_data import (
    LinkSummary,
    Row,
    column_sum,
    count_by,
    count_true,
    csv_batches,
    csv_columns,
    read_run_info,
    risk_input,
    summarise_links,
    top_rows,
)
from linkspider.reports.report_trends import trends_section
from linkspider.reports.risk import CHROME_PLACEMENTS, RiskWarning, display_domain, evaluate

logger = logging.getLogger(__name__)

REPORT_FILE = "report.html"
CHART_ROWS = 10
FOLLOW_COLOURS = ("#0072B2", "#E69F00")  # followed, not followed
PLACE_COLOURS = {"content": "#009E73", **dict.fromkeys(CHROME_PLACEMENTS, "#7F7F7F")}

#: Optional files written by the monitoring and verification steps:
#: (file, title, column counted, preferred columns for the sample rows, what it is).
OPTIONAL_SECTIONS = (
    ("new_links.csv", "New links", "source_domain",
     ["source_url", "target_url", "anchor", "follow", "placement", "first_seen"],
     "Links found in this crawl that the previous crawl of the same targets did not have."),
    ("lost_links.csv", "Lost links", "lost_reason",
     ["source_url", "target_url", "anchor", "lost_reason", "lost_detail", "last_seen"],
     "Links the previous crawl had that this crawl did not find, with the reason."),
    ("changed_links.csv", "Changed links", "change",
     ["source_url", "target_url", "anchor", "change", "old_value", "new_value"],
     "Links found in both crawls whose anchor, target or follow verdict changed."),
    ("placements_status.csv", "Placed links", "status",
     ["source_url", "target_url", "expected_anchor", "status", "found_anchor", "http_status",
      "error", "note"],
     "Each link you expect (-a expect=...), checked on its page."),
    ("broken_backlinks.csv", "Broken backlinks", "target_status",
     ["source_url", "target_url", "anchor_text", "target_status", "target_error", "follow"],
     "Backlinks whose target page answered 4xx or 5xx or failed: links worth reclaiming."),
)  # fmt: skip


def write_reports(output_dir: Path, options: ExportOptions) -> str:
    """Write ``report.html`` and ``disavow_candidates.txt``; never raises.

    Called last by ``build_exports``: a failure here is logged and returned as text, and
    leaves every other export (and any earlier report) as it was.
    """
    try:
        page, disavow_text = build_report(output_dir, options)
        _atomic_write(output_dir / disavow.FILE_NAME, disavow_text)
        _atomic_write(output_dir / REPORT_FILE, page)
    except Exception as exc:  # the CSV exports must survive a report bug
        logger.exception("report.html / disavow_candidates.txt not written in %s", output_dir)
        return f"{type(exc).__name__}: {exc}"
    return ""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- the report ----------------------------------------------------------------------------


@dataclass
class ReportContext:
    folder: Path
    options: ExportOptions
    info: dict[str, Any]
    links: LinkSummary
    referring_domains: int = 0
    linking_pages: int = 0
    sitewide_domains: int = 0
    warnings: list[RiskWarning] = field(default_factory=list)
    candidates: list[disavow.Candidate] = field(default_factory=list)

    def top(self, name: str, order: Sequence[str], n: int | None = None) -> list[Row]:
        return top_rows(self.folder / name, order, n or self.options.report.top_n)


def build_report(folder: Path, options: ExportOptions, now: str | None = None) -> tuple[str, str]:
    """The report page and the disavow file's text, from the files in ``folder``."""
    now = now or _now()
    rules = options.report
    links = summarise_links(folder / "backlinks.parquet", rules)
    domains_csv = folder / "referring_domains.csv"
    ctx = ReportContext(folder, options, read_run_info(folder), links)
    ctx.referring_domains = count_by(domains_csv, "")[0] if csv_columns(domains_csv) else 0
    ctx.referring_domains = ctx.referring_domains or len(links.domains)
    ctx.linking_pages = column_sum(domains_csv, "linking_pages")
    ctx.sitewide_domains = count_true(domains_csv, "sitewide")
    ctx.warnings = evaluate(risk_input(links, ctx.referring_domains), rules)
    groups: dict[str, list[Any]] = {}
    for g in links.sitewide_money:
        groups.setdefault(g.domain, []).append(g)
    ranks = domain_ranks(domains_csv, (d.domain for d in links.domains if d.risky))
    found = disavow.candidates(links.domains, groups, options.disavow, ranks=ranks)
    pages = _values_for(domains_csv, "source_domain", "linking_pages", {c.domain for c in found})
    ctx.candidates = disavow.candidates(links.domains, groups, options.disavow, pages, ranks)
    release = str(read_authority_info(folder).get("release") or "")  # open authority
    disavow_text = disavow.render(
        ctx.candidates, options.disavow, rules.money_categories, now, str(folder), release
    )
    return _page(ctx, now), disavow_text


def _values_for(path: Path, key: str, value: str, keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    if not keys:
        return found
    for batch in csv_batches(path, [key, value]):
        for k, v in zip(
            batch.column(key).to_pylist(), batch.column(value).to_pylist(), strict=True
        ):
            if k in keys:
                found[k] = _int(v)
    return found


def _title(ctx: ReportContext) -> str:
    listed = str(ctx.info.get("targets") or "")
    names = [t.strip() for t in listed.split(",") if t.strip()]
    names = names or [t.target for t in ctx.links.targets]
    if not names:
        return ctx.folder.name
    shown = ", ".join(display_domain(n).split(" (")[0] for n in names[:6])
    return shown + (f" and {len(names) - 6} more" if len(names) > 6 else "")


@dataclass(frozen=True)
class Section:
    ident: str
    title: str
    body: Markup


def _page(ctx: ReportContext, now: str) -> str:
    parts = [Section("summary", "Summary", _summary(ctx))]
    trends = trends_section(ctx.folder, ctx.options.report.top_n)
    if trends:  # the run is in a link history
        parts.append(Section("trends", "Trends", trends))
    parts += [
        Section("warnings", f"Warnings ({len(ctx.warnings)})", _warnings(ctx)),
        Section("anchors", "Anchor profile", _anchors(ctx)),
        Section("domains", "Referring domains", _domains(ctx)),
        Section("targets", "Target pages", _target_pages(ctx)),
        Section("placement", "Link placement", _placement(ctx)),
    ]
    linked = linked_domains_section(ctx.folder, ctx.options.report.top_n)
    if linked:  # targets=*: every external link
        parts.append(Section("linked-domains", "Linked domains", linked))
    candidates = candidates_section(ctx.folder, ctx.options.report.top_n)
    if candidates:  # -a discover: what the crawl found on each candidate, after the domains
        at = next(i for i, part in enumerate(parts) if part.ident == "domains") + 1
        parts.insert(at, Section("candidates", "Discovered candidates", candidates))
    for name, title, counted, preferred, intro in OPTIONAL_SECTIONS:
        body = _optional(ctx, name, counted, preferred, intro)
        if body:
            parts.append(Section(name.removesuffix(".csv").replace("_", "-"), title, body))
    if any(r["target_status"] for r in ctx.links.target_status):
        parts.append(Section("target-status", "Target status", _target_status(ctx)))
    parts.append(Section("disavow", "Disavow candidates", _disavow(ctx)))
    parts.append(Section("crawl", "Crawl", _crawl(ctx)))
    return str(
        render(
            "report.html.j2",
            title=_title(ctx),
            now=now,
            started=str(ctx.info.get("started_at") or ""),
            folder=ctx.folder.name,
            sections=parts,
            top_n=ctx.options.report.top_n,
            css=Markup(CSS + TABLE_CSS),
            script=Markup(SCRIPT),
            script_source=SCRIPT_SOURCE,
        )
    )


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str = ""
    tone: str = ""


def _summary(ctx: ReportContext) -> Markup:
    links = ctx.links
    high = sum(w.level == "high" for w in ctx.warnings)
    pages, _ = count_by(ctx.folder / "pages.csv", "")
    errors, _ = count_by(ctx.folder / "errors.csv", "")
    cards = [
        Card("Backlinks", _num(links.backlinks)),
        Card("Referring domains", _num(ctx.referring_domains)),
        Card("Linking pages", _num(ctx.linking_pages)),
        Card("Followed", _pct(links.followed, links.backlinks), f"{links.followed:,} links"),
        Card("In content", _pct(links.content, links.backlinks), f"{links.content:,} links"),
        Card("Sitewide", _num(links.sitewide), f"links, from {ctx.sitewide_domains} domains"),
        Card("Pages crawled", _num(pages), f"{errors:,} errors"),
        Card(
            "Warnings",
            _num(len(ctx.warnings)),
            f"{high} high" if high else "",
            "tone-bad" if high else ("tone-warn" if ctx.warnings else "tone-good"),
        ),
    ]
    return render("sections/summary.html.j2", cards=cards)


@dataclass(frozen=True)
class WarningView:
    level: str
    title: str
    explanation: str
    note: str
    evidence: TableView | None


def _warnings(ctx: ReportContext) -> Markup:
    shown = []
    for w in ctx.warnings:
        evidence = None
        if w.evidence:
            columns = [
                Column(str(i), label, _cell_for(label), numeric=label in _NUMERIC_LABELS)
                for i, label in enumerate(w.columns)
            ]
            rows = [{str(i): v for i, v in enumerate(row)} for row in w.evidence]
            evidence = table_view(columns, rows)
        shown.append(WarningView(w.level, w.title, w.explanation, w.note, evidence))
    return render("sections/warnings.html.j2", warnings=shown)


_NUMERIC_LABELS = {"referring domains", "backlinks", "followed", "in content", "sitewide", "links",
                   "share"}  # fmt: skip


def _cell_for(label: str) -> Render:
    if label in ("e.g. on", "target"):
        return _url
    if label == "anchor":
        return _anchor
    if label in _NUMERIC_LABELS and label != "share":
        return _num
    return text


def _anchors(ctx: ReportContext) -> Markup:
    categories = ctx.top("anchor_categories.csv", [], 50)
    chart = svg.donut_chart(
        [(str(r["anchor_category"]), _int(r.get("backlinks"))) for r in categories],
        "Anchor categories by backlinks",
        "backlinks",
        svg.CATEGORY_COLOURS,
    )
    category_table = table_view(
        [
            Column("anchor_category", "category"),
            num("backlinks", "backlinks"),
            Column("share_of_backlinks", "% of backlinks", _share, numeric=True),
            num("referring_domains", "referring domains"),
            Column("share_of_referring_domains", "% of domains", _share, numeric=True),
        ],
        categories,
    )
    top = ctx.top("anchors.csv", ["referring_domains", "backlinks"])
    anchors_table = table_view(
        [
            Column("anchor", "anchor", _anchor, wide=True),
            Column("anchor_category", "category"),
            num("referring_domains", "referring domains"),
            num("backlinks", "backlinks"),
            num("dofollow", "followed"),
            Column("share_of_referring_domains", "% of domains", _share, numeric=True),
        ],
        top,
    )
    return render(
        "sections/anchors.html.j2",
        money=", ".join(ctx.options.report.money_categories),
        chart=chart_markup(chart),
        categories=category_table,
        anchors=anchors_table,
    )


def _domains(ctx: ReportContext) -> Markup:
    links = ctx.links
    top = ctx.top("referring_domains.csv", ["dofollow", "backlinks"])
    chart_rows = top[:CHART_ROWS]
    stacked = svg.stacked_bar_chart(
        [str(r["source_domain"]) for r in chart_rows],
        [
            ("followed", [_int(r.get("dofollow")) for r in chart_rows]),
            ("not followed", [_int(r.get("nofollow")) for r in chart_rows]),
        ],
        "Top referring domains: followed and not followed backlinks",
        "backlinks",
        FOLLOW_COLOURS,
    )
    follow = svg.donut_chart(
        [("followed", links.followed), ("not followed", links.backlinks - links.followed)],
        "Backlinks: followed vs nofollow, ugc or sponsored",
        "backlinks",
        FOLLOW_COLOURS,
    )
    content = svg.donut_chart(
        [("in content", links.content), ("boilerplate", links.backlinks - links.content)],
        "Backlinks: in the content vs in the page template",
        "backlinks",
        ("#009E73", "#7F7F7F"),
    )
    rows = table_view(
        [
            Column("source_domain", "domain", wide=True),
            num("backlinks", "backlinks"),
            num("linking_pages", "pages"),
            num("dofollow", "followed"),
            num("nofollow", "not followed"),
            num("content_backlinks", "in content"),
            Column("sitewide", "sitewide", _bool),
            Column("top_anchor", "top anchor", _anchor),
            Column("dofollow_ratio", "followed, indexable pages", _share, numeric=True),
            Column("tld", "TLD"),
            Column("language", "language"),
            rank_column("source_authority_rank", "CC harmonic-centrality rank"),
        ],
        top,
    )
    return render(
        "sections/domains.html.j2",
        referring_domains=ctx.referring_domains,
        sitewide_domains=ctx.sitewide_domains,
        follow=chart_markup(follow),
        content=chart_markup(content),
        stacked=chart_markup(stacked),
        chart_rows=len(chart_rows),
        domains=rows,
        domain_mix=domain_mix_block(ctx.folder),
        authority=authority_block(ctx.folder, ctx.options.report.top_n),
    )


def _target_pages(ctx: ReportContext) -> Markup:
    top = ctx.top("target_pages.csv", ["referring_domains", "backlinks"])
    chart = svg.bar_chart(
        [(str(r["target_url"]), _int(r.get("referring_domains"))) for r in top[:CHART_ROWS]],
        "Target pages with the most referring domains",
        "referring domains",
        svg.PALETTE[2],
    )
    rows = table_view(
        [
            Column("target_url", "target page", _url, wide=True),
            num("referring_domains", "referring domains"),
            num("backlinks", "backlinks"),
            num("dofollow", "followed"),
            num("content_backlinks", "in content"),
        ],
        top,
    )
    return render(
        "sections/target_pages.html.j2",
        chart=chart_markup(chart),
        pages=rows,
        groups=target_groups_block(ctx.folder, ctx.options.report.top_n),
    )


def _placement(ctx: ReportContext) -> Markup:
    rows = ctx.links.placements
    chart = svg.stacked_bar_chart(
        [str(r["placement"] or "unknown") for r in rows],
        [
            ("followed", [r["followed"] for r in rows]),
            ("not followed", [r["_n"] - r["followed"] for r in rows]),
        ],
        "Backlinks by placement on the linking page",
        "backlinks",
        FOLLOW_COLOURS,
    )
    total = ctx.links.backlinks
    data = [
        {
            "placement": r["placement"] or "unknown",
            "links": r["_n"],
            "share": _pct(r["_n"], total),
            "followed": r["followed"],
        }
        for r in rows
    ]
    listing = table_view(
        [
            Column("placement", "placement"),
            num("links", "backlinks"),
            Column("share", "share", numeric=True),
            num("followed", "followed"),
        ],
        data,
    )
    return render(
        "sections/placement.html.j2",
        chart=chart_markup(chart),
        listing=listing,
        positions=position_block(ctx.folder),
    )


def _optional(
    ctx: ReportContext, name: str, counted: str, preferred: list[str], intro: str
) -> Markup | None:
    path = ctx.folder / name
    columns = csv_columns(path)
    if not columns:
        return None
    total, by_value = count_by(path, counted)
    data: dict[str, Any] = {"intro": intro, "name": name, "total": total, "counted": counted}
    if not total:  # a header and no rows: say so, no empty table under a "0 rows" title
        return render("sections/optional.html.j2", **data)
    data["chart"] = chart_markup(
        svg.bar_chart(by_value[:CHART_ROWS], f"{name}: rows by {counted}", "rows")
    )
    data["counts"] = (
        table_view(
            [Column("value", counted.replace("_", " ")), num("rows", "rows")],
            [{"value": v, "rows": n} for v, n in by_value[:50]],
        )
        if by_value
        else None
    )
    shown = [c for c in preferred if c in columns] or columns[:6]
    sample = top_rows(path, [], ctx.options.report.top_n, shown)
    data["heading"] = f"First {len(sample):,} of {total:,} rows" if len(sample) < total else "Rows"
    data["sample"] = table_view([_column_for(c) for c in shown], sample)
    return render("sections/optional.html.j2", **data)


def _column_for(name: str) -> Column:
    label = name.replace("_", " ")
    if name.endswith("url"):
        return Column(name, label, _url, wide=True)
    if name.startswith("anchor") or name.endswith("anchor"):
        return Column(name, label, _anchor)
    return Column(name, label)


def _target_status(ctx: ReportContext) -> Markup:
    rows = [
        {"status": r["target_status"] or "(not checked)", "links": r["_n"]}
        for r in ctx.links.target_status
    ]
    chart = svg.bar_chart(
        [(str(r["status"]), int(r["links"])) for r in rows[:CHART_ROWS]],
        "Backlinks by status of the target page",
        "backlinks",
    )
    return render(
        "sections/target_status.html.j2",
        chart=chart_markup(chart),
        statuses=table_view([Column("status", "target status"), num("links", "backlinks")], rows),
    )


def _disavow(ctx: ReportContext) -> Markup:
    rows = [
        {
            "domain": c.domain,
            "followed": c.followed,
            "risky": c.risky,
            "pages": c.pages,
            "example": c.examples[0].example_url if c.examples else "",
            "anchor": c.examples[0].anchor if c.examples else "",
            "rank": "" if c.authority_rank is None else c.authority_rank,
        }
        for c in ctx.candidates[: ctx.options.report.top_n]
    ]
    listing = table_view(
        [
            Column("domain", "domain"),
            num("followed", "followed links"),
            num("risky", "sitewide money links"),
            num("pages", "linking pages"),
            rank_column("rank", "CC harmonic-centrality rank"),
            Column("anchor", "e.g. anchor", _anchor),
            Column("example", "e.g. on", _url, wide=True),
        ],
        rows,
    )
    return render("sections/disavow.html.j2", file_name=disavow.FILE_NAME, candidates=listing)


def _crawl(ctx: ReportContext) -> Markup:
    errors, by_error = count_by(ctx.folder / "errors.csv", "error")
    blocked, by_reason = count_by(ctx.folder / "blocked_pages.csv", "reason")
    pages, _ = count_by(ctx.folder / "pages.csv", "")
    info = ctx.info
    facts = [
        ("pages crawled", f"{pages:,}"),
        ("errors", f"{errors:,}"),
        ("not fetched on purpose", f"{blocked:,}"),
    ]
    for key in ("status", "started_at", "finished_at", "elapsed_seconds"):
        value = info.get(key)
        if value not in (None, ""):
            facts.append((key.replace("_", " "), str(value)))
    sessions = info.get("sessions")
    if isinstance(sessions, list) and len(sessions) > 1:
        facts.append(("sessions", f"{len(sessions)} (resumed; times and counts cover all)"))
    command = info.get("command")
    if isinstance(command, list):
        recorded = info.get("settings")
        names = set(recorded) if isinstance(recorded, dict) else set()
        spider = str(info.get("spider") or "")
        facts.append(("arguments", crawl_arguments([str(v) for v in command], names, spider)))
    charts = []
    if by_error:
        chart = svg.bar_chart(by_error[:CHART_ROWS], "Errors by kind", "URLs", svg.PALETTE[5])
        charts.append((chart_markup(chart), "Errors by kind"))
    if by_reason:
        chart = svg.bar_chart(by_reason[:CHART_ROWS], "Not fetched, by reason", "URLs",
                              svg.PALETTE[7])  # fmt: skip
        charts.append((chart_markup(chart), "Not fetched, by reason"))
    return render(
        "sections/crawl.html.j2", facts=facts, charts=charts, errors=errors, blocked=blocked
    )


def crawl_arguments(argv: Sequence[str], settings: Collection[str], spider: str) -> str:
    """The arguments that shaped a crawl, from its command line: every ``-a`` spider
    argument and the ``-s`` settings among ``settings`` (those ``run.json`` records); not
    the interpreter, the test web's resolver or the browser's switches."""
    kept: list[str] = []
    words = list(argv)
    for i, word in enumerate(words):
        value = words[i + 1] if i + 1 < len(words) else ""
        if word == "-a" and value:
            kept += ["-a", value]
        elif word in ("-s", "--set") and value.partition("=")[0] in settings:
            kept += ["-s", value]
    return shlex.join(["scrapy", "crawl", *([spider] if spider else []), *kept])


#: The page's styles (``templates/report.css``); the tables' are in ``tables.css``.
CSS = asset("report.css")
