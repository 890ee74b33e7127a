"""Compare HTML parsers for link extraction: correctness against the HTML5 spec, then speed.

Run from the repository root::

    python benchmarks/parser_comparison.py [--corpora ../shared/corpora] [--repeat 3]

Every page of ``wcxb-dev/html/*.html.gz`` and ``aeb/html/*.html.gz`` is decoded once with
``w3lib.encoding.html_to_unicode(None, body)`` (no Content-Type header: BOM, then
``<meta charset>`` or XML declaration, else UTF-8, as a crawler without the header would do)
and the same ``str`` is given to every parser, so differences come from tree building, not from
decoding. A separate check gives each parser the raw bytes to show what its own encoding
detection does.

Parsers:

* ``lxml`` - ``lxml.html.document_fromstring`` (libxml2's HTML parser, not an HTML5 tree
  builder). Measured two ways: links under the returned ``<html>`` element only (what
  ``root.iter()`` sees) and links under every top-level element of the document (libxml2 puts
  content found after ``</html>`` in a second top-level element). A ``str`` holding an
  ``<?xml encoding=...?>`` declaration is refused by lxml; it is then re-encoded to UTF-8 and
  parsed with ``HTMLParser(encoding="utf-8")`` (counted as a fallback).
* ``lexbor`` - ``selectolax.lexbor.LexborHTMLParser`` (Lexbor, an HTML5 tree builder) with its
  defaults: scripting off, so ``<noscript>`` content is parsed as markup, as for a crawler that
  runs no JavaScript.
* ``html5lib`` - the pure-Python implementation of the HTML5 parsing algorithm (scripting off
  too), the reference, run once for correctness only. Its etree builder puts ``<template>``
  content in the tree as ordinary children; the spec (and browsers) keep it in a separate
  fragment that ``querySelectorAll`` and ``textContent`` never reach, so the reference skips
  ``<template>`` subtrees. Its tokenizer is also wrapped (``html5lib._tokenizer``, private) to
  count the ``<a href>`` / ``<area href>`` start tags actually written in the page: an HTML5 tree
  builder re-opens an unclosed ``<a>`` in later blocks (the adoption agency algorithm and the
  reconstruction of active formatting elements), so it can hold more link elements than the
  markup has start tags. Those copies are real DOM links in a browser, but not links the author
  wrote twice; the report calls them clones.

A link is every ``a`` or ``area`` element (any namespace, like ``querySelectorAll('a[href]')``)
with a no-namespace ``href`` attribute: (raw href, anchor text). Anchor text is the element's
text nodes (no comments, no ``<template>`` content) joined by a space, whitespace collapsed: the
convention of ``labels.jsonl``; plain ``textContent`` would glue
``<b>talkREAL</b><span>Just learn</span>`` into "talkREALJust learn".

Correctness compares, per page, the multiset and the set of hrefs of each parser with
html5lib's, and checks the labelled links of both corpora (``labels.jsonl``). Speed is measured
on one core over all pages, parse only and parse + reading every link's href and text, median of
``--repeat`` runs, wall time (``perf_counter``) and CPU time (``process_time``).

The Markdown report is printed and written to ``benchmarks/results/parser_comparison.md``.
"""

from __future__ import annotations

import argparse
import functools
import gc
import gzip
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import selectolax
from selectolax.lexbor import LexborHTMLParser, LexborNode
from w3lib.encoding import html_to_unicode

try:
    import html5lib
except ImportError:  # pragma: no cover - depends on the environment
    html5lib = None

CORPORA = ("wcxb-dev", "aeb")
REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = REPO_ROOT / "benchmarks" / "results" / "parser_comparison.md"
LINK_SELECTOR = "a[href], area[href]"
LINK_TAGS = frozenset({"a", "area"})
SVG_NS = "{http://www.w3.org/2000/svg}"
HTML_WHITESPACE = " \t\n\r\f"
LXML_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")

Link = tuple[str, str]  # (raw href, anchor text: text nodes joined by a space, collapsed)


def collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Page:
    corpus: str
    file_id: str
    body: bytes
    text: str
    encoding: str

    @property
    def key(self) -> str:
        return f"{self.corpus}/{self.file_id}"


@dataclass
class Extraction:
    """Links of one page by one parser, plus what the comparison needs to explain differences."""

    links: list[Link]
    template_hrefs: Counter[str] = field(default_factory=Counter)  # links inside <template>
    quirks: Counter[str] = field(default_factory=Counter)  # fallbacks and API quirks met


@dataclass
class Reference(Extraction):
    """The html5lib extraction, with the counts that explain a parser's differences."""

    source_hrefs: Counter[str] = field(default_factory=Counter)  # start tags in the markup
    contexts: dict[str, str] = field(default_factory=dict)  # href -> ancestor path
    noscript_links: int = 0
    svg_links: int = 0


# --------------------------------------------------------------------------- loading


def load_pages(corpora: Path) -> list[Page]:
    pages: list[Page] = []
    for corpus in CORPORA:
        for path in sorted((corpora / corpus / "html").glob("*.html.gz")):
            body = gzip.decompress(path.read_bytes())
            encoding, text = html_to_unicode(None, body)
            file_id = path.name.removesuffix(".html.gz")
            pages.append(Page(corpus, file_id, body, text, encoding))
    return pages


def load_labels(corpora: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for corpus in CORPORA:
        path = corpora / corpus / "labels.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                row["corpus"] = corpus
                rows.append(row)
    return rows


# --------------------------------------------------------------------------- lxml


def lxml_parse(text: str) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(text)
    except ValueError:
        # "Unicode strings with encoding declaration are not supported."
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=LXML_UTF8_PARSER)


def lxml_top_elements(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Every top-level element, in order: libxml2 puts content after `</html>` in a second one."""
    before = list(root.itersiblings(preceding=True))[::-1]
    return [el for el in (*before, root, *root.itersiblings()) if isinstance(el.tag, str)]


def lxml_links(root: lxml.html.HtmlElement, whole_document: bool = True) -> list[Link]:
    links: list[Link] = []
    for top in lxml_top_elements(root) if whole_document else [root]:
        for el in top.iter("a", "area"):
            href = el.get("href")
            if href is not None:
                links.append((href, collapse(" ".join(el.itertext()))))
    return links


def extract_lxml(page: Page, whole_document: bool) -> Extraction:
    quirks: Counter[str] = Counter()
    try:
        root = lxml.html.document_fromstring(page.text)
    except ValueError:
        quirks["pages: <?xml encoding?> fallback"] += 1
        root = lxml.html.document_fromstring(page.text.encode("utf-8"), parser=LXML_UTF8_PARSER)
    except lxml.etree.ParserError:
        return Extraction([], quirks=Counter({"pages: parser error": 1}))
    tops = lxml_top_elements(root) if whole_document else [root]
    template_hrefs: Counter[str] = Counter()
    for top in tops:
        for tpl in top.iter("template"):
            for el in tpl.iter("a", "area"):
                href = el.get("href")
                if href is not None:
                    template_hrefs[href] += 1
    links = lxml_links(root, whole_document)
    if len(tops) > 1:
        quirks["pages: several top-level elements"] += 1
    return Extraction(links, template_hrefs, quirks)


# --------------------------------------------------------------------------- Lexbor


def lexbor_parse(text: str) -> LexborHTMLParser:
    return LexborHTMLParser(text)


def lexbor_href(node: LexborNode) -> str | None:
    attrs = node.attrs
    href: str | None = attrs.get("href")
    if href is None:
        # selectolax gives None for a valueless attribute (`<a href>`): the DOM value is "".
        # Lexbor's [href] also matches SVG `xlink:href` (local name "href"): that is no href.
        return "" if "href" in attrs else None
    return href


def lexbor_links(tree: LexborHTMLParser) -> list[Link]:
    links: list[Link] = []
    for node in tree.css(LINK_SELECTOR):
        href = lexbor_href(node)
        if href is not None:
            links.append((href, collapse(node.text(deep=True, separator=" "))))
    return links


def extract_lexbor(page: Page) -> Extraction:
    tree = LexborHTMLParser(page.text)
    quirks: Counter[str] = Counter()
    for node in tree.css(LINK_SELECTOR):
        attrs = node.attrs
        if attrs.get("href") is None:
            quirks["links: valueless href" if "href" in attrs else "nodes: xlink:href only"] += 1
    template_hrefs: Counter[str] = Counter()
    for fragment in tree.template_fragments():
        for node in fragment.css(LINK_SELECTOR):
            href = lexbor_href(node)
            if href is not None:
                template_hrefs[href] += 1
    return Extraction(lexbor_links(tree), template_hrefs, quirks)


# --------------------------------------------------------------------------- html5lib


@functools.cache
def _counting_parser_class() -> type[Any]:
    """An html5lib parser whose tokenizer counts the link start tags written in the markup."""
    assert html5lib is not None
    from html5lib import _tokenizer
    from html5lib.constants import tokenTypes

    start_tag = tokenTypes["StartTag"]

    class CountingTokenizer(_tokenizer.HTMLTokenizer):  # type: ignore[misc]
        source_hrefs: Counter[str]

        def __iter__(self) -> Iterator[dict[str, Any]]:
            for token in super().__iter__():
                if token["type"] == start_tag and token["name"] in LINK_TAGS:
                    href = token["data"].get("href")
                    if href is not None:
                        self.source_hrefs[href] += 1
                yield token

    class CountingParser(html5lib.HTMLParser):  # type: ignore[misc]
        source_hrefs: Counter[str]

        def mainLoop(self) -> None:
            # The tree builder switches the tokenizer's state (script, textarea...), so count
            # on the very tokenizer it drives rather than on a second tokenizer pass.
            self.source_hrefs = Counter()
            self.tokenizer.__class__ = CountingTokenizer
            self.tokenizer.source_hrefs = self.source_hrefs
            super().mainLoop()

    return CountingParser


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _etree_text(el: Any) -> str:
    """Text nodes of an html5lib etree element, as in DOM textContent: no comments, no
    <template> content; joined by a space like the other parsers' extraction."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(el, False)]
    while stack:
        node, tail_only = stack.pop()
        if tail_only:
            if node.tail:
                parts.append(node.tail)
            continue
        if not isinstance(node.tag, str) or (node is not el and _local(node.tag) == "template"):
            continue
        if node.text:
            parts.append(node.text)
        # Children in reverse, each tail pushed before its child so that it pops after it.
        for child in reversed(list(node)):
            stack.append((child, True))
            stack.append((child, False))
    return " ".join(parts)


def extract_html5lib(page: Page) -> Reference:
    assert html5lib is not None
    parser = _counting_parser_class()(
        tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False
    )
    doc = parser.parse(page.text)
    ref = Reference([], source_hrefs=parser.source_hrefs)
    # Iterative pre-order walk (real pages nest deeper than Python's recursion limit).
    stack: list[tuple[Any, tuple[str, ...], bool, bool]] = [(doc, (), False, False)]
    while stack:
        el, path, in_template, in_noscript = stack.pop()
        if not isinstance(el.tag, str):  # comment
            continue
        name = _local(el.tag)
        if name in LINK_TAGS:
            href = el.get("href")  # html5lib stores xlink:href as "{xlink-ns}href"
            if href is not None:
                if in_template:
                    ref.template_hrefs[href] += 1
                else:
                    ref.links.append((href, collapse(_etree_text(el))))
                    ref.contexts.setdefault(href, " > ".join((*path[-5:], name)))
                    ref.noscript_links += in_noscript
                    ref.svg_links += el.tag.startswith(SVG_NS)
        child_path = path if name == "DOCUMENT_ROOT" else (*path, name)
        for child in reversed(list(el)):
            stack.append(
                (
                    child,
                    child_path,
                    in_template or name == "template",
                    in_noscript or name == "noscript",
                )
            )
    return ref


# --------------------------------------------------------------------------- correctness


@dataclass
class PageDiff:
    key: str
    missing: Counter[str]
    clones: int  # missing links that are HTML5 copies of an unclosed <a>
    extra: Counter[str]
    extra_in_template: int
    missing_context: str  # where html5lib has the most common missing href
    text_sample: tuple[str, str, str] | None  # (href, html5lib text, parser text)


@dataclass
class ParserCorrectness:
    name: str
    pages: int = 0
    ref_links: int = 0
    found_links: int = 0
    missing: int = 0
    clones: int = 0
    extra: int = 0
    extra_in_template: int = 0
    ref_distinct: int = 0
    distinct_missing: int = 0
    distinct_extra: int = 0
    pages_differing: int = 0
    pages_unexplained: int = 0
    pages_text_differing: int = 0
    quirks: Counter[str] = field(default_factory=Counter)
    diffs: list[PageDiff] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return (self.ref_links - self.missing) / self.ref_links if self.ref_links else 0.0

    @property
    def distinct_recall(self) -> float:
        if not self.ref_distinct:
            return 0.0
        return (self.ref_distinct - self.distinct_missing) / self.ref_distinct


def _text_sample(ref: Extraction, got: Extraction) -> tuple[str, str, str] | None:
    only_ref = Counter(ref.links) - Counter(got.links)
    only_got = Counter(got.links) - Counter(ref.links)
    for href, ref_text in only_ref:
        for got_href, got_text in only_got:
            if got_href == href:
                return href, ref_text, got_text
    return None


def compare(ref: Reference, got: Extraction, key: str, acc: ParserCorrectness) -> None:
    ref_hrefs = Counter(h for h, _ in ref.links)
    got_hrefs = Counter(h for h, _ in got.links)
    missing = ref_hrefs - got_hrefs
    extra = got_hrefs - ref_hrefs
    clone_surplus = ref_hrefs - ref.source_hrefs
    clones = sum((missing & clone_surplus).values())
    extra_in_template = sum((extra & got.template_hrefs).values())
    acc.pages += 1
    acc.ref_links += ref_hrefs.total()
    acc.found_links += got_hrefs.total()
    acc.missing += missing.total()
    acc.clones += clones
    acc.extra += extra.total()
    acc.extra_in_template += extra_in_template
    acc.ref_distinct += len(ref_hrefs)
    acc.distinct_missing += len(ref_hrefs.keys() - got_hrefs.keys())
    acc.distinct_extra += len(got_hrefs.keys() - ref_hrefs.keys())
    acc.quirks.update(got.quirks)
    text_sample = _text_sample(ref, got) if Counter(ref.links) != Counter(got.links) else None
    if missing or extra:
        acc.pages_differing += 1
        if missing.total() > clones or extra.total() > extra_in_template:
            acc.pages_unexplained += 1
    elif text_sample:
        acc.pages_text_differing += 1
    if missing or extra or text_sample:
        context = ref.contexts.get(missing.most_common(1)[0][0], "") if missing else ""
        acc.diffs.append(
            PageDiff(key, missing, clones, extra, extra_in_template, context, text_sample)
        )


@dataclass
class LabelCheck:
    total: int
    found: dict[str, int]
    total_content: int
    found_content: dict[str, int]
    found_text: dict[str, int]


def check_labels(
    labels: Sequence[dict[str, str]], extractions: dict[str, dict[str, Extraction]]
) -> LabelCheck:
    """Labelled (page, href) pairs, as a multiset, that each parser finds.

    The labels store hrefs with leading and trailing whitespace stripped (`href=" http://x"`
    is labelled `http://x`), so parser hrefs are stripped the same way before matching.
    """
    wanted: Counter[tuple[str, str]] = Counter()
    wanted_content: Counter[tuple[str, str]] = Counter()
    wanted_text: Counter[tuple[str, str, str]] = Counter()
    for row in labels:
        key = f"{row['corpus']}/{row['file_id']}"
        wanted[(key, row["href"])] += 1
        wanted_text[(key, row["href"], row["anchor_text"])] += 1
        if row["label"] == "content":
            wanted_content[(key, row["href"])] += 1
    found: dict[str, int] = {}
    found_content: dict[str, int] = {}
    found_text: dict[str, int] = {}
    for name, by_page in extractions.items():
        have: Counter[tuple[str, str]] = Counter()
        have_text: Counter[tuple[str, str, str]] = Counter()
        for key, ext in by_page.items():
            for href, text in ext.links:
                href = href.strip(HTML_WHITESPACE)
                have[(key, href)] += 1
                have_text[(key, href, text)] += 1
        found[name] = (wanted & have).total()
        found_content[name] = (wanted_content & have).total()
        found_text[name] = (wanted_text & have_text).total()
    return LabelCheck(wanted.total(), found, wanted_content.total(), found_content, found_text)


def decoding_paths(pages: Sequence[Page]) -> dict[str, list[str]]:
    """Pages whose links change when a parser decodes the bytes itself instead of w3lib."""
    changed: dict[str, list[str]] = {"lxml": [], "lexbor": []}
    for page in pages:
        ref_lxml = Counter(lxml_links(lxml_parse(page.text)))
        try:
            own_lxml = Counter(lxml_links(lxml.html.document_fromstring(page.body)))
        except (ValueError, lxml.etree.ParserError):
            own_lxml = Counter()
        if own_lxml != ref_lxml:
            changed["lxml"].append(page.key)
        ref_lex = Counter(lexbor_links(LexborHTMLParser(page.text)))
        own_lex = Counter(lexbor_links(LexborHTMLParser(page.body, encoding=True)))
        if own_lex != ref_lex:
            changed["lexbor"].append(page.key)
    return changed


# --------------------------------------------------------------------------- speed


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def pages_per_s(self, pages: int, cpu: bool = False) -> float:
        return pages / statistics.median(self.cpu if cpu else self.wall)


def _time(fn: Callable[[str], object], texts: Sequence[str], timing: Timing) -> None:
    gc.collect()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    timing.cpu.append(time.process_time() - cpu0)
    timing.wall.append(time.perf_counter() - wall0)


SPEED_CASES: dict[str, Callable[[str], object]] = {
    "lxml parse": lxml_parse,
    "lxml parse + links": lambda text: lxml_links(lxml_parse(text)),
    "lexbor parse": lexbor_parse,
    "lexbor parse + links": lambda text: lexbor_links(lexbor_parse(text)),
}


def measure_speed(texts: Sequence[str], repeat: int) -> dict[str, Timing]:
    timings = {name: Timing() for name in SPEED_CASES}
    names = list(SPEED_CASES)
    for run in range(repeat):
        # Rotate the order so that background load does not always hit the same parser.
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            _time(SPEED_CASES[name], texts, timings[name])
    return timings


# --------------------------------------------------------------------------- report


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "n/a"


def _code(text: str, width: int = 60) -> str:
    shown = text if len(text) <= width else text[: width - 1] + "…"
    return "`" + shown.replace("|", "%7C").replace("`", "'") + "`"


def _sample(counter: Counter[str]) -> str:
    if not counter:
        return ""
    href, n = counter.most_common(1)[0]
    return _code(href) + (f" x{n}" if n > 1 else "")


def machine_info() -> list[str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"- Machine: {os.cpu_count()} logical CPUs, {cpu or platform.processor()}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; lxml {lxml.etree.__version__} "
        f"(libxml2 {'.'.join(map(str, lxml.etree.LIBXML_VERSION))}); "
        f"selectolax {selectolax.__version__} (Lexbor); "
        f"html5lib {html5lib.__version__ if html5lib else 'absent'}",
    ]


@dataclass
class Results:
    pages: Sequence[Page]
    reference: dict[str, Reference]
    correctness: Sequence[ParserCorrectness]
    html5lib_seconds: float
    labels: LabelCheck | None
    decoding: dict[str, list[str]]
    timings: dict[str, Timing]
    repeat: int
    corpora: str


def render_correctness(res: Results) -> list[str]:
    n = len(res.pages)
    refs = res.reference.values()
    in_template = sum(r.template_hrefs.total() for r in refs)
    out = [
        "## Correctness against html5lib (HTML5 reference)",
        "",
        "Per page, the multiset of raw hrefs of each parser against html5lib's. *Clones*: "
        "missing links that are extra copies of an unclosed `<a>` an HTML5 tree builder "
        "re-opens (more link elements than start tags in the markup). *Unexplained*: pages "
        "with missing links beyond clones or extra links beyond `<template>` content.",
        "",
        "| parser | link recall | missing (clones) | extra (in `<template>`) | distinct "
        "(page, href) recall | distinct missing / extra | pages with href differences "
        "| unexplained pages | pages with only text differences |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res.correctness:
        out.append(
            f"| {r.name} | {100 * r.recall:.3f}% | {r.missing} ({r.clones}) | "
            f"{r.extra} ({r.extra_in_template}) | {100 * r.distinct_recall:.3f}% | "
            f"{r.distinct_missing} / {r.distinct_extra} | "
            f"{r.pages_differing} ({_pct(r.pages_differing, n)}) | {r.pages_unexplained} | "
            f"{r.pages_text_differing} |"
        )
    out += [
        "",
        f"Reference: {sum(len(r.links) for r in refs)} links "
        f"({sum(len(set(h for h, _ in r.links)) for r in refs)} distinct (page, href)); "
        f"{sum(r.source_hrefs.total() for r in refs)} link start tags in the markup; "
        f"{in_template} links inside `<template>` on "
        f"{sum(1 for r in refs if r.template_hrefs)} pages (excluded); "
        f"{sum(r.noscript_links for r in refs)} inside `<noscript>` (included: scripting off); "
        f"{sum(r.svg_links for r in refs)} SVG `<a href>` (included). "
        f"html5lib parsed every page once in {res.html5lib_seconds:.1f} s wall.",
        "",
        "Fallbacks and API quirks met: "
        + "; ".join(
            f"{r.name}: " + (", ".join(f"{k} {v}" for k, v in sorted(r.quirks.items())) or "none")
            for r in res.correctness
        ),
    ]
    for r in res.correctness:
        worst = sorted(
            (d for d in r.diffs if d.missing or d.extra),
            key=lambda d: (-(d.missing.total() + d.extra.total()), d.key),
        )[:10]
        if worst:
            out += [
                "",
                f"### Worst pages: {r.name}",
                "",
                "| page | missing (clones) | extra (in `<template>`) | sample missing href "
                "| where html5lib has it | sample extra href |",
                "|---|---:|---:|---|---|---|",
            ]
        for d in worst:
            context = f"`{d.missing_context}`" if d.missing_context else ""
            out.append(
                f"| {d.key} | {d.missing.total()} ({d.clones}) | {d.extra.total()} "
                f"({d.extra_in_template}) | {_sample(d.missing)} | {context} "
                f"| {_sample(d.extra)} |"
            )
        texts = [d for d in r.diffs if d.text_sample and not (d.missing or d.extra)]
        if texts:
            out += [
                "",
                f"Anchor-text differences ({r.name}, pages whose hrefs agree):",
                "",
                "| page | href | html5lib text | parser text |",
                "|---|---|---|---|",
            ]
            for d in texts[:6]:
                assert d.text_sample is not None
                href, ref_text, got_text = d.text_sample
                out.append(
                    f"| {d.key} | {_code(href, 40)} | {_code(ref_text, 50)} "
                    f"| {_code(got_text, 50)} |"
                )
    return out


def render(res: Results) -> str:
    pages = res.pages
    n = len(pages)
    per_corpus = Counter(p.corpus for p in pages)
    avg_bytes = statistics.fmean(len(p.body) for p in pages)
    avg_chars = statistics.fmean(len(p.text) for p in pages)
    ref_links = sum(len(r.links) for r in res.reference.values())
    encodings = Counter(p.encoding for p in pages)
    out: list[str] = ["# HTML parser comparison for link extraction", ""]
    out += machine_info()
    out += [
        f"- Pages: {n} ({', '.join(f'{c} {k}' for k, c in per_corpus.items())}), average "
        f"{avg_bytes / 1024:.0f} KiB ({avg_chars / 1000:.0f} K characters decoded), "
        f"{ref_links / n:.0f} links per page",
        "- Decoding: `w3lib.encoding.html_to_unicode(None, body)` once per page, the same "
        "`str` to every parser; encodings: "
        + ", ".join(f"{enc} {c}" for enc, c in encodings.most_common())
        + " (`utf8` = nothing declared, w3lib's default)",
        f"- Command: `python benchmarks/parser_comparison.py --corpora {res.corpora} "
        f"--repeat {res.repeat}`",
        "",
    ]
    out += render_correctness(res)
    labels = res.labels
    if labels is not None:
        out += [
            "",
            "## Labelled links (`labels.jsonl` of both corpora)",
            "",
            "Multiset match of labelled (page, href) pairs (parser hrefs stripped of leading "
            "and trailing whitespace, as in the labels); the last column also requires the "
            "anchor text to match.",
            "",
            f"| parser | (page, href) found of {labels.total} "
            f"| `content` links found of {labels.total_content} "
            f"| (page, href, text) found of {labels.total} |",
            "|---|---:|---:|---:|",
        ]
        for name in labels.found:
            out.append(
                f"| {name} | {labels.found[name]} ({_pct(labels.found[name], labels.total)}) | "
                f"{labels.found_content[name]} "
                f"({_pct(labels.found_content[name], labels.total_content)}) | "
                f"{labels.found_text[name]} ({_pct(labels.found_text[name], labels.total)}) |"
            )
    lxml_changed, lexbor_changed = res.decoding["lxml"], res.decoding["lexbor"]
    out += [
        "",
        "## Decoding path",
        "",
        "Pages whose (href, text) multiset changes when the parser gets the raw bytes and "
        "detects the encoding itself, instead of the w3lib-decoded `str`: "
        f"lxml `document_fromstring(bytes)` {len(lxml_changed)} "
        f"(e.g. {', '.join(lxml_changed[:3]) or '-'}); "
        f"Lexbor `LexborHTMLParser(bytes, encoding=True)` {len(lexbor_changed)} "
        f"(e.g. {', '.join(lexbor_changed[:3]) or '-'}).",
        "",
        f"## Speed, one core, all {n} pages, median of {res.repeat} runs",
        "",
        "Input is the decoded `str` (decoding not timed). *links* = iterate every "
        "`a[href]`/`area[href]` (lxml: under every top-level element), read the href and "
        "the anchor text (text nodes joined by a space, collapsed).",
        "",
        "| case | pages/s (wall) | pages/s (CPU) | MB/s (CPU) | wall per run (s) |",
        "|---|---:|---:|---:|---|",
    ]
    total_mb = sum(len(p.body) for p in pages) / 1e6
    timings = res.timings
    for name, t in timings.items():
        out.append(
            f"| {name} | {t.pages_per_s(n):.0f} | {t.pages_per_s(n, cpu=True):.0f} | "
            f"{total_mb / statistics.median(t.cpu):.1f} | "
            f"{', '.join(f'{w:.2f}' for w in t.wall)} |"
        )

    def cpu(name: str) -> float:
        return statistics.median(timings[name].cpu)

    out += [
        "",
        f"Lexbor against lxml, CPU time: parse {cpu('lxml parse') / cpu('lexbor parse'):.2f}x "
        "faster, parse + links "
        f"{cpu('lxml parse + links') / cpu('lexbor parse + links'):.2f}x faster.",
        "",
        "The machine is shared with other jobs: wall times are noisy; CPU time "
        "(`time.process_time`) is the steadier figure.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--corpora",
        default="../shared/corpora",
        help="folder holding wcxb-dev/ and aeb/ (a relative path is from the repository root)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="Markdown report")
    args = parser.parse_args(argv)
    corpora_arg: str = args.corpora
    corpora = REPO_ROOT / corpora_arg  # an absolute path replaces REPO_ROOT
    if not corpora.is_dir():
        print(f"SKIP: corpora folder {corpora} is absent; nothing to compare.")
        return 0
    if html5lib is None:
        print("SKIP: html5lib, the reference parser, is absent (pip install html5lib).")
        return 0

    t0 = time.perf_counter()
    pages = load_pages(corpora)
    if not pages:
        print(f"SKIP: no <corpus>/html/*.html.gz pages under {corpora}.")
        return 0
    print(
        f"loaded and decoded {len(pages)} pages in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )

    t0 = time.perf_counter()
    reference = {page.key: extract_html5lib(page) for page in pages}
    html5lib_seconds = time.perf_counter() - t0
    print(f"html5lib: {html5lib_seconds:.1f} s", file=sys.stderr)

    extractors: dict[str, Callable[[Page], Extraction]] = {
        "lxml, returned root only": functools.partial(extract_lxml, whole_document=False),
        "lxml, whole document": functools.partial(extract_lxml, whole_document=True),
        "lexbor": extract_lexbor,
    }
    extractions: dict[str, dict[str, Extraction]] = {"html5lib": dict(reference)}
    correctness: list[ParserCorrectness] = []
    for name, extract in extractors.items():
        acc = ParserCorrectness(name)
        by_page: dict[str, Extraction] = {}
        for page in pages:
            got = extract(page)
            by_page[page.key] = got
            compare(reference[page.key], got, page.key, acc)
        extractions[name] = by_page
        correctness.append(acc)

    labels_rows = load_labels(corpora)
    labels = check_labels(labels_rows, extractions) if labels_rows else None
    decoding = decoding_paths(pages)
    del extractions
    print("correctness done; timing", file=sys.stderr)

    repeat = max(1, args.repeat)
    timings = measure_speed([p.text for p in pages], repeat)
    results = Results(
        pages,
        reference,
        correctness,
        html5lib_seconds,
        labels,
        decoding,
        timings,
        repeat,
        corpora_arg,
    )
    report = render(results)
    print(report)
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(f"written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
