"""Split the bytes of a WARC file into records, surviving damage.

WARC files are a series of records, each usually compressed as its own gzip member (what
the WARC standard recommends, and what Common Crawl, Heritrix, warcio and linkspider's
recorder write), or plain. :func:`frames` walks them and yields, in file order, every
record's bytes with its offset and length in the file (for gzip files: the member's, as
Common Crawl's index gives them), and every place where the bytes are not a record:

* ``garbage``: bytes between records that start no record (skipped up to the next one);
* ``broken-gzip``: a gzip member that does not decompress (the reader moves on to the
  next member that does);
* ``truncated``: a record cut off by the end of the data (a member without its end, or
  fewer bytes than its ``Content-Length``);
* ``not-warc``: a member that decompresses to something that is not a WARC record.

The WARC libraries stop at the first of these (warcio raises, fastwarc ends the
iteration, and both drop a record cut off at the end of the file without a word), so
framing is done here and each record's bytes are then parsed by warcio
(:mod:`linkspider.archive.records`). Pure: bytes (or an ``mmap``) in, frames out.

A gzip member holding several records (a whole file compressed at once) is read as one
frame of several records; it is decompressed in memory, so such files should be
recompressed per record (``warcio recompress``) before archiving big ones.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/"
_CHUNK = 1 << 20
_FIRST_CHUNK = 16 << 10
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t\r]*$", re.IGNORECASE | re.MULTILINE)
#: A plain record starts with its version line, "WARC/1.0" or "WARC/1.1", at a line start.
_VERSION = re.compile(rb"WARC/\d\.\d+\r?\n")

GARBAGE = "garbage"
BROKEN_GZIP = "broken-gzip"
TRUNCATED = "truncated"
NOT_WARC = "not-warc"


class Buffer(Protocol):
    """``bytes`` or an ``mmap``: what the framing reads."""

    def __len__(self) -> int: ...
    def __getitem__(self, key: slice, /) -> bytes: ...
    def find(self, sub: bytes, start: int = ..., /) -> int: ...


@dataclass(frozen=True)
class Frame:
    """A record (``data`` is its uncompressed bytes) or a ``problem`` at ``offset``.

    ``offset``/``length`` are positions in the input (compressed bytes for gzip files);
    ``shift`` is added by callers that frame part of a bigger file.
    """

    offset: int
    length: int
    data: bytes = b""
    problem: str = ""
    detail: str = ""


def is_gzip(buf: Buffer) -> bool:
    return buf[0:3] == GZIP_MAGIC


def looks_like_warc(head: bytes) -> bool:
    """True when ``head`` (the first bytes of an input) starts a gzip member or a record."""
    if head.startswith(GZIP_MAGIC):
        try:
            start = zlib.decompressobj(wbits=31).decompress(head, 16)
        except zlib.error:
            return False
        return start.startswith(WARC_MAGIC)
    return head.startswith(WARC_MAGIC)


def frames(buf: Buffer, start: int = 0) -> Iterator[Frame]:
    """Every record and every problem of ``buf``, in order (see the module).

    ``start`` > 0 (a part of a gzip file read in parallel): from the first gzip member at
    or after ``start`` that decompresses to a WARC record; the bytes before it belong to
    the record of the part before, which reads on past its end to finish it.
    """
    if is_gzip(buf):
        yield from _gzip_frames(buf, _next_member(buf, start) if start else 0)
    else:
        yield from _plain_frames(buf, 0)


def _gzip_frames(buf: Buffer, pos: int) -> Iterator[Frame]:
    size = len(buf)
    while pos < size:
        if buf[pos : pos + 3] != GZIP_MAGIC:
            found = _next_member(buf, pos + 1)
            yield Frame(pos, found - pos, problem=GARBAGE, detail=f"{found - pos} bytes skipped")
            pos = found
            continue
        data, used, error = _inflate(buf, pos)
        if error == "truncated":
            yield Frame(pos, size - pos, problem=TRUNCATED, detail="gzip member cut off at end")
            return
        if error:
            found = _next_member(buf, pos + 1)
            yield Frame(pos, found - pos, problem=BROKEN_GZIP, detail=error)
            pos = found
            continue
        if not data.startswith(WARC_MAGIC):
            yield Frame(pos, used, problem=NOT_WARC, detail="gzip member is not a WARC record")
        else:
            for frame in _plain_frames(data, 0):
                if frame.problem:  # problems inside one member: positions of the member
                    yield Frame(pos, used, problem=frame.problem, detail=frame.detail)
                else:
                    yield Frame(pos, used, frame.data)
        pos += used


def _next_member(buf: Buffer, start: int) -> int:
    """The offset of the next gzip member that decompresses to a WARC record, or the end."""
    size = len(buf)
    while True:
        found = buf.find(GZIP_MAGIC, start)
        if found < 0:
            return size
        if looks_like_warc(buf[found : found + 512]):
            return found
        start = found + 1


def _inflate(buf: Buffer, pos: int) -> tuple[bytes, int, str]:
    """``(data, compressed length, error)`` of the gzip member at ``pos``."""
    inflater = zlib.decompressobj(wbits=31)
    out: list[bytes] = []
    fed = 0
    size = len(buf)
    step = _FIRST_CHUNK  # most records are a few KB: never copy a megabyte for one
    try:
        while not inflater.eof:
            if pos + fed >= size:
                return b"", 0, "truncated"
            chunk = buf[pos + fed : pos + fed + step]
            fed += len(chunk)
            step = min(step * 2, _CHUNK)
            out.append(inflater.decompress(chunk))
    except zlib.error as exc:
        return b"", 0, f"gzip: {exc}"
    return b"".join(out), fed - len(inflater.unused_data), ""


def _plain_frames(buf: Buffer, pos: int) -> Iterator[Frame]:
    size = len(buf)
    while pos < size:
        if buf[pos : pos + 5] != WARC_MAGIC:
            if size - pos <= 4096 and not buf[pos:size].strip(b"\r\n"):
                return  # trailing blank lines
            found = _next_plain(buf, pos + 1)
            yield Frame(pos, found - pos, problem=GARBAGE, detail=f"{found - pos} bytes skipped")
            pos = found
            continue
        head_end = buf.find(b"\r\n\r\n", pos)
        head = buf[pos : head_end if head_end >= 0 else size]
        match = _CONTENT_LENGTH.search(head)
        if head_end < 0 or match is None:
            if head_end < 0:
                yield Frame(pos, size - pos, problem=TRUNCATED, detail="record header cut off")
                return
            found = _next_plain(buf, pos + 1)
            yield Frame(pos, found - pos, problem=GARBAGE, detail="record without Content-Length")
            pos = found
            continue
        end = head_end + 4 + int(match.group(1))
        if end > size:
            detail = f"record cut off: {size - head_end - 4} of {int(match.group(1))} bytes"
            yield Frame(pos, size - pos, problem=TRUNCATED, detail=detail)
            return
        yield Frame(pos, end - pos, buf[pos:end])
        pos = end
        while buf[pos : pos + 2] == b"\r\n":  # the two CRLFs after each record
            pos += 2


def _next_plain(buf: Buffer, start: int) -> int:
    """The offset of the next ``WARC/1.x`` line start, or the end."""
    while True:
        found = buf.find(WARC_MAGIC, start)
        if found < 0:
            return len(buf)
        if (found == 0 or buf[found - 1 : found] == b"\n") and _VERSION.match(
            buf[found : found + 16]
        ):
            return found
        start = found + 1
