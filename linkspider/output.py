"""Where a run's exports go: a folder per run, and ``latest`` pointing at the newest."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path


def utc_now() -> str:
    """Current time as ISO 8601 UTC with a ``Z`` suffix, second precision."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def prepare_output_dir(output_dir: str | None, root: str, name: str = "backlinks") -> Path:
    """Create and return the run's export folder.

    An explicit ``output_dir`` is used as given. Otherwise a new folder
    ``<root>/<UTC timestamp>-<name>`` is made and ``<root>/latest`` is re-pointed at it
    (a relative symlink, swapped atomically).
    """
    if output_dir:
        path = Path(output_dir).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
    root_path = Path(root).expanduser()
    root_path.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = root_path / f"{stamp}-{name}"
    suffix = 1
    while True:
        try:
            path.mkdir()
            break
        except FileExistsError:
            suffix += 1
            path = root_path / f"{stamp}-{name}-{suffix}"
    _point_latest(root_path, path.name)
    return path


def _point_latest(root: Path, target: str) -> None:
    latest = root / "latest"
    tmp = root / f".latest-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(target, target_is_directory=True)
        os.replace(tmp, latest)
    except OSError:
        # No symlinks on this filesystem: leave a pointer file instead.
        (root / "latest.txt").write_text(target + "\n", encoding="utf-8")
