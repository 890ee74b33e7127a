"""Benchmark link placement (content vs boilerplate) on real labelled pages.

Run from the repository root::

    python benchmarks/placement_corpus.py [--corpora ../shared/corpora] [--errors errors.jsonl]

Reads ``wcxb-dev/labels.jsonl`` (+ ``metadata.json`` page types; the tuning set) and
``aeb/labels.jsonl`` (news articles; the held-out check), parses each page with
``LexborHTMLParser``, classifies every ``a[href], area[href]`` with ``classify_placements``
and compares ``in_content`` with the label. A labelled link is matched to an element by
(raw href, whitespace-collapsed anchor text, occurrence order), as the corpora README says.

Reports, per page type and overall: content precision / recall / F1, boilerplate precision /
recall (boilerplate = every placement except content), labelled links matched / unmatched, and
the cost per page in ms next to a bare parse + ``css("a[href], area[href]")`` baseline.
Writes Markdown to ``benchmarks/results/placement.md``. Exits 0 with a message when the corpora
folder is absent.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode
from w3lib.encoding import html_to_unicode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linkspider.extract.placement import PLACEMENTS, classify_placements  # noqa: E402

LINKS_CSS = "a[href], area[href]"
SPLITS = ("wcxb-dev", "wcxb-holdout", "aeb")


@dataclass
class Label:
    href: str
    anchor: str
    content: bool
    why: str = ""


@dataclass
class Page:
    corpus: str
    file_id: str
    page_type: str
    path: Path
    labels: list[Label]
    host: str = ""
    html: str = ""
    url: str = ""


@dataclass
class Score:
    tp: int = 0  # content predicted content
    fp: int = 0  # boilerplate predicted content
    fn: int = 0  # content predicted boilerplate
    tn: int = 0  # boilerplate predicted boilerplate
    unmatched: int = 0
    pages: int = 0
    suspect: int = 0  # labels the corpus most likely got wrong (see ``_suspect``)
    adj: Counter[str] = field(default_factory=Counter)  # tp/fp/fn/tn without suspect labels
    by_placement: Counter[tuple[str, bool]] = field(default_factory=Counter)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn
        self.unmatched += other.unmatched
        self.pages += other.pages
        self.suspect += other.suspect
        self.adj.update(other.adj)
        self.by_placement.update(other.by_placement)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    @property
    def content_p(self) -> float:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def content_r(self) -> float:
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def content_f1(self) -> float:
        p, r = self.content_p, self.content_r
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def boiler_p(self) -> float:
        return self._ratio(self.tn, self.tn + self.fn)

    @property
    def boiler_r(self) -> float:
        return self._ratio(self.tn, self.tn + self.fp)

    @property
    def adjusted_f1(self) -> float:
        tp, fp, fn = self.adj["tp"], self.adj["fp"], self.adj["fn"]
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    @property
    def matched(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def load(corpora: Path) -> list[Page]:
    pages: dict[tuple[str, str], Page] = {}
    meta_path = corpora / "wcxb-dev" / "metadata.json"
    types: dict[str, str] = {}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        types = {k: v.get("page_type", "unknown") for k, v in meta.get("files", {}).items()}
    for corpus in ("wcxb-dev", "aeb"):
        labels_path = corpora / corpus / "labels.jsonl"
        if not labels_path.exists():
            continue
        with labels_path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                key = (corpus, row["file_id"])
                page = pages.get(key)
                if page is None:
                    page_type = (
                        types.get(row["file_id"], "unknown") if corpus == "wcxb-dev" else "news"
                    )
                    page = Page(
                        corpus,
                        row["file_id"],
                        page_type,
                        corpora / corpus / "html" / f"{row['file_id']}.html.gz",
                        [],
                        host=_host(row.get("page_url", "")),
                        url=row.get("page_url", ""),
                    )
                    pages[key] = page
                page.labels.append(
                    Label(row["href"], row["anchor_text"], row["label"] == "content", row["why"])
                )
    out = [p for p in pages.values() if p.path.exists()]
    _hold_out(out)
    for page in out:
        body = gzip.decompress(page.path.read_bytes())
        page.html = html_to_unicode(None, body)[1]
    return out


def _hold_out(pages: list[Page]) -> None:
    """Move a fixed quarter of each WCXB page type to ``wcxb-holdout`` (never tuned on).

    Pages of a type are ordered by the SHA-1 of their id and every fourth one is held out,
    so the split is stratified by page type and does not change between runs.
    """
    by_type: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        if page.corpus == "wcxb-dev":
            by_type[page.page_type].append(page)
    for group in by_type.values():
        group.sort(key=lambda p: hashlib.sha1(p.file_id.encode()).hexdigest())
        for page in group[::4]:
            page.corpus = "wcxb-holdout"


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


def _describe(node: LexborNode) -> str:
    parts = []
    cur: LexborNode | None = node.parent
    while cur is not None and not cur.is_document_node and cur.tag not in ("html", "body"):
        a = cur.attributes
        s = cur.tag or "?"
        if a.get("id"):
            s += "#" + str(a["id"])[:30]
        if a.get("class"):
            s += "." + ".".join(str(a["class"]).split())[:60]
        if a.get("role"):
            s += f"[role={a['role']}]"
        parts.append(s)
        cur = cur.parent
    return " < ".join(parts[:12])


def match_labels(labels: list[Label], keys: list[tuple[str, str]]) -> list[int | None]:
    """Index in ``keys`` (raw href, collapsed anchor text) of each label's link, or None.

    The k-th label with a given key is the k-th link with that key (occurrence order).
    """
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        index[key].append(i)
    used: Counter[tuple[str, str]] = Counter()
    out: list[int | None] = []
    for lab in labels:
        key = (lab.href, lab.anchor)
        k = used[key]
        used[key] += 1
        cands = index.get(key, [])
        out.append(cands[k] if k < len(cands) else None)
    return out


def link_keys(links: list[LexborNode]) -> list[tuple[str, str]]:
    return [
        (link.attributes.get("href") or "", " ".join((link.text(deep=True) or "").split()))
        for link in links
    ]


def score_page(page: Page, errors: list[dict[str, object]] | None) -> Score:
    tree = LexborHTMLParser(page.html)
    links = tree.css(LINKS_CSS)
    placements = classify_placements(tree, links, host=page.host)
    sc = Score(pages=1)
    for lab, i in zip(page.labels, match_labels(page.labels, link_keys(links)), strict=True):
        if i is None:
            sc.unmatched += 1
            continue
        pl = placements[i]
        sc.by_placement[(pl.placement, lab.content)] += 1
        if pl.in_content and lab.content:
            outcome = "tp"
        elif pl.in_content:
            outcome = "fp"
        elif lab.content:
            outcome = "fn"
        else:
            outcome = "tn"
        setattr(sc, outcome, getattr(sc, outcome) + 1)
        if _suspect(lab, links[i]):
            sc.suspect += 1
        else:
            sc.adj[outcome] += 1
        if errors is not None and pl.in_content != lab.content:
            errors.append(
                {
                    "corpus": page.corpus,
                    "file_id": page.file_id,
                    "type": page.page_type,
                    "label": "content" if lab.content else "boilerplate",
                    "pred": pl.placement,
                    "href": lab.href[:100],
                    "anchor": lab.anchor[:80],
                    "xpath": pl.xpath,
                    "chain": _describe(links[i]),
                }
            )
    return sc


_SHORTENED_URL = re.compile(r"(?:https?://|www\.)\S*\s*(?:\.\.\.|\u2026)")
_LANDMARK_TAGS = frozenset({"nav", "header", "footer", "aside"})
_LANDMARK_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary"})


def _suspect(label: Label, link: LexborNode) -> bool:
    """A content label that only rests on anchor text, for a link inside a page landmark.

    The corpus labels a link content when its anchor text occurs in the main text or in a
    ``with`` snippet; a menu item named like a heading of the article ('Executive
    Education') then becomes content. Labels given that way (not from the link's own text
    block) to links inside a page-level ``nav``/``header``/``footer``/``aside`` or landmark
    role are counted as suspect and left out of the *adjusted* F1: an estimate of label noise.
    So are boilerplate labels of links whose anchor is a URL shortened by the forum software
    ('https://github.com/raspberrypi/firmware ... ays/README'): the shortened text never
    occurs in the main text, wherever the link sits.
    """
    if not label.content:
        return bool(_SHORTENED_URL.match(label.anchor))
    if label.why == "block-in-body":
        return False
    cur = link.parent
    while cur is not None and not cur.is_document_node:
        role = (cur.attributes.get("role") or "").strip().lower()
        if cur.tag in _LANDMARK_TAGS or role in _LANDMARK_ROLES:
            return True
        if cur.tag in ("article", "main") or role == "main":
            return False
        cur = cur.parent
    return False


def _external(page: Page, links: list[LexborNode]) -> list[LexborNode]:
    """Links to another site: the ones that become backlink rows in a crawl."""
    own = page.host.removeprefix("www.")
    out = []
    for link in links:
        href = (link.attributes.get("href") or "").strip().lower()
        if href.startswith(("http://", "https://", "//")):
            host = _host(href if not href.startswith("//") else "http:" + href)
            if host and not host.removeprefix("www.").endswith(own):
                out.append(link)
    return out


@dataclass
class Timing:
    base: float  # parse + css, ms/page
    one: float  # parse + css + classify one link to another site (pages that have one)
    rows: float  # parse + css + classify the links to other sites
    full: float  # parse + css + classify every link
    row_links: float  # links to other sites per page


def timing(pages: list[Page], repeat: int = 5) -> Timing:
    """Median of ``repeat`` rounds of CPU time per page (``time.process_time``).

    Process CPU time disturbs less than wall-clock time on a shared machine; the three
    measurements alternate page by page.
    """
    rounds: list[tuple[float, float, float, float]] = []
    n_rows = 0
    for _ in range(max(repeat, 1)):
        base = one = rows = full = 0.0
        n_rows = 0
        for p in pages:
            t0 = time.process_time()
            tree = LexborHTMLParser(p.html)
            tree.css(LINKS_CSS)
            t1 = time.process_time()
            tree = LexborHTMLParser(p.html)
            ext = _external(p, tree.css(LINKS_CSS))
            t2 = time.process_time()
            classify_placements(tree, ext[:1], host=p.host)
            t3 = time.process_time()
            tree = LexborHTMLParser(p.html)
            ext = _external(p, tree.css(LINKS_CSS))
            t4 = time.process_time()
            classify_placements(tree, ext, host=p.host)
            t5 = time.process_time()
            tree = LexborHTMLParser(p.html)
            classify_placements(tree, tree.css(LINKS_CSS), host=p.host)
            t6 = time.process_time()
            base += t1 - t0
            one += (t1 - t0) + (t3 - t2)
            rows += (t1 - t0) + (t5 - t4)
            full += t6 - t5
            n_rows += len(ext)
        k = 1000 / len(pages)
        rounds.append((base * k, one * k, rows * k, full * k))
    return Timing(
        statistics.median(r[0] for r in rounds),
        statistics.median(r[1] for r in rounds),
        statistics.median(r[2] for r in rounds),
        statistics.median(r[3] for r in rounds),
        n_rows / len(pages),
    )


def _row(name: str, s: Score) -> str:
    return (
        f"| {name} | {s.pages} | {s.matched} | {s.unmatched} | {s.tp + s.fn} | "
        f"{s.content_p:.3f} | {s.content_r:.3f} | **{s.content_f1:.3f}** | "
        f"{s.boiler_p:.3f} | {s.boiler_r:.3f} | {s.suspect} | {s.adjusted_f1:.3f} |"
    )


def report(
    pages: list[Page], scores: dict[tuple[str, str], Score], times: dict[str, Timing]
) -> str:
    lines = [
        "# Link placement benchmark",
        "",
        "Generated by `python benchmarks/placement_corpus.py` (do not edit by hand).",
        "Content = `in_content` true; boilerplate = every other placement. P/R/F1 over labelled",
        "links matched to an element by (raw href, collapsed anchor text, occurrence order).",
        "wcxb-dev is the tuning set; aeb (news articles) is held out.",
        "",
        "| page type | pages | matched | unmatched | content links | content P | content R | content F1 | boilerplate P | boilerplate R | suspect labels | adjusted F1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for corpus in SPLITS:
        total = Score()
        types = sorted({t for (c, t) in scores if c == corpus})
        if not types:
            continue
        for t in types:
            s = scores[(corpus, t)]
            total.add(s)
            lines.append(_row(f"{corpus} / {t}", s))
        lines.append(_row(f"**{corpus} overall**", total))
    lines += [
        "",
        "## Cost per page",
        "",
        'Parse = `LexborHTMLParser` + `css("a[href], area[href]")`. Then classify *one* link to',
        "another site (a crawl with one target: one backlink row), *rows*: every link to another",
        "site (a crawl of all external links), *all*: every link on the page.",
        "",
        "| corpus | pages | links to other sites / page | parse (ms) | + one (ms) | ratio | + rows (ms) | ratio | + all (ms) | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for corpus, tm in times.items():
        n = sum(1 for p in pages if p.corpus == corpus)
        lines.append(
            f"| {corpus} | {n} | {tm.row_links:.1f} | {tm.base:.2f} | {tm.one:.2f} | "
            f"{tm.one / tm.base:.2f}x | {tm.rows:.2f} | {tm.rows / tm.base:.2f}x | "
            f"{tm.full:.2f} | {tm.full / tm.base:.2f}x |"
        )
    lines += [
        "",
        "## Labels per predicted placement",
        "",
        "| corpus | placement | labelled content | labelled boilerplate |",
        "|---|---|---|---|",
    ]
    for corpus in SPLITS:
        total = Score()
        for (c, _), s in scores.items():
            if c == corpus:
                total.add(s)
        for pl in PLACEMENTS:
            c_n = total.by_placement[(pl, True)]
            b_n = total.by_placement[(pl, False)]
            if c_n or b_n:
                lines.append(f"| {corpus} | {pl} | {c_n} | {b_n} |")
    lines += [
        "",
        "## Reading these numbers",
        "",
        "- Goal from the issue: content F1 >= 0.90 with boilerplate precision >= 0.95. Not",
        "  reached on any split: documentation is the only page type above 0.90 (dev and",
        "  held-out). Same split, code before this round: wcxb-dev 0.743 (boilerplate P 0.956),",
        "  wcxb-holdout 0.663 (0.939), aeb 0.864 (0.996).",
        "- Splits: rules were tuned on wcxb-dev only; wcxb-holdout is a fixed quarter of each WCXB",
        "  page type (by SHA-1 of the page id), aeb is a different corpus. Both are held out.",
        "- Rules added this round: product/teaser cards are counted by distinct link targets",
        "  (colour swatches of one product are one place) and must be teasers (median non-link",
        "  text <= 300 chars: forum posts are not cards); grids inside the main block add up; a",
        "  link reads as text by its own paragraph (a byline sharing a `div` with a post's",
        "  paragraphs does not); cookie/consent banners, dialogs, log-in prompts and forum",
        "  poster panels are complementary; a link's own trigger class (`popup-iframe`) is",
        "  ignored; `content-sidebar` layout wrappers are not sidebars; a class-named region",
        "  is a page wrapper only when it holds half the page's text and the main block; the",
        "  page's best text block overrules class names that call it boilerplate when it scores",
        "  twice the best block they leave; a link in a paragraph of 100+ characters of prose",
        "  inside markup-content is content without the page-wide pass.",
        "- Latest round: on a page that schema.org markup calls a discussion thread",
        "  (`DiscussionForumPosting`, `QAPage`, `Question`) a link in a reply's text is content",
        "  (poster names stay comments), and a `noscript` holding the page for readers without",
        "  JavaScript (Discourse's crawler view) is read. Forum F1 0.24 -> 0.43 (dev), 0.21 ->",
        "  0.31 (held out); no other page type moved. Tried and dropped, because they lost F1:",
        "  calling comments content whenever the best text block sits in a comments region",
        "  (blog comment sections became content: dev articles 0.851 -> 0.842), and any link in",
        "  a `p` inside markup-content (dev 0.815 -> 0.809). A learned scorer and trafilatura",
        "  are compared in `docs/placement-models.md`.",
        "- Label noise. *Suspect labels* are (a) content labels that rest only on anchor text",
        "  (`with`-snippet or long anchor found in the main text) for links inside a page-level",
        "  `nav`/`header`/`footer`/`aside` or landmark role, e.g. a menu item named like an",
        "  article heading; (b) boilerplate labels of URL anchors shortened by forum software",
        "  ('https://github.com/... ... ays/README'). *Adjusted F1* leaves them out: an",
        "  estimate of what clean labels would give (dev 0.84, held-out 0.74). Further noise",
        "  not counted: collection pages disagree with each other (jococups' product grid is",
        "  content, esprit-barbecue's and upliftdesk's identical grids boilerplate); forum",
        "  threads label some posts content and others boilerplate; product pages have 49",
        "  content labels in 4,401 (dev), most of them menu items named like the product, so",
        "  product and forum F1 mostly measures label noise. A single best container per page",
        "  chosen with hindsight reached only about F1 0.86 (wcxb) / 0.91 (aeb).",
        "- What blocks the goal: forum (0.43 / 0.31) and product (0.17) (noise, few",
        "  content links); listing and collection (grids labelled content on some sites and",
        "  boilerplate on others); held-out articles (0.75: menlocoaching's and",
        "  cleaningservicesseattle's in-body promos and link lists, labelled boilerplate).",
        "  aeb lost 0.05 against the previous rules, most of it on one page: digg.com's front",
        "  page, a grid of 49 story cards that aeb labels boilerplate around one story; the",
        "  rules call the grid the page's content (155 links).",
        "- Cost: `PlacementClassifier` walks each classified link's ancestor chain (cached per",
        "  element); the whole-page density pass (one Python walk over the DOM, ~1.1 ms on a",
        "  250 KB page, about one bare parse) runs at most once, only when markup leaves a",
        "  link's region open, calls it content outside a prose paragraph, or places it only",
        "  if a class-named region is not a page wrapper (both answers are tried first; a nav",
        "  in a class-named header is navigation either way). Lazy and eager classification",
        "  agree on every corpus link. The issue's <= 1.5x a bare parse is reached for no",
        "  corpus (one row link: 1.7x to 2.1x across runs); the density pass is the floor: its",
        "  text/link-length aggregation would have to run in C (Lexbor) to go lower.",
        "- Timing is the median of several rounds of CPU time (`time.process_time`) on a shared",
        "  2-core machine; expect noise of +-20%.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "placement.md")
    ap.add_argument("--errors", type=Path, help="write misclassified links here (JSON lines)")
    ap.add_argument("--repeat", type=int, default=5, help="timing rounds (median is reported)")
    ap.add_argument("--no-write", action="store_true", help="print the report only")
    args = ap.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"corpora folder {args.corpora} not found; skipping placement benchmark")
        return 0
    pages = load(args.corpora)
    if not pages:
        print(f"no labelled pages under {args.corpora}; skipping placement benchmark")
        return 0
    errors: list[dict[str, object]] | None = [] if args.errors else None
    scores: dict[tuple[str, str], Score] = defaultdict(Score)
    for page in pages:
        scores[(page.corpus, page.page_type)].add(score_page(page, errors))
    times: dict[str, Timing] = {}
    for corpus in SPLITS:
        sub = [p for p in pages if p.corpus == corpus]
        if sub and args.repeat > 0:
            times[corpus] = timing(sub, args.repeat)
    text = report(pages, scores, times)
    print(text)
    if errors is not None:
        with args.errors.open("w", encoding="utf-8") as fh:
            for e in errors:
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
