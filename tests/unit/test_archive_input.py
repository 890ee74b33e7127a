"""Reading WARC files for ``linkspider archive`` (no Spark): every record is read, every
damage is counted and listed, and the records after it are still read.

WARC files are written here with warcio, as another crawler (Heritrix, wget, warcprox)
would write them: no linkspider metadata records.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linkspider.archive.framing import frames, looks_like_warc
from linkspider.archive.inputs import WarcInput
from linkspider.archive.process import TABLES, ExtractOptions, process_input
from linkspider.archive.records import PROBLEM_KINDS
from linkspider.archive.redirects import Hop, RedirectIndex
from linkspider.config.targets import load_targets

OPTIONS = ExtractOptions(load_targets("target.com"))
LINKING = b'<html><head><title>T</title></head><body><p>See <a href="https://target.com/x">target</a>.</p></body></html>'


def response(
    url: str,
    body: bytes = LINKING,
    status: str = "200 OK",
    headers: list[tuple[str, str]] | None = None,
    date: str = "2024-05-01T10:00:00Z",
) -> bytes:
    """One gzip member holding one response record (warcio, as other crawlers write)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders(
        status,
        headers if headers is not None else [("Content-Type", "text/html; charset=utf-8")],
        protocol="HTTP/1.1",
    )
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )  # fmt: skip
    writer.write_record(record)
    return out.getvalue()


def plain(member: bytes) -> bytes:
    return gzip.decompress(member)


def read(
    tmp_path: Path, data: bytes, name: str = "in.warc.gz"
) -> dict[str, list[dict[str, object]]]:
    path = tmp_path / name
    path.write_bytes(data)
    tables: dict[str, list[dict[str, object]]] = {name: [] for name in TABLES}
    for table, row in process_input(WarcInput(str(path)), OPTIONS):
        tables[table].append(dict(zip(TABLES[table], row, strict=True)))
    return tables


def kinds(tables: dict[str, list[dict[str, object]]]) -> list[str]:
    """Record kinds in file order (a response is listed once its metadata is known)."""
    records = sorted(tables["records"], key=lambda r: int(str(r["offset"])))
    return [str(r["kind"]) for r in records if r["kind"] not in ("request",)]


def sources(tables: dict[str, list[dict[str, object]]]) -> list[object]:
    return sorted(r["source_url"] for r in tables["backlinks"])


def test_a_clean_file_gives_one_row_per_linking_page(tmp_path: Path) -> None:
    data = response("http://a.com/") + response("http://b.com/") + response("http://c.com/")
    tables = read(tmp_path, data)
    assert sources(tables) == ["http://a.com/", "http://b.com/", "http://c.com/"]
    row = next(r for r in tables["backlinks"] if r["source_url"] == "http://a.com/")
    assert row["first_seen"] == row["last_seen"] == "2024-05-01T10:00:00Z"  # the WARC-Date
    assert row["target_url"] == "https://target.com/x"
    assert tables["inputs"][0]["status"] == "read"
    assert kinds(tables) == ["page", "page", "page"]


def test_garbage_between_records_is_skipped_and_listed(tmp_path: Path) -> None:
    first = response("http://a.com/")
    tables = read(tmp_path, first + b"\x00junk" * 100 + response("http://b.com/"))
    assert sources(tables) == ["http://a.com/", "http://b.com/"]
    garbage = [r for r in tables["records"] if r["kind"] == "garbage"]
    assert len(garbage) == 1 and garbage[0]["length"] == 500
    assert garbage[0]["offset"] == len(first)
    assert tables["inputs"][0]["status"] == "partial"
    assert tables["inputs"][0]["problems"] == 1


def test_a_broken_gzip_member_is_listed_and_the_next_one_read(tmp_path: Path) -> None:
    first, broken, last = (
        response("http://a.com/"),
        bytearray(response("http://b.com/")),
        response("http://c.com/"),
    )
    broken[40:60] = b"\xff" * 20  # inside the deflate stream
    tables = read(tmp_path, first + bytes(broken) + last)
    assert sources(tables) == ["http://a.com/", "http://c.com/"]
    assert [r["kind"] for r in tables["records"] if r["kind"] in PROBLEM_KINDS] == ["broken-gzip"]
    assert tables["inputs"][0]["status"] == "partial"


def test_a_record_cut_off_at_the_end_is_listed_not_dropped_silently(tmp_path: Path) -> None:
    last = response("http://b.com/")
    tables = read(tmp_path, response("http://a.com/") + last[: len(last) // 2])
    assert sources(tables) == ["http://a.com/"]
    assert [r["kind"] for r in tables["records"] if r["kind"] in PROBLEM_KINDS] == ["truncated"]
    assert tables["inputs"][0]["status"] == "partial"


def test_uncompressed_warc_with_garbage_and_a_cut_record(tmp_path: Path) -> None:
    a, b, c = (plain(response(f"http://{h}.com/")) for h in "abc")
    tables = read(tmp_path, a + b"garbage line\r\n" * 3 + b + c[:-30], "in.warc")
    assert sources(tables) == ["http://a.com/", "http://b.com/"]
    problems = [r["kind"] for r in tables["records"] if r["kind"] in PROBLEM_KINDS]
    assert problems == ["garbage", "truncated"]


def test_content_length_anywhere_in_the_header_block(tmp_path: Path) -> None:
    """Writers put Content-Length before other fields (fastwarc does): CRLF line ends."""
    record = plain(response("http://a.com/"))
    head, _, block = record.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(line for line in lines if line.lower().startswith(b"content-length"))
    lines.remove(length)
    lines.insert(1, length)
    moved = b"\r\n".join(lines) + b"\r\n\r\n" + block
    member = gzip.compress(moved)
    assert sources(read(tmp_path, member + response("http://b.com/"))) == [
        "http://a.com/",
        "http://b.com/",
    ]


def test_a_whole_file_that_is_not_a_warc(tmp_path: Path) -> None:
    tables = read(tmp_path, gzip.compress(b"<html>not a warc</html>"))
    assert tables["inputs"][0]["status"] == "not-warc"
    assert tables["backlinks"] == []
    assert not looks_like_warc(gzip.compress(b"<html>not a warc</html>"))
    assert looks_like_warc(response("http://a.com/")[:512])
    assert looks_like_warc(plain(response("http://a.com/"))[:64])


def test_a_missing_file_is_one_listed_problem(tmp_path: Path) -> None:
    rows = list(process_input(WarcInput(str(tmp_path / "nope.warc.gz")), OPTIONS))
    assert [t for t, _ in rows] == ["records", "inputs"]
    inputs = dict(zip(TABLES["inputs"], rows[-1][1], strict=True))
    assert inputs["status"] == "unreadable" and inputs["problems"] == 1
    assert "No such file" in str(inputs["detail"])


def test_non_html_revisit_robots_and_errors_are_counted_not_parsed(tmp_path: Path) -> None:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    revisit = writer.create_revisit_record(
        "http://a.com/old",
        digest="sha1:AAAA",
        refers_to_uri="http://a.com/",
        refers_to_date="2024-01-01T00:00:00Z",
    )
    writer.write_record(revisit)
    data = (
        response(
            "http://a.com/doc.pdf",
            b"%PDF-1.4 binary",
            headers=[("Content-Type", "application/pdf")],
        )
        + out.getvalue()
        + response(
            "http://a.com/robots.txt", b"User-agent: *", headers=[("Content-Type", "text/plain")]
        )
        + response("http://a.com/missing", b"<html>no</html>", status="404 Not Found")
        + response("http://a.com/")
    )
    tables = read(tmp_path, data)
    assert kinds(tables) == ["not-html", "revisit", "robots", "http-error", "page"]
    assert tables["inputs"][0]["status"] == "read"  # none of these is damage
    notes = {r["url"]: (r["note"], r["parsed"]) for r in tables["pages"]}
    assert notes == {
        "http://a.com/doc.pdf": ("not-html", False),
        "http://a.com/missing": ("http-404", False),
        "http://a.com/": ("", True),
    }
    assert [(e["url"], e["error"], e["message"]) for e in tables["errors"]] == [
        ("http://a.com/missing", "http-404", "HTTP 404")
    ]


def test_bodies_are_decoded_as_the_crawl_decodes_them(tmp_path: Path) -> None:
    """Content-Encoding gzip (stored as transferred) and chunked transfer coding."""
    packed = gzip.compress(LINKING)
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (LINKING[:30], LINKING[30:]))
        + b"0\r\n\r\n"
    )
    data = response(
        "http://gz.com/", packed,
        headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
    ) + response(
        "http://chunked.com/", chunked,
        headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
    )  # fmt: skip
    assert sources(read(tmp_path, data)) == ["http://chunked.com/", "http://gz.com/"]


def test_a_body_that_does_not_decode_is_read_as_stored(tmp_path: Path) -> None:
    """As Scrapy's HttpCompressionMiddleware: a body that does not decode is kept as is."""
    data = response(
        "http://bad.com/", b"\x1f\x8b\x08\x00 not gzip at all",
        headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
    ) + response("http://a.com/")  # fmt: skip
    tables = read(tmp_path, data)
    assert sources(tables) == ["http://a.com/"]
    assert kinds(tables) == ["not-html", "page"]


def test_a_record_the_crawler_cut_is_parsed_and_listed(tmp_path: Path) -> None:
    member = plain(response("http://a.com/"))
    cut = member.replace(
        b"WARC-Type: response\r\n", b"WARC-Type: response\r\nWARC-Truncated: length\r\n"
    )
    tables = read(tmp_path, gzip.compress(cut))
    assert sources(tables) == ["http://a.com/"]
    assert kinds(tables) == ["warc-truncated"]
    assert tables["inputs"][0]["status"] == "read"  # the archive says so; nothing lost here


def test_several_records_in_one_gzip_member(tmp_path: Path) -> None:
    whole = gzip.compress(plain(response("http://a.com/")) + plain(response("http://b.com/")))
    assert sources(read(tmp_path, whole)) == ["http://a.com/", "http://b.com/"]


def test_a_record_range_is_read_at_its_offset(tmp_path: Path) -> None:
    first, second = response("http://a.com/"), response("http://b.com/")
    path = tmp_path / "x.warc.gz"
    path.write_bytes(first + second)
    rows = list(process_input(WarcInput(str(path), len(first), len(second)), OPTIONS))
    backlinks = [
        dict(zip(TABLES["backlinks"], r, strict=True)) for t, r in rows if t == "backlinks"
    ]
    assert [r["source_url"] for r in backlinks] == ["http://b.com/"]
    records = [dict(zip(TABLES["records"], r, strict=True)) for t, r in rows if t == "records"]
    assert records[0]["offset"] == len(first)  # offsets stay the file's


def test_a_range_past_the_end_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz"
    path.write_bytes(response("http://a.com/"))
    rows = list(process_input(WarcInput(str(path), 10_000, 500), OPTIONS))
    inputs = dict(zip(TABLES["inputs"], rows[-1][1], strict=True))
    assert inputs["status"] == "range-error"
    assert "the file ends before" in str(inputs["detail"])


def test_redirect_records_give_the_chain_of_the_page(tmp_path: Path) -> None:
    data = (
        response("http://a.com/old", b"", status="301 Moved Permanently",
                 headers=[("Location", "/new")], date="2024-05-01T10:00:00Z")
        + response("http://a.com/new", date="2024-05-01T10:00:01Z")
    )  # fmt: skip
    tables = read(tmp_path, data)
    assert tables["redirects"] == [
        {"url": "http://a.com/old", "location": "http://a.com/new", "status": "301",
         "fetched_at": "2024-05-01T10:00:00Z", "depth": 0, "chain": None}
    ]  # fmt: skip
    assert [r["chain"] for r in tables["pages"]] == [None]  # rebuilt by the export


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        ([], ([], [])),
        ([Hop("http://x/a", "http://x/p", 301, "t1")], (["http://x/a"], [301])),
        (  # two hops
            [
                Hop("http://x/b", "http://x/p", 302, "t2"),
                Hop("http://x/a", "http://x/b", 301, "t1"),
            ],
            (["http://x/a", "http://x/b"], [301, 302]),
        ),
        (  # two redirects to the page: the earlier one was followed, the later one dropped
            [
                Hop("http://x/late", "http://x/p", 301, "t3"),
                Hop("http://x/early", "http://x/p", 301, "t1"),
            ],
            (["http://x/early"], [301]),
        ),
        ([Hop("http://x/after", "http://x/p", 301, "t9")], ([], [])),  # after the page
        (  # a loop ends the walk
            [
                Hop("http://x/a", "http://x/p", 301, "t2"),
                Hop("http://x/p", "http://x/a", 301, "t1"),
            ],
            (["http://x/a"], [301]),
        ),
    ],
)
def test_rebuilt_redirect_chains(hops: list[Hop], expected: tuple[list[str], list[int]]) -> None:
    assert RedirectIndex(hops).rebuild_chain("http://x/p", "t5") == expected


def test_framing_offsets_are_the_members(tmp_path: Path) -> None:
    a, b = response("http://a.com/"), response("http://b.com/")
    found = list(frames(a + b))
    assert [(f.offset, f.length) for f in found] == [(0, len(a)), (len(a), len(b))]
    assert zlib.decompressobj(wbits=31).decompress(a).startswith(b"WARC/1")


def test_a_meta_refresh_page_is_a_redirect_as_in_the_crawl(tmp_path: Path) -> None:
    """Scrapy's MetaRefreshMiddleware follows a refresh under METAREFRESH_MAXDELAY."""
    refresh = b'<html><head><meta http-equiv="refresh" content="0; url=/landing"></head><body><a href="https://target.com/">t</a></body></html>'
    slow = refresh.replace(b'content="0;', b'content="600;')
    tables = read(
        tmp_path, response("http://a.com/r", refresh) + response("http://a.com/slow", slow)
    )
    assert sources(tables) == ["http://a.com/slow"]  # the refresh page is never parsed
    assert [(r["url"], r["location"], r["status"]) for r in tables["redirects"]] == [
        ("http://a.com/r", "http://a.com/landing", "meta refresh")
    ]
    assert [r["url"] for r in tables["pages"]] == ["http://a.com/slow"]


def test_an_extraction_failure_costs_that_page_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug met on one page (simulated: extraction raises for one URL) is listed."""
    import linkspider.archive.process as process

    real = process.extract_fetched

    def failing(response, *args, **kwargs):  # type: ignore[no-untyped-def]
        if response.url == "http://b.com/":
            raise RecursionError("too deep")
        return real(response, *args, **kwargs)

    monkeypatch.setattr(process, "extract_fetched", failing)
    data = response("http://a.com/") + response("http://b.com/") + response("http://c.com/")
    tables = read(tmp_path, data)
    assert sources(tables) == ["http://a.com/", "http://c.com/"]
    assert [r["url"] for r in tables["pages"]] == ["http://a.com/", "http://c.com/"]
    failed = [r for r in tables["records"] if r["kind"] == "extract-error"]
    assert [r["url"] for r in failed] == ["http://b.com/"]
    assert "RecursionError: too deep" in str(failed[0]["detail"])
    assert tables["inputs"][0]["status"] == "partial"


def linkspider_warc(count: int) -> bytes:
    """A file as linkspider's recorder writes it: response, request, metadata per fetch."""
    from datetime import datetime, timezone

    from linkspider.warc.encode import write_record
    from linkspider.warc.record import HttpExchange, exchange_records

    out = io.BytesIO()
    for number in range(count):
        redirected = number % 3 == 0
        exchange = HttpExchange(
            url=f"http://site{number}.com/page", method="GET", request_headers=(),
            request_body=b"", status=200,
            response_headers=((b"Content-Type", b"text/html"),),
            body=LINKING.replace(b"/x", b"/x%d" % number),
            fetched_at=datetime(2024, 5, 1, 10, 0, number % 60, tzinfo=timezone.utc),
            fields=(("linkspider-depth", str(number % 4)),)
            + ((("linkspider-redirect-url", f"http://old{number}.com/"),
                ("linkspider-redirect-reason", "301")) if redirected else ()),
        )  # fmt: skip
        for spec in exchange_records(exchange):
            write_record(spec, out)
    return out.getvalue()


@pytest.mark.parametrize("part_bytes", [400, 997, 2500])
def test_a_big_file_read_in_parts_gives_the_rows_of_the_whole(
    tmp_path: Path, part_bytes: int
) -> None:
    """Parts start at their first record, and finish the last one (its metadata record
    lies in the next part): every row once, depth and chains as recorded."""
    from linkspider.archive.inputs import split_file

    path = tmp_path / "big.warc.gz"
    path.write_bytes(linkspider_warc(30))
    whole = read(tmp_path, path.read_bytes(), "big.warc.gz")
    parts = split_file(WarcInput(str(path)), part_bytes)
    assert len(parts) > 5 and all(p.split for p in parts)
    tables: dict[str, list[dict[str, object]]] = {name: [] for name in TABLES}
    for part in parts:
        for table, row in process_input(part, OPTIONS):
            tables[table].append(dict(zip(TABLES[table], row, strict=True)))

    def key(rows: list[dict[str, object]]) -> list[str]:
        return sorted(repr(sorted(r.items())) for r in rows)

    for table in ("backlinks", "pages", "records"):
        assert key(tables[table]) == key(whole[table]), table
    assert len(whole["backlinks"]) == 30
    depths = {r["source_url"]: r["depth"] for r in whole["backlinks"]}
    assert depths["http://site7.com/page"] == 3
    chains = {r["source_url"]: r["source_redirects"] for r in tables["backlinks"]}
    assert chains["http://site3.com/page"] == "http://old3.com/ [301] -> http://site3.com/page"
    assert all(r["status"] == "read" for r in tables["inputs"])


def test_small_and_plain_files_are_not_split(tmp_path: Path) -> None:
    from linkspider.archive.inputs import split_file

    small = tmp_path / "small.warc.gz"
    small.write_bytes(linkspider_warc(2))
    assert split_file(WarcInput(str(small)), 1 << 20) == [WarcInput(str(small))]
    plain_file = tmp_path / "plain.warc"
    plain_file.write_bytes(b"".join(plain(response(f"http://{h}.com/")) for h in "abcdef"))
    assert split_file(WarcInput(str(plain_file)), 100) == [WarcInput(str(plain_file))]


def test_tasks_group_small_files_and_spread_big_ones(tmp_path: Path) -> None:
    from linkspider.archive.job import plan_tasks

    small = []
    for number in range(10):
        path = tmp_path / f"s{number}.warc.gz"
        path.write_bytes(b"x" * 1000)
        small.append(WarcInput(str(path)))
    bins = plan_tasks(small, parallelism=2, part_bytes=1 << 20)
    assert len(bins) == 2 and sorted(len(b) for b in bins) == [5, 5]
    parts = [WarcInput("big", offset, 100, split=True) for offset in range(0, 800, 100)]
    assert len(plan_tasks(parts, parallelism=2, part_bytes=100)) == 8
    ranges = [WarcInput("http://x/f.warc.gz", n * 10, 10) for n in range(1000)]
    assert len(plan_tasks(ranges, parallelism=2, part_bytes=200 * 64)) == 5  # 200 a task
    assert len(plan_tasks(small, parallelism=2, part_bytes=1 << 20, tasks=7)) == 7
    assert sorted(i.location for b in plan_tasks(small, 3, 10) for i in b) == sorted(
        i.location for i in small
    )  # every input once


def test_a_rendered_dom_is_merged_with_its_page_and_a_stray_one_listed(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from linkspider.warc.encode import write_record
    from linkspider.warc.record import conversion_record

    recorded = linkspider_warc(3)
    first_id = next(
        line.split(b": ", 1)[1].strip().decode()
        for line in gzip.decompress(recorded).split(b"\r\n")
        if line.startswith(b"WARC-Record-ID")
    )
    dom = b'<html><body><p>See <a href="https://target.com/x0">target</a> and <a href="https://target.com/added">more</a>.</p></body></html>'
    out = io.BytesIO()
    now = datetime(2024, 5, 1, 10, 1, tzinfo=timezone.utc)
    write_record(
        conversion_record(
            "http://site0.com/page", dom, "text/html", first_id, "http://site0.com/page", now
        ),
        out,
    )
    write_record(
        conversion_record(
            "http://gone.com/", dom, "text/html", "<urn:uuid:nope>", "http://gone.com/", now
        ),
        out,
    )
    tables = read(tmp_path, recorded + out.getvalue())
    rows = [r for r in tables["backlinks"] if r["source_url"] == "http://site0.com/page"]
    assert sorted((r["target_url"], r["origin"]) for r in rows) == [
        ("https://target.com/added", "rendered"),
        ("https://target.com/x0", "both"),
    ]
    page = next(p for p in tables["pages"] if p["url"] == "http://site0.com/page")
    assert page["rendered"] is True and page["render_reason"] == "recorded-dom"
    others = [p for p in tables["pages"] if p["url"] != "http://site0.com/page"]
    assert others and not any(p["rendered"] for p in others)
    assert [r["url"] for r in tables["records"] if r["kind"] == "unmatched-dom"] == [
        "http://gone.com/"
    ]
    assert tables["inputs"][0]["status"] == "partial"


def test_a_record_id_met_twice_loses_no_page(tmp_path: Path) -> None:
    """Files joined together repeat their record IDs: each capture is still read."""
    once = linkspider_warc(4)
    tables = read(tmp_path, once + once + once)
    assert len(tables["pages"]) == 12 and len(tables["backlinks"]) == 12
    assert tables["inputs"][0]["status"] == "read"
