"""Read gzip text files fast, as blocks of whole lines, and fail loudly when cut short.

Decompression runs in a ``pigz -dc`` or ``gzip -dc`` subprocess when one is on the PATH
(another core decompresses while this one scans), else in-process with zlib. Either
way a truncated or corrupt file raises :class:`CorruptFileError` naming it once its
readable part has been read: the caller must treat everything read from it as void.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from linkspider.discover.errors import CorruptFileError

#: Bytes asked of the decompressor at a time: large enough that per-block Python costs
#: vanish, small enough that a block costs a few MB.
BLOCK = 1 << 22

#: ``progress(compressed_bytes_read)``, called once per block.
ReadProgress = Callable[[int], None]


def decompressor() -> str | None:
    """The decompression program used (``pigz`` or ``gzip``), None for in-process zlib."""
    if os.environ.get("LINKSPIDER_GZIP") == "zlib":
        return None
    return shutil.which("pigz") or shutil.which("gzip")


def line_blocks(
    path: Path, progress: ReadProgress | None = None, block: int = BLOCK
) -> Iterator[bytes]:
    """The decompressed text of ``path`` in blocks that end with a newline."""
    program = decompressor()
    raw = (
        _program_blocks(path, program, progress, block)
        if program
        else _zlib_blocks(path, progress, block)
    )
    tail = b""
    for data in raw:
        cut = data.rfind(b"\n")
        if cut < 0:
            tail += data
            continue
        # one copy of the block (a slice, then a concatenation, would be two)
        out = b"".join((tail, memoryview(data)[: cut + 1])) if tail else data[: cut + 1]
        tail = data[cut + 1 :]
        yield out
    if tail:
        yield tail + b"\n"


def _program_blocks(
    path: Path, program: str, progress: ReadProgress | None, block: int
) -> Iterator[bytes]:
    try:
        source = path.open("rb")
    except OSError as exc:
        raise CorruptFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with source, tempfile.TemporaryFile() as errors:
        # The child shares the open file, and so its offset: our tell() is its progress.
        process = subprocess.Popen(
            [program, "-dc"], stdin=source, stdout=subprocess.PIPE, stderr=errors
        )
        assert process.stdout is not None
        finished = False
        try:
            while True:
                data = process.stdout.read(block)
                if progress is not None:
                    progress(os.lseek(source.fileno(), 0, os.SEEK_CUR))
                if not data:
                    break
                yield data
            finished = True
        finally:
            if not finished and process.poll() is None:
                process.kill()
            process.stdout.close()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip().splitlines()
            why = message[-1].split(": ")[-1] if message else f"exit status {code}"
            tool = Path(program).name
            raise CorruptFileError(f"{path} is truncated or corrupt ({tool}: {why})", path)


def _zlib_blocks(path: Path, progress: ReadProgress | None, block: int) -> Iterator[bytes]:
    try:
        source = path.open("rb")
    except OSError as exc:
        raise CorruptFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with source:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        started = False
        done = 0
        while True:
            compressed = source.read(block // 4)
            done += len(compressed)
            if progress is not None:
                progress(done)
            if not compressed:
                break
            while compressed:
                started = True
                try:
                    data = inflater.decompress(compressed)
                except zlib.error as exc:
                    raise CorruptFileError(f"{path} is truncated or corrupt ({exc})", path) from exc
                if data:
                    yield data
                if inflater.eof:  # a gzip file may be several members one after another
                    compressed = inflater.unused_data
                    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    if not compressed:
                        started = False
                else:
                    compressed = b""
        if not started and done == 0:
            raise CorruptFileError(f"{path} is truncated or corrupt (empty file)", path)
        if started and not inflater.eof:
            raise CorruptFileError(f"{path} is truncated or corrupt (unexpected end of file)", path)
