"""Monitoring over time: the link history of a target set, and new / lost / changed links.

* :mod:`runs`: what a run folder holds, as monitoring reads it (link identity);
* :mod:`reasons`: why a link is lost (``lost_reason``);
* :mod:`compare`: new, lost and changed links between a baseline and a run;
* :mod:`history`: the SQLite store of every link that counted, across runs;
* :mod:`step`: the ``build_exports`` step and ``linkspider diff``.
"""

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
