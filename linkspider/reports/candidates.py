"""``candidates_status.csv``: what the crawl found on each candidate ``discover`` seeded.

A crawl run with ``-a discover=RELEASE`` starts from the referring domains (or hosts) that
Common Crawl's web graph says link to the targets; the graph is months old, so each
candidate gets a verdict from this run's files (``referring_candidates.csv``, written at
the crawl's start, then ``pages.csv``, ``errors.csv``, ``blocked_pages.csv`` and
``backlinks.parquet``), decided by :func:`decide`, first match wins:

* ``verified``: a backlink row comes from the candidate (its pages, or the site its seed
  redirected to);
* ``no-link-found-within-budget``: pages of the candidate were crawled (HTML, 2xx), none
  links to a target: the link is gone, or deeper than ``depth`` / the page budget;
* ``unreachable``: its seed failed (DNS, refused, timeout, TLS, an HTTP error, robots.txt
  or the SSRF guard) or answered no HTML page;
* ``not-crawled``: the crawl stopped (Ctrl-C, a limit, killed) before it, or before the
  end of its site with no link found so far: never presented as a verdict.

A page belongs to a candidate when its host has the candidate's name as a vertex of the
graph's level (``www.`` stripped; at domain level the registrable domain).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.config.discover_seeds import seed_urls
from linkspider.discover.names import graph_name
from linkspider.discover.writer import CANDIDATES_CSV
from linkspider.engines.cells import safe_cell
from linkspider.reports.authority import AUTHORITY_COLUMNS
from linkspider.reports.report_data import csv_batches, csv_columns, read_run_info

CANDIDATES_FILE = CANDIDATES_CSV  # referring_candidates.csv, as linkspider discover writes it
STATUS_FILE = "candidates_status.csv"

VERIFIED = "verified"
NO_LINK = "no-link-found-within-budget"
UNREACHABLE = "unreachable"
NOT_CRAWLED = "not-crawled"
STATUSES = (VERIFIED, NO_LINK, UNREACHABLE, NOT_CRAWLED)
#: How the report says each status.
LABELS = {
    VERIFIED: "verified",
    NO_LINK: "no link found within budget",
    UNREACHABLE: "unreachable",
    NOT_CRAWLED: "not crawled (the crawl stopped first)",
}

STATUS_COLUMNS = (
    "name", "level", "status", "detail", "backlinks", "linking_pages", "pages_crawled",
    "verified_targets", "graph_targets", "seed", *AUTHORITY_COLUMNS, "release",
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """One row of ``referring_candidates.csv`` (the ranks as text, as written)."""

    name: str
    level: str
    targets: str
    release: str
    ranks: Mapping[str, str] = field(default_factory=dict)  # AUTHORITY_COLUMNS -> text


@dataclass
class Evidence:
    """What this run's files say about one graph name (or about one candidate)."""

    pages_ok: int = 0  # HTML pages with a 2xx answer
    pages: int = 0  # rows of pages.csv, any status
    linking_pages: int = 0
    backlinks: int = 0
    targets: set[str] = field(default_factory=set)
    failure: str = ""  # why its seed was not crawled: an error kind, http-404, robots...

    def add(self, other: Evidence) -> None:
        self.pages_ok += other.pages_ok
        self.pages += other.pages
        self.linking_pages += other.linking_pages
        self.backlinks += other.backlinks
        self.targets |= other.targets
        self.failure = self.failure or other.failure


@dataclass(frozen=True)
class CrawlShape:
    """What bounded the crawl of each candidate (``run.json``)."""

    page_budget: int = 0  # LINKSPIDER_MAX_PAGES_PER_SITE; 0: none
    depth: int = 0  # DEPTH_LIMIT; 0: none
    scope: str = "site"
    complete: bool = True  # the crawl ran to its end (status finished)

    @classmethod
    def from_run(cls, info: Mapping[str, Any]) -> CrawlShape:
        settings = info.get("settings")
        settings = settings if isinstance(settings, dict) else {}
        return cls(
            page_budget=_int(settings.get("LINKSPIDER_MAX_PAGES_PER_SITE")),
            depth=_int(settings.get("DEPTH_LIMIT")),
            scope=str(settings.get("LINKSPIDER_SCOPE") or "site"),
            complete=info.get("status", "finished") == "finished",
        )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def decide(evidence: Evidence, shape: CrawlShape = CrawlShape()) -> tuple[str, str]:
    """The status of a candidate and a one-line detail (the vocabulary lives here)."""
    if evidence.backlinks:
        pages = f"{evidence.linking_pages} page{'s' if evidence.linking_pages != 1 else ''}"
        targets = ", ".join(sorted(evidence.targets))
        return VERIFIED, f"{evidence.backlinks} backlink(s) on {pages} to {targets}"
    if evidence.pages_ok:
        crawled = f"{evidence.pages_ok} page{'s' if evidence.pages_ok != 1 else ''} crawled"
        if not shape.complete:  # its site may not have been crawled to the end
            return NOT_CRAWLED, f"{crawled} before the crawl stopped: no link so far"
        if shape.scope == "page":
            return NO_LINK, f"{crawled} (scope=page: its home page only): no link to a target"
        if shape.page_budget and evidence.pages_ok >= shape.page_budget:
            return NO_LINK, f"{crawled}, its page budget ({shape.page_budget}) used: no link"
        depth = f" to depth {shape.depth}" if shape.depth else ""
        return NO_LINK, f"{crawled}{depth} within the page budget: no link to a target"
    if evidence.failure:
        return UNREACHABLE, evidence.failure
    if evidence.pages:
        return UNREACHABLE, "answered no HTML page"
    if not shape.complete:
        return NOT_CRAWLED, "not fetched: the crawl stopped before it"
    return NOT_CRAWLED, "not fetched (no page, error or refusal recorded for it)"


@dataclass
class StatusSummary:
    release: str = ""
    level: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    by_candidate: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "level": self.level,
            "candidates": self.total,
            "counts": {s: self.counts.get(s, 0) for s in STATUSES},
            "file": STATUS_FILE,
            "by_candidate": self.by_candidate,
        }


def read_candidates(folder: Path) -> list[Candidate]:
    """The candidates the crawl was seeded with ([] for a crawl without ``discover``)."""
    path = folder / CANDIDATES_FILE
    if not path.exists():
        return []
    found = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = (row.get("candidate") or "").strip()
            if name:
                found.append(
                    Candidate(
                        name=name,
                        level=(row.get("level") or "domain").strip(),
                        targets=(row.get("links_to") or "").strip(),
                        release=(row.get("release") or "").strip(),
                        ranks={c: (row.get(_RANK_SOURCES[c]) or "") for c in AUTHORITY_COLUMNS},
                    )
                )
    return found


#: Where each authority column comes from in ``referring_candidates.csv``.
_RANK_SOURCES = {
    "source_authority_rank": "harmonic_centrality_rank",
    "source_authority_value": "harmonic_centrality",
    "source_pagerank_rank": "pagerank_rank",
    "source_pagerank_value": "pagerank",
}


class _Names:
    """Graph names of hosts, computed once per distinct host."""

    def __init__(self, level: str) -> None:
        self.level = level
        self._cache: dict[str, str] = {}

    def __call__(self, host: str) -> str:
        name = self._cache.get(host)
        if name is None:
            name = self._cache[host] = graph_name(host, self.level) if host else ""
        return name


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]


def gather(folder: Path, candidates: Sequence[Candidate]) -> dict[str, Evidence]:
    """Evidence per candidate name, from the run folder's files (streamed)."""
    level = candidates[0].level if candidates else "domain"
    names = _Names(level)
    seeds: dict[str, str] = {}  # seed URL -> candidate
    for c in candidates:
        for url in seed_urls(c.name):
            seeds.setdefault(url, c.name)
    per_name: dict[str, Evidence] = defaultdict(Evidence)
    aliases: dict[str, set[str]] = defaultdict(set)  # candidate -> names it redirected to
    failures: dict[str, str] = {}  # seed URL -> why it failed (first reason found)
    cols = ["url", "requested_url", "host", "status", "parsed", "backlinks"]
    for table in csv_batches(folder / "pages.csv", cols):
        rows = zip(*(table.column(c).to_pylist() if c in table.column_names else
                     [""] * table.num_rows for c in cols), strict=True)  # fmt: skip
        for url, requested, host, status, parsed, backlinks in rows:
            name = names(host or _host(url))
            evidence = per_name[name]
            evidence.pages += 1
            code = int(status) if str(status).isdigit() else 0
            ok = 200 <= code < 300 and str(parsed).lower() == "true"
            evidence.pages_ok += int(ok)
            linking = ok and str(backlinks).isdigit() and int(backlinks) > 0
            evidence.linking_pages += int(linking)
            seed = requested if requested in seeds else url
            if seed in seeds:
                if ok:
                    aliases[seeds[seed]].add(name)
                elif code >= 400:
                    failures.setdefault(seed, f"http-{code}")
                elif str(parsed).lower() != "true" and 200 <= code < 300:
                    failures.setdefault(seed, "not-html")
    for table in csv_batches(folder / "errors.csv", ["url", "error", "message"]):
        for url, error, message in zip(
            *(table.column(c).to_pylist() for c in ("url", "error", "message")), strict=True
        ):
            if url in seeds:
                failures.setdefault(url, f"{error}: {message}" if message else str(error))
    blocked = folder / "blocked_pages.csv"
    wanted = [c for c in ("url", "requested_url", "reason", "detail") if c in csv_columns(blocked)]
    for table in csv_batches(blocked, wanted):
        columns = {c: table.column(c).to_pylist() for c in wanted}
        detail = columns.get("detail") or [""] * table.num_rows
        for url, reason, why in zip(columns["url"], columns["reason"], detail, strict=True):
            if url in seeds:
                failures.setdefault(url, f"{reason}: {why}" if why else str(reason))
    _add_links(folder / "backlinks.parquet", names, per_name)
    gathered: dict[str, Evidence] = {}
    for c in candidates:
        tried = [f"{url} {failures[url]}" for url in seed_urls(c.name) if url in failures]
        evidence = Evidence(failure="; ".join(tried))
        for name in {c.name, *aliases.get(c.name, ())}:
            if name in per_name:
                evidence.add(per_name[name])
        gathered[c.name] = evidence
    return gathered


def _add_links(parquet: Path, names: _Names, per_name: dict[str, Evidence]) -> None:
    """Backlinks and targets per graph name of the linking host."""
    if not parquet.exists():
        return
    source = pq.ParquetFile(parquet)
    for batch in source.iter_batches(batch_size=131_072, columns=["source_host", "target"]):
        table = pa.Table.from_batches([batch])
        grouped = table.group_by(["source_host", "target"]).aggregate([("target", "count")])
        for host, target, count in zip(
            grouped.column("source_host").to_pylist(),
            grouped.column("target").to_pylist(),
            grouped.column("target_count").to_pylist(),
            strict=True,
        ):
            evidence = per_name[names(host or "")]
            evidence.backlinks += int(count)
            evidence.targets.add(str(target))


def write_candidates_status(folder: Path) -> StatusSummary | None:
    """Write ``candidates_status.csv``; None (and no file) for a crawl without ``discover``."""
    candidates = read_candidates(folder)
    if not candidates and not (folder / CANDIDATES_FILE).exists():
        return None
    shape = CrawlShape.from_run(read_run_info(folder))
    evidence = gather(folder, candidates)
    summary = StatusSummary(
        release=candidates[0].release if candidates else "",
        level=candidates[0].level if candidates else "",
        counts=Counter(),
    )
    rows = []
    for c in candidates:
        found = evidence[c.name]
        status, detail = decide(found, shape)
        summary.counts[status] = summary.counts.get(status, 0) + 1
        summary.by_candidate[c.name] = status
        rows.append(
            {
                "name": c.name,
                "level": c.level,
                "status": status,
                "detail": detail,
                "backlinks": found.backlinks,
                "linking_pages": found.linking_pages,
                "pages_crawled": found.pages_ok,
                "verified_targets": ",".join(sorted(found.targets)),
                "graph_targets": c.targets,
                "seed": seed_urls(c.name)[0],
                **c.ranks,
                "release": c.release,
            }
        )
    _write_rows(folder / STATUS_FILE, rows)
    return summary


def _write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(STATUS_COLUMNS), lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: safe_cell(v) for k, v in row.items()})
    tmp.replace(path)


def read_summary(folder: Path) -> StatusSummary | None:
    """Counts from ``candidates_status.csv`` (None without one), for ``run.json``."""
    path = folder / STATUS_FILE
    if not path.exists():
        return None
    summary = StatusSummary(counts={})
    for table in csv_batches(path, ["name", "status", "level", "release"]):
        statuses = table.column("status")
        for name, status in zip(
            table.column("name").to_pylist(), statuses.to_pylist(), strict=True
        ):
            summary.by_candidate[name] = status
            summary.counts[status] = summary.counts.get(status, 0) + 1
        if not summary.release and table.num_rows:
            summary.release = str(table.column("release")[0].as_py())
            summary.level = str(table.column("level")[0].as_py())
    return summary
