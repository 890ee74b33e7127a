"""Link placement: linkspider next to main-content extractors on the same labelled links.

Run from the repository root (needs the ``bench`` extra: trafilatura, readability-lxml)::

    python benchmarks/placement_baselines.py [--corpora ../shared/corpora] [--limit N]

Pages, labels, splits and the label-to-link matching come from ``placement_corpus.py``:
a labelled link is scored only when it matches a Lexbor ``a[href]`` element by (raw href,
collapsed anchor text, occurrence order), so every method is scored on exactly the links
``placement.md`` scores. linkspider's figures are ``placement_corpus.score_page`` itself.

A baseline predicts *content* for a link when the link is in the extractor's main-content
output. To know which element each output link is, every ``a[href]`` of the page, as parsed
by the extractor's own HTML parser, gets a marker href (``https://ls-mark.invalid/<i>``)
and the marked page is extracted again; the label is matched to the ``a[href]`` of that
tree by the same (raw href, anchor text, occurrence order) rule. The extractors never read
an href before deciding what to keep (trafilatura resolves it when it renames ``a`` to
``ref``; readability only makes it absolute), so marking changes nothing: the script checks
on every page that the marked and the unmarked run give the same text and the same link
texts, and for trafilatura also that each output link's target is the resolved href of the
marked element (resolved as trafilatura does: against the page URL's scheme and host,
courlan's ``fix_relative_urls``). Pages that fail the check are reported. This gives the
same answer as matching the unmarked output by (resolved href, anchor text, occurrence
order) without its guesswork when a page repeats a link (a menu "Home" and a body "Home").

Reports, per split and page type, content P/R/F1 and boilerplate precision of each method,
and the CPU milliseconds per page (``time.process_time``) of one unmarked call of each
extractor next to linkspider's parse + classify-every-link (``placement_corpus.timing``).
Writes ``benchmarks/results/placement_baselines.md``. ``--limit N`` (a quick check on the
first N pages of each split) prints the report only. Exits 0 with a message when the
corpora folder is absent.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html  # type: ignore[import-untyped]
import trafilatura
from lxml import etree
from readability import Document  # type: ignore[import-untyped]
from readability.htmls import build_doc  # type: ignore[import-untyped]
from selectolax.lexbor import LexborHTMLParser, LexborNode
from trafilatura.utils import safe_base_url, safe_relative_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from placement_corpus import (
    LINKS_CSS,
    ROOT,
    SPLITS,
    Page,
    Score,
    _suspect,
    link_keys,
    load,
    match_labels,
    score_page,
    timing,
)

MARK = "https://ls-mark.invalid/"
LINKSPIDER = "linkspider"


def _collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Extractor:
    """One main-content extractor run with links kept.

    ``parse`` builds the tree the extractor itself would build from the page; ``run`` takes
    page HTML (text) and URL and returns its output markup; ``links`` lists the
    (href, collapsed text) of the links in that output; ``resolve`` (optional) maps a raw
    href to the href the extractor writes, for the marker check.
    """

    name: str
    parse: Callable[[str], lxml.html.HtmlElement]
    run: Callable[[str, str], str | None]
    links: Callable[[str], list[tuple[str | None, str]]]
    resolve: Callable[[str, str], str | None] | None = None
    note: str = ""


def _trafilatura(precision: bool = False, recall: bool = False) -> Callable[[str, str], str | None]:
    def run(html: str, url: str) -> str | None:
        return trafilatura.extract(
            html,
            url=url or None,
            include_links=True,
            include_comments=False,
            output_format="xml",
            favor_precision=precision,
            favor_recall=recall,
        )

    return run


def _trafilatura_links(output: str) -> list[tuple[str | None, str]]:
    root = etree.fromstring(output.encode("utf-8"))
    return [(ref.get("target"), _collapse("".join(ref.itertext()))) for ref in root.iter("ref")]


def _trafilatura_parse(html: str) -> lxml.html.HtmlElement:
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ValueError("trafilatura could not parse the page")
    return tree


def _trafilatura_resolve(url: str, href: str) -> str | None:
    # htmlprocessing.convert_link: no target for an empty href, else resolved or as is
    if not href:
        return None
    base = safe_base_url(url) if url else ""
    return (safe_relative_url(base, href) or href) if base else href


def _readability_run(html: str, url: str) -> str | None:
    out: str = Document(html, url=url or None).summary(html_partial=True)
    return out


def _readability_links(output: str) -> list[tuple[str | None, str]]:
    root = lxml.html.fromstring(output)
    return [(a.get("href"), _collapse(a.text_content())) for a in root.iter("a")]


def _readability_parse(html: str) -> lxml.html.HtmlElement:
    doc: lxml.html.HtmlElement = build_doc(html)[0]
    return doc


EXTRACTORS = (
    Extractor(
        "trafilatura",
        _trafilatura_parse,
        _trafilatura(),
        _trafilatura_links,
        _trafilatura_resolve,
        "`extract(include_links=True, include_comments=False, output_format='xml')`",
    ),
    Extractor(
        "trafilatura precision",
        _trafilatura_parse,
        _trafilatura(precision=True),
        _trafilatura_links,
        _trafilatura_resolve,
        "the same with `favor_precision=True`",
    ),
    Extractor(
        "trafilatura recall",
        _trafilatura_parse,
        _trafilatura(recall=True),
        _trafilatura_links,
        _trafilatura_resolve,
        "the same with `favor_recall=True`",
    ),
    Extractor(
        "readability-lxml",
        _readability_parse,
        _readability_run,
        _readability_links,
        None,
        "`Document(html, url=url).summary(html_partial=True)`",
    ),
)


@dataclass
class Check:
    """Marker check and failures of one extractor over all pages."""

    pages: int = 0
    same: int = 0  # marked and unmarked runs agree
    empty: int = 0  # the extractor returned nothing (every link predicted boilerplate)
    errors: Counter[str] = field(default_factory=Counter)  # exception type -> pages
    not_in_tree: int = 0  # scored labels without an a[href] in the extractor's own tree
    differ: list[str] = field(default_factory=list)  # pages whose two runs disagree
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # split -> s


def _text(output: str | None) -> str:
    if not output:
        return ""
    return _collapse(" ".join(lxml.html.fromstring(output).itertext()))


def _marked(ex: Extractor, html: str) -> tuple[str, list[tuple[str, str]]]:
    """The page with marker hrefs, serialised, and the (raw href, text) of each marked link."""
    tree = ex.parse(html)
    links = [a for a in tree.iter("a") if a.get("href") is not None]
    keys = _lxml_keys(links)
    for i, a in enumerate(links):
        a.set("href", f"{MARK}{i}")
    return lxml.html.tostring(tree.getroottree(), encoding="unicode"), keys


def _lxml_keys(links: list[lxml.html.HtmlElement]) -> list[tuple[str, str]]:
    return [(a.get("href") or "", _collapse(a.text_content())) for a in links]


def _agree(
    ex: Extractor, page: Page, plain: str | None, marked: str | None, keys: list[tuple[str, str]]
) -> bool:
    """The marked run kept the same text and links as the unmarked one."""
    if (plain is None) != (marked is None):
        return False
    if plain is None or marked is None:
        return True
    if _text(plain) != _text(marked):
        return False
    a, b = ex.links(plain), ex.links(marked)
    if [t for _, t in a] != [t for _, t in b]:
        return False
    if ex.resolve is None:
        return True
    for (href, _), (mark, _) in zip(a, b, strict=True):
        if mark is None or not mark.startswith(MARK):
            if href != mark:
                return False
            continue
        raw = keys[int(mark[len(MARK) :])][0]
        if ex.resolve(page.url, raw) != href:
            return False
    return True


def score_extractor(
    ex: Extractor,
    page: Page,
    lexbor_links: list[LexborNode],
    lexbor_match: list[int | None],
    ch: Check,
) -> Score:
    ch.pages += 1
    t0 = time.process_time()
    try:
        plain = ex.run(page.html, page.url)
    except Exception as err:  # a third-party extractor on real pages: count, don't stop
        ch.errors[type(err).__name__] += 1
        plain = None
    ch.cpu[page.corpus] += time.process_time() - t0
    keys: list[tuple[str, str]] = []
    try:
        html, keys = _marked(ex, page.html)
        marked = ex.run(html, page.url)
    except Exception:  # the unmarked run's error is counted; this page then disagrees or is empty
        marked = None
    if _agree(ex, page, plain, marked, keys):
        ch.same += 1
    else:
        ch.differ.append(f"{page.corpus}/{page.file_id}")
    if not marked:
        ch.empty += 1
    kept = {
        int(href[len(MARK) :])
        for href, _ in (ex.links(marked) if marked else [])
        if href and href.startswith(MARK)
    }
    own = match_labels(page.labels, keys)
    sc = Score(pages=1)
    for lab, li, xi in zip(page.labels, lexbor_match, own, strict=True):
        if li is None:
            sc.unmatched += 1
            continue
        if xi is None:
            ch.not_in_tree += 1
        tally(sc, xi is not None and xi in kept, lab.content, _suspect(lab, lexbor_links[li]))
    return sc


def tally(sc: Score, predicted: bool, content: bool, suspect: bool) -> None:
    outcome = ("tp" if content else "fp") if predicted else ("fn" if content else "tn")
    setattr(sc, outcome, getattr(sc, outcome) + 1)
    if suspect:
        sc.suspect += 1
    else:
        sc.adj[outcome] += 1


def _cell(s: Score) -> str:
    return f"{s.content_p:.3f} / {s.content_r:.3f} / **{s.content_f1:.3f}** / {s.boiler_p:.3f}"


def _total(scores: dict[tuple[str, str], Score], corpus: str) -> Score:
    total = Score()
    for (c, _), s in scores.items():
        if c == corpus:
            total.add(s)
    return total


def _f1_rows(
    splits: list[str],
    methods: list[str],
    scores: dict[str, dict[tuple[str, str], Score]],
    metric: str,
) -> list[str]:
    """One row per split: its size, then ``metric`` (a ``Score`` property) of each method."""
    rows = []
    for corpus in splits:
        ref = _total(scores[LINKSPIDER], corpus)
        f1 = " | ".join(f"{getattr(_total(scores[m], corpus), metric):.3f}" for m in methods)
        rows.append(f"| {corpus} | {ref.pages} | {ref.matched} | {ref.tp + ref.fn} | {f1} |")
    return rows


def report(
    pages: list[Page],
    scores: dict[str, dict[tuple[str, str], Score]],
    checks: dict[str, Check],
    linkspider_ms: dict[str, float],
) -> str:
    methods = [LINKSPIDER, *checks]
    splits = [c for c in SPLITS if any(p.corpus == c for p in pages)]
    head = " | ".join(methods)
    lines = [
        "# Link placement: linkspider and main-content extractors",
        "",
        "Generated by `python benchmarks/placement_baselines.py` (do not edit by hand).",
        "Same pages, splits and scored links as `placement.md`: a labelled link counts when it",
        "matches an `a[href]` by (raw href, collapsed anchor text, occurrence order). An",
        "extractor predicts *content* for a link that is in its main-content output;",
        "each output link is traced to its element by a marker href (see the script's",
        "docstring; the marked and unmarked runs are checked to agree, table at the end).",
        "",
    ]
    for ex in EXTRACTORS:
        if ex.name in checks:
            lines.append(f"- {ex.name}: {ex.note}")
    lines += [
        "",
        "## Content F1",
        "",
        f"| split | pages | scored links | content links | {head} |",
        "|---|---|---|---|" + "---|" * len(methods),
        *_f1_rows(splits, methods, scores, "content_f1"),
        "",
        "Adjusted F1 (the labels `placement.md` calls suspect left out, for every method):",
        "",
        f"| split | pages | scored links | content links | {head} |",
        "|---|---|---|---|" + "---|" * len(methods),
        *_f1_rows(splits, methods, scores, "adjusted_f1"),
        "",
        "## Per page type",
        "",
        "Each cell: content precision / recall / **F1** / boilerplate precision.",
    ]
    for corpus in splits:
        lines += [
            "",
            f"| {corpus} | pages | content links | {head} |",
            "|---|---|---|" + "---|" * len(methods),
        ]
        for t in sorted({t for (c, t) in scores[LINKSPIDER] if c == corpus}):
            ref = scores[LINKSPIDER][(corpus, t)]
            cells = " | ".join(_cell(scores[m][(corpus, t)]) for m in methods)
            lines.append(f"| {t} | {ref.pages} | {ref.tp + ref.fn} | {cells} |")
        ref = _total(scores[LINKSPIDER], corpus)
        cells = " | ".join(_cell(_total(scores[m], corpus)) for m in methods)
        lines.append(f"| **overall** | {ref.pages} | {ref.tp + ref.fn} | {cells} |")
    lines += [
        "",
        "## CPU per page",
        "",
        "Milliseconds of CPU (`time.process_time`) per page. linkspider: Lexbor parse +",
        "`classify_placements` of every link (`placement.md`'s *+ all*, median of rounds; a",
        "crawl classifies only its backlink rows, cheaper). Extractors: one unmarked call on",
        "the decoded page text (their own parse included), one round.",
        "",
        f"| split | pages | {head} |",
        "|---|---|" + "---|" * len(methods),
    ]
    for corpus in splits:
        n = sum(1 for p in pages if p.corpus == corpus)
        ms = [f"{linkspider_ms[corpus]:.1f}" if corpus in linkspider_ms else "-"]
        ms += [f"{checks[m].cpu[corpus] * 1000 / n:.1f}" for m in checks]
        lines.append(f"| {corpus} | {n} | {' | '.join(ms)} |")
    lines += [
        "",
        "## Marker check",
        "",
        "| extractor | pages | marked run = unmarked run | empty output | errors | scored links not in its tree |",
        "|---|---|---|---|---|---|",
    ]
    for name, ch in checks.items():
        errs = ", ".join(f"{k} {v}" for k, v in ch.errors.most_common()) or "0"
        lines.append(
            f"| {name} | {ch.pages} | {ch.same} | {ch.empty} | {errs} | {ch.not_in_tree} |"
        )
    differ = [f"{name}: {', '.join(ch.differ[:8])}" for name, ch in checks.items() if ch.differ]
    if differ:
        lines += ["", "Pages whose runs disagree (first 8 each): " + "; ".join(differ) + "."]
    lines += ["", "## Reading these numbers", "", *READING]
    return "\n".join(lines) + "\n"


# Hand-written after the full run; a rerun regenerates the tables above, so check these.
READING: list[str] = [
    "- No method reaches the issue's content F1 0.90 on any split. Best per split: WCXB dev",
    "  0.815 and held-out 0.720 (linkspider), AEB 0.875 (trafilatura `favor_precision`);",
    "  without the suspect labels 0.845 / 0.745 / 0.877. A widely used extractor, built for",
    "  the main-content text these labels were derived from, does not show 0.90 to be within",
    "  reach of these labels either; by page type it is met only on documentation (linkspider",
    "  0.920 / 0.923, trafilatura `favor_recall` 0.928 on dev).",
    "- trafilatura beats linkspider on AEB news (0.86-0.88 vs 0.82: content precision",
    "  0.85-0.89 vs 0.72, recall 0.86-0.88 vs 0.94), on held-out forum threads (0.49 vs",
    "  0.31; on dev forums linkspider's thread rule leads, 0.43 vs 0.40), on held-out articles",
    "  (0.77-0.79 vs 0.75; on dev articles it loses, 0.79-0.81 vs 0.85), on held-out product",
    "  pages (0.33 vs 0.15, 20 content links) and, with `favor_recall`, on dev documentation",
    "  (0.928 vs 0.920). readability-lxml is the best method on held-out articles (0.799).",
    "- It loses most where the content is made of links: collections (dev 0.13 vs 0.82) and",
    "  the held-out listings (0.08 vs 0.72); its link-density filters drop product grids and",
    "  link lists that the labels call content (by design, for a text extractor). Over whole",
    "  WCXB splits it trails by 0.10-0.11 (0.71 vs 0.82 dev, 0.61 vs 0.72 held out), mostly",
    "  in recall; leaving out collections and listings, dev F1 would be 0.78 vs 0.82. Its",
    "  boilerplate precision over WCXB is lower too (0.92-0.95 vs 0.95-0.97).",
    "- Where it wins, it points at what to look at next: precision around news articles",
    "  (teaser grids and link lists next to the story) and picking posts out of forum pages.",
    "- Cost: trafilatura takes 15-52 ms of CPU per page, 2-6x linkspider classifying every",
    "  link on the page (6.5-10.9 ms; a crawl classifies only its backlink rows, less).",
    "- Marker check: on all 779 pages every extractor gave the same output with and without",
    "  markers. 88 scored links (0.1%) have no match in lxml's tree (lxml parses some",
    "  malformed markup differently from Lexbor) and count as boilerplate for the extractors;",
    "  `favor_precision` returns nothing for 8 pages (all their links count as boilerplate).",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "placement_baselines.md"
    )
    ap.add_argument("--repeat", type=int, default=3, help="linkspider timing rounds (median)")
    ap.add_argument("--limit", type=int, help="first N pages of each split; print only")
    ap.add_argument(
        "--only", action="append", choices=[ex.name for ex in EXTRACTORS], help="extractors"
    )
    ap.add_argument("--no-write", action="store_true", help="print the report only")
    args = ap.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"corpora folder {args.corpora} not found; skipping placement baselines")
        return 0
    pages = load(args.corpora)
    if args.limit is not None:
        pages = [p for c in SPLITS for p in [q for q in pages if q.corpus == c][: args.limit]]
    if not pages:
        print(f"no labelled pages under {args.corpora}; skipping placement baselines")
        return 0
    for name in ("trafilatura", "readability", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    extractors = [ex for ex in EXTRACTORS if not args.only or ex.name in args.only]
    scores: dict[str, dict[tuple[str, str], Score]] = defaultdict(lambda: defaultdict(Score))
    checks = {ex.name: Check() for ex in extractors}
    for n, page in enumerate(pages, 1):
        key = (page.corpus, page.page_type)
        scores[LINKSPIDER][key].add(score_page(page, None))
        lexbor_links = LexborHTMLParser(page.html).css(LINKS_CSS)
        lexbor_match = match_labels(page.labels, link_keys(lexbor_links))
        for ex in extractors:
            sc = score_extractor(ex, page, lexbor_links, lexbor_match, checks[ex.name])
            scores[ex.name][key].add(sc)
        if n % 50 == 0:
            print(f"{n}/{len(pages)} pages", file=sys.stderr, flush=True)
    linkspider_ms: dict[str, float] = {}
    for corpus in SPLITS:
        sub = [p for p in pages if p.corpus == corpus]
        if sub and args.repeat > 0:
            linkspider_ms[corpus] = timing(sub, args.repeat).full
    text = report(pages, scores, checks, linkspider_ms)
    print(text)
    if not args.no_write and args.limit is None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
