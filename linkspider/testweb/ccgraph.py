"""Write a Common Crawl web-graph release, in Common Crawl's layout and formats, for tests.

From a list of (source host, target host) links, plus generated noise, it writes::

    <release folder>/domain/<name>-domain-vertices.txt.gz   id TAB rev-domain TAB n_hosts
    <release folder>/domain/<name>-domain-edges.txt.gz      from TAB to (sorted)
    <release folder>/domain/<name>-domain-ranks.txt.gz      #harmonicc_pos ... #n_hosts
    <release folder>/host/<name>-host-vertices.paths.gz     lists host/vertices/part-*.txt.gz
    <release folder>/host/<name>-host-edges.paths.gz        lists host/edges/part-*.txt.gz
    <release folder>/host/<name>-host-ranks.txt.gz          #harmonicc_pos ... #host_rev

as Common Crawl does: names reversed (``com.example.www``), IDNs in punycode, a leading
``www.`` stripped from host names when two labels remain, vertices sorted by reversed
name and numbered in that order, edges sorted and deduplicated with no self-loops, the
domain graph folded from the host graph by registrable domain (Public Suffix List, the
private section included), ``*.paths.gz`` entries ``projects/hyperlinkgraph/<name>/...``,
gzip files. This module computes names and folds on its own (it does not use
``linkspider.discover``), so that tests compare two implementations.

Ranks are stand-ins with Common Crawl's meaning and file format, not its values: the
harmonic centrality is truncated at distance 1 (the in-degree) and PageRank is one
power-iteration step from the uniform vector; positions are 1 for the highest value,
ties in vertex order.

Noise (the size knob, fast enough for hundreds of millions of edges): ``noise_hosts``
extra hosts over ``noise_hosts // 3`` domains (apex, ``www.`` and other subdomains) and
``noise_edges`` random edges among them per level, generated block by block with numpy.
Noise never links to the listed hosts, so the planted referrers are exactly those of the
listed links (:func:`planted_referrers`).

Command line: ``python -m linkspider.testweb.ccgraph OUT_DIR --name NAME [--sample]
[--noise-hosts N] [--noise-edges N] [--edge-parts N]`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from linkspider.core.domains import registrable_domain
from linkspider.core.urls import canonical_host

Ints = npt.NDArray[np.int64]
SAMPLE_RELEASE = "cc-main-2026-sample"
_BLOCK_EDGES = 2_000_000
_TLDS = ("com", "org", "net", "de", "co.uk", "io", "fr", "jp")


def host_vertex(host: str) -> str:
    """A host as a host-graph vertex (normal order): punycode, lower case, ``www.`` off."""
    name = canonical_host(host)
    if name.startswith("www.") and "." in name[4:]:
        name = name[4:]
    return name


def reverse(name: str) -> str:
    return ".".join(name.split(".")[::-1])


@dataclass(frozen=True)
class Written:
    """What :func:`write_release` wrote: the folder, file sizes and graph sizes."""

    root: Path
    name: str
    files: dict[str, int]  # path relative to root -> bytes
    vertices: dict[str, int]  # level -> count
    edges: dict[str, int]  # level -> count


def planted_referrers(links: Iterable[tuple[str, str]], target: str, level: str) -> set[str]:
    """The names (normal order) that link to ``target`` at ``level`` in a written release.

    ``target`` is a registrable domain or a host; its own subdomains and domain are not
    referrers (internal links).
    """
    want = host_vertex(target)
    domain = registrable_domain(want)
    out = set()
    for source, dest in links:
        s, d = host_vertex(source), host_vertex(dest)
        if not s or not d or s == d:
            continue
        if not (d == want or d.endswith("." + want)):
            continue
        if registrable_domain(s) == domain:
            continue
        out.add(registrable_domain(s) if level == "domain" else s)
    return out


def write_release(
    root: Path,
    name: str,
    links: Iterable[tuple[str, str]],
    *,
    noise_hosts: int = 0,
    noise_edges: int = 0,
    edge_parts: int = 2,
    vertex_parts: int = 2,
    levels: Sequence[str] = ("domain", "host"),
    seed: int = 0,
    compresslevel: int = 6,
) -> Written:
    """Write release ``name`` into ``root`` (the release folder itself)."""
    root = Path(root)
    pairs = sorted(
        {(host_vertex(s), host_vertex(d)) for s, d in links} - {("", "")},
    )
    pairs = [(s, d) for s, d in pairs if s and d and s != d]
    real_hosts = sorted({h for p in pairs for h in p})
    noise = _noise_hosts(noise_hosts, set(real_hosts))
    files: dict[str, int] = {}
    counts_v: dict[str, int] = {}
    counts_e: dict[str, int] = {}
    rng_seed = np.random.SeedSequence(seed)
    for level in levels:
        if level == "host":
            names, real_edges, noise_names = _host_level(real_hosts, pairs, noise)
        else:
            names, real_edges, noise_names = _domain_level(real_hosts, pairs, noise)
        graph = _Graph(level, names, real_edges, noise_names, noise_edges, rng_seed)
        if level == "domain":
            folded = [(h, registrable_domain(h)) for h in real_hosts]
            for _host, domain in {*folded, *noise}:
                graph.n_hosts[domain] = graph.n_hosts.get(domain, 0) + 1
        files.update(graph.write(root, name, edge_parts, vertex_parts, compresslevel))
        counts_v[level], counts_e[level] = len(names), graph.edge_count
    return Written(root, name, files, counts_v, counts_e)


def _noise_hosts(count: int, taken: set[str]) -> list[tuple[str, str]]:
    """(host vertex, domain) of ``count`` made-up hosts: three a domain, ``www.`` among
    them (it folds into the apex: fewer host vertices than hosts), ASCII names whose
    domain is known without the Public Suffix List (fast for millions)."""
    noise = []
    labels = ("", "www.", "blog.", "shop.", "news.", "m.")
    for i in range(count):
        d = i // 3
        domain = f"noise{d:x}-{(d * 7919) % 1000:03d}.{_TLDS[d % len(_TLDS)]}"
        label = labels[i % 3 if i % 9 < 6 else 3 + i % 3]
        host = domain if label == "www." else label + domain
        if host not in taken:
            noise.append((host, domain))
    return noise


def _host_level(
    real: list[str], pairs: list[tuple[str, str]], noise: list[tuple[str, str]]
) -> tuple[list[str], list[tuple[str, str]], set[str]]:
    noise_names = {h for h, _ in noise} - set(real)
    return sorted(set(real) | noise_names, key=reverse), pairs, noise_names


def _domain_level(
    real: list[str], pairs: list[tuple[str, str]], noise: list[tuple[str, str]]
) -> tuple[list[str], list[tuple[str, str]], set[str]]:
    fold = {h: registrable_domain(h) for h in real}
    edges = sorted({(fold[s], fold[d]) for s, d in pairs if fold[s] != fold[d]})
    real_domains = set(fold.values())
    noise_names = {d for _, d in noise} - real_domains
    return sorted(real_domains | noise_names, key=reverse), edges, noise_names


class _Graph:
    """One level: vertices in id order, real edges, and noise edges made block by block."""

    def __init__(
        self,
        level: str,
        names: list[str],
        real_edges: list[tuple[str, str]],
        noise_names: set[str],
        noise_edges: int,
        seed: np.random.SeedSequence,
    ) -> None:
        self.level = level
        self.names = names
        # ids of the listed hosts only: a dict of millions of noise names costs GBs
        ids = {n: i for i, n in enumerate(names) if n not in noise_names}
        self.n = len(names)
        real = np.array(sorted((ids[s], ids[d]) for s, d in real_edges), dtype=np.int64).reshape(
            -1, 2
        )
        self.real_keys = real[:, 0] * self.n + real[:, 1]
        self.noise_ids = np.fromiter(
            (i for i, n in enumerate(names) if n in noise_names), dtype=np.int64
        )
        self.noise_edges = noise_edges if len(self.noise_ids) > 1 else 0
        self.seed = seed.spawn(1)[0]
        self.indegree = np.zeros(self.n, dtype=np.int64)
        self.pr_in = np.zeros(self.n, dtype=np.float64)
        self.edge_count = 0
        self.n_hosts: dict[str, int] = {}

    def edge_blocks(self) -> Iterator[Ints]:
        """Sorted unique edge keys (from * n + to), block after block in from order."""
        lam = self.noise_edges / max(len(self.noise_ids), 1)
        per_block = max(1, int(_BLOCK_EDGES / max(lam, 1e-9)))
        bounds = [*range(0, self.n, per_block), self.n]
        seeds = self.seed.spawn(len(bounds))
        for (a, b), block_seed in zip(itertools.pairwise(bounds), seeds, strict=False):
            rng = np.random.default_rng(block_seed)
            lo, hi = np.searchsorted(self.noise_ids, [a, b])
            sources = self.noise_ids[lo:hi]
            parts = [self.real_keys[(self.real_keys >= a * self.n) & (self.real_keys < b * self.n)]]
            if self.noise_edges and len(sources):
                out = rng.poisson(lam, len(sources))
                src = np.repeat(sources, out)
                dst = self.noise_ids[rng.integers(0, len(self.noise_ids), len(src))]
                keep = src != dst
                parts.append(src[keep] * self.n + dst[keep])
            keys = np.sort(np.concatenate(parts))
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
            if len(keys):
                yield keys

    def write(
        self, root: Path, name: str, edge_parts: int, vertex_parts: int, level_gz: int
    ) -> dict[str, int]:
        files: dict[str, int] = {}
        folder = root / self.level
        folder.mkdir(parents=True, exist_ok=True)
        extra = self._hosts_per_domain() if self.level == "domain" else None
        # edges (and the rank inputs, on the way)
        edge_files = (
            self._part_names("edges", edge_parts)
            if self.level == "host"
            else [f"{self.level}/{name}-{self.level}-edges.txt.gz"]
        )
        blocks = list(self._edge_parts(len(edge_files)))
        for relative, keys_iter in zip(edge_files, blocks, strict=True):
            with _gz(root / relative, level_gz) as out:
                for keys in keys_iter:
                    src, dst = keys // self.n, keys % self.n
                    self._count(src, dst)
                    out.write(_format_ints([src, dst]))
            files[relative] = (root / relative).stat().st_size
        # vertices
        vertex_files = (
            self._part_names("vertices", vertex_parts)
            if self.level == "host"
            else [f"{self.level}/{name}-{self.level}-vertices.txt.gz"]
        )
        chunk = -(-self.n // len(vertex_files)) if self.n else 1
        for k, relative in enumerate(vertex_files):
            with _gz(root / relative, level_gz) as out:
                for i in range(k * chunk, min(self.n, (k + 1) * chunk)):
                    rev = reverse(self.names[i])
                    tail = f"\t{extra[self.names[i]]}" if extra is not None else ""
                    out.write(f"{i}\t{rev}{tail}\n".encode("ascii"))
            files[relative] = (root / relative).stat().st_size
        if self.level == "host":
            for kind, relatives in (("vertices", vertex_files), ("edges", edge_files)):
                listing = f"host/{name}-host-{kind}.paths.gz"
                with _gz(root / listing, level_gz) as out:
                    for relative in relatives:
                        out.write(f"projects/hyperlinkgraph/{name}/{relative}\n".encode())
                files[listing] = (root / listing).stat().st_size
        ranks = f"{self.level}/{name}-{self.level}-ranks.txt.gz"
        self._write_ranks(root / ranks, extra, level_gz)
        files[ranks] = (root / ranks).stat().st_size
        return files

    def _part_names(self, kind: str, parts: int) -> list[str]:
        rng = np.random.default_rng(self.seed.spawn(1)[0])
        job = uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | int(rng.integers(0, 2**62)))
        return [f"host/{kind}/part-{i:05d}-{job}-c000.txt.gz" for i in range(max(1, parts))]

    def _edge_parts(self, parts: int) -> list[Iterator[Ints]]:
        """The edge blocks dealt to ``parts`` files in order (consecutive ranges)."""
        stream = self.edge_blocks()
        total_sources = self.n
        bounds = [total_sources * (k + 1) // parts for k in range(parts)]
        pending: list[Ints] = []

        def part(k: int) -> Iterator[Ints]:
            limit = bounds[k] * self.n
            while True:
                block = pending.pop() if pending else next(stream, None)
                if block is None:
                    return
                cut = int(np.searchsorted(block, limit))
                if cut:
                    yield block[:cut]
                if cut < len(block):
                    pending.append(block[cut:])
                    return

        return [part(k) for k in range(parts)]

    def _count(self, src: Ints, dst: Ints) -> None:
        self.edge_count += len(src)
        self.indegree += np.bincount(dst, minlength=self.n)
        # edges arrive grouped by source: out-degrees are complete per block...
        starts = np.flatnonzero(np.concatenate(([True], src[1:] != src[:-1])))
        counts = np.diff(np.append(starts, len(src)))
        out = np.repeat(counts, counts)
        # ... except for a source split across two blocks (rare; a stand-in value anyway)
        self.pr_in += np.bincount(dst, weights=1.0 / out, minlength=self.n)

    def _hosts_per_domain(self) -> dict[str, int]:
        return {n: self.n_hosts.get(n, 1) for n in self.names}

    def _write_ranks(self, path: Path, extra: dict[str, int] | None, level_gz: int) -> None:
        n = max(self.n, 1)
        hc = self.indegree.astype(np.float64)
        pr = 0.15 / n + 0.85 * self.pr_in / n
        hc_pos = np.empty(self.n, dtype=np.int64)
        hc_pos[np.argsort(-hc, kind="stable")] = np.arange(1, self.n + 1)
        pr_pos = np.empty(self.n, dtype=np.int64)
        pr_pos[np.argsort(-pr, kind="stable")] = np.arange(1, self.n + 1)
        header = "#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev"
        header += "\t#n_hosts\n" if extra is not None else "\n"
        with _gz(path, level_gz) as out:
            out.write(header.encode())
            for i in np.argsort(hc_pos, kind="stable").tolist():
                tail = f"\t{extra[self.names[i]]}" if extra is not None else ""
                line = (
                    f"{hc_pos[i]}\t{hc[i]:.1f}\t{pr_pos[i]}\t{pr[i]:.6e}\t"
                    f"{reverse(self.names[i])}{tail}\n"
                )
                out.write(line.encode("ascii"))


@contextlib.contextmanager
def _gz(path: Path, level: int) -> Iterator[gzip.GzipFile]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name: the same input gives the same bytes
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as out,
    ):
        yield out


def _format_ints(columns: Sequence[Ints]) -> bytes:
    """Rows of tab-separated decimal numbers, one line per row (vectorised)."""
    count = len(columns[0])
    if not count:
        return b""
    widths = [_digits(c) for c in columns]
    line = sum(widths) + len(columns)
    ends = np.cumsum(line)
    starts = ends - line
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    pos = starts.copy()
    for k, (col, width) in enumerate(zip(columns, widths, strict=True)):
        value = col.copy()
        for d in range(int(width.max())):
            live = width > d
            out[(pos + width - 1 - d)[live]] = (value[live] % 10 + 48).astype(np.uint8)
            value //= 10
        pos = pos + width
        out[pos] = 9 if k + 1 < len(columns) else 10
        pos = pos + 1
    return out.tobytes()


def _digits(values: Ints) -> Ints:
    width = np.ones(len(values), dtype=np.int64)
    bound = 10
    while True:
        more = values >= bound
        if not more.any():
            return width
        width += more
        bound *= 10


def sample_links(sites_dir: Path | None = None) -> list[tuple[str, str]]:
    """(source host, target host) of every web link on the pages of a test-web folder."""
    from linkspider.extract.page import LinkPage
    from linkspider.testweb.sites import DEFAULT_SITES_DIR

    base = Path(sites_dir or DEFAULT_SITES_DIR)
    pairs: set[tuple[str, str]] = set()
    for site in sorted(p for p in base.iterdir() if p.is_dir() and p.name[0] not in "._"):
        for page in sorted(site.rglob("*.html")):
            relative = page.relative_to(site).as_posix()
            path = relative[: -len("index.html")] if relative.endswith("index.html") else relative
            doc = LinkPage(page.read_bytes(), f"http://{site.name}/{path}", "text/html")
            pairs.update((site.name, link.host) for link in doc.links if link.host)
    return sorted(pairs)


#: Extra hosts of the bundled sample release: what a real graph also holds (a www.
#: variant, a subdomain, an IDN referrer, hosts that link elsewhere).
SAMPLE_EXTRA_LINKS = (
    ("www.outdoor-blog.com", "acme-boots.com"),
    ("forum.alpine-club.ch", "www.acme-boots.com"),
    ("bergfreunde-bücher.de", "bücher.de"),
    ("blog.acme-boots.com", "acme-boots.com"),
    ("gear-forum.net", "unrelated-shop.com"),
    ("unrelated-shop.com", "outdoor-blog.com"),
)


def write_sample(folder: Path, name: str = SAMPLE_RELEASE) -> Written:
    """The bundled sample release: the sample web's links plus ``SAMPLE_EXTRA_LINKS``."""
    links = sample_links() + list(SAMPLE_EXTRA_LINKS)
    return write_release(folder, name, links, noise_hosts=60, noise_edges=400, seed=14)


def write_graphinfo(path: Path, names: Sequence[str]) -> None:
    """A ``graphinfo.json`` listing ``names`` newest first, as index.commoncrawl.org does."""
    entries = [
        {
            "id": n,
            "crawls": [],
            "index": f"https://data.commoncrawl.org/projects/hyperlinkgraph/{n}/index.html",
            "location": f"s3://commoncrawl/projects/hyperlinkgraph/{n}/",
            "stats": {"host": {"nodes": 0, "arcs": 0}, "domain": {"nodes": 0, "arcs": 0}},
        }
        for n in names
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=1) + "\n", "utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linkspider.testweb.ccgraph", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("out", help="the release folder to write")
    parser.add_argument("--name", help="release name (default: the folder's name)")
    parser.add_argument("--sample", action="store_true", help="the bundled sample release")
    parser.add_argument("--links", help="a file of 'SOURCE TARGET' host pairs, one a line")
    parser.add_argument("--noise-hosts", type=int, default=0)
    parser.add_argument("--noise-edges", type=int, default=0, help="random edges per level")
    parser.add_argument("--edge-parts", type=int, default=2, help="host-level edge files")
    parser.add_argument("--levels", default="domain,host")
    parser.add_argument("--compresslevel", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.name = args.name or Path(args.out).resolve().name
    if args.sample:
        written = write_sample(Path(args.out), args.name)
    else:
        links: list[tuple[str, str]] = []
        if args.links:
            for line in Path(args.links).read_text("utf-8").splitlines():
                fields = line.split()
                if len(fields) == 2:
                    links.append((fields[0], fields[1]))
        written = write_release(
            Path(args.out), args.name, links, noise_hosts=args.noise_hosts,
            noise_edges=args.noise_edges, edge_parts=args.edge_parts,
            levels=tuple(args.levels.split(",")), seed=args.seed,
            compresslevel=args.compresslevel,
        )  # fmt: skip
    print(
        f"{written.root}: release {written.name}, vertices {written.vertices}, "
        f"edges {written.edges}, {sum(written.files.values())} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
