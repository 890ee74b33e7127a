"""Which web-graph release gives a run its open authority, and the ranks it gives.

The release is ``LINKSPIDER_AUTHORITY_RELEASE`` (a release name, downloaded into the
cache like ``linkspider discover --release``, or a folder holding one), else the one the
crawl's ``-a discover`` used (``run.json``). Ranks are looked up at domain level for the
run's referring domains (``source_domain``) through :func:`linkspider.discover.lookup_ranks`,
whose per-release index answers names it has seen before without reading the rank file.

``authority.json`` in the run folder says which release was used and how many referring
domains it ranks, or why none could be (``error``: the exports are still written, the
columns empty, and the report says so).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkspider.config.discover_seeds import check_folder, open_graph, release_arguments
from linkspider.discover import DiscoverError, lookup_ranks
from linkspider.discover.layout import open_release_dir
from linkspider.reports.authority import Authority

logger = logging.getLogger(__name__)

AUTHORITY_FILE = "authority.json"
LEVEL = "domain"


def check_release_setting(value: str) -> None:
    """``ValueError`` for a ``LINKSPIDER_AUTHORITY_RELEASE`` folder that holds no release
    (a name is checked when it is used: that needs the network)."""
    graph, _name = release_arguments(value)
    if graph is not None:
        try:
            check_folder(value)
            open_release_dir(graph).files(LEVEL)
        except DiscoverError as exc:
            raise ValueError(f"LINKSPIDER_AUTHORITY_RELEASE: {exc}") from None


def configured_release(folder: Path, setting: str) -> str:
    """The release to use: the setting, else the one ``-a discover`` used ('' if none)."""
    if setting.strip():
        return setting.strip()
    try:
        info = json.loads((folder / "run.json").read_text("utf-8"))
    except (OSError, ValueError):
        return ""
    discover = info.get("discover") if isinstance(info, dict) else None
    return str(discover.get("source") or "") if isinstance(discover, dict) else ""


def referring_domains(parquet: Path) -> list[str]:
    """The distinct ``source_domain`` values of the backlink table (read batch by batch)."""
    if not parquet.exists():
        return []
    seen: pa.Array | None = None
    for batch in pq.ParquetFile(parquet).iter_batches(columns=["source_domain"]):
        values = pc.unique(batch.column(0))
        seen = values if seen is None else pc.unique(pa.concat_arrays([seen, values]))
    if seen is None:
        return []
    return [str(v) for v in seen.to_pylist() if v]


def load_authority(folder: Path, setting: str) -> Authority | None:
    """Ranks of the run's referring domains (None without a release or when it fails:
    ``authority.json`` says which); writes ``authority.json``."""
    source = configured_release(folder, setting)
    path = folder / AUTHORITY_FILE
    if not source:
        path.unlink(missing_ok=True)
        return None
    names = referring_domains(folder / "backlinks.parquet")
    info: dict[str, Any] = {"source": source, "level": LEVEL, "referring_domains": len(names)}
    authority = None
    try:
        release = open_graph(source, LEVEL)
        ranks = lookup_ranks(release, names, LEVEL) if names else {}
        authority = Authority(release.name, LEVEL, ranks, len(names))
        info.update(release=release.name, ranked=len(ranks))
    except DiscoverError as exc:
        info.update(release="", ranked=0, error=str(exc))
        logger.error(f"linkspider: no open authority from {source}: {exc} (columns left empty)")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)
    return authority


def read_authority_info(folder: Path) -> dict[str, Any]:
    """``authority.json`` of a run folder ({} if none)."""
    try:
        info = json.loads((folder / AUTHORITY_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}
