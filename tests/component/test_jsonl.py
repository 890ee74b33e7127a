"""The one JSON Lines writer and tolerant reader (linkspider.core.jsonl)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from linkspider.core.jsonl import (
    JsonlWriter,
    LineCounts,
    concatenate,
    numbered_records,
    read_jsonl,
    write_jsonl,
)


def _read(path: Path, **kwargs: int) -> tuple[list[dict[str, object]], LineCounts]:
    counts = LineCounts()
    return list(read_jsonl(path, counts, **kwargs)), counts


def test_writer_appends_and_flushes_each_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    with JsonlWriter(path) as writer:
        writer.write({"a": 1, "text": "Wanderbücher"})
        # Flushed: another reader sees the line while the writer is still open.
        assert path.read_text("utf-8") == '{"a": 1, "text": "Wanderbücher"}\n'
    with JsonlWriter(path) as writer:
        assert writer.write_many([{"a": 2}, {"a": 3}]) == 2
    assert [r["a"] for r in read_jsonl(path)] == [1, 2, 3]


def test_writer_refuses_values_that_are_not_json(tmp_path: Path) -> None:
    with JsonlWriter(tmp_path / "rows.jsonl") as writer, pytest.raises(TypeError):
        writer.write({"when": object()})


def test_atomic_write_replaces_on_success_only(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"old": true}\n', "utf-8")
    with pytest.raises(RuntimeError), JsonlWriter(path, atomic=True) as writer:
        writer.write({"new": True})
        raise RuntimeError("export failed")
    assert list(read_jsonl(path)) == [{"old": True}]
    assert write_jsonl(path, [{"new": True}]) == 1
    assert list(read_jsonl(path)) == [{"new": True}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert _read(tmp_path / "absent.jsonl") == ([], LineCounts())


def test_empty_file_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"")
    assert _read(path) == ([], LineCounts())
    path.write_bytes(b'\n  \n{"a": 1}\n\n')
    assert _read(path) == ([{"a": 1}], LineCounts(records=1))


def test_truncated_last_line_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3, "te')
    assert _read(path) == ([{"a": 1}, {"a": 2}], LineCounts(records=2, bad_lines=1))


def test_a_line_cut_by_a_kill_then_appended_to(tmp_path: Path) -> None:
    """A killed crawl's half line, then a resumed crawl's lines: only the half is lost."""
    path = tmp_path / "rows.jsonl"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from linkspider.core.jsonl import JsonlWriter\n"
        "w = JsonlWriter(Path(sys.argv[1]))\n"
        "w.write({'a': 1})\n"
        'w._handle.write(\'{"a": 2, "cut\')\n'  # half a line in the buffer...
        "w._handle.flush()\n"  # ...reaches the file; then the process is killed
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with JsonlWriter(path) as writer:  # resumed: appends after the half line
        writer.write({"a": 3})
        writer.write({"a": 4})
    records, counts = _read(path)
    # The half line is ended first: it is the one bad line, the resumed lines are read.
    assert records == [{"a": 1}, {"a": 3}, {"a": 4}]
    assert counts == LineCounts(records=3, bad_lines=1)


def test_invalid_utf8_keeps_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"anchor": "caf\xe9", "a": 1}\n{"a": 2}\n\xff\xfe\n')
    records, counts = _read(path)
    assert records == [{"anchor": "caf\ufffd", "a": 1}, {"a": 2}]
    assert counts == LineCounts(records=2, bad_lines=1)


def test_lines_that_are_not_objects_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'[1, 2]\n"text"\nnull\n{"a": 1}\n')
    assert _read(path) == ([{"a": 1}], LineCounts(records=1, bad_lines=3))


def test_huge_line_is_skipped_without_losing_the_next(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    huge = b'{"a": "' + b"x" * 5000 + b'"}\n'
    path.write_bytes(b'{"a": 1}\n' + huge + b'{"a": 2}\n')
    records, counts = _read(path, max_line_bytes=1000)
    assert records == [{"a": 1}, {"a": 2}]
    assert counts == LineCounts(records=2, bad_lines=1, long_lines=1)
    # Under the default limit the same line is an ordinary row.
    assert len(list(read_jsonl(path))) == 3


def test_line_numbers_count_every_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 0}\n\nbroken\n{"a": 3}\n')
    assert list(numbered_records(path)) == [(0, {"a": 0}), (3, {"a": 3})]


def test_concatenate_keeps_each_part_s_lines(tmp_path: Path) -> None:
    """Worker parts merged: a killed worker's half line stays one bad line."""
    (tmp_path / "a.jsonl").write_bytes(b'{"x": 1}\n{"x": 2')
    (tmp_path / "b.jsonl").write_bytes(b'{"x": 3}\n')
    concatenate([tmp_path / "a.jsonl", tmp_path / "gone.jsonl", tmp_path / "b.jsonl"],
                tmp_path / "all.jsonl")  # fmt: skip
    records, counts = _read(tmp_path / "all.jsonl")
    assert records == [{"x": 1}, {"x": 3}]
    assert counts == LineCounts(records=2, bad_lines=1)
    assert not (tmp_path / "all.jsonl.tmp").exists()
