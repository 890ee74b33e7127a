"""Compare the links that counted before (a baseline) with a run: new, lost, changed.

Identity (see :data:`linkspider.monitor.runs.KEY`): the source page URL, the normalised
target URL, the anchor, and the occurrence (1 for the page's first link with that target
and anchor, 2 for the second...). Links with the same identity on both sides are the same
link. What is left over on each side is then paired, page by page, in page order:

1. same page and target URL, different anchor: ``anchor-changed``;
2. same page and target site (``target``), different target URL: ``target-changed`` (and
   ``anchor-changed`` as well when the anchor differs too).

Every pair (same identity or paired) whose ``follow`` flipped is ``became-nofollow``
(true to false) or ``became-follow``. Leftovers still unpaired are new (in the run) or
lost (in the baseline; ``lost_reason`` from :mod:`linkspider.monitor.reasons`).

All steps are joins on whole frames; no per-link Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from linkspider.engines.spreadsheet import write_frame
from linkspider.monitor.reasons import NOT_CRAWLED, page_outcomes
from linkspider.monitor.runs import KEY, RunData

ANCHOR_CHANGED = "anchor-changed"
TARGET_CHANGED = "target-changed"
BECAME_NOFOLLOW = "became-nofollow"
BECAME_FOLLOW = "became-follow"
CHANGES = (ANCHOR_CHANGED, TARGET_CHANGED, BECAME_NOFOLLOW, BECAME_FOLLOW)

NEW_COLUMNS = [
    "source_url", "source_domain", "target", "target_url", "anchor", "occurrence",
    "link_index", "rel", "follow", "follow_reason", "placement", "first_seen", "last_seen",
]  # fmt: skip
LOST_COLUMNS = [
    *NEW_COLUMNS[:-2], "first_seen", "last_seen", "lost_reason", "lost", "lost_detail",
]  # fmt: skip
CHANGED_COLUMNS = [
    "source_url", "source_domain", "target", "target_url", "anchor", "occurrence",
    "link_index", "follow", "change", "old_value", "new_value", "old_target_url",
    "old_anchor", "first_seen", "last_seen",
]  # fmt: skip
#: The old side's columns a pair keeps (prefixed ``old_``).
_OLD_KEPT = [*KEY, "follow", "follow_reason", "first_seen"]


@dataclass
class Comparison:
    new: pd.DataFrame  # NEW_COLUMNS
    lost: pd.DataFrame  # LOST_COLUMNS (``lost`` false: not crawled, not a claimed loss)
    changed: pd.DataFrame  # CHANGED_COLUMNS, one row per change
    #: Old identity -> new identity of every paired link (anchor or target changed):
    #: ``old_source_url``... ``old_occurrence`` and KEY.
    renamed: pd.DataFrame

    def counts(self) -> dict[str, int]:
        claimed = int(self.lost["lost"].sum()) if len(self.lost) else 0
        return {
            "new": len(self.new),
            "lost": claimed,
            "not_crawled": len(self.lost) - claimed,
            "changed": len(self.changed),
        }


def _anti_join(left: pd.DataFrame, right: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    marks = left[on].merge(right[on].drop_duplicates(), on=on, how="left", indicator=True)
    return left[(marks["_merge"] == "left_only").to_numpy()]


def _pair(
    old: pd.DataFrame, new: pd.DataFrame, group: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pair leftovers of the same ``group`` in page order; return pairs and what is left."""
    old = old.assign(_rank=old.groupby(group, sort=False).cumcount(), _old_row=range(len(old)))
    new = new.assign(_rank=new.groupby(group, sort=False).cumcount(), _new_row=range(len(new)))
    olds = old[_OLD_KEPT].rename(columns={c: f"old_{c}" for c in _OLD_KEPT})
    for name in [*group, "_rank", "_old_row"]:
        olds[name] = old[name]
    pairs = new.merge(olds, on=[*group, "_rank"], how="inner")
    old_left = old[~old["_old_row"].isin(pairs["_old_row"])]
    new_left = new[~new["_new_row"].isin(pairs["_new_row"])]
    return (
        pairs.drop(columns=["_rank", "_old_row", "_new_row"]),
        old_left.drop(columns=["_rank", "_old_row"]),
        new_left.drop(columns=["_rank", "_new_row"]),
    )


def _changes(same: pd.DataFrame, by_anchor: pd.DataFrame, by_target: pd.DataFrame) -> pd.DataFrame:
    every = pd.concat([same, by_anchor, by_target], ignore_index=True)
    old_follow = every["old_follow"].astype(bool)
    follow = every["follow"].astype(bool)
    anchor_moved = by_target[by_target["old_anchor"] != by_target["anchor"]]
    specs = [  # (pairs, change, old value column, new value column)
        (by_target, TARGET_CHANGED, "old_target_url", "target_url"),
        (anchor_moved, ANCHOR_CHANGED, "old_anchor", "anchor"),
        (by_anchor, ANCHOR_CHANGED, "old_anchor", "anchor"),
        (every[old_follow & ~follow], BECAME_NOFOLLOW, "old_follow_reason", "follow_reason"),
        (every[~old_follow & follow], BECAME_FOLLOW, "old_follow_reason", "follow_reason"),
    ]
    changed = pd.concat(
        [p.assign(change=c, old_value=p[old], new_value=p[new]) for p, c, old, new in specs],
        ignore_index=True,
    )
    changed["first_seen"] = changed["old_first_seen"]
    changed["_order"] = changed["change"].map({name: i for i, name in enumerate(CHANGES)})
    changed = changed.sort_values(["source_url", "link_index", "_order"], kind="stable")
    return changed[CHANGED_COLUMNS].reset_index(drop=True)


def compare(baseline: pd.DataFrame, run: RunData) -> Comparison:
    """Compare the counted links of ``baseline`` (LINK_COLUMNS) with ``run``."""
    now = run.links
    olds = baseline[_OLD_KEPT].rename(columns={c: f"old_{c}" for c in _OLD_KEPT})
    same = now.merge(olds, left_on=KEY, right_on=[f"old_{c}" for c in KEY], how="inner")
    old_left = _anti_join(baseline, now, KEY)
    new_left = _anti_join(now, baseline, KEY)
    by_anchor, old_left, new_left = _pair(old_left, new_left, ["source_url", "target_url"])
    by_target, old_left, new_left = _pair(old_left, new_left, ["source_url", "target"])
    renamed = pd.concat([by_anchor, by_target], ignore_index=True)
    renamed = renamed[[f"old_{c}" for c in KEY] + KEY]

    outcomes = page_outcomes(old_left["source_url"], run.pages, run.errors, run.blocked)
    lost = old_left.merge(outcomes, on="source_url", how="left")
    lost["lost"] = lost["lost_reason"] != NOT_CRAWLED
    lost = lost.sort_values(["source_url", "link_index"], kind="stable")
    new = new_left.sort_values(["source_url", "link_index"], kind="stable")
    return Comparison(
        new=new[NEW_COLUMNS].reset_index(drop=True),
        lost=lost[LOST_COLUMNS].reset_index(drop=True),
        changed=_changes(same, by_anchor, by_target),
        renamed=renamed.reset_index(drop=True),
    )


def write_comparison(result: Comparison, folder: Path) -> list[str]:
    """Write ``new_links.csv``, ``lost_links.csv`` and ``changed_links.csv`` (headers even
    when empty); return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, frame in (
        ("new_links.csv", result.new),
        ("lost_links.csv", result.lost),
        ("changed_links.csv", result.changed),
    ):
        out = frame.copy()
        for column in out.columns:  # CSV booleans are true/false, as in every export
            if out[column].dtype == bool:
                out[column] = out[column].map({True: "true", False: "false"})
        write_frame(out, folder / name)  # no text cell runs as a formula in a spreadsheet
        names.append(name)
    return names
