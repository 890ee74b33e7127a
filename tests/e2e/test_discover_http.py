"""linkspider discover downloading releases over HTTP from the local test web.

The test web serves, under the host ``127.0.0.1`` (what a plain loopback URL sends as
Host), a data root laid out as data.commoncrawl.org (``projects/hyperlinkgraph/...``) and
a ``graphinfo.json`` as index.commoncrawl.org's.
"""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkspider.cli import main
from linkspider.testweb import TestWeb
from linkspider.testweb.ccgraph import (
    SAMPLE_EXTRA_LINKS,
    planted_referrers,
    sample_links,
    write_graphinfo,
    write_release,
)

pytestmark = pytest.mark.e2e

NAME = "cc-main-2026-http"
OLDER = "cc-main-2025-older"
LINKS = sample_links() + list(SAMPLE_EXTRA_LINKS)
EDGES = f"projects/hyperlinkgraph/{NAME}/domain/{NAME}-domain-edges.txt.gz"
BROKEN = "cc-main-2026-broken"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestWeb, Path]]:
    sites = tmp_path_factory.mktemp("sites")
    data = sites / "127.0.0.1"
    write_release(
        data / f"projects/hyperlinkgraph/{NAME}",
        NAME,
        LINKS,
        noise_hosts=600,
        noise_edges=20000,
        compresslevel=1,
    )
    # a release whose edge file is cut short (a complete HTTP answer of a broken gzip)
    broken = data / f"projects/hyperlinkgraph/{BROKEN}"
    write_release(broken, BROKEN, LINKS, noise_hosts=600, noise_edges=20000)
    edges = broken / f"domain/{BROKEN}-domain-edges.txt.gz"
    edges.write_bytes(edges.read_bytes()[:-200])
    write_graphinfo(data / "graphinfo.json", [NAME, BROKEN, OLDER])
    size = (data / EDGES).stat().st_size
    gate = sites.parent / "gate"
    (data / "_site.toml").write_text(
        f'[[route]]\npath = "/cut/{EDGES}"\ntruncate_at = {size * 3 // 5}\n'
        f'[[route]]\npath = "/held/{EDGES}"\nhold_until = "{gate}"\n'
    )
    shutil.copytree(data / "projects", data / "cut" / "projects")  # served cut short
    shutil.copytree(data / "projects", data / "held" / "projects")  # held until the gate
    with TestWeb([sites]) as web:
        yield web, data


def discover(web: TestWeb, tmp: Path, *args: str, data_url: str | None = None) -> int:
    base = data_url or web.url("127.0.0.1", "/")
    return main([
        "discover", "acme-boots.com,globex.co.uk", "--cache-dir", str(tmp / "cache"),
        "--out", str(tmp / "out"), "--data-url", base,
        "--graphinfo-url", web.url("127.0.0.1", "/graphinfo.json"), "-q", *args,
    ])  # fmt: skip


def candidates(tmp: Path) -> set[str]:
    with (tmp / "out" / "referring_candidates.csv").open() as handle:
        return {row["candidate"] for row in csv.DictReader(handle)}


def test_newest_release_is_downloaded_verified_and_then_used_offline(
    served: tuple[TestWeb, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, data = served
    assert discover(web, tmp_path) == 0  # no --release: the first one graphinfo.json lists
    expected = planted_referrers(LINKS, "acme-boots.com", "domain") | planted_referrers(
        LINKS, "globex.co.uk", "domain"
    )
    assert candidates(tmp_path) == expected
    cached = tmp_path / "cache" / f"projects/hyperlinkgraph/{NAME}"
    assert (cached / f"domain/{NAME}-domain-edges.txt.gz").read_bytes() == (
        data / EDGES
    ).read_bytes()
    assert not list(cached.rglob("*.part"))
    # the cache is complete: a run with no network needs none
    capsys.readouterr()
    assert discover(web, tmp_path, "--release", NAME, data_url="http://127.0.0.1:1/") == 0
    assert candidates(tmp_path) == expected
    assert "from the index of an earlier run" in capsys.readouterr().out
    # a file deleted from the cache is downloaded again, the rest is not
    (cached / f"domain/{NAME}-domain-ranks.txt.gz").unlink()
    kept = (cached / f"domain/{NAME}-domain-edges.txt.gz").stat().st_mtime_ns
    assert discover(web, tmp_path, "--release", NAME) == 0
    assert (cached / f"domain/{NAME}-domain-ranks.txt.gz").exists()
    assert (cached / f"domain/{NAME}-domain-edges.txt.gz").stat().st_mtime_ns == kept


def test_an_interrupted_download_resumes_where_it_stopped(
    served: tuple[TestWeb, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, data = served
    size = (data / EDGES).stat().st_size
    cut = size * 3 // 5
    base = web.url("127.0.0.1", "/cut/")  # the same files; the edge file's answer is cut
    assert discover(web, tmp_path, "--release", NAME, "--retries", "0", data_url=base) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"stopped at {cut} of {size} bytes" in err[0] and "resume" in err[0]
    part = (
        tmp_path
        / "cache"
        / f"projects/hyperlinkgraph/{NAME}/domain/{NAME}-domain-edges.txt.gz.part"
    )
    assert part.stat().st_size == cut
    assert not (tmp_path / "out").exists()
    # the next run asks for the rest (Range): the answer is cut after `cut` bytes too, yet
    # the file completes, which a download from the start could not
    assert discover(web, tmp_path, "--release", NAME, "--retries", "0", data_url=base) == 0
    final = tmp_path / "cache" / f"projects/hyperlinkgraph/{NAME}/domain/{NAME}-domain-edges.txt.gz"
    assert final.read_bytes() == (data / EDGES).read_bytes() and not part.exists()


def test_a_truncated_gzip_from_the_server_is_an_error_naming_the_file(
    served: tuple[TestWeb, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, _ = served
    assert discover(web, tmp_path, "--release", BROKEN) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{BROKEN}-domain-edges.txt.gz is truncated or corrupt" in err[0]
    assert err[0].endswith("(removed from the cache: the next run downloads it again)")
    assert not (tmp_path / "out" / "referring_candidates.csv").exists()
    cached = tmp_path / "cache" / f"projects/hyperlinkgraph/{BROKEN}"
    assert not (cached / f"domain/{BROKEN}-domain-edges.txt.gz").exists()
    assert not list(cached.glob(".complete-*"))  # the level is not complete any more
    assert (cached / f"domain/{BROKEN}-domain-vertices.txt.gz").exists()  # the rest stays


def test_a_mirror_without_graph_index_serves_named_releases(
    served: tuple[TestWeb, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, _ = served
    dead_index = ["--graphinfo-url", "http://127.0.0.1:1/graphinfo.json"]
    assert discover(web, tmp_path, "--release", NAME, *dead_index) == 0
    assert candidates(tmp_path)
    assert discover(web, tmp_path, "--release", "cc-main-1999-nope", *dead_index) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(
        "error: release cc-main-1999-nope has no domain/cc-main-1999-nope-domain-vertices.txt.gz"
    )


def test_ctrl_c_during_a_download_writes_nothing_and_says_so(
    served: tuple[TestWeb, Path], tmp_path: Path
) -> None:
    web, data = served
    held = data.parent.parent / "gate.held"  # the server appends a line per held request
    held.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "linkspider.cli", "discover", "acme-boots.com", "--release", NAME,
        "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out"), "-q",
        "--data-url", web.url("127.0.0.1", "/held/"),
        "--graphinfo-url", web.url("127.0.0.1", "/graphinfo.json"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(6000):  # the edge file's request is being held (a hang guard, no margin)
            if held.exists() and held.read_text().strip():
                break
            assert process.poll() is None
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert err.strip().splitlines() == [
        "interrupted: no result written; a download resumes where it stopped on the next run"
    ]
    assert not (tmp_path / "out").exists()
    cached = tmp_path / "cache" / f"projects/hyperlinkgraph/{NAME}/domain"
    assert (cached / f"{NAME}-domain-vertices.txt.gz").exists()  # finished files stay
    assert not (cached / f"{NAME}-domain-edges.txt.gz").exists()


def test_unknown_release(
    served: tuple[TestWeb, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, _ = served
    assert discover(web, tmp_path, "--release", "cc-main-1999-nope") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: unknown release 'cc-main-1999-nope': the graph index lists {NAME}, {BROKEN}, {OLDER}"
    ]


def test_a_listed_release_missing_on_the_server(
    served: tuple[TestWeb, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, _ = served
    assert discover(web, tmp_path, "--release", OLDER) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and f"release {OLDER} has no domain/{OLDER}-domain-vertices.txt.gz" in err[0]
    )


def test_no_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([
        "discover", "acme-boots.com", "--cache-dir", str(tmp_path), "--out", str(tmp_path / "out"),
        "--data-url", "http://127.0.0.1:1/", "--graphinfo-url", "http://127.0.0.1:1/graphinfo.json", "-q",
    ])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert (
        err[0].startswith("error: cannot reach http://127.0.0.1:1/graphinfo.json")
        and "no network" in err[0]
    )
    assert not (tmp_path / "out").exists()
