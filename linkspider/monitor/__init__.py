"""Monitoring over time: the link history of a target set, and new / lost / changed links.

* :mod:`runs`: what a run folder holds, as monitoring reads it (link identity);
* :mod:`reasons`: why a link is lost (``lost_reason``);
* :mod:`compare`: new, lost and changed links between a baseline and a run;
* :mod:`history`: the SQLite store of every link that counted, across runs;
* :mod:`trends`: per run of a target set, its numbers over time (``linkspider history``);
* :mod:`step`: the ``build_exports`` step and ``linkspider diff``.

The names below are imported on first use, so ``linkspider --help`` (which registers
:mod:`linkspider.monitor.cli`) does not load pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkspider.monitor.step import (
        MonitorSummary,
        NotARunFolder,
        diff_folders,
        history_first_seen,
        update_monitoring,
    )

__all__ = [
    "MonitorSummary", "NotARunFolder", "diff_folders", "history_first_seen", "update_monitoring",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in __all__:
        from linkspider.monitor import step

        return getattr(step, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
