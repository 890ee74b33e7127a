"""WARC records and files (pure: no crawl): what each record holds, how files rotate and
close, and that both warcio and FastWARC read what is written, digests checked."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from linkspider.warc.encode import write_record
from linkspider.warc.record import (
    HttpExchange,
    conversion_record,
    exchange_records,
    request_head,
    response_head,
    warc_date,
)
from linkspider.warc.writer import WarcFileWriter, parse_byte_size

MOMENT = datetime(2026, 12, 5, 12, 5, 56, 351237, tzinfo=timezone.utc)
PAGE = b"<html><body><a href='https://acme-boots.com/'>Acme</a> caf\xc3\xa9</body></html>"


def exchange(**changes: object) -> HttpExchange:
    values: dict[str, object] = dict(
        url="https://blog.test/a/b?x=1&y=%20",
        method="GET",
        request_headers=[(b"User-Agent", b"linkspider/0.1"), (b"Accept-Encoding", b"gzip")],
        request_body=b"",
        status=200,
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8"),
                          (b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")],
        body=PAGE,
        fetched_at=MOMENT,
        ip_address="203.0.113.7",
        fields=(("linkspider-depth", "2"), ("linkspider-redirect-url", "http://blog.test/a")),
    )  # fmt: skip
    values.update(changes)
    return HttpExchange(**values)  # type: ignore[arg-type]


def encoded(records: object) -> bytes:
    out = io.BytesIO()
    for spec in records:  # type: ignore[attr-defined]
        write_record(spec, out)
    return out.getvalue()


# -- the HTTP blocks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "length", "expected"),
    [
        (200, [(b"Content-Type", b"text/html")], 5,
         b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\n"),
        # the announced length stays visible when the stored body differs (HEAD, cut body)
        (200, [(b"Content-Length", b"900")], 0,
         b"HTTP/1.1 200 OK\r\nX-Crawler-Content-Length: 900\r\nContent-Length: 0\r\n\r\n"),
        # de-chunked by Twisted: the record must not claim chunks
        (200, [(b"Transfer-Encoding", b"chunked")], 3,
         b"HTTP/1.1 200 OK\r\nX-Crawler-Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
        # compressed body stored as transferred: the coding stays
        (200, [(b"Content-Encoding", b"gzip"), (b"Content-Length", b"7")], 7,
         b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 7\r\n\r\n"),
        (404, [], 0, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        (599, [], 0, b"HTTP/1.1 599\r\nContent-Length: 0\r\n\r\n"),  # no standard phrase
        (301, [(b"Location", b"/caf\xc3\xa9")], 0,  # raw bytes kept
         b"HTTP/1.1 301 Moved Permanently\r\nLocation: /caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n"),
        (200, [(b"X-Bad", b"a\r\nInjected: 1")], 0,  # never breaks the record
         b"HTTP/1.1 200 OK\r\nX-Bad: a  Injected: 1\r\nContent-Length: 0\r\n\r\n"),
    ],
)  # fmt: skip
def test_response_head(status: int, headers: list[tuple[bytes, bytes]], length: int,
                       expected: bytes) -> None:  # fmt: skip
    assert response_head(status, headers, length) == expected


def test_response_head_protocols() -> None:
    assert response_head(200, [], 0, "h2").startswith(b"HTTP/2 200 OK\r\n")
    assert response_head(200, [], 0, "HTTP/1.0").startswith(b"HTTP/1.0 200 OK\r\n")


def test_request_head_adds_host_and_keeps_sent_headers() -> None:
    head = request_head("GET", "https://blog.test:8443/a?q=1", [(b"Accept", b"*/*")], 0)
    assert head == b"GET /a?q=1 HTTP/1.1\r\nHost: blog.test:8443\r\nAccept: */*\r\n\r\n"
    posted = request_head("POST", "http://blog.test", [], 3)
    assert posted == b"POST / HTTP/1.1\r\nHost: blog.test\r\nContent-Length: 3\r\n\r\n"


def test_request_head_never_writes_credentials() -> None:
    sent = [(b"Authorization", b"Basic dXNlcjpwYXNz"), (b"Proxy-Authorization", b"Basic eA==")]
    head = request_head("GET", "http://blog.test/", sent, 0)
    assert b"dXNlcjpwYXNz" not in head and b"eA==" not in head
    assert b"\r\nAuthorization: (redacted)\r\nProxy-Authorization: (redacted)\r\n" in head


def test_warc_date_is_utc_with_microseconds() -> None:
    assert warc_date(MOMENT) == "2026-12-05T12:05:56.351237Z"


# -- records, read back by both libraries --------------------------------------------------


def test_exchange_records_read_back_by_warcio_and_fastwarc() -> None:
    data = encoded(exchange_records(exchange()))
    records = list(WarcioIterator(io.BytesIO(data), check_digests="raise"))
    assert [r.rec_type for r in records] == ["response", "request", "metadata"]
    response, request, metadata = records
    ids = [r.rec_headers.get_header("WARC-Record-ID") for r in records]
    assert len(set(ids)) == 3
    assert request.rec_headers.get_header("WARC-Concurrent-To") == ids[0]
    assert metadata.rec_headers.get_header("WARC-Concurrent-To") == ids[0]
    for record in records:
        assert record.rec_headers.protocol == "WARC/1.1"
        assert record.rec_headers.get_header("WARC-Target-URI") == "https://blog.test/a/b?x=1&y=%20"
        assert record.rec_headers.get_header("WARC-Date") == "2026-12-05T12:05:56.351237Z"
        assert record.rec_headers.get_header("WARC-IP-Address") == "203.0.113.7"
    assert response.http_headers.get_statuscode() == "200"
    assert [v for k, v in response.http_headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert response.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert response.rec_headers.get_header("WARC-Block-Digest").startswith("sha1:")

    kinds = []
    for record in FastIterator(io.BytesIO(data), parse_http=False):
        kinds.append(record.headers.get("WARC-Type"))
        assert record.verify_block_digest()
    assert kinds == ["response", "request", "metadata"]
    blocks = []
    for record in FastIterator(io.BytesIO(data)):
        if record.headers.get("WARC-Type") == "response":
            assert record.verify_payload_digest()
        blocks.append(record.reader.read())
    assert blocks[0] == PAGE
    assert blocks[2] == b"linkspider-depth: 2\r\nlinkspider-redirect-url: http://blog.test/a\r\n"


def test_compressed_body_is_stored_as_transferred() -> None:
    raw = gzip.compress(PAGE)
    headers = [(b"Content-Type", b"text/html"), (b"Content-Encoding", b"gzip")]
    data = encoded(exchange_records(exchange(response_headers=headers, body=raw)))
    for record in FastIterator(io.BytesIO(data)):
        if record.headers.get("WARC-Type") == "response":
            assert record.verify_payload_digest()
            assert record.reader.read() == raw  # the bytes on the wire
    for record in WarcioIterator(io.BytesIO(data)):
        if record.rec_type == "response":  # warcio decodes the content coding
            assert record.content_stream().read() == PAGE


def test_truncated_response_says_so() -> None:
    data = encoded(exchange_records(exchange(truncated="disconnect")))
    first = next(iter(WarcioIterator(io.BytesIO(data))))
    assert first.rec_headers.get_header("WARC-Truncated") == "disconnect"


def test_conversion_record_refers_to_the_response() -> None:
    dom = "<html><body>rendered é</body></html>".encode()
    spec = conversion_record("https://blog.test/a", dom, "text/html; charset=utf-8",
                             "<urn:uuid:1>", "https://blog.test/a", MOMENT)  # fmt: skip
    seen = []
    for record in WarcioIterator(io.BytesIO(encoded([spec])), check_digests="raise"):
        assert record.rec_type == "conversion"
        assert record.rec_headers.get_header("WARC-Refers-To") == "<urn:uuid:1>"
        assert record.rec_headers.get_header("Content-Type") == "text/html; charset=utf-8"
        seen.append(record.content_stream().read())
    assert seen == [dom]


# -- files: names, warcinfo, rotation, closing ----------------------------------------------


def read_file(path: Path) -> list[tuple[str, dict[str, str]]]:
    with path.open("rb") as handle:
        return [(r.rec_type, dict(r.rec_headers.headers))
                for r in WarcioIterator(handle, check_digests="raise")]  # fmt: skip


def test_files_rotate_by_size_keep_exchanges_whole_and_close_with_their_name(
    tmp_path: Path,
) -> None:
    writer = WarcFileWriter(tmp_path, max_bytes=3000, info=[("software", "test")],
                            clock=lambda: MOMENT)  # fmt: skip
    writer.open_first()
    assert [p.name for p in tmp_path.iterdir()] == ["linkspider-20261205120556-00000.warc.gz.open"]
    big = exchange(body=bytes(range(256)) * 40)  # 10 KB, barely compressible: over max alone
    for item in (exchange(), exchange(), big, exchange()):
        writer.write(exchange_records(item))
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert [p.name for p in files] == [p.name for p in writer.closed_files]
    assert not any(p.name.endswith(".open") for p in files)
    assert len(files) >= 3
    exchanges = 0
    for path in files:
        records = read_file(path)
        kind, info = records[0]
        assert kind == "warcinfo" and info["WARC-Filename"] == path.name
        rest = records[1:]
        assert rest and len(rest) % 3 == 0  # an exchange never spans two files
        assert all(h["WARC-Warcinfo-ID"] == info["WARC-Record-ID"] for _, h in rest)
        exchanges += len(rest) // 3
        if len(rest) > 3:
            assert path.stat().st_size <= 3000
    assert exchanges == 4


def test_names_already_taken_are_never_overwritten(tmp_path: Path) -> None:
    taken = tmp_path / "linkspider-20261205120556-00000.warc.gz"
    taken.write_bytes(b"earlier session")
    (tmp_path / "linkspider-20261205120556-00001.warc.gz.open").write_bytes(b"other process")
    writer = WarcFileWriter(tmp_path, clock=lambda: MOMENT)
    writer.write(exchange_records(exchange()))
    writer.close()
    assert taken.read_bytes() == b"earlier session"
    assert [p.name for p in writer.closed_files] == ["linkspider-20261205120556-00002.warc.gz"]


def test_a_file_left_open_has_whole_records_and_does_not_look_complete(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, clock=lambda: MOMENT)
    for _ in range(3):
        writer.write(exchange_records(exchange()))
    # no close(): what a killed crawl leaves
    (left,) = list(tmp_path.iterdir())
    assert left.name.endswith(".warc.gz.open")
    assert [kind for kind, _ in read_file(left)].count("response") == 3


class FullDisk(io.FileIO):
    """A file that takes ``room`` bytes, then fails like a full disk (ENOSPC)."""

    room = 0

    def write(self, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        if self.tell() + len(view) > self.room:
            fits = max(0, self.room - self.tell())
            super().write(view[:fits])
            raise OSError(28, "No space left on device")
        return super().write(view)


def test_a_failed_write_leaves_whole_records_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real full disk is in tests/e2e/test_warc_record_crawl.py (tmpfs); here, the exact cut.
    writer = WarcFileWriter(tmp_path, clock=lambda: MOMENT)
    writer.write(exchange_records(exchange()))
    assert writer._handle is not None
    good = writer._size
    FullDisk.room = good + 100
    writer._handle.close()
    name = writer._handle.name
    writer._handle = FullDisk(name, "ab")
    with pytest.raises(OSError, match="No space left"):
        writer.write(exchange_records(exchange()))
    (path,) = writer.closed_files
    assert path.stat().st_size == good
    assert [kind for kind, _ in read_file(path)] == ["warcinfo", "response", "request", "metadata"]


def test_warcio_cli_checks_and_indexes_a_written_file(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, info=[("software", "test")], clock=lambda: MOMENT)
    writer.write(exchange_records(exchange()))
    writer.close()
    (path,) = writer.closed_files
    warcio = [sys.executable, "-m", "warcio.cli"]
    checked = subprocess.run([*warcio, "check", "-v", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest pass" in checked.stdout and "fail" not in checked.stdout
    index = subprocess.run([*warcio, "index", "-f", "warc-type,offset,length", str(path)],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert [line.split('"')[3] for line in index.stdout.splitlines()] == [
        "warcinfo", "response", "request", "metadata"]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "size"),
    [(1_000_000_000, 10**9), ("1_000_000", 10**6), ("500MB", 5 * 10**8), ("1 GB", 10**9),
     ("64MiB", 64 * 2**20), ("1.5kb", 1500), ("7", 7)],
)  # fmt: skip
def test_rotation_sizes(value: object, size: int) -> None:
    assert parse_byte_size(value) == size


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1 GBB", "", "0.1"])
def test_bad_rotation_sizes_say_what_is_accepted(value: str) -> None:
    with pytest.raises(ValueError, match=r"500MB|at least 1 byte"):
        parse_byte_size(value)
