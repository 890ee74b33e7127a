"""Byte ranges of remote or local files: one WARC record, or the parts of a Parquet file.

Common Crawl serves its files over HTTPS (``https://data.commoncrawl.org/<path>``) and
answers ``Range: bytes=A-B`` with ``206 Partial Content``. Reading a record by range is
only correct if the server really answered that range, so every answer is checked:

* ``206`` with ``Content-Range: bytes A-B/SIZE`` naming exactly the bytes asked for;
* a ``200`` (the server ignored the Range header and started sending the whole file) is
  refused without reading the body: ``range-ignored``;
* ``416``, or a range that the file ends before, means the index points past the end of
  the file: ``past-end``;
* a body shorter than its range (the connection closed early): ``short-body``.

Each failure is a :class:`RangeError` with a ``kind`` from :data:`RANGE_ERROR_KINDS` and a
one-line message; callers count and list them per record. Local paths (a mirror of the
files on disk) are read with ``seek``/``read`` under the same rules.

No Scrapy here: this runs in Spark executors and in the driver's index query.
"""

from __future__ import annotations

import functools
import http.client
import io
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import urllib3.exceptions

#: ``RangeError.kind`` values, in the order they are reported.
RANGE_ERROR_KINDS = (
    "range-ignored",  # 200 instead of 206: the server does not serve byte ranges
    "past-end",  # 416, or the file ends inside the range: the index row points past the end
    "short-body",  # fewer bytes arrived than the range holds
    "bad-content-range",  # 206 for other bytes than the ones asked for
    "http-error",  # 4xx/5xx (after retries for 5xx)
    "unreachable",  # connection refused, reset, timed out, DNS (after retries)
)

_CONTENT_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIED_RE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)
#: Statuses worth another try: Common Crawl's servers answer 503 "Slow Down" under load.
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: Errors of a connection that broke while a body arrived.
_TRANSFER_ERRORS = (
    OSError,
    http.client.HTTPException,
    urllib3.exceptions.HTTPError,
    requests.RequestException,
)


class RangeError(Exception):
    """A byte range could not be read as asked; ``kind`` says why (see module doc)."""

    def __init__(self, kind: str, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.kind = kind
        self.location = location


@dataclass(frozen=True)
class FetchOptions:
    """How ranges are fetched over HTTP: timeout per request, retries, identification."""

    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0  # seconds, doubled after each retry
    tail_bytes: int = 64 << 10  # first read of a Parquet file: its tail, where the footer is
    user_agent: str = "linkspider-archive (+https://github.com/linkspider/linkspider)"


@dataclass
class TransferStats:
    """What one reader transferred: for the job's counters and the index query's note."""

    requests: int = 0
    bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, nbytes: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes += nbytes


@functools.lru_cache(maxsize=1)
def shared_reader() -> RangeReader:
    """One reader per process (a Spark worker): its HTTP connections are kept alive."""
    return RangeReader()


def is_http(location: str) -> bool:
    """Whether ``location`` is an http(s) URL (else a local path)."""
    return location.lower().startswith(("http://", "https://"))


def join_location(base: str, path: str) -> str:
    """``base`` (a URL or a folder) joined with a relative ``path`` such as CC's filenames."""
    if "://" in path or path.startswith("/"):
        return path
    if is_http(base):
        return base.rstrip("/") + "/" + path.lstrip("/")
    return str(Path(base) / path)


class RangeReader:
    """Reads byte ranges of http(s) URLs and local files, checking every answer.

    One reader keeps one HTTP session (keep-alive) and may be shared by threads.
    """

    def __init__(
        self,
        options: FetchOptions | None = None,
        stats: TransferStats | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options or FetchOptions()
        self.stats = stats or TransferStats()
        self._sleep = sleep
        self._local = threading.local()

    @property
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.options.user_agent
            session.headers["Accept-Encoding"] = "identity"
            self._local.session = session
        return session

    def read(self, location: str, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes at ``offset``, or :class:`RangeError`."""
        if offset < 0 or length <= 0:
            raise RangeError("past-end", location, f"invalid range offset={offset} length={length}")
        try:
            if is_http(location):
                return self._read_http(location, offset, length)
            return self._read_file(location, offset, length)
        except RangeError as exc:
            if exc.kind in ("range-ignored", "short-body", "http-error", "unreachable"):
                # name the record's bytes: the message alone names only the file
                message = str(exc).removeprefix(f"{location}: ")
                what = f"bytes {offset}-{offset + length - 1}"
                raise RangeError(exc.kind, location, f"{what}: {message}") from None
            raise

    def read_tail(self, location: str, length: int) -> tuple[bytes, int]:
        """The last ``length`` bytes (fewer if the file is smaller) and the file's size."""
        if not is_http(location):
            path = Path(location)
            try:
                size = path.stat().st_size
                with path.open("rb") as handle:
                    handle.seek(max(0, size - length))
                    data = handle.read()
            except OSError as exc:
                raise RangeError("unreachable", location, _os_message(exc)) from None
            self.stats.add(len(data))
            return data, size
        answer = self._get(location, f"bytes=-{length}")
        with answer:
            first, last, size = self._content_range(answer, location)
            data = self._body(answer, location, last - first + 1)
        if last != size - 1:
            raise RangeError("bad-content-range", location, f"tail ended at {last}, size {size}")
        return data, size

    def read_whole(self, location: str, limit: int) -> bytes:
        """A whole (small) file, such as a paths listing; at most ``limit`` bytes."""
        if not is_http(location):
            try:
                with Path(location).open("rb") as handle:
                    data = handle.read(limit + 1)
            except FileNotFoundError:
                raise RangeError("http-error", location, "not found") from None
            except OSError as exc:
                raise RangeError("unreachable", location, _os_message(exc)) from None
        else:
            answer = self._get(location, None)
            with answer:
                if answer.status_code != 200:
                    reason = "not found" if answer.status_code == 404 else answer.reason
                    raise RangeError(
                        "http-error", location, f"HTTP {answer.status_code} {reason or ''}".strip()
                    )
                data = answer.raw.read(limit + 1, decode_content=False)
        self.stats.add(len(data))
        if len(data) > limit:
            raise RangeError("http-error", location, f"larger than {limit} bytes")
        return data

    def _read_file(self, location: str, offset: int, length: int) -> bytes:
        path = Path(location)
        try:
            size = path.stat().st_size
            if offset >= size:
                raise RangeError(
                    "past-end", location, f"offset {offset} is past the end (size {size})"
                )
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        except OSError as exc:
            raise RangeError("unreachable", location, _os_message(exc)) from None
        self.stats.add(len(data))
        if len(data) < length:
            raise RangeError(
                "past-end",
                location,
                f"range {offset}-{offset + length - 1} ends past the end (size {size})",
            )
        return data

    def _read_http(self, location: str, offset: int, length: int) -> bytes:
        last = offset + length - 1
        answer = self._get(location, f"bytes={offset}-{last}")
        with answer:
            first, got_last, size = self._content_range(answer, location)
            if first != offset:
                raise RangeError(
                    "bad-content-range",
                    location,
                    f"asked for bytes {offset}-{last}, got {first}-{got_last}/{size}",
                )
            if got_last < last:
                if got_last == size - 1:
                    raise RangeError(
                        "past-end",
                        location,
                        f"range {offset}-{last} ends past the end of the file (size {size})",
                    )
                raise RangeError(
                    "bad-content-range",
                    location,
                    f"asked for bytes {offset}-{last}, got {first}-{got_last}/{size}",
                )
            if got_last > last:
                raise RangeError(
                    "bad-content-range",
                    location,
                    f"asked for bytes {offset}-{last}, got {first}-{got_last}/{size}",
                )
            return self._body(answer, location, length)

    def _get(self, location: str, byte_range: str | None) -> requests.Response:
        """GET (with ``Range``), retrying connection failures and 5xx answers."""
        delay = self.options.backoff
        headers = {"Range": byte_range} if byte_range else {}
        for attempt in range(self.options.retries + 1):
            final = attempt == self.options.retries
            try:
                answer = self._session.get(
                    location,
                    headers=headers,
                    stream=True,
                    timeout=self.options.timeout,
                    allow_redirects=True,
                )
            except requests.RequestException as exc:
                if final:
                    raise RangeError("unreachable", location, _request_message(exc)) from None
            else:
                if answer.status_code not in _RETRY_STATUSES or final:
                    return answer
                answer.close()
            self._sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _content_range(answer: requests.Response, location: str) -> tuple[int, int, int]:
        """``(first, last, size)`` of a 206 answer; RangeError for any other answer."""
        status = answer.status_code
        if status == 200:
            raise RangeError(
                "range-ignored",
                location,
                "the server answered 200 (the whole file) instead of 206 to a Range request: "
                "it does not serve byte ranges",
            )
        if status == 416:
            match = _UNSATISFIED_RE.search(answer.headers.get("Content-Range", ""))
            size = f" (size {match.group(1)})" if match else ""
            message = f"range not satisfiable (416): past the end{size}"
            raise RangeError("past-end", location, message)
        if status != 206:
            raise RangeError("http-error", location, f"HTTP {status} {answer.reason or ''}".strip())
        header = answer.headers.get("Content-Range", "")
        match = _CONTENT_RANGE_RE.fullmatch(header.strip())
        if match is None or match.group(3) == "*":
            raise RangeError(
                "bad-content-range", location, f"206 with an unusable Content-Range {header!r}"
            )
        return int(match.group(1)), int(match.group(2)), int(match.group(3))

    def _body(self, answer: requests.Response, location: str, length: int) -> bytes:
        """The raw (never decoded) body, which must hold exactly ``length`` bytes."""
        chunks: list[bytes] = []
        received = 0
        try:
            while received < length:
                chunk = answer.raw.read(min(length - received, 1 << 20), decode_content=False)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
        except _TRANSFER_ERRORS:  # the connection broke mid-body: the length check says so
            pass
        data = b"".join(chunks)
        self.stats.add(len(data))
        if len(data) < length:
            raise RangeError(
                "short-body", location, f"{len(data)} of {length} bytes arrived (cut short)"
            )
        return data


def _request_message(exc: requests.RequestException) -> str:
    """Why a request got no answer, in a few words (urllib3's own text is a paragraph)."""
    text = str(exc)
    for marker, reason in _CONNECT_REASONS:
        if marker in text:
            return f"cannot connect: {reason}"
    if isinstance(exc, requests.Timeout):
        return "cannot connect: timed out"
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"cannot connect: {first[:160]}"


#: Markers of urllib3's messages, and what they mean.
_CONNECT_REASONS = (
    ("NameResolutionError", "the host name does not resolve (no network, or a wrong URL?)"),
    ("Failed to resolve", "the host name does not resolve (no network, or a wrong URL?)"),
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("Connection reset", "connection reset"),
    ("SSLError", "TLS handshake failed"),
    ("CERTIFICATE_VERIFY_FAILED", "the server's certificate is not trusted"),
)


def _os_message(exc: OSError) -> str:
    return exc.strerror or str(exc)


class RemoteFile(io.RawIOBase):
    """A read-only, seekable file over byte ranges (for ``pyarrow.parquet.ParquetFile``).

    The first request fetches the file's tail (``FetchOptions.tail_bytes``, pyarrow's
    footer read size: the footer lives there) and its size; every later read is one range
    request unless an earlier one already holds its bytes. Reading a Parquet file's footer
    and a few column chunks of a few row groups transfers only those bytes.
    """

    def __init__(self, reader: RangeReader, location: str) -> None:
        super().__init__()
        self._reader = reader
        self.location = location
        tail, self.size = reader.read_tail(location, reader.options.tail_bytes)
        self._blocks: list[tuple[int, bytes]] = [(self.size - len(tail), tail)]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self._pos + size)
        if end <= self._pos:
            return b""
        for start, block in self._blocks:
            if start <= self._pos and end <= start + len(block):
                data = block[self._pos - start : end - start]
                break
        else:
            data = self._reader.read(self.location, self._pos, end - self._pos)
            self._blocks.append((self._pos, data))
            if len(self._blocks) > _BLOCKS_KEPT:
                del self._blocks[1]  # the oldest, never the footer
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


#: Blocks a RemoteFile keeps besides its tail (pyarrow re-reads a few of them).
_BLOCKS_KEPT = 8
