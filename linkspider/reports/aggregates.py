"""Aggregates over the backlink table: referring domains, anchors, categories, target pages.

A link *passes value* (``follow``) when neither its ``rel`` (``nofollow``, ``ugc``,
``sponsored``) nor the linking page (robots meta / ``X-Robots-Tag`` nofollow) says
otherwise; ``dofollow`` columns count those links, ``nofollow`` columns the rest.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkspider.extract.anchor_category import CATEGORIES

AGGREGATE_COLUMNS = [
    "source_domain", "source_url", "target_url", "target", "anchor_text", "image_alt",
    "link_type", "follow", "in_content", "sitewide", "anchor_category", "first_seen",
    "last_seen",
]  # fmt: skip


def load_links(parquet_path: Path) -> pd.DataFrame:
    """The columns the aggregates need, with ``anchor`` and ``anchor_key`` added."""
    frame = pd.read_parquet(parquet_path, columns=AGGREGATE_COLUMNS)
    image = frame["link_type"] == "image"
    frame["anchor"] = frame["anchor_text"].where(~image, frame["image_alt"])
    frame["anchor_key"] = frame["anchor"].str.lower()
    return frame


def _summary(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=False, dropna=False)
    result = grouped.agg(
        backlinks=("source_url", "size"),
        referring_domains=("source_domain", "nunique"),
        linking_pages=("source_url", "nunique"),
        dofollow=("follow", "sum"),
        content_backlinks=("in_content", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    result["nofollow"] = result["backlinks"] - result["dofollow"]
    return result


def _most_frequent(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Per ``key``, the most frequent ``value`` (ties: alphabetical)."""
    counts = frame.groupby([key, value], sort=False).size().reset_index(name="n")
    counts = counts.sort_values(["n", value], ascending=[False, True])
    return counts.drop_duplicates(key).set_index(key)[value]


def referring_domains(frame: pd.DataFrame) -> pd.DataFrame:
    result = _summary(frame, ["source_domain"]).drop(columns="referring_domains")
    grouped = frame.groupby("source_domain", sort=False)
    result["targets"] = grouped["target"].nunique()
    result["target_pages"] = grouped["target_url"].nunique()
    result["sitewide"] = grouped["sitewide"].any()
    with_text = frame[frame["anchor"] != ""]
    result["top_anchor"] = _most_frequent(with_text, "source_domain", "anchor")
    result = result.reset_index()
    order = ["source_domain", "backlinks", "linking_pages", "dofollow", "nofollow",
             "content_backlinks", "sitewide", "targets", "target_pages", "top_anchor",
             "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["dofollow", "backlinks", "source_domain"], ascending=[False, False, True]
    )


def anchors(frame: pd.DataFrame) -> pd.DataFrame:
    """Per anchor (case-insensitive, shown in its most frequent spelling) and category."""
    result = _summary(frame, ["anchor_key", "anchor_category"])
    spelling = _most_frequent(frame, "anchor_key", "anchor")
    result = result.reset_index()
    result["anchor"] = result["anchor_key"].map(spelling)
    total_domains = max(frame["source_domain"].nunique(), 1)
    result["share_of_referring_domains"] = (result["referring_domains"] / total_domains).round(4)
    order = ["anchor", "anchor_category", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "content_backlinks", "share_of_referring_domains",
             "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "anchor"], ascending=[False, False, True]
    )


def anchor_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """The anchor profile: per category, in the fixed category order, zeros included."""
    result = _summary(frame, ["anchor_category"]).reindex(list(CATEGORIES))
    result.index.name = "anchor_category"
    counts = ["backlinks", "referring_domains", "linking_pages", "dofollow", "nofollow",
              "content_backlinks"]  # fmt: skip
    result[counts] = result[counts].fillna(0).astype("int64")
    total_links = max(len(frame), 1)
    total_domains = max(frame["source_domain"].nunique(), 1)
    result["share_of_backlinks"] = (result["backlinks"] / total_links).round(4)
    result["share_of_referring_domains"] = (result["referring_domains"] / total_domains).round(4)
    order = ["anchor_category", *counts, "share_of_backlinks", "share_of_referring_domains"]
    return result.reset_index()[order]


def target_pages(frame: pd.DataFrame) -> pd.DataFrame:
    result = _summary(frame, ["target_url", "target"]).reset_index()
    order = ["target_url", "target", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "content_backlinks", "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "target_url"], ascending=[False, False, True]
    )
