"""What a failed or killed export leaves in a run folder is removed, and nothing else: a
folder given as ``output_dir`` may hold the user's own ``*.tmp`` files and folders."""

from __future__ import annotations

from pathlib import Path

from linkspider.output import SCRATCH_PREFIXES
from linkspider.reports.run_folder import remove_tmp_files


def test_the_exports_leftovers_go_and_the_users_files_stay(tmp_path: Path) -> None:
    ours_files = ["backlinks.csv.tmp", "run.json.tmp", "backlinks.parquet.sitewide.tmp"]
    ours_dirs = [f"{prefix}k3j2.tmp" for prefix in SCRATCH_PREFIXES]
    theirs_files = ["notes.tmp", ".swap.tmp", "backlinks.csv"]
    theirs_dirs = ["backup.tmp", "photos"]
    for name in ours_files + theirs_files:
        (tmp_path / name).write_text("x", "utf-8")
    for name in ours_dirs + theirs_dirs:
        (tmp_path / name).mkdir()
        (tmp_path / name / "inside").write_text("x", "utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    (tmp_path / f"{SCRATCH_PREFIXES[0]}link.tmp").symlink_to(outside)  # never followed
    remove_tmp_files(tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*theirs_files, *theirs_dirs, f"{SCRATCH_PREFIXES[0]}link.tmp"])
    assert (tmp_path / "backup.tmp" / "inside").exists() and outside.is_dir()
