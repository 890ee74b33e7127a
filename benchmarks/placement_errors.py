"""Print misclassified links of the placement benchmark, to find systematic errors.

Run from the repository root::

    python benchmarks/placement_errors.py --type forum            # pages of a type, worst first
    python benchmarks/placement_errors.py --page 0540 [--all]     # one page's (mis)labelled links

Only the tuning split (``wcxb-dev``) is listed unless ``--split`` says otherwise, so rules are
not fitted to the held-out pages. For each link: label (and why the corpus gave it),
predicted placement, anchor, the non-link text of its block, the link density of its nearest
ancestor holding three or more links, and its ancestors' tag#id.class chain.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from placement_corpus import LINKS_CSS, ROOT, Page, _describe, load

from linkspider.extract.placement import classify_placements


def _text(node: LexborNode) -> int:
    return len(node.text(deep=True, strip=True))


def _density(link: LexborNode) -> str:
    block = link.parent
    while block is not None and block.tag in ("span", "strong", "em", "b", "i", "small"):
        block = block.parent
    prose = 0
    if block is not None:
        prose = _text(block) - sum(_text(a) for a in block.css("a"))
    cur = link.parent
    density = "-"
    for _ in range(4):
        if cur is None or cur.is_document_node:
            break
        anchors = cur.css("a")
        if len(anchors) >= 3:
            total = _text(cur)
            density = f"{sum(_text(a) for a in anchors) / total:.2f}" if total else "1.00"
            break
        cur = cur.parent
    return f"prose={prose} ld={density}"


def page_links(page: Page) -> list[tuple[bool, str, str, LexborNode]]:
    """(label is content, why, predicted placement, element) of each matched label."""
    tree = LexborHTMLParser(page.html)
    links = tree.css(LINKS_CSS)
    placements = classify_placements(tree, links, host=page.host)
    index: dict[tuple[str, str], list[int]] = {}
    for i, link in enumerate(links):
        key = (link.attributes.get("href") or "", " ".join(link.text(deep=True).split()))
        index.setdefault(key, []).append(i)
    used: Counter[tuple[str, str]] = Counter()
    out = []
    for lab in page.labels:
        key = (lab.href, lab.anchor)
        k = used[key]
        used[key] += 1
        cands = index.get(key, [])
        if k < len(cands):
            i = cands[k]
            out.append((lab.content, lab.why, placements[i].placement, links[i]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    ap.add_argument("--split", default="wcxb-dev", help="wcxb-dev, wcxb-holdout or aeb")
    ap.add_argument("--type", help="page type: list its pages with error counts, worst first")
    ap.add_argument("--page", help="file id: print its misclassified links")
    ap.add_argument("--all", action="store_true", help="with --page: print every labelled link")
    args = ap.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"corpora folder {args.corpora} not found")
        return 0
    pages = [p for p in load(args.corpora) if p.corpus == args.split]
    if args.page:
        pages = [p for p in pages if p.file_id == args.page]
        for page in pages:
            print(f"{page.file_id} {page.page_type} {page.host}")
            for content, why, pred, node in page_links(page):
                if not args.all and content == (pred == "content"):
                    continue
                label = "C" if content else "B"
                anchor = " ".join(node.text(deep=True).split())[:40]
                print(f"  {label}/{why[:12]:12} {pred:10} {anchor!r:42} {_density(node)}")
                print(f"      {_describe(node)[:220]}")
        return 0
    rows = []
    for page in pages:
        if args.type and page.page_type != args.type:
            continue
        fn = fp = n = 0
        for content, _, pred, _ in page_links(page):
            n += 1
            if content and pred != "content":
                fn += 1
            elif not content and pred == "content":
                fp += 1
        rows.append((fn + fp, fn, fp, n, page))
    rows.sort(key=lambda r: -r[0])
    for _, fn, fp, n, page in rows:
        print(f"{page.file_id} {page.page_type:13} {page.host:35} links={n:4} FN={fn:4} FP={fp:4}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
