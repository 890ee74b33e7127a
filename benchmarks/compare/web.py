"""The benchmark web: many hosts of real-looking pages with a known set of backlinks.

Every page is a real page skin from ``../shared/corpora`` (WCXB dev and AEB pages: their
header, navigation, sidebars, footer, scripts and markup as published) whose link targets
are rewritten to pages of the benchmark web, plus a block of real article text (from the
corpora's ground-truth main texts) holding the page's own links: child pages (a tree from
the home page, so that following links reaches every page of a host from its seed),
sibling pages, pages of other hosts, a path robots.txt disallows, and links to the target
sites. Which page links to which target, with what anchor and rel, is decided by a seeded
random generator and written to ``backlinks.jsonl``: the answer key of the correctness
check. Each host also gets a ``robots.txt``. The same parameters always give the same web.

Layout of a generated web (``WebFiles``)::

    manifest.json       parameters, hosts, seeds, page sizes and link counts
    seeds.txt           one home page URL per host
    pages.txt           every page URL (what the null spider requests)
    targets.toml        the target sites (linkspider's -a targets=)
    backlinks.jsonl     the known backlinks: source_url, target_url, anchor, rel, kind
    sites/<host>/...    the files nginx serves (root per host)
"""

from __future__ import annotations

import ast
import gzip
import html
import json
import random
import re
import shutil
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
#: Bump when the generator changes what it writes (cached webs are then rebuilt).
VERSION = 7
MIN_SKIN_BYTES, MAX_SKIN_BYTES, MIN_SKIN_LINKS = 46_000, 142_000, 60
MIN_PAGE_BYTES = 50_000
SKINS_PER_HOST = 3

TARGETS: tuple[tuple[str, str, str], ...] = (
    # domain, brand, keyword
    ("acme-boots.com", "Acme Boots", "waterproof hiking boots"),
    ("globex.co.uk", "Globex", "industrial lubricants"),
    ("initech.com.au", "Initech", "tps report software"),
    ("umbrella-pharma.net", "Umbrella Pharma", "vaccine research"),
    ("hooli-search.io", "Hooli", "privacy search engine"),
    ("vandelay-imports.com", "Vandelay Industries", "latex import export"),
    ("stark-solar.de", "Stark Solar", "balkonkraftwerk"),
    ("wonka-sweets.fr", "Wonka", "chocolat artisanal"),
)
_GENERIC = ("click here", "read more", "this website", "here", "source", "more info")
_RELS = ("", "", "", "", "nofollow", "sponsored", "ugc", "noopener noreferrer", "nofollow ugc")
_WORDS = [
    "trail",
    "ridge",
    "summit",
    "boots",
    "pack",
    "water",
    "map",
    "weather",
    "camp",
    "route",
    "valley",
    "forest",
    "river",
    "lake",
    "climb",
    "gear",
    "layer",
    "shelter",
    "stove",
    "compass",
    "garden",
    "recipe",
    "market",
    "city",
    "travel",
    "review",
    "guide",
    "history",
    "energy",
    "design",
    "music",
    "health",
    "school",
    "budget",
    "family",
    "photo",
    "winter",
    "spring",
]
_TLDS = ("com", "org", "net", "co.uk", "de", "io", "blog", "fr", "com.au", "info")
_SECTIONS = ("blog", "guides", "news", "reviews", "articles", "help", "stories")

_A_HREF = re.compile(
    r"""(<a\s[^>]*?\bhref\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+)""", re.IGNORECASE | re.DOTALL
)
_DROP = re.compile(
    r"""<base\b[^>]*>|<link\b[^>]*\brel\s*=\s*["']?(?:canonical|alternate|amphtml)[^>]*>"""
    r"""|<meta\b[^>]*\b(?:name\s*=\s*["']?(?:robots|googlebot)|http-equiv\s*=\s*["']?refresh)"""
    r"""[^>]*>""",
    re.IGNORECASE,
)
_TITLE = re.compile(r"<title\b[^>]*>.*?</title\s*>", re.IGNORECASE | re.DOTALL)
_SKIP_HREF = re.compile(r"^\s*[\"']?\s*(?:#|javascript:|mailto:|tel:|data:)", re.IGNORECASE)


@dataclass(frozen=True)
class Skin:
    """A real page cut into text chunks around its link slots (``None`` entries)."""

    name: str
    parts: tuple[str | None, ...]  # None = one href slot; "\0title", "\0body", "\0foot"
    slots: int


@dataclass
class Page:
    host: str
    index: int
    path: str

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


@dataclass
class WebFiles:
    """Paths of a generated web (see the module docstring)."""

    root: Path

    @property
    def sites(self) -> Path:
        return self.root / "sites"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds.txt"

    @property
    def pages(self) -> Path:
        return self.root / "pages.txt"

    @property
    def targets(self) -> Path:
        return self.root / "targets.toml"

    @property
    def backlinks(self) -> Path:
        return self.root / "backlinks.jsonl"

    def read_manifest(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.manifest.read_text("utf-8"))
        return data

    @property
    def hosts(self) -> list[str]:
        return [str(h) for h in self.read_manifest()["hosts"]]  # type: ignore[attr-defined]


@dataclass
class _Stats:
    sizes: list[int] = field(default_factory=list)
    links: list[int] = field(default_factory=list)
    backlinks: int = 0


def web_dir(cache: Path, pages: int, hosts: int, seed: int) -> WebFiles:
    return WebFiles(cache / f"web-v{VERSION}-p{pages}-h{hosts}-s{seed}")


def ensure_web(cache: Path, pages: int, hosts: int, seed: int = 8) -> WebFiles:
    """The web for these parameters, generated unless a complete one is cached."""
    files = web_dir(cache, pages, hosts, seed)
    if files.manifest.exists():
        return files
    if files.root.exists():
        shutil.rmtree(files.root)  # an interrupted generation
    tmp = files.root.with_name(files.root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    generate(WebFiles(tmp), pages, hosts, seed)
    tmp.rename(files.root)
    return files


def host_names(count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen = {domain for domain, _, _ in TARGETS}
    while len(names) < count:
        name = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}{len(names)}.{rng.choice(_TLDS)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def site_pages(host: str, count: int, rng: random.Random) -> list[Page]:
    pages = [Page(host, 0, "/")]
    for k in range(1, count):
        slug = "-".join(rng.sample(_WORDS, 3))
        pages.append(Page(host, k, f"/{rng.choice(_SECTIONS)}/{slug}-{k}.html"))
    return pages


def load_skins() -> list[Skin]:
    """Real pages of the corpora fit for skins: UTF-8, 46-142 KB, 60+ links."""
    files = sorted((CORPORA / "wcxb-dev" / "html").glob("*.html.gz"))
    files += sorted((CORPORA / "aeb" / "html").glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no page skins: {CORPORA} (../shared/corpora) is missing")
    skins = []
    for path in files:
        raw = gzip.decompress(path.read_bytes())
        if not MIN_SKIN_BYTES <= len(raw) <= MAX_SKIN_BYTES:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        skin = make_skin(path.name.split(".")[0], text)
        size = sum(len(part.encode()) for part in skin.parts if part) if skin else 0
        fits = skin is not None and skin.slots >= MIN_SKIN_LINKS and size >= MIN_PAGE_BYTES
        if skin is not None and fits and shows_injected_links(skin):
            skins.append(skin)
    return skins


def shows_injected_links(skin: Skin) -> bool:
    """Whether an HTML5 parser (as browsers parse) sees links put in the body and foot slots.

    Some real pages swallow what follows a point: a script holding ``<!--<script`` keeps
    the rest of the document as script text, in browsers too. Such skins are not used, so
    that every link of the answer key is a link a browser shows.
    """
    marks = {
        "\0body": '<a href="http://mark.invalid/body">b</a>',
        "\0foot": '<a href="http://mark.invalid/foot">f</a>',
    }
    text = "".join(
        marks.get(p, "") if p is None or p.startswith("\0") else p
        for p in skin.parts
        if p is not None
    )
    found = set()
    for node in LexborHTMLParser(text).css('a[href^="http://mark.invalid/"]'):
        parent, hidden = node.parent, False
        while parent is not None:
            hidden = hidden or parent.tag in ("template", "noscript")
            parent = parent.parent
        if not hidden:
            found.add(node.attributes.get("href"))
    return found == {"http://mark.invalid/body", "http://mark.invalid/foot"}


def make_skin(name: str, text: str) -> Skin | None:
    text = _DROP.sub("", text)
    if _TITLE.search(text):
        text = _TITLE.sub("<title>\0title</title>", text, count=1)
    else:
        text = text.replace("<head>", "<head><title>\0title</title>", 1)
    lower = text.lower()
    body = max(lower.find("</h1>"), -1)
    if body < 0:
        body = lower.find("<body")
        body = lower.find(">", body) if body >= 0 else -1
    else:
        body += len("</h1>") - 1
    foot = lower.rfind("</body>")
    if body < 0 or foot < 0 or foot <= body:
        return None
    parts: list[str | None] = []
    slots = 0
    pos = 0
    for marker_at, marker in ((body + 1, "\0body"), (foot, "\0foot"), (len(text), "")):
        chunk = text[pos:marker_at]
        last = 0
        for match in _A_HREF.finditer(chunk):
            if _SKIP_HREF.match(match.group(2)):
                continue
            parts.append(chunk[last : match.start(2)])
            parts.append(None)
            slots += 1
            last = match.end(2)
        parts.append(chunk[last:])
        if marker:
            parts.append(marker)
        pos = marker_at
    split: list[str | None] = []
    for part in parts:
        if part is not None and "\0title" in part and part != "\0title":
            before, _, after = part.partition("\0title")
            split += [before, "\0title", after]
        else:
            split.append(part)
    return Skin(name, tuple(split), slots)


def load_paragraphs() -> list[str]:
    """Paragraphs of real main text (corpora ground truth), HTML-escaped."""
    texts: list[str] = []
    for path in sorted((CORPORA / "wcxb-dev" / "ground-truth").glob("*.json")):
        truth = json.loads(path.read_text("utf-8")).get("ground_truth")
        if isinstance(truth, str):
            try:
                truth = ast.literal_eval(truth)
            except (ValueError, SyntaxError):
                truth = {"text": truth}
        if isinstance(truth, dict):
            texts += [v for v in truth.values() if isinstance(v, str) and len(v) > 400]
    aeb = CORPORA / "aeb" / "ground-truth.json"
    if aeb.exists():
        texts += [
            str(v.get("articleBody", "")) for v in json.loads(aeb.read_text("utf-8")).values()
        ]
    paragraphs = []
    for text in texts:
        for para in re.split(r"\n+", text):
            para = " ".join(para.split())
            if 200 <= len(para) <= 900:
                paragraphs.append(html.escape(para))
    if len(paragraphs) < 100:
        raise SystemExit("not enough main text in the corpora's ground truth")
    return paragraphs


@dataclass
class _Generator:
    rng: random.Random
    sites: dict[str, list[Page]]
    paragraphs: list[str]
    sitewide: dict[str, tuple[str, str, str]]  # host -> footer target link (url, anchor, rel)
    known: list[dict[str, str]] = field(default_factory=list)

    def target_link(self, page: Page) -> tuple[str, str, str, str]:
        """(url, anchor html, rel, kind) of one in-content link to a target site."""
        rng = self.rng
        domain, brand, keyword = rng.choice(TARGETS)
        host = rng.choice((domain, domain, f"www.{domain}", f"blog.{domain}"))
        path = rng.choice(
            ("/", f"/p/{page.index}-{rng.randrange(10**6)}", f"/{keyword.replace(' ', '-')}/")
        )
        url = f"{rng.choice(('https', 'https', 'http'))}://{host}{path}"
        kind = rng.choice(("brand", "exact", "partial", "generic", "url", "image"))
        anchor = {
            "brand": brand,
            "exact": keyword,
            "partial": f"the best {keyword} this year",
            "generic": rng.choice(_GENERIC),
            "url": f"{host}{path}".rstrip("/"),
            "image": f'<img src="/img/{domain}.png" alt="{brand} logo" width="120" height="40">',
        }[kind]
        return url, anchor, rng.choice(_RELS), kind

    def record(self, page: Page, url: str, anchor: str, rel: str, kind: str) -> None:
        self.known.append(
            {"source_url": page.url, "target_url": url, "anchor": anchor, "rel": rel, "kind": kind}
        )

    def href(self, page: Page) -> str:
        """A skin slot's new target: mostly same-host pages, some other hosts, some robots-blocked."""
        roll = self.rng.random()
        if roll < 0.86:
            other = self.rng.choice(self.sites[page.host])
            return other.path if roll < 0.72 else other.url
        if roll < 0.98:
            return self.rng.choice(self.sites[self.rng.choice(list(self.sites))]).url
        return f"/private/{self.rng.randrange(1000)}.html"

    def content(self, page: Page) -> str:
        rng = self.rng
        pages = self.sites[page.host]
        children = [
            pages[c] for c in range(4 * page.index + 1, 4 * page.index + 5) if c < len(pages)
        ]
        items = "".join(
            f'<li><a href="{c.path}">{html.escape(c.path.rsplit("/", 1)[-1])}</a></li>'
            for c in children
        )
        paras = [rng.choice(self.paragraphs) for _ in range(rng.randint(2, 5))]
        links = []
        if rng.random() < 0.35:
            used = set()
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                url, anchor, rel, kind = self.target_link(page)
                if url in used:
                    continue
                used.add(url)
                rel_attr = f' rel="{rel}"' if rel else ""
                links.append(f'<a href="{url}"{rel_attr}>{anchor}</a>')
                self.record(page, url, anchor, rel, kind)
        # Links go between the words of the real text, never inside another link.
        words = [p.split(" ") for p in paras]
        cuts: dict[tuple[int, int], str] = {}
        for link in links:
            at = rng.randrange(len(words))
            key = (at, rng.randrange(len(words[at]) + 1))
            cuts[key] = f"{cuts[key]} {link}" if key in cuts else link
        for (at, cut), link in sorted(cuts.items(), reverse=True):
            words[at].insert(cut, link)
        paras = [" ".join(w) for w in words]
        sibling = rng.choice(pages)
        return (
            '<section class="bench-article">'
            + "".join(f"<p>{p}</p>" for p in paras)
            + f'<p>See also <a href="{sibling.path}">{html.escape(sibling.path)}</a>.</p>'
            + f'<nav class="bench-children"><ul>{items}</ul></nav></section>'
        )

    def footer(self, page: Page) -> str:
        link = self.sitewide.get(page.host)
        if link is None:
            return ""
        url, anchor, rel = link
        self.record(page, url, anchor, rel, "sitewide")
        rel_attr = f' rel="{rel}"' if rel else ""
        return f'<div class="bench-partners">Partner: <a href="{url}"{rel_attr}>{anchor}</a></div>'

    def render(self, page: Page, skin: Skin) -> str:
        out: list[str] = []
        for part in skin.parts:
            if part is None:
                out.append(f'"{self.href(page)}"')
            elif part == "\0title":
                out.append(f"{page.host} - page {page.index}")
            elif part == "\0body":
                out.append(self.content(page))
            elif part == "\0foot":
                out.append(self.footer(page))
            else:
                out.append(part)
        return "".join(out)


def generate(files: WebFiles, pages: int, hosts: int, seed: int) -> None:
    """Write the whole web under ``files.root`` (see the module docstring)."""
    if hosts < 1 or pages < hosts:
        raise SystemExit(f"need at least one page per host (pages={pages}, hosts={hosts})")
    started = time.monotonic()
    rng = random.Random(seed)
    skins = load_skins()
    names = host_names(hosts, rng)
    sites = {
        host: site_pages(host, pages // hosts + (1 if i < pages % hosts else 0), rng)
        for i, host in enumerate(names)
    }
    sitewide = {}
    for host in rng.sample(names, max(1, hosts // 4)):
        domain, brand, _ = rng.choice(TARGETS)
        sitewide[host] = (f"https://{domain}/", brand, rng.choice(("", "nofollow", "sponsored")))
    gen = _Generator(rng, sites, load_paragraphs(), sitewide)
    stats = _Stats()
    files.sites.mkdir(parents=True)
    for host, site in sites.items():
        host_skins = rng.sample(skins, SKINS_PER_HOST)
        root = files.sites / host
        (root).mkdir()
        (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", "utf-8")
        for page in site:
            before = len(gen.known)
            text = gen.render(page, host_skins[page.index % SKINS_PER_HOST])
            data = text.encode("utf-8")
            path = root / ("index.html" if page.index == 0 else page.path.lstrip("/"))
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            stats.sizes.append(len(data))
            stats.links.append(text.count("<a ") + text.count("<A "))
            stats.backlinks += len(gen.known) - before
    all_pages = [p for site in sites.values() for p in site]
    files.seeds.write_text("".join(f"{site[0].url}\n" for site in sites.values()), "utf-8")
    files.pages.write_text("".join(f"{p.url}\n" for p in all_pages), "utf-8")
    files.targets.write_text(targets_toml(), "utf-8")
    with files.backlinks.open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(row) + "\n" for row in gen.known)
    manifest = {
        "version": VERSION,
        "pages": len(all_pages),
        "hosts": names,
        "seed": seed,
        "skins": len(skins),
        "skins_per_host": SKINS_PER_HOST,
        "page_bytes": _summary(stats.sizes),
        "links_per_page": _summary(stats.links),
        "known_backlinks": stats.backlinks,
        "sitewide_hosts": len(sitewide),
        "generated_seconds": round(time.monotonic() - started, 1),
    }
    files.manifest.write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")


def targets_toml() -> str:
    return "".join(
        f'[[target]]\ndomain = "{d}"\nbrand = ["{b}"]\nkeywords = ["{k}"]\n\n'
        for d, b, k in TARGETS
    )


def _summary(values: list[int]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "median": statistics.median(ordered),
        "max": ordered[-1],
        "mean": round(statistics.fmean(ordered), 1),
    }


def known_backlinks(files: WebFiles) -> Iterator[dict[str, str]]:
    with files.backlinks.open(encoding="utf-8") as rows:
        for line in rows:
            yield json.loads(line)
