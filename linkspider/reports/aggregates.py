"""Aggregates over the backlink table: referring domains, anchors, target pages.

A link is *dofollow* when its ``rel`` has none of ``nofollow``, ``ugc``, ``sponsored``
(Google treats all three as "do not pass value" hints).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

AGGREGATE_COLUMNS = [
    "source_domain", "source_url", "target_url", "target", "anchor_text", "image_alt",
    "link_type", "nofollow", "ugc", "sponsored", "first_seen", "last_seen",
]  # fmt: skip


def load_links(parquet_path: Path) -> pd.DataFrame:
    """The columns the aggregates need, with ``dofollow`` and ``anchor`` added."""
    frame = pd.read_parquet(parquet_path, columns=AGGREGATE_COLUMNS)
    frame["dofollow"] = ~(frame["nofollow"] | frame["ugc"] | frame["sponsored"])
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
        dofollow=("dofollow", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    result["nofollow"] = result["backlinks"] - result["dofollow"]
    return result


def referring_domains(frame: pd.DataFrame) -> pd.DataFrame:
    result = _summary(frame, ["source_domain"]).drop(columns="referring_domains")
    grouped = frame.groupby("source_domain", sort=False)
    result["targets"] = grouped["target"].nunique()
    result["target_pages"] = grouped["target_url"].nunique()
    result = result.reset_index()
    order = ["source_domain", "backlinks", "linking_pages", "dofollow", "nofollow",
             "targets", "target_pages", "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["dofollow", "backlinks", "source_domain"], ascending=[False, False, True]
    )


def anchors(frame: pd.DataFrame) -> pd.DataFrame:
    """Per anchor (case-insensitive; shown in its most frequent spelling)."""
    result = _summary(frame, ["anchor_key"])
    spelling = (
        frame.groupby(["anchor_key", "anchor"], sort=False).size().reset_index(name="n")
        .sort_values(["n", "anchor"], ascending=[False, True])
        .drop_duplicates("anchor_key").set_index("anchor_key")["anchor"]
    )  # fmt: skip
    result["anchor"] = spelling
    total_domains = max(frame["source_domain"].nunique(), 1)
    result["share_of_referring_domains"] = (result["referring_domains"] / total_domains).round(4)
    order = ["anchor", "backlinks", "referring_domains", "linking_pages", "dofollow",
             "nofollow", "share_of_referring_domains", "first_seen", "last_seen"]  # fmt: skip
    return result.reset_index()[order].sort_values(
        ["referring_domains", "backlinks", "anchor"], ascending=[False, False, True]
    )


def target_pages(frame: pd.DataFrame) -> pd.DataFrame:
    result = _summary(frame, ["target_url", "target"]).reset_index()
    order = ["target_url", "target", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "target_url"], ascending=[False, False, True]
    )
