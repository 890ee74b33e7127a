"""``linkspider archive --crawl CC-MAIN-YYYY-WW --domains FILE|discover``: Common Crawl input.

The chosen referring domains' captures are selected in Common Crawl's columnar index
(:mod:`linkspider.archive.ccindex`) and handed to the archive job as record ranges
(``WarcInput(url, offset, length)``): each Spark task reads its records with HTTP range
requests, so only those records are transferred, never whole WARC files.

``--domains discover`` takes the referring domains that ``linkspider discover`` finds for
the targets in a Common Crawl web-graph release (``--discover-graph DIR`` or
``--discover-release NAME``; ``--discover-top N`` keeps the N with the best harmonic
centrality): "who links to me" from the archives alone.

The selection is written to the output folder as ``cc_records.csv`` (one line per
record: URL, capture time, WARC file, offset, length) and summarised for ``archive.json``
(:attr:`CCInputs.info`): crawl, index files and row groups read, bytes transferred,
captures per domain and the domains with none.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkspider.archive.byteranges import FetchOptions, RangeReader, join_location
from linkspider.archive.ccdomains import domain_choice, load_domains
from linkspider.archive.ccindex import (
    DEFAULT_BASE_URL,
    CCIndexError,
    DomainChoice,
    IndexQuery,
    Selection,
    select_records,
)
from linkspider.archive.inputs import WarcInput
from linkspider.config.sources import ConfigError

#: ``--domains`` value that asks ``linkspider discover`` for the domains.
DISCOVER = "discover"
RECORDS_FILE = "cc_records.csv"
RECORD_COLUMNS = (
    "url",
    "domain",
    "fetch_time",
    "mime_type",
    "warc_filename",
    "warc_record_offset",
    "warc_record_length",
)


class CCInputError(Exception):
    """The Common Crawl input cannot be set up; the message is one line."""


@dataclass
class CCInputs:
    """Record ranges for the archive job, and what the selection was (for archive.json)."""

    inputs: list[WarcInput]
    selection: Selection
    info: dict[str, Any]


def add_cc_arguments(parser: argparse.ArgumentParser) -> None:
    """The Common Crawl flags of ``linkspider archive``."""
    group = parser.add_argument_group("Common Crawl input (instead of --warc)")
    group.add_argument(
        "--crawl", metavar="CC-MAIN-YYYY-WW", help="a Common Crawl monthly crawl to read"
    )
    group.add_argument(
        "--domains",
        metavar="FILE|discover",
        help="referring domains to read (a list, seeds.txt or a CSV with a domain column), "
        "or 'discover' (from a web-graph release, see --discover-graph/--discover-release)",
    )
    group.add_argument(
        "--cc-base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL|DIR",
        help=f"where Common Crawl's files are (default: {DEFAULT_BASE_URL}); a folder "
        "holding a mirror in the same layout also works",
    )
    group.add_argument("--discover-graph", metavar="DIR", help="--domains discover: a release")
    group.add_argument(
        "--discover-release", metavar="NAME", help="--domains discover: a release name"
    )
    group.add_argument(
        "--discover-top", type=int, metavar="N", help="--domains discover: the N best (all)"
    )
    group.add_argument(
        "--index-threads", type=int, default=8, metavar="N", help="index files read at once (8)"
    )


def wants_common_crawl(args: argparse.Namespace) -> bool:
    """Whether the command line asks for Common Crawl input."""
    return bool(getattr(args, "crawl", None) or getattr(args, "domains", None))


def common_crawl_inputs(args: argparse.Namespace, targets: Sequence[str]) -> CCInputs:
    """Select the records (see module doc); :class:`CCInputError` with one line if not."""
    if not args.crawl or not args.domains:
        raise CCInputError("--crawl and --domains go together")
    domains = _domains(args, targets)
    try:
        query = IndexQuery(args.crawl, domains)
        reader = RangeReader(FetchOptions())
        selection = select_records(args.cc_base_url, query, reader, args.index_threads)
    except CCIndexError as exc:
        raise CCInputError(str(exc)) from None
    inputs = [
        WarcInput(join_location(args.cc_base_url, r.warc_filename), r.offset, r.length)
        for r in selection.records
    ]
    return CCInputs(inputs, selection, selection_info(selection))


def _domains(args: argparse.Namespace, targets: Sequence[str]) -> tuple[DomainChoice, ...]:
    if args.domains != DISCOVER:
        try:
            return load_domains(args.domains)
        except ConfigError as exc:
            raise CCInputError(str(exc)) from None
    return discovered_domains(
        targets, args.discover_graph, args.discover_release, args.discover_top
    )


def discovered_domains(
    targets: Sequence[str], graph: str | None, release: str | None, top: int | None
) -> tuple[DomainChoice, ...]:
    """The referring domains ``linkspider discover`` finds for ``targets``, best first."""
    from linkspider.discover import DiscoverError, find_candidates, open_release

    if graph is None and release is None:
        raise CCInputError("--domains discover needs --discover-graph DIR or --discover-release")
    try:
        found = find_candidates(open_release(graph, release), list(targets))
    except DiscoverError as exc:
        raise CCInputError(f"discover: {exc}") from None
    names = [candidate.name for candidate in found.candidates]
    if top is not None:
        names = names[: max(0, top)]
    choices: dict[str, DomainChoice] = {}
    for name in names:
        try:
            choice = domain_choice(name)
        except ConfigError:
            continue  # an IP address or a bare suffix in the graph: nothing to select
        choices.setdefault(choice.name, choice)
    if not choices:
        raise CCInputError(
            "discover found no referring domain for the targets in the release: nothing to read"
        )
    return tuple(choices.values())


#: Domains listed by name in archive.json (all of them are in cc_records.csv).
MAX_LISTED = 1000


def selection_info(selection: Selection) -> dict[str, Any]:
    """The ``common_crawl`` section of archive.json (domain lists capped at MAX_LISTED)."""
    per_domain = selection.captures_by_domain()
    empty = sorted(d for d, n in per_domain.items() if n == 0)
    busiest = sorted(per_domain.items(), key=lambda item: (-item[1], item[0]))[:MAX_LISTED]
    return {
        "crawl": selection.query.crawl,
        "base_url": selection.base,
        "domains": len(per_domain),
        "domains_with_captures": len(per_domain) - len(empty),
        "domains_without_captures": empty[:MAX_LISTED],
        "domains_without_captures_count": len(empty),
        "captures_by_domain": dict(busiest),
        "records_selected": len(selection.records),
        "warc_files": len(selection.warc_files()),
        "index_files": selection.index_files,
        "row_groups": selection.row_groups,
        "row_groups_read": selection.row_groups_read,
        "index_bytes_read": selection.bytes_read,
        "index_requests": selection.requests,
        "skipped": dict(sorted(selection.skipped.items())),
        "filter": {
            "subset": selection.query.subset,
            "fetch_status": sorted(selection.query.statuses),
            "mime_types": sorted(selection.query.mime_types),
        },
    }


def write_records(path: Path, selection: Selection) -> None:
    """``cc_records.csv``: the records selected (written whole, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RECORD_COLUMNS)
        for r in selection.records:
            writer.writerow(
                (r.url, r.domain, r.fetch_time, r.mime_type, r.warc_filename, r.offset, r.length)
            )
    partial.replace(path)


def summary_line(cc: CCInputs) -> str:
    """One line for the terminal: what the index gave."""
    info = cc.info
    empty = info["domains_without_captures"]
    missing = info["domains_without_captures_count"]
    return (
        f"{info['crawl']}: {info['records_selected']} capture(s) of {info['domains']} domain(s) "
        f"in {info['warc_files']} WARC file(s); index: {info['row_groups_read']} of "
        f"{info['row_groups']} row group(s) in {info['index_files']} file(s), "
        f"{info['index_bytes_read']:,} bytes"
        + (f"; no capture for {missing} domain(s): {', '.join(empty[:5])}" if empty else "")
        + (", ..." if missing > 5 else "")
    )
