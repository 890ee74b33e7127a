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


# --- run status and exit codes ------------------------------------------------------------

#: ``run.json`` ``status`` values. ``running``: the crawl is on (or was killed: see
#: ``linkspider export``); ``finished``: crawled to the end, exports built; ``stopped``:
#: stopped early (a limit, Ctrl-C), exports built from what was crawled; ``interrupted``:
#: killed, then ``linkspider export`` built the exports from what it had written;
#: ``export-failed``: every row is in the JSON Lines files, building the exports failed;
#: ``failed``: a write failed (disk full, read-only folder), rows are missing.
RUNNING = "running"
FINISHED = "finished"
STOPPED = "stopped"
INTERRUPTED = "interrupted"
EXPORT_FAILED = "export-failed"
FAILED = "failed"

#: Scratch folders the exports make in the run folder (``tempfile.mkdtemp`` with one of
#: these prefixes and the suffix ``.tmp``): DuckDB's spill files, xlsxwriter's rows.
#: Removed when done; a killed export's are removed by the next.
DUCKDB_SCRATCH = ".duckdb-spill-"
XLSX_SCRATCH = ".xlsx-"
SCRATCH_PREFIXES = (DUCKDB_SCRATCH, XLSX_SCRATCH)

#: The crawl's close reason when writing its rows failed (it stops at once).
WRITE_FAILED = "write-failed"

#: The target checks' file in the run folder: the target check middleware writes it, the
#: reports read it (``target_status.csv``, ``broken_backlinks.csv``).
TARGET_STATUS_JSONL = "target_status.jsonl"

#: Exit codes of ``scrapy crawl backlinks`` and ``linkspider export``: 0 exports complete,
#: 1 the crawl could not run (Scrapy's own), 2 bad arguments or an unusable output folder,
#: 3 the exports are missing or incomplete (``run.json`` says why).
EXIT_OK = 0
EXIT_CRAWL_ERROR = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3

#: The attribute linkspider's ``scrapy crawl`` command sets on its crawler: a list in
#: which the run report leaves the run's end (a ``reports.handoff.RunEnd``) instead of
#: building the exports; the command builds them in a new process once Scrapy has stopped.
HANDOFF_ATTR = "linkspider_exports_handoff"

#: Stats keys where the run report leaves the status and exit code (for ``crawl``).
STATUS_STAT = "linkspider/run/status"
EXIT_CODE_STAT = "linkspider/run/exit_code"


def run_status(finish_reason: str) -> str:
    """The ``run.json`` status of a crawl that closed with ``finish_reason``, exports built."""
    if finish_reason == WRITE_FAILED:
        return FAILED
    return FINISHED if finish_reason == "finished" else STOPPED


def status_after_export(status: str, finish_reason: str, crawl_alive: bool) -> str:
    """The status ``linkspider export`` gives a run folder whose exports it has built."""
    if status == RUNNING:
        return RUNNING if crawl_alive else INTERRUPTED
    if status == EXPORT_FAILED:
        return run_status(finish_reason)
    return status or INTERRUPTED  # no status: a folder from before run.json had one


def exit_code(status: str) -> int:
    """The process exit code for a run ``status``: are the exports complete?"""
    return EXIT_INCOMPLETE if status in (FAILED, EXPORT_FAILED, RUNNING) else EXIT_OK


def check_writable(folder: Path) -> None:
    """Raise ``OSError`` (with the reason) unless files can be created in ``folder``.

    A folder that does not exist yet is checked at its nearest existing parent, where it
    would be made.
    """
    existing = folder.expanduser().absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(f"{existing} is not a folder")
    probe = existing / f".linkspider-write-check-{os.getpid()}"
    probe.write_bytes(b"")
    probe.unlink()
