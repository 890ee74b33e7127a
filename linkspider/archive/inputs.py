"""Archive inputs: whole WARC files or byte ranges of them, local or over HTTP(S).

A :class:`WarcInput` is what one Spark task reads: a whole file (``offset`` None) or one
record range (``offset``, ``length``: Common Crawl index rows). Locations:

* a local path or ``file://`` URL (on a cluster: a path every executor sees, e.g. a
  shared or FUSE-mounted file system): memory-mapped, never read into memory;
* ``http://`` / ``https://`` (Common Crawl's ``https://data.commoncrawl.org/...``, an S3
  or GCS object's HTTPS URL): a whole file is downloaded to a temporary file first (so a
  damaged file can be re-synchronised), a range is asked with ``Range`` and must come
  back ``206`` with exactly those bytes;
* any other scheme (``s3://``, ``gs://``, ``hdfs://``) through fsspec, when it and the
  scheme's driver (s3fs, gcsfs, ...) are installed on the executors.

Failures raise :class:`InputError` with a problem kind (``unreadable``, ``range-error``)
and a one-line message. No Spark and no Scrapy here.
"""

from __future__ import annotations

import http.client
import mmap
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from linkspider.archive.framing import Buffer

USER_AGENT = "linkspider-archive (+https://github.com/linkspider)"
TIMEOUT = 60.0
_CHUNK = 1 << 20


class InputError(Exception):
    """An input that could not be read: ``kind`` is a problem kind, ``str()`` one line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class WarcInput:
    """A whole WARC file (``offset`` None) or the record at ``offset``/``length``.

    ``split``: ``offset``/``length`` is not one record but a part of a big local file,
    to be read with the others in parallel: the records that start in it (see
    :func:`linkspider.archive.framing.frames`).
    """

    location: str
    offset: int | None = None
    length: int | None = None
    split: bool = False

    def describe(self) -> str:
        if self.offset is None:
            return self.location
        return f"{self.location}@{self.offset}+{self.length}" + (" (part)" if self.split else "")


def is_url(location: str) -> bool:
    return urlsplit(location).scheme.lower() in ("http", "https")


def local_path(location: str) -> Path | None:
    """The path of a local location (a plain path or ``file://``), else None."""
    parts = urlsplit(location)
    if parts.scheme.lower() == "file":
        return Path(unquote(parts.path))
    if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
        return Path(location)
    return None


@contextmanager
def open_input(item: WarcInput, cut: list[str] | None = None) -> Iterator[Buffer]:
    """The bytes of ``item`` as a buffer (``bytes`` or an ``mmap``; a part: the file's).

    A download cut short yields the bytes that arrived, and appends why to ``cut``.
    """
    cut = [] if cut is None else cut
    if item.offset is not None and not item.split:
        yield read_range(item.location, item.offset, item.length or 0)
        return
    path = local_path(item.location)
    if path is not None:
        with _mapped(path, item.location) as buf:
            yield buf
        return
    with tempfile.TemporaryDirectory(prefix="linkspider-warc-") as tmp:
        spool = Path(tmp) / "input.warc"
        with spool.open("wb") as out, _open_remote(item.location) as source:
            # A cut download (an error, or fewer bytes than Content-Length: urllib returns a
            # short body without a word): what arrived is read, its last record listed as
            # truncated, and the cut is a problem of its own: never silently complete.
            announced = _content_length(source)
            try:
                shutil.copyfileobj(source, out, _CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                cut.append(
                    f"{item.location}: download cut short after {out.tell()} bytes ({exc!r})"
                )
            else:
                if announced is not None and out.tell() != announced:
                    cut.append(
                        f"{item.location}: download cut short after {out.tell()} bytes "
                        f"of {announced}"
                    )
        with _mapped(spool, item.location) as buf:
            yield buf


def split_file(item: WarcInput, part_bytes: int) -> list[WarcInput]:
    """A big local gzip WARC file as parts of ``part_bytes`` (record-compressed files
    only: a part starts at its first gzip member holding a record); else ``[item]``."""
    path = local_path(item.location)
    if item.offset is not None or path is None or part_bytes <= 0:
        return [item]
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            gzipped = handle.read(3) == b"\x1f\x8b\x08"
    except OSError:
        return [item]  # the task says why
    if not gzipped or size <= part_bytes:
        return [item]
    return [
        WarcInput(item.location, start, min(part_bytes, size - start), split=True)
        for start in range(0, size, part_bytes)
    ]


def read_range(location: str, offset: int, length: int) -> bytes:
    """Exactly ``length`` bytes at ``offset`` of ``location``, or :class:`InputError`."""
    if offset < 0 or length <= 0:
        raise InputError("range-error", f"{location}: bad range offset={offset} length={length}")
    last = offset + length - 1
    path = local_path(location)
    if path is not None:
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        except OSError as exc:
            raise InputError("unreadable", f"{location}: {_os_message(exc)}") from None
    elif is_url(location):
        data = _http_range(location, offset, last)
    else:
        with _open_remote(location) as handle:
            handle.seek(offset)
            data = handle.read(length)
    if len(data) < length:
        raise InputError(
            "range-error",
            f"{location}: bytes {offset}-{last} asked, {len(data)} read: the file ends before",
        )
    return data


def _http_range(url: str, offset: int, last: int) -> bytes:
    # Checked byte ranges (206 + exact Content-Range; 200, 416, past the end, cut short),
    # keep-alive and retries of 5xx: linkspider.archive.byteranges.
    from linkspider.archive.byteranges import RangeError, shared_reader

    try:
        return shared_reader().read(url, offset, last - offset + 1)
    except RangeError as exc:
        kind = "unreadable" if exc.kind == "unreachable" else "range-error"
        raise InputError(kind, f"{exc} ({exc.kind})") from None


@contextmanager
def _mapped(path: Path, location: str) -> Iterator[Buffer]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError("unreadable", f"{location}: {_os_message(exc)}") from None
    with handle:
        if os.fstat(handle.fileno()).st_size == 0:
            yield b""
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped


@contextmanager
def _open_remote(location: str) -> Iterator[IO[bytes]]:
    if is_url(location):
        request = urllib.request.Request(location, headers={"User-Agent": USER_AGENT})
        try:
            answer = urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            raise InputError("unreadable", f"{location}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise InputError("unreadable", f"{location}: {_os_message(exc)}") from None
        with answer:
            yield answer
        return
    try:
        import fsspec  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise InputError(
            "unreadable",
            f"{location}: reading {urlsplit(location).scheme}:// inputs needs fsspec and its "
            "driver (pip install s3fs / gcsfs) on every executor; or give https:// URLs",
        ) from None
    try:
        opened: Any = fsspec.open(location, "rb").open()
    except Exception as exc:  # fsspec drivers raise their own types
        raise InputError("unreadable", f"{location}: {exc}") from None
    with opened:
        yield opened


def _content_length(source: IO[bytes]) -> int | None:
    headers = getattr(source, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value and str(value).isdigit() else None


def _os_message(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc)
    return getattr(exc, "strerror", None) or text
