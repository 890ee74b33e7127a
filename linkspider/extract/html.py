"""Decide whether a response is HTML, and decode it like a browser would."""

from __future__ import annotations

from w3lib.encoding import html_to_unicode, http_content_type_encoding

_HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Magic numbers of formats that are never HTML, whatever the server claims.
_BINARY_MAGIC = (
    b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b",
    b"RIFF", b"\x00\x00\x01\x00", b"OggS", b"ID3", b"\x7fELF", b"wOFF", b"wOF2",
)  # fmt: skip


def media_type(content_type: str | None) -> str:
    """``text/html`` from ``text/html; charset=utf-8``; '' when absent."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def looks_binary(body: bytes) -> bool:
    """True for bodies that start like a known binary format or hold NUL bytes early."""
    head = body[:1024]
    return head.startswith(_BINARY_MAGIC) or b"\x00" in head[:512]


def is_html(content_type: str | None, body: bytes) -> bool:
    """True if the response should be parsed as an HTML page.

    The declared type decides, except that a body that is plainly binary is never HTML,
    and a response with no type is sniffed for an HTML start.
    """
    if looks_binary(body):
        # UTF-16 HTML has NUL bytes too; it announces itself with a BOM.
        return body[:2] in (b"\xff\xfe", b"\xfe\xff") and media_type(content_type) in _HTML_TYPES
    kind = media_type(content_type)
    if kind in _HTML_TYPES:
        return True
    if kind and kind not in ("application/octet-stream", "text/plain", "unknown/unknown"):
        return False
    start = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<!--")) or (
        not kind and b"<html" in start
    )


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """``(text, encoding)``: BOM, then HTTP header, then ``<meta>`` charset, then sniffing.

    Undecodable bytes are replaced, never fatal: a page with a wrong charset still yields
    its links (hrefs are almost always ASCII).
    """
    encoding, text = html_to_unicode(content_type, body)
    return text, encoding


#: Scrapy reads a meta refresh in the first 4,096 characters of the decoded page; in the
#: ASCII-compatible encodings (UTF-8, GB18030: up to 4 bytes a character) they are at
#: most this many bytes.
META_REFRESH_HEAD_BYTES = 4096 * 4


def may_have_meta_refresh(body: bytes, content_type: bytes | str | None) -> bool:
    """False when a page plainly has no ``<meta http-equiv="refresh">`` in the part Scrapy
    reads (:data:`META_REFRESH_HEAD_BYTES`), so its body need not be decoded to look.

    True (decode and look) when the word is there, and when the bytes may not be
    ASCII-compatible: NUL bytes (UTF-16/32) or a header charset that spells "refresh"
    otherwise (EBCDIC, UTF-16), read as Scrapy reads it (w3lib's
    ``http_content_type_encoding``). ``content_type``: the header, as sent.
    """
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    head = body[:META_REFRESH_HEAD_BYTES]
    if b"\x00" in head:
        return True
    # An unknown charset is None: Scrapy then goes by the body's own declaration.
    declared = http_content_type_encoding(content_type) if content_type else None
    if declared is not None:
        try:
            if "refresh".encode(declared) != b"refresh":
                return True
        except LookupError:  # a codec that is not a text encoding (hex, rot13): look
            return True
    # "refresh" in any case; w3lib matches the attributes as written (a character reference
    # such as ``&#114;efresh`` is no refresh to Scrapy either). lower() + find: 10 µs for
    # 16 KB, a case-blind regex 54 µs.
    return b"refresh" in head.lower()
