"""Read what monitoring needs from a run folder: its counted links and its page outcomes.

Only the needed columns are read (Parquet and CSV column projection; the links through
DuckDB, which filters, numbers and sorts them out of core), into pandas frames the
comparison joins as wholes: no per-row Python.

A link *counts* when its row is in ``backlinks.parquet`` and its page is indexable
(``source_indexable``): a link on a noindex page, or on a page whose canonical points
elsewhere, is extracted but does not count (see ``reasons.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from linkspider.engines._duckdb import TABLES_MEMORY_LIMIT, connect
from linkspider.engines.tables import TableResult, read_jsonl_batches

#: What identifies a link across runs: the page, the target URL, the anchor, and which
#: of the page's links with that target and anchor it is (1, 2, ... in page order).
KEY = ["source_url", "target_url", "anchor", "occurrence"]
#: The columns a link carries through monitoring (the key, then its attributes).
LINK_COLUMNS = [
    *KEY, "source_domain", "target", "link_index", "rel", "follow", "follow_reason",
    "placement", "first_seen", "last_seen",
]  # fmt: skip
_PAGE_TYPES = {
    "url": pa.string(), "requested_url": pa.string(), "status": pa.int64(),
    "parsed": pa.bool_(), "note": pa.string(), "index_reason": pa.string(),
    "canonical": pa.string(), "fetched_at": pa.string(),
}  # fmt: skip
_ERROR_TYPES = {"url": pa.string(), "error": pa.string()}
_BLOCKED_SCHEMA = pa.schema(
    [("url", pa.string()), ("reason", pa.string()), ("requested_url", pa.string())]
)


class NotARunFolder(ValueError):
    """The folder is not a linkspider run folder with built exports."""


@dataclass
class RunData:
    """One run folder, as monitoring sees it."""

    folder: Path
    started_at: str
    targets: str  # the target set, normalised (``*`` for every external link); "" unknown
    links: pd.DataFrame  # counted links, LINK_COLUMNS
    pages: pd.DataFrame  # pages.csv: url, requested_url, status, parsed, note, ...
    errors: pd.DataFrame  # errors.csv: url, error
    blocked: pd.DataFrame  # blocked pages: url, reason, requested_url


def anchor_of(frame: pd.DataFrame) -> pd.Series:
    """The anchor as ``anchors.csv`` has it: the text, or an image link's alt text."""
    image = frame["link_type"] == "image"
    return frame["anchor_text"].where(~image, frame["image_alt"]).fillna("")


def with_occurrence(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by page and position and number repeated (page, target URL, anchor) links."""
    frame = frame.sort_values(["source_url", "link_index"], kind="stable").reset_index(drop=True)
    group = frame.groupby(["source_url", "target_url", "anchor"], sort=False)
    frame["occurrence"] = group.cumcount().astype("int64") + 1
    return frame


def numbered_links(where: str = "true") -> str:
    """DuckDB SQL: the rows of the Parquet file ``$parquet`` that match ``where``, with
    ``_row`` (file order), ``anchor`` (as :func:`anchor_of`) and ``occurrence`` (as
    :func:`with_occurrence`: page order, then file order)."""
    return f"""SELECT *, row_number() OVER (PARTITION BY source_url, target_url, anchor
                                         ORDER BY link_index NULLS LAST, _row) AS occurrence
        FROM (SELECT *, file_row_number AS _row,
                     coalesce(CASE WHEN link_type = 'image' THEN image_alt
                                   ELSE anchor_text END, '') AS anchor
              FROM read_parquet($parquet, file_row_number = true) WHERE {where})"""


#: The attributes that read as "" (or false) when missing.
_FILLED = {"rel": "''", "follow_reason": "''", "placement": "''", "source_domain": "''",
           "target": "''", "follow": "false"}  # fmt: skip


def read_links(parquet: Path) -> pd.DataFrame:
    """The counted links of a ``backlinks.parquet`` (LINK_COLUMNS), in page order.

    DuckDB filters, numbers and sorts the rows out of core; only the result becomes a
    pandas frame.
    """
    columns = ", ".join(
        f"coalesce({name}, {_FILLED[name]}) AS {name}" if name in _FILLED else name
        for name in LINK_COLUMNS
    )
    with connect(parquet.parent, TABLES_MEMORY_LIMIT) as db:
        table = db.sql(
            f"""SELECT {columns} FROM ({numbered_links("coalesce(source_indexable, false)")})
                ORDER BY source_url, link_index NULLS LAST, _row""",
            params={"parquet": str(parquet)},
        ).to_arrow_table()
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _read_csv(path: Path, types: dict[str, pa.DataType]) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame({name: pd.Series(dtype="object") for name in types})
    header = path.open(encoding="utf-8").readline().strip().split(",")
    names = [name for name in types if name in header]
    convert = pa_csv.ConvertOptions(
        column_types={n: types[n] for n in names},
        include_columns=names,
        strings_can_be_null=False,
        true_values=["true", "True"],
        false_values=["false", "False"],
    )
    frame: pd.DataFrame = pa_csv.read_csv(path, convert_options=convert).to_pandas()
    for name in types:
        if name not in frame:
            frame[name] = ""
    return frame


def read_blocked(folder: Path) -> pd.DataFrame:
    """Blocked pages from ``blocked_pages.jsonl`` (the source of truth), else the CSV.

    A crawl writes the CSV before the exports are built, ``linkspider merge`` after: the
    JSON Lines file is up to date in both cases. The last line per URL wins.
    """
    jsonl = folder / "blocked_pages.jsonl"
    if jsonl.exists():
        batches = list(read_jsonl_batches(jsonl, _BLOCKED_SCHEMA, TableResult()))
        table = pa.Table.from_batches(batches, schema=_BLOCKED_SCHEMA)
        blocked: pd.DataFrame = table.to_pandas().fillna("")
        return blocked.drop_duplicates("url", keep="last")
    types = {name: pa.string() for name in _BLOCKED_SCHEMA.names}
    return _read_csv(folder / "blocked_pages.csv", types)


def targets_key(folder: Path, run: dict[str, Any]) -> str:
    """The run's target set as one normalised string: sorted domains, or ``*``."""
    described = run.get("targets")
    if not described:  # a distributed crawl: the definition its workers recorded
        for worker in sorted((folder / "parts").glob("*/worker.json")):
            try:
                definition = json.loads(worker.read_text("utf-8")).get("definition") or {}
            except (OSError, ValueError):
                continue
            if definition.get("all_external"):
                described = "*"
            elif definition.get("targets"):
                described = ",".join(str(t.get("domain", "")) for t in definition["targets"])
            if described:
                break
    return normalise_targets(str(described or ""))


def normalise_targets(described: str) -> str:
    """A target set's description (``TargetSet.describe()``) as the history keys it."""
    if not described:
        return ""
    if described.startswith("*"):
        return "*"
    domains = {d.strip().lower() for d in described.split(",") if d.strip()}
    return ",".join(sorted(domains))


def read_run_json(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "run.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_run(folder: Path) -> RunData:
    """Read a run folder whose exports are built; :class:`NotARunFolder` otherwise."""
    if not folder.is_dir():
        raise NotARunFolder(f"{folder} is not a folder")
    parquet = folder / "backlinks.parquet"
    if not parquet.exists() or not (folder / "pages.csv").exists():
        hint = (
            f"; run `linkspider export {folder}` first"
            if (folder / "backlinks.jsonl").exists()
            else ""
        )
        raise NotARunFolder(
            f"{folder} is not a linkspider run folder (no backlinks.parquet and pages.csv){hint}"
        )
    run = read_run_json(folder)
    pages = _read_csv(folder / "pages.csv", _PAGE_TYPES)
    started = str(run.get("started_at") or "")
    if not started and len(pages):
        started = str(pages["fetched_at"].min())
    return RunData(
        folder=folder,
        started_at=started,
        targets=targets_key(folder, run),
        links=read_links(parquet),
        pages=pages,
        errors=_read_csv(folder / "errors.csv", _ERROR_TYPES),
        blocked=read_blocked(folder),
    )
