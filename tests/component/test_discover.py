"""linkspider discover on generated releases in Common Crawl's exact layout (no network)."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from linkspider.cli import SAMPLE_DIR, main
from linkspider.discover import (
    CorruptFileError,
    find_candidates,
    lookup_ranks,
    open_release,
    scan_edges,
)
from linkspider.discover import edges as edges_module
from linkspider.discover.edges import FIND_LIMIT
from linkspider.testweb.ccgraph import (
    SAMPLE_EXTRA_LINKS,
    SAMPLE_RELEASE,
    planted_referrers,
    sample_links,
    write_release,
    write_sample,
)
from tests.support.paths import ROOT

SAMPLE_GRAPH = SAMPLE_DIR / "webgraph" / SAMPLE_RELEASE
TARGETS = ["acme-boots.com", "globex.co.uk", "initech.com.au", "xn--bcher-kva.de"]
#: Links that test the edges of the format: a name sorting inside a target's range
#: (com.acme-boots-outlet sorts between com.acme-boots and com.acme-boots.shop), www
#: variants on both ends, a subdomain target page, an IDN referrer, internal links.
EDGE_CASE_LINKS = [
    ("acme-boots-outlet.com", "globex.co.uk"),
    ("www.hikers.org", "shop.acme-boots.com"),
    ("blog.hikers.org", "www.acme-boots.com"),
    ("bergfreunde-bücher.de", "bücher.de"),
    ("shop.acme-boots.com", "acme-boots.com"),
    ("globex.co.uk", "acme-boots-outlet.com"),
    ("www.com", "initech.com.au"),
]


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    links = sample_links() + list(SAMPLE_EXTRA_LINKS) + EDGE_CASE_LINKS
    root = tmp_path_factory.mktemp("graph") / "cc-main-2026-test"
    write_release(
        root, "cc-main-2026-test", links, noise_hosts=3000, noise_edges=60000, edge_parts=3
    )
    return root, links


def lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="ascii") as handle:
        return handle.read().splitlines()


def test_bundled_sample_release_is_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_sample(tmp_path / SAMPLE_RELEASE)
    for relative in written.files:
        assert (tmp_path / SAMPLE_RELEASE / relative).read_bytes() == (
            SAMPLE_GRAPH / relative
        ).read_bytes(), relative


def test_generated_release_follows_common_crawls_format(
    noisy: tuple[Path, list[tuple[str, str]]],
) -> None:
    root, _ = noisy
    name = root.name
    host_vertex_files = [
        root / p.split(f"{name}/", 1)[1]
        for p in lines(root / f"host/{name}-host-vertices.paths.gz")
    ]
    edge_listing = lines(root / f"host/{name}-host-edges.paths.gz")
    assert len(edge_listing) == 3
    assert all(
        p.startswith(f"projects/hyperlinkgraph/{name}/host/edges/part-0000")
        and p.endswith("-c000.txt.gz")
        for p in edge_listing
    )
    vertices = [line.split("\t") for f in host_vertex_files for line in lines(f)]
    assert [int(v[0]) for v in vertices] == list(range(len(vertices)))  # ids = line numbers
    names = [v[1] for v in vertices]
    assert names == sorted(names) and len(set(names)) == len(names)  # strictly sorted
    assert "com.outdoor-blog" in names and "com.outdoor-blog.www" not in names  # www. stripped
    assert "com.www" in names  # ... unless it would leave one label
    assert "de.xn--bergfreunde-bcher-f3b" in names  # IDN in punycode
    edges = [
        tuple(map(int, line.split("\t")))
        for p in edge_listing
        for line in lines(root / p.split(f"{name}/", 1)[1])
    ]
    assert edges == sorted(set(edges)) and all(a != b for a, b in edges)
    domain = [line.split("\t") for line in lines(root / f"domain/{name}-domain-vertices.txt.gz")]
    assert [d[1] for d in domain] == sorted(d[1] for d in domain)
    assert {d[1]: int(d[2]) for d in domain}["com.acme-boots"] == 3  # apex, shop., blog.
    ranks = lines(root / f"domain/{name}-domain-ranks.txt.gz")
    assert ranks[0].split("\t") == [
        "#harmonicc_pos",
        "#harmonicc_val",
        "#pr_pos",
        "#pr_val",
        "#host_rev",
        "#n_hosts",
    ]
    assert [int(r.split("\t")[0]) for r in ranks[1:]] == list(range(1, len(domain) + 1))


@pytest.mark.parametrize("level", ["domain", "host"])
def test_discover_finds_exactly_the_planted_referrers(
    noisy: tuple[Path, list[tuple[str, str]]], level: str, tmp_path: Path
) -> None:
    root, links = noisy
    result = find_candidates(open_release(root), TARGETS, level, cache_dir=tmp_path)
    for target in TARGETS:
        got = {c.name for c in result.candidates if target in c.links_to}
        assert got == planted_referrers(links, target, level), target
    assert "acme-boots-outlet.com" not in {
        c.name for c in result.candidates if "acme-boots.com" in c.links_to
    }
    hc = [c.rank.harmonic_pos for c in result.candidates if c.rank]
    assert hc == sorted(hc) and len(hc) == len(result.candidates)  # sorted by authority
    assert result.stats.edges_scanned == sum(
        1 for f in open_release(root).files(level).edges for _ in lines(f)
    )


def test_host_level_keeps_subdomains_apart(
    noisy: tuple[Path, list[tuple[str, str]]], tmp_path: Path
) -> None:
    result = find_candidates(open_release(noisy[0]), ["acme-boots.com"], "host", cache_dir=tmp_path)
    names = {c.name for c in result.candidates}
    assert {"hikers.org", "blog.hikers.org"} <= names  # www.hikers.org is hikers.org
    assert "shop.acme-boots.com" not in names  # internal
    assert set(result.target_vertices["acme-boots.com"]) == {
        "acme-boots.com",
        "shop.acme-boots.com",
        "blog.acme-boots.com",
    }


def test_a_second_run_reads_no_edge_file(
    noisy: tuple[Path, list[tuple[str, str]]], tmp_path: Path
) -> None:
    release = open_release(noisy[0])
    first = find_candidates(release, TARGETS, "domain", cache_dir=tmp_path)
    opened: list[Path] = []
    again = find_candidates(
        release, TARGETS, "domain", cache_dir=tmp_path, progress=lambda what, p: opened.append(p)
    )
    assert again.candidates == first.candidates
    assert again.stats.from_index and again.stats.edges_scanned == 0 and opened == []
    # one new target: only the edges are scanned again, for it alone
    more = find_candidates(release, [*TARGETS, "outdoor-blog.com"], "domain", cache_dir=tmp_path)
    assert more.stats.edges_scanned > 0
    assert {c.name for c in more.candidates if "acme-boots.com" in c.links_to} == {
        c.name for c in first.candidates if "acme-boots.com" in c.links_to
    }


def test_the_index_forgets_a_release_whose_files_changed(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write_release(root, "cc-main-x", [("a.com", "t.com")], edge_parts=1)
    assert [
        c.name
        for c in find_candidates(open_release(root), ["t.com"], cache_dir=tmp_path).candidates
    ] == ["a.com"]
    shutil.rmtree(root)
    write_release(root, "cc-main-x", [("b.com", "t.com")], edge_parts=1)
    assert [
        c.name
        for c in find_candidates(open_release(root), ["t.com"], cache_dir=tmp_path).candidates
    ] == ["b.com"]


def test_lookup_ranks_is_cached_and_takes_names_as_people_write_them(
    noisy: tuple[Path, list[tuple[str, str]]], tmp_path: Path
) -> None:
    release = open_release(noisy[0])
    names = ["www.outdoor-blog.com", "bergfreunde-bücher.de", "not-in-the-graph.example"]
    ranks = lookup_ranks(release, names, "domain", cache_dir=tmp_path)
    assert set(ranks) == {"www.outdoor-blog.com", "bergfreunde-bücher.de"}
    by_file = {
        line.split("\t")[4]: int(line.split("\t")[0])
        for line in lines(release.files("domain").ranks)[1:]
    }
    assert ranks["www.outdoor-blog.com"].harmonic_pos == by_file["com.outdoor-blog"]
    opened: list[Path] = []
    again = lookup_ranks(
        release, names, "domain", cache_dir=tmp_path, progress=lambda w, p: opened.append(p)
    )
    assert again == ranks and opened == []


@pytest.mark.parametrize("how", ["find", "numpy", "find-then-numpy"])
def test_edge_scan_matches_a_plain_reading(
    noisy: tuple[Path, list[tuple[str, str]]], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = open_release(noisy[0]).files("host").edges
    edges = np.array([list(map(int, line.split("\t"))) for f in files for line in lines(f)])
    counts = np.bincount(edges[:, 1])
    popular = np.argsort(-counts)[: (FIND_LIMIT + 20 if how == "numpy" else 3)]
    if how == "find-then-numpy":  # a target with more links in a block than the search takes
        monkeypatch.setattr(edges_module, "FIND_MAX_HITS", int(counts[popular].sum()) // 4)
    scan = scan_edges(files, popular.tolist())
    for target in popular.tolist():
        expected = np.unique(edges[edges[:, 1] == target, 0])
        assert np.array_equal(scan.sources[target], expected)
    assert scan.edges == len(edges)


def test_parallel_scan_gives_the_sequential_answer(
    noisy: tuple[Path, list[tuple[str, str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = open_release(noisy[0]).files("host").edges
    assert len(files) > 1
    edges = np.array([list(map(int, line.split("\t"))) for f in files for line in lines(f)])
    popular = np.argsort(-np.bincount(edges[:, 1]))[: FIND_LIMIT + 3].tolist()
    monkeypatch.setattr(edges_module, "PARALLEL_MIN_BYTES", 0)
    done: list[tuple[Path, int]] = []

    def progress(path: Path) -> Callable[[int], None]:
        return lambda read: done.append((path, read))

    one = scan_edges(files, popular, workers=1)
    two = scan_edges(files, popular, progress, workers=2)
    assert one.edges == two.edges == len(edges)
    assert {t: v.tolist() for t, v in one.sources.items()} == {
        t: v.tolist() for t, v in two.sources.items()
    }
    assert sorted(done) == sorted((f, f.stat().st_size) for f in files)  # one report a file
    broken = tmp_path / files[1].name
    broken.write_bytes(files[1].read_bytes()[:-40])
    with pytest.raises(CorruptFileError, match=broken.name):
        scan_edges([files[0], broken], popular, workers=2)


def test_scan_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKSPIDER_DISCOVER_WORKERS", "3")
    assert edges_module.scan_workers() == 3
    monkeypatch.setenv("LINKSPIDER_DISCOVER_WORKERS", "many")
    with pytest.raises(ValueError, match="LINKSPIDER_DISCOVER_WORKERS"):
        edges_module.scan_workers()


@pytest.mark.parametrize("inflate", ["program", "zlib"])
def test_truncated_edge_file_is_an_error_naming_it(
    noisy: tuple[Path, list[tuple[str, str]]],
    tmp_path: Path,
    inflate: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "release"
    shutil.copytree(noisy[0], root)
    edges = open_release(root).files("host").edges[1]
    data = edges.read_bytes()
    edges.write_bytes(data[: len(data) * 2 // 3])
    if inflate == "zlib":
        monkeypatch.setenv("LINKSPIDER_GZIP", "zlib")
    out = tmp_path / "out"
    code = main(
        [
            "discover",
            "acme-boots.com",
            "--graph",
            str(root),
            "--level",
            "host",
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path / "c"),
            "-q",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"error: {edges} is truncated or corrupt")
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(CorruptFileError):  # and the next run is not fooled by an index
        find_candidates(open_release(root), ["acme-boots.com"], "host", cache_dir=tmp_path / "c")


def test_not_a_release_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "readme.txt").write_text("hello")
    assert main(["discover", "acme-boots.com", "--graph", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a Common Crawl web-graph release" in err[0]


def test_a_release_missing_a_part_is_refused(
    noisy: tuple[Path, list[tuple[str, str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "release"
    shutil.copytree(noisy[0], root)
    open_release(root).files("host").edges[0].unlink()
    assert (
        main(
            [
                "discover",
                "acme-boots.com",
                "--graph",
                str(root),
                "--level",
                "host",
                "-q",
                "--cache-dir",
                str(tmp_path),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing" in err[0] and "part-00000" in err[0]


def test_absent_target_is_zero_candidates_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "discover",
            "nobody-links-here.org",
            "--graph",
            str(SAMPLE_GRAPH),
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path),
            "-q",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "nobody-links-here.org is not in release cc-main-2026-sample" in captured.err
    assert (out / "referring_candidates.csv").read_text().count("\n") == 1  # the header
    assert (out / "seeds.txt").read_text() == ""
    import json

    summary = json.loads((out / "discover.json").read_text())
    assert (
        summary["absent_targets"] == ["nobody-links-here.org"]
        and summary["counts"]["candidates"] == 0
    )


def test_worked_example_on_the_bundled_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "discover",
            str(SAMPLE_DIR / "targets.toml"),
            "--graph",
            str(SAMPLE_GRAPH),
            "--top",
            "5",
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    import csv
    import json

    rows = list(csv.DictReader((out / "referring_candidates.csv").open()))
    links = sample_links() + list(SAMPLE_EXTRA_LINKS)
    planted = set().union(*(planted_referrers(links, t, "domain") for t in TARGETS))
    assert {r["candidate"] for r in rows} == planted
    assert (out / "seeds.txt").read_text().split() == [r["candidate"] for r in rows[:5]]
    summary = json.loads((out / "discover.json").read_text())
    assert summary["release"] == SAMPLE_RELEASE and summary["counts"]["seeds"] == 5
    assert summary["edges_scanned"] > 0 and summary["bytes_read"] > 0
    assert not list(out.glob("*.part"))


@pytest.mark.e2e
def test_the_docs_page_runs_verbatim(tmp_path: Path) -> None:
    """Every bash and python block of docs/discover.md, from a folder like a clone's."""
    import re
    import subprocess
    import sys

    repo = ROOT
    text = (repo / "docs" / "discover.md").read_text("utf-8")
    (tmp_path / "linkspider").symlink_to(repo / "linkspider")
    env = {**os.environ, "LINKSPIDER_CACHE_DIR": str(tmp_path / "cache")}
    blocks = re.findall(r"```(bash|python)\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    for kind, code in blocks:
        code = code.replace("/tmp/", f"{tmp_path}/")
        command = ["bash", "-e", "-c", code] if kind == "bash" else [sys.executable, "-c", code]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (code, done.stderr)
    assert (
        tmp_path / "output" / "discover-cc-main-2026-sample-domain" / "seeds.txt"
    ).read_text().count("\n") == 5


def test_a_broken_or_unwritable_index_costs_a_scan_not_the_run(tmp_path: Path) -> None:
    release = open_release(SAMPLE_GRAPH)
    first = find_candidates(release, TARGETS, cache_dir=tmp_path)
    for index in (tmp_path / "index").rglob("domain.sqlite"):
        index.write_bytes(b"this is not a database" * 100)
    again = find_candidates(release, TARGETS, cache_dir=tmp_path)
    assert again.candidates == first.candidates and not again.stats.from_index
    assert find_candidates(release, TARGETS, cache_dir=tmp_path).stats.from_index  # rebuilt
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert find_candidates(release, TARGETS, cache_dir=blocked).candidates == first.candidates


def test_progress_lines_say_bytes_rate_and_eta(capsys: pytest.CaptureFixture[str]) -> None:
    from linkspider.discover_cli import _Progress

    progress = _Progress(quiet=False)
    progress.download("x-domain-edges.txt.gz", 5_000_000, 10_000_000, 1_000_000.0)
    assert capsys.readouterr().err == ""  # nothing in the first second
    progress.last = 0.0
    progress.download("x-domain-edges.txt.gz", 5_000_000, 10_000_000, 1_000_000.0)
    assert capsys.readouterr().err.strip() == (
        "download x-domain-edges.txt.gz: 5.0 MB of 10.0 MB (50%), 1.0 MB/s, ETA 5 s"
    )
    progress.download("x-domain-edges.txt.gz", 10_000_000, 10_000_000, 1_000_000.0)
    assert "(100%)" in capsys.readouterr().err  # the last line always shows


@pytest.mark.parametrize("targets", [[2], list(range(2, 40))])
def test_an_edge_file_not_in_the_format_is_refused(tmp_path: Path, targets: list[int]) -> None:
    bad = tmp_path / "edges.txt.gz"
    with gzip.open(bad, "wb") as handle:
        handle.write(b"0\t2\n1\t3\nx1\t2\n")
    with pytest.raises(CorruptFileError, match="a line is not <from id> TAB <to id>"):
        scan_edges([bad], targets)
    with gzip.open(bad, "wb") as handle:
        handle.write(b"0,2\n1,3\n")
    with pytest.raises(CorruptFileError, match=r"edges\.txt\.gz"):
        scan_edges([bad], list(range(2, 40)))


@pytest.mark.parametrize("inflate", ["program", "zlib"])
def test_line_blocks_give_whole_lines_across_blocks_and_gzip_members(
    tmp_path: Path, inflate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkspider.discover.gzlines import line_blocks

    if inflate == "zlib":
        monkeypatch.setenv("LINKSPIDER_GZIP", "zlib")
    text = b"".join(b"%d\t%d\n" % (i, i * 7) for i in range(5000))
    path = tmp_path / "two-members.txt.gz"
    path.write_bytes(gzip.compress(text[:20001]) + gzip.compress(text[20001:] + b"99\t1"))
    seen: list[int] = []
    blocks = list(line_blocks(path, seen.append, block=777))
    assert all(b.endswith(b"\n") for b in blocks) and len(blocks) > 10
    assert b"".join(blocks) == text + b"99\t1\n"  # a last line without newline gets one
    assert seen and seen[-1] == path.stat().st_size  # progress: compressed bytes read
