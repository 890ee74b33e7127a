"""Encode :class:`~linkspider.warc.record.RecordSpec` records with FastWARC.

Each record is its own gzip member (so a reader can seek to any record, and a file cut by
a kill loses at most its last record), with ``Content-Length``, ``WARC-Block-Digest`` and,
for records with an HTTP or document payload, ``WARC-Payload-Digest`` (SHA-1, base32, as
Common Crawl and warcio write them).

FastWARC was chosen by measurement (``docs/warc-libraries.md``): on real pages it
writes 1.7x faster than warcio at the same gzip level and reads 2.4x faster, and it ships
type stubs. Level 6 (gzip's default) costs a third less CPU than level 9 for files 1%
bigger.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from fastwarc.stream_io import GzipWriter
from fastwarc.warc import WarcRecord, WarcRecordType

from linkspider.warc.record import WARC_VERSION, RecordSpec

GZIP_LEVEL = 6

_TYPES = {
    "warcinfo": WarcRecordType.warcinfo,
    "response": WarcRecordType.response,
    "request": WarcRecordType.request,
    "metadata": WarcRecordType.metadata,
    "resource": WarcRecordType.resource,
    "conversion": WarcRecordType.conversion,
}


def write_record(spec: RecordSpec, out: BinaryIO, level: int = GZIP_LEVEL) -> int:
    """Write ``spec`` to ``out`` as one gzip member; return the compressed bytes written."""
    record = WarcRecord()
    headers = record.headers
    headers.status_line = WARC_VERSION
    record.record_type = _TYPES[spec.record_type]  # writes WARC-Type
    for name, value in spec.headers:
        headers.append(name, value)
    record.set_bytes_content(spec.block)
    payload_digest = None
    if spec.payload_offset is not None:
        record.is_http = spec.payload_offset > 0
        payload_digest = hashlib.sha1(spec.block[spec.payload_offset :]).digest()
    start = out.tell()
    member = GzipWriter(out, compression_level=level)
    record.write(member, checksum_data=True, payload_digest=payload_digest)
    member.finish()
    return out.tell() - start
