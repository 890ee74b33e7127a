"""Aggregates over the backlink table: referring domains, anchors, categories, target pages.

A link *passes value* (``follow``) when neither its ``rel`` (``nofollow``, ``ugc``,
``sponsored``) nor the linking page (robots meta / ``X-Robots-Tag`` nofollow) says
otherwise; ``dofollow`` columns count those links, ``nofollow`` columns the rest.

The link table is never loaded whole: its text columns are read batch by batch and turned
into integer ids (4 bytes per row and column, plus each distinct text once,
:mod:`linkspider.reports._encoded`); DuckDB groups the ids, exact distinct counts included,
spilling to disk past its memory limit; only the grouped rows reach pandas, which orders
and writes them. Ties keep the order in which groups first appear in the table. 10 million
rows: ``benchmarks/results/aggregates.md``.

Audit columns and tables (:mod:`linkspider.reports.url_groups` for the keys): per referring
domain, ``dofollow_ratio`` counts only links on indexable pages (a followed link on a
noindex page passes nothing), ``tld`` and ``language`` (the ``lang`` most of its linking
pages declare); ``target_page_groups.csv`` puts the variants of a target URL together
(scheme, ``www.``, trailing slash, parameter order), ``target_folders.csv`` sums target
pages per first folder, and in ``targets=*`` mode ``linked_domains.csv`` sums the links per
linked domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkspider.engines._duckdb import MEMORY_LIMIT, connect
from linkspider.engines.spreadsheet import write_frame
from linkspider.extract.anchor_category import CATEGORIES
from linkspider.monitor.runs import read_run_json, targets_key
from linkspider.reports._encoded import EncodedTable, encode
from linkspider.reports.authority import Authority, with_authority
from linkspider.reports.url_groups import top_level_domain, url_folder, url_group

AGGREGATE_COLUMNS = [
    "source_domain", "source_url", "target_url", "target", "anchor_text", "image_alt",
    "link_type", "follow", "in_content", "sitewide", "anchor_category", "first_seen",
    "last_seen", "source_indexable", "source_lang",
]  # fmt: skip

#: Text columns the aggregates read (as ids); ``anchor`` is derived from three more,
#: ``language`` from ``source_lang``.
_TEXT_COLUMNS = ["source_domain", "source_url", "target_url", "target", "anchor_category",
                 "first_seen", "last_seen"]  # fmt: skip
#: Result columns holding ids of the first/last seen timestamps.
_SEEN = {"first_seen": "first_seen", "last_seen": "last_seen"}
#: The per-group counts every aggregate shares (``nofollow`` is derived in pandas).
_SUMMARY = """
    count(*) AS backlinks,
    count(DISTINCT source_domain) AS referring_domains,
    count(DISTINCT source_url) AS linking_pages,
    coalesce(sum(follow::INTEGER), 0)::BIGINT AS dofollow,
    coalesce(sum(in_content::INTEGER), 0)::BIGINT AS content_backlinks,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    min(_row) AS _first
"""


@dataclass(frozen=True)
class AggregateResult:
    referring_domains: pd.DataFrame
    anchors: pd.DataFrame
    anchor_categories: pd.DataFrame
    target_pages: pd.DataFrame
    total_domains: int  # distinct referring domains
    total_targets: int  # distinct targets found
    target_page_groups: pd.DataFrame | None = None
    target_folders: pd.DataFrame | None = None
    linked_domains: pd.DataFrame | None = None


#: The aggregate files, in the order they are written.
FILES = ("referring_domains.csv", "anchors.csv", "anchor_categories.csv", "target_pages.csv")
#: The audit tables, written after :data:`FILES`; linked_domains.csv only for ``targets=*``.
AUDIT_FILES = ("target_page_groups.csv", "target_folders.csv")
LINKED_DOMAINS_FILE = "linked_domains.csv"


def write_aggregates(
    parquet_path: Path, output_dir: Path, authority: Authority | None = None
) -> AggregateResult:
    """Compute the aggregates of ``parquet_path`` and write :data:`FILES` to ``output_dir``.

    ``referring_domains.csv`` ends with the open authority columns (empty without
    ``authority``: :mod:`linkspider.reports.authority`).
    """
    result = compute(parquet_path, output_dir)
    domains = with_authority(result.referring_domains, authority, "source_domain")
    frames = (domains, result.anchors, result.anchor_categories, result.target_pages)
    for name, frame in zip(FILES, frames, strict=True):
        write_frame(frame, output_dir / name)  # no text cell runs as a formula
    write_audit_files(result, output_dir)
    return result


def write_audit_files(result: AggregateResult, output_dir: Path) -> None:
    """:data:`AUDIT_FILES`, and ``linked_domains.csv`` when the run linked to every domain."""
    for name, frame in zip(AUDIT_FILES, (result.target_page_groups, result.target_folders),
                           strict=True):  # fmt: skip
        if frame is not None:
            write_frame(frame, output_dir / name)
    linked = output_dir / LINKED_DOMAINS_FILE
    if result.linked_domains is not None and _all_external(output_dir):
        write_frame(result.linked_domains, linked)
    elif linked.exists():  # left by an earlier export of other targets: not this run's
        linked.unlink()


def _all_external(output_dir: Path) -> bool:
    """Did the run link to every external domain (``targets=*``; a distributed crawl's
    workers record it in their parts)?"""
    return targets_key(output_dir, read_run_json(output_dir)) == "*"


def compute(
    parquet_path: Path, work_dir: Path, memory_limit: str = MEMORY_LIMIT
) -> AggregateResult:
    """Every aggregate of the backlink Parquet file; spill files go to ``work_dir``."""
    links = encode_links(parquet_path)
    _add_key(links, "target_url", url_group, "url_group")
    _add_key(links, "target_url", url_folder, "folder")
    with connect(work_dir, memory_limit) as db:
        db.register("links", links.table)
        ((total_domains, total_targets, total_links),) = db.sql(
            "SELECT count(DISTINCT source_domain), count(DISTINCT target), count(*) FROM links"
        ).fetchall()
        domains = referring_domains(db, links)
        anchor_rows = anchors(db, links, total_domains)
        categories = anchor_categories(db, links, total_links, total_domains)
        pages = target_pages(db, links)
        groups = target_page_groups(db, links)
        folders = target_folders(db, links)
        linked = linked_domains(db, links)
    return AggregateResult(domains, anchor_rows, categories, pages, total_domains, total_targets,
                           groups, folders, linked)  # fmt: skip


def _anchor(batch: pa.RecordBatch) -> pa.Array:
    """The anchor of a link: its alt text for an image link, else its text."""
    image = pc.fill_null(pc.equal(batch.column("link_type"), "image"), False)
    return pc.if_else(image, batch.column("image_alt"), batch.column("anchor_text"))


def _language(batch: pa.RecordBatch) -> pa.Array:
    """The primary language subtag of the linking page's ``lang``: ``en`` for ``en-GB``."""
    lang = pc.utf8_trim_whitespace(pc.utf8_lower(pc.fill_null(batch.column(0), "")))
    return pc.replace_substring_regex(lang, pattern=r"[-_].*$", replacement="")


def encode_links(parquet_path: Path) -> EncodedTable:
    """The aggregate columns as ids, plus ``anchor``, ``anchor_key`` and ``_row``.

    Anchors are compared case-insensitively through Arrow's Unicode lower-case mapping (as
    pandas' string columns do): ``anchor_key`` is the id of the lower-cased anchor.
    ``_row`` (position in the file) orders groups by first appearance.
    """
    links = encode(
        parquet_path,
        text=_TEXT_COLUMNS,
        keep=["follow", "in_content", "sitewide", "source_indexable"],
        ordered={"anchor", "first_seen", "last_seen", "language"},
        derived={
            "anchor": (["link_type", "anchor_text", "image_alt"], _anchor),
            "language": (["source_lang"], _language),
        },
    )
    keys = pc.dictionary_encode(pc.utf8_lower(links.dictionaries["anchor"]))
    anchor_key = pc.take(keys.indices, links.table.column("anchor"))
    rows = pa.array(np.arange(links.table.num_rows, dtype=np.int64))
    links.table = links.table.append_column("anchor_key", anchor_key).append_column("_row", rows)
    links.dictionaries["anchor_key"] = keys.dictionary
    return links


def _frame(
    db: duckdb.DuckDBPyConnection, sql: str, links: EncodedTable, texts: dict[str, str]
) -> pd.DataFrame:
    """Query result in first-appearance order of its groups, ids turned back into text.

    ``texts`` maps result columns to the encoded column whose dictionary they use.
    """
    table = db.sql(sql).to_arrow_table()
    for column, encoded in texts.items():
        index = table.schema.get_field_index(column)
        ids = table.column(column).cast(pa.int32())
        table = table.set_column(index, column, pc.take(links.dictionaries[encoded], ids))
    frame: pd.DataFrame = table.to_pandas()
    if "_first" in frame.columns:
        frame = frame.sort_values("_first", kind="stable").drop(columns="_first")
    return frame.reset_index(drop=True)


def _with_nofollow(frame: pd.DataFrame) -> pd.DataFrame:
    frame["nofollow"] = frame["backlinks"] - frame["dofollow"]
    return frame


def _id_of(links: EncodedTable, name: str, text: str) -> int:
    """The id of ``text`` in column ``name`` (-1, matching no row, if absent)."""
    found = pc.index(links.dictionaries[name], text).as_py()
    return int(found)


def _most_frequent(key: str, value: str, where: str) -> str:
    """SQL for, per ``key``, the most frequent ``value`` (ties: the smallest; ids of
    ``value`` follow text order)."""
    return f"""SELECT {key}, {value} FROM (
        SELECT {key}, {value}, row_number() OVER (
            PARTITION BY {key} ORDER BY count(*) DESC, {value} ASC) AS _rank
        FROM links WHERE {where} GROUP BY {key}, {value}) WHERE _rank = 1"""


def _most_pages(key: str, value: str, where: str) -> str:
    """SQL for, per ``key``, the ``value`` on the most linking pages (ties: the smallest)."""
    return f"""SELECT {key}, {value} FROM (
        SELECT {key}, {value}, row_number() OVER (
            PARTITION BY {key} ORDER BY count(DISTINCT source_url) DESC, {value} ASC) AS _rank
        FROM links WHERE {where} GROUP BY {key}, {value}) WHERE _rank = 1"""


def referring_domains(db: duckdb.DuckDBPyConnection, links: EncodedTable) -> pd.DataFrame:
    empty = _id_of(links, "anchor", "")
    no_lang = _id_of(links, "language", "")
    result = _frame(
        db,
        f"""WITH summary AS (
              SELECT source_domain, {_SUMMARY},
                     count(DISTINCT target) AS targets,
                     count(DISTINCT target_url) AS target_pages,
                     bool_or(sitewide) AS sitewide,
                     coalesce(sum(source_indexable::INTEGER), 0)::BIGINT AS indexable_backlinks,
                     coalesce(sum((source_indexable AND follow)::INTEGER), 0)::BIGINT
                       AS indexable_dofollow
              FROM links GROUP BY source_domain),
            top AS ({_most_frequent("source_domain", "anchor", f"anchor <> {empty}")}),
            lang AS ({_most_pages("source_domain", "language", f"language <> {no_lang}")})
            SELECT s.*, top.anchor AS top_anchor, lang.language AS language
            FROM summary s
            LEFT JOIN top ON s.source_domain IS NOT DISTINCT FROM top.source_domain
            LEFT JOIN lang ON s.source_domain IS NOT DISTINCT FROM lang.source_domain""",
        links,
        {"source_domain": "source_domain", "top_anchor": "anchor", "language": "language",
         **_SEEN},
    )  # fmt: skip
    result = _with_nofollow(result)
    # A followed link on a noindex page passes nothing: the ratio counts indexable pages.
    indexable = result["indexable_backlinks"]
    result["dofollow_ratio"] = (result["indexable_dofollow"] / indexable.where(indexable > 0)
                                ).round(4)  # fmt: skip
    result["tld"] = result["source_domain"].map(lambda d: top_level_domain(d or ""))
    result["language"] = result["language"].fillna("")
    order = ["source_domain", "backlinks", "linking_pages", "dofollow", "nofollow",
             "content_backlinks", "sitewide", "targets", "target_pages", "top_anchor",
             "first_seen", "last_seen", "indexable_backlinks", "dofollow_ratio", "tld",
             "language"]  # fmt: skip
    return result[order].sort_values(
        ["dofollow", "backlinks", "source_domain"], ascending=[False, False, True]
    )


def anchors(db: duckdb.DuckDBPyConnection, links: EncodedTable, total_domains: int) -> pd.DataFrame:
    """Per anchor (case-insensitive, shown in its most frequent spelling) and category."""
    result = _frame(
        db,
        f"""WITH summary AS (
              SELECT anchor_key, anchor_category, {_SUMMARY}
              FROM links GROUP BY anchor_key, anchor_category),
            spelling AS ({_most_frequent("anchor_key", "anchor", "TRUE")})
            SELECT s.*, spelling.anchor AS anchor FROM summary s
            LEFT JOIN spelling ON s.anchor_key IS NOT DISTINCT FROM spelling.anchor_key""",
        links,
        {"anchor": "anchor", "anchor_category": "anchor_category", **_SEEN},
    )
    result = _with_nofollow(result)
    result["share_of_referring_domains"] = (
        result["referring_domains"] / max(total_domains, 1)
    ).round(4)
    order = ["anchor", "anchor_category", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "content_backlinks", "share_of_referring_domains",
             "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "anchor"], ascending=[False, False, True]
    )


def anchor_categories(
    db: duckdb.DuckDBPyConnection, links: EncodedTable, total_links: int, total_domains: int
) -> pd.DataFrame:
    """The anchor profile: per category, in the fixed category order, zeros included."""
    result = _frame(
        db,
        f"SELECT anchor_category, {_SUMMARY} FROM links GROUP BY anchor_category",
        links,
        {"anchor_category": "anchor_category"},
    )
    result = _with_nofollow(result).set_index("anchor_category").reindex(list(CATEGORIES))
    result.index.name = "anchor_category"
    counts = ["backlinks", "referring_domains", "linking_pages", "dofollow", "nofollow",
              "content_backlinks"]  # fmt: skip
    result[counts] = result[counts].fillna(0).astype("int64")
    result["share_of_backlinks"] = (result["backlinks"] / max(total_links, 1)).round(4)
    result["share_of_referring_domains"] = (
        result["referring_domains"] / max(total_domains, 1)
    ).round(4)
    order = ["anchor_category", *counts, "share_of_backlinks", "share_of_referring_domains"]
    return result.reset_index()[order]


def target_pages(db: duckdb.DuckDBPyConnection, links: EncodedTable) -> pd.DataFrame:
    result = _frame(
        db,
        f"SELECT target_url, target, {_SUMMARY} FROM links GROUP BY target_url, target",
        links,
        {"target_url": "target_url", "target": "target", **_SEEN},
    )
    result = _with_nofollow(result)
    order = ["target_url", "target", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "content_backlinks", "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "target_url"], ascending=[False, False, True]
    )


# --- audit tables ---------------------------------------------------------------------


def _add_key(links: EncodedTable, column: str, key: Callable[[str], str], name: str) -> None:
    """Add column ``name``: the id of ``key(text)`` of each row's ``column`` (``key`` runs
    once per distinct text, not per row)."""
    texts = links.dictionaries[column].to_pylist()
    keys = pc.dictionary_encode(pa.array([key(t or "") for t in texts], pa.string()))
    ids = pc.take(keys.indices, links.table.column(column)).cast(pa.int32())
    links.table = links.table.append_column(name, ids)
    links.dictionaries[name] = keys.dictionary


def _by_reach(
    db: duckdb.DuckDBPyConnection,
    links: EncodedTable,
    sql: str,
    texts: dict[str, str],
    order: list[str],
) -> pd.DataFrame:
    """An audit table: the ``sql`` result with ``nofollow``, in ``order``, sorted by
    referring domains, then backlinks, then its first column."""
    result = _with_nofollow(_frame(db, sql, links, {**texts, **_SEEN}))
    return result[order].sort_values(
        ["referring_domains", "backlinks", order[0]], ascending=[False, False, True]
    )


def target_page_groups(db: duckdb.DuckDBPyConnection, links: EncodedTable) -> pd.DataFrame:
    """Per group of target URL variants (:func:`url_group`): its variants and links."""
    return _by_reach(
        db, links,
        f"""WITH summary AS (
              SELECT url_group, min(target) AS target, {_SUMMARY},
                     count(DISTINCT target_url) AS variants
              FROM links GROUP BY url_group),
            top AS ({_most_frequent("url_group", "target_url", "TRUE")})
            SELECT s.*, top.target_url AS top_variant FROM summary s
            LEFT JOIN top ON s.url_group IS NOT DISTINCT FROM top.url_group""",
        {"url_group": "url_group", "target": "target", "top_variant": "target_url"},
        ["url_group", "target", "variants", "top_variant", "backlinks", "referring_domains",
         "linking_pages", "dofollow", "nofollow", "content_backlinks", "first_seen",
         "last_seen"],
    )  # fmt: skip


def target_folders(db: duckdb.DuckDBPyConnection, links: EncodedTable) -> pd.DataFrame:
    """Per first folder of the target URLs (:func:`url_folder`)."""
    return _by_reach(
        db, links,
        f"""SELECT folder, min(target) AS target, {_SUMMARY},
                   count(DISTINCT url_group) AS target_pages
            FROM links GROUP BY folder""",
        {"folder": "folder", "target": "target"},
        ["folder", "target", "target_pages", "backlinks", "referring_domains",
         "linking_pages", "dofollow", "nofollow", "content_backlinks", "first_seen",
         "last_seen"],
    )  # fmt: skip


def linked_domains(db: duckdb.DuckDBPyConnection, links: EncodedTable) -> pd.DataFrame:
    """Per linked domain (``target``; every external domain in ``targets=*`` mode)."""
    return _by_reach(
        db, links,
        f"""SELECT target, {_SUMMARY}, count(DISTINCT target_url) AS target_pages
            FROM links GROUP BY target""",
        {"target": "target"},
        ["target", "backlinks", "referring_domains", "linking_pages", "target_pages",
         "dofollow", "nofollow", "content_backlinks", "first_seen", "last_seen"],
    )  # fmt: skip
