"""JSON Lines I/O for every linkspider file: one writer, one tolerant reader.

Writing (:class:`JsonlWriter`): one JSON object per line, UTF-8 (``ensure_ascii=False``).
Crawl streams append and flush each line as it is written (``flush_each``): a killed crawl
keeps every line it wrote, and a resumed one (``JOBDIR``) adds to them (after ending the
half line a kill may have left, which the reader then skips as one bad line). There is no
``fsync``: a flushed line survives the process, not a power cut. Files rebuilt whole
(``atomic=True``) are written to ``NAME.tmp`` and renamed over ``NAME`` when closed
without an error. Values must be JSON-native (str, int, float, bool, None, lists, dicts):
anything else raises ``TypeError``, as :func:`json.dumps` does.

Reading (:func:`read_jsonl`, :func:`numbered_records`): streamed line by line, never the
whole file. A missing file reads as empty; blank lines are skipped. A line that is not a
JSON object (cut short by a kill, garbled, or longer than ``max_line_bytes``) is skipped
and counted in :class:`LineCounts`. Bytes that are not UTF-8 are read as U+FFFD, so a
line with one bad byte keeps its other fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

#: Longest line read (a link row is a few KB; a longer line is a broken file).
MAX_LINE_BYTES = 64 << 20
_SKIP_CHUNK = 1 << 20  # bytes read at once when skipping or copying


def dumps_line(record: Mapping[str, Any]) -> str:
    """``record`` as one JSON Lines line, newline included."""
    return json.dumps(record, ensure_ascii=False) + "\n"


class JsonlWriter:
    """Writes JSON Lines to ``path`` (see the module).

    ``append``: keep the file's lines (else it is replaced); ``flush_each``: flush after
    every :meth:`write` and :meth:`write_many`; ``atomic``: write ``NAME.tmp`` and rename
    it over ``path`` on a clean :meth:`close` (implies replacing).
    """

    def __init__(
        self, path: Path, *, append: bool = True, flush_each: bool = True, atomic: bool = False
    ) -> None:
        self.path = path
        self.atomic = atomic
        self.flush_each = flush_each
        self._target = path.with_name(path.name + ".tmp") if atomic else path
        mode = "a" if append and not atomic else "w"
        self._handle: IO[str] = self._target.open(mode, encoding="utf-8")
        self.lines = 0
        if mode == "a" and not _ends_a_line(self._target):
            # A killed writer's half line: end it, or it swallows the first new line.
            self._handle.write("\n")
            self._handle.flush()

    def write(self, record: Mapping[str, Any]) -> None:
        self._handle.write(dumps_line(record))
        self.lines += 1
        if self.flush_each:
            self._handle.flush()

    def write_many(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Write ``records``, flushing once at the end (with ``flush_each``); their count."""
        count = 0
        for record in records:
            self._handle.write(dumps_line(record))
            count += 1
        self.lines += count
        if self.flush_each:
            self._handle.flush()
        return count

    def flush(self) -> None:
        self._handle.flush()

    def close(self, *, keep: bool = True) -> None:
        """Close; an atomic file replaces ``path`` when ``keep``, else it is removed."""
        if self._handle.closed:
            return
        try:
            self._handle.close()
        except OSError:
            if self.atomic:
                self._target.unlink(missing_ok=True)
            raise
        if self.atomic:
            if keep:
                self._target.replace(self.path)
            else:
                self._target.unlink(missing_ok=True)

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(keep=kind is None)


def _ends_a_line(path: Path) -> bool:
    """Whether ``path`` is empty or ends with a newline."""
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return True
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


def concatenate(sources: Iterable[Path], target: Path) -> None:
    """Stream the lines of ``sources`` (missing ones skipped) into ``target``, atomically
    replaced, bytes as they are: a source's half last line is ended, so it stays one bad
    line and does not swallow the next source's first."""
    tmp = target.with_name(target.name + ".tmp")
    try:
        with tmp.open("wb") as out:
            for source in sources:
                if not source.exists():
                    continue
                last = b"\n"
                with source.open("rb") as handle:
                    while chunk := handle.read(_SKIP_CHUNK):
                        out.write(chunk)
                        last = chunk[-1:]
                if last != b"\n":
                    out.write(b"\n")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Replace ``path`` atomically with ``records``; their count."""
    with JsonlWriter(path, atomic=True, flush_each=False) as writer:
        return writer.write_many(records)


@dataclass
class LineCounts:
    """What a read met: records read, and lines skipped (``long_lines`` among them)."""

    records: int = 0
    bad_lines: int = 0
    long_lines: int = 0


def numbered_records(
    path: Path, counts: LineCounts | None = None, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each JSON object line of ``path`` (numbers count
    every line from 0, blank and bad ones too); bad lines are counted in ``counts``."""
    counts = counts if counts is not None else LineCounts()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        number = -1
        while line := handle.readline(max_line_bytes + 1):
            number += 1
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                _skip_rest_of_line(handle)
                counts.bad_lines += 1
                counts.long_lines += 1
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8", errors="replace"))
            except ValueError:
                record = None
            if not isinstance(record, dict):
                counts.bad_lines += 1
                continue
            counts.records += 1
            yield number, record


def _skip_rest_of_line(handle: IO[bytes]) -> None:
    while chunk := handle.readline(_SKIP_CHUNK):
        if chunk.endswith(b"\n"):
            return


def read_jsonl(
    path: Path, counts: LineCounts | None = None, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[dict[str, Any]]:
    """The JSON object lines of ``path``, streamed; bad lines skipped and counted."""
    for _, record in numbered_records(path, counts, max_line_bytes):
        yield record
