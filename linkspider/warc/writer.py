"""WARC files of a crawl: named, rotated by size, and complete only once closed.

A file is written as ``linkspider-<UTC YYYYmmddHHMMSS>-<serial>.warc.gz.open`` and renamed
without ``.open`` when it is closed, so a killed crawl never leaves a file that looks
complete (the records an ``.open`` file holds are whole gzip members up to the last one,
which may be cut). Each file opens with a ``warcinfo`` record. The records of one exchange
(response, request, metadata) always go to the same file: a new file is started first when
they would take the current one past ``max_bytes`` (a single exchange bigger than that
gets a file of its own). Names never overwrite: a name taken by an earlier session (a
resumed crawl) or by another process writing into the same folder moves to the next serial.

A failed write (disk full) cuts the file back to its last whole record, closes it and
raises the ``OSError``: the files left hold whole records only.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from linkspider.warc.encode import write_record
from linkspider.warc.record import RecordSpec, warcinfo_record

OPEN_SUFFIX = ".open"
EXTENSION = ".warc.gz"
#: Heritrix's default: 1 GB.
DEFAULT_MAX_BYTES = 1_000_000_000


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def parse_byte_size(value: object) -> int:
    """``1000000``, ``"1_000_000"``, ``"500MB"``, ``"1 GB"``, ``"64MiB"`` -> bytes.

    Raises ``ValueError`` (with the accepted forms) for anything else or a size below 1.
    """
    text = str(value).replace("_", "").lower()
    found = _SIZE.match(text)
    if not found or found.group(2) not in _UNITS:
        raise ValueError(
            f"expected a number of bytes such as 1000000, 500MB or 1GiB, got {value!r}"
        )
    size = int(float(found.group(1)) * _UNITS[found.group(2)])
    if size < 1:
        raise ValueError(f"must be at least 1 byte, got {value!r}")
    return size


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WarcFileWriter:
    """Writes groups of records into rotating WARC files in ``folder``.

    ``info`` holds the ``warcinfo`` fields of every file (software, operator, robots...).
    """

    def __init__(
        self,
        folder: Path,
        max_bytes: int = DEFAULT_MAX_BYTES,
        info: Sequence[tuple[str, str]] = (),
        prefix: str = "linkspider",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.info = tuple(info)
        self.prefix = prefix
        self.clock = clock
        self.closed_files: list[Path] = []
        self._handle: io.FileIO | None = None
        self._path: Path | None = None  # the final name of the open file
        self._size = 0  # bytes of whole records in the open file
        self._records = 0  # records after its warcinfo
        self._serial = 0
        self.warcinfo_id: str | None = None

    @property
    def current(self) -> Path | None:
        """The final name of the file being written (it is ``<name>.open`` until closed)."""
        return self._path

    def open_first(self) -> None:
        """Open a file now if none is open (so that an unwritable folder shows at once)."""
        if self._handle is None:
            self._open()

    def write(self, records: Sequence[RecordSpec]) -> None:
        """Write one exchange's records into one file, rotating first if they do not fit."""
        if self._handle is None:
            self._open()
        encoded = self._encode(records, self.warcinfo_id)
        if self._records and self._size + len(encoded) > self.max_bytes:
            self.close()
            self._open()
            encoded = self._encode(records, self.warcinfo_id)
        self._append(encoded)
        self._records += len(records)

    def close(self) -> None:
        """Close the open file and give it its final name (nothing open: nothing to do)."""
        handle, path = self._handle, self._path
        if handle is None or path is None:
            return
        self._handle = None
        self._path = None
        self.warcinfo_id = None
        handle.close()
        os.replace(_open_name(path), path)
        self.closed_files.append(path)

    # -- internals -------------------------------------------------------------------------
    @staticmethod
    def _encode(records: Sequence[RecordSpec], warcinfo_id: str | None) -> bytes:
        buffer = io.BytesIO()
        for spec in records:
            if warcinfo_id and spec.record_type != "warcinfo":
                spec = replace(spec, headers=(*spec.headers, ("WARC-Warcinfo-ID", warcinfo_id)))
            write_record(spec, buffer)
        return buffer.getvalue()

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            stamp = self.clock().strftime("%Y%m%d%H%M%S")
            path = self.folder / f"{self.prefix}-{stamp}-{self._serial:05d}{EXTENSION}"
            self._serial += 1
            if path.exists():
                continue
            try:
                # Unbuffered: a failed write leaves nothing behind to flush, and the file
                # can be cut back to its whole records.
                handle = _open_name(path).open("xb", buffering=0)
            except FileExistsError:
                continue
            break
        self._handle, self._path, self._size, self._records = handle, path, 0, 0
        info = warcinfo_record(path.name, self.info, self.clock())
        self.warcinfo_id = info.record_id
        self._append(self._encode([info], None))

    def _append(self, data: bytes) -> None:
        assert self._handle is not None and self._path is not None
        try:
            view = memoryview(data)
            while view:
                view = view[self._handle.write(view) :]
        except OSError:
            self._abandon()
            raise
        self._size += len(data)

    def _abandon(self) -> None:
        """After a failed write: cut the file back to its whole records and close it."""
        handle, path = self._handle, self._path
        self._handle = None
        self._path = None
        if handle is None or path is None:
            return
        with contextlib.suppress(OSError):
            handle.truncate(self._size)  # frees space: never needs any
        with contextlib.suppress(OSError):
            handle.close()
        if self._size == 0:
            with contextlib.suppress(OSError):
                _open_name(path).unlink()
            return
        with contextlib.suppress(OSError):
            os.replace(_open_name(path), path)
            self.closed_files.append(path)


def _open_name(path: Path) -> Path:
    return path.with_name(path.name + OPEN_SUFFIX)
