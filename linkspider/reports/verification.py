"""The verification step of ``build_exports``: placed links and target checks.

One call, at its agreed place (after monitoring, before the HTML report): writes
``placements_status.csv`` (``-a expect``) and joins ``target_status`` into the backlink
table with ``broken_backlinks.csv`` (``-a check_targets``). Each part does nothing when
its crawl option was not used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class VerificationSummary:
    placements: Counter[str] = field(default_factory=Counter)  # per status; empty: no expect
    broken_backlinks: int | None = None  # None: targets not checked


def build_verification(output_dir: Path) -> VerificationSummary:
    # Imported here: the summary class is light (the exports' stages hand it on), the
    # steps are not (pyarrow).
    from linkspider.reports.placements import write_placements_status
    from linkspider.reports.targets import apply_target_status

    return VerificationSummary(
        placements=write_placements_status(output_dir) or Counter(),
        broken_backlinks=apply_target_status(output_dir),
    )
