"""Would a learned link scorer beat the placement rules on the corpus labels? (An experiment.)

Run from the repository root (needs the ``bench`` extra: lightgbm, scikit-learn)::

    python benchmarks/placement_learned.py            # writes benchmarks/results/placement_learned.md

For every labelled link of ``../shared/corpora`` (matched as in ``placement_corpus.py``) it
builds about 130 features: the rules' own answer (placement, main block, paragraph prose,
link runs, cards), text and link counts and link density of six ancestors, anchor length,
position on the page, and the nearest ancestor carrying each of 24 tags and 68 class/id
words. A gradient-boosted tree model (LightGBM) is scored three ways: 5-fold
cross-validation on ``wcxb-dev`` grouped by page (no page is in its own training folds),
and trained on all of ``wcxb-dev`` then applied to the two held-out splits. Nothing here is
used by linkspider: the numbers say whether shipping a model would be worth it.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from placement_corpus import LINKS_CSS, ROOT, SPLITS, Page, Score, link_keys, load, match_labels

from linkspider.extract import placement as rules
from linkspider.extract.placement import PLACEMENTS, PlacementClassifier

TOKENS = [
    "nav",
    "menu",
    "header",
    "footer",
    "sidebar",
    "widget",
    "comment",
    "content",
    "article",
    "post",
    "entry",
    "main",
    "related",
    "share",
    "social",
    "tag",
    "breadcrumb",
    "card",
    "product",
    "item",
    "list",
    "body",
    "text",
    "story",
    "author",
    "meta",
    "byline",
    "promo",
    "ad",
    "banner",
    "newsletter",
    "subscribe",
    "cookie",
    "modal",
    "popup",
    "footnote",
    "caption",
    "toc",
    "table",
    "grid",
    "col",
    "row",
    "container",
    "wrapper",
    "page",
    "site",
    "recommend",
    "more",
    "read",
    "topic",
    "categor",
    "reply",
    "thread",
    "message",
    "desc",
    "detail",
    "review",
    "summary",
    "teaser",
    "feed",
    "dropdown",
    "mega",
    "login",
    "account",
    "cart",
    "search",
]
TAGS = [
    "p",
    "li",
    "td",
    "div",
    "span",
    "h1",
    "h2",
    "h3",
    "h4",
    "article",
    "section",
    "main",
    "aside",
    "nav",
    "header",
    "footer",
    "ul",
    "ol",
    "table",
    "figure",
    "blockquote",
    "dd",
    "strong",
    "em",
]

Features = dict[str, float]


def _ancestors(link: LexborNode) -> Features:
    """1 / distance to the nearest ancestor with each tag and each class/id/role word."""
    tags: dict[str, int] = {}
    words: dict[str, int] = {}
    cur = link.parent
    k = 1
    while cur is not None and not cur.is_document_node and cur.tag != "html":
        if cur.tag in TAGS:
            tags.setdefault(cur.tag, k)
        at = cur.attributes
        names = " ".join(at.get(a) or "" for a in ("class", "id", "role")).lower()
        if names.strip():
            for word in TOKENS:
                if word in names:
                    words.setdefault(word, k)
        cur = cur.parent
        k += 1
    out = {f"tag_{t}": 1.0 / tags[t] if t in tags else 0.0 for t in TAGS}
    out.update({f"word_{w}": 1.0 / words[w] if w in words else 0.0 for w in TOKENS})
    return out


def page_features(page: Page) -> list[tuple[Features, bool]]:
    """(features, label is content) of each matched label of ``page``."""
    tree = LexborHTMLParser(page.html)
    links = tree.css(LINKS_CSS)
    clf = PlacementClassifier(tree, host=page.host)
    placed = [clf.classify(link) for link in links]
    st = clf.stats
    nodes = max(1, len(st.nodes))
    page_text = max(1, st.text[0] if st.text else 1)
    main = st.main
    rows: list[Features] = []
    for i, (link, pl) in enumerate(zip(links, placed, strict=True)):
        f: Features = {f"rules_{p}": float(pl.placement == p) for p in PLACEMENTS}
        anchor = " ".join((link.text(deep=True) or "").split())
        href = link.attributes.get("href") or ""
        f.update(
            link_index=i / max(1, len(links)),
            anchor_len=math.log1p(len(anchor)),
            anchor_words=float(len(anchor.split())),
            image=float(link.css_first("img") is not None),
            fragment=float(href.startswith("#")),
            absolute=float(href.startswith("http")),
        )
        pos = st.pos_of.get(link.mem_id)
        f["hidden"] = float(pos is None)
        if pos is not None:
            block = rules._block(st, pos)
            f.update(
                dom_position=pos / nodes,
                in_main=float(main >= 0 and st.contains(main, pos)),
                before_main=float(main >= 0 and pos < main),
                main_link_density=st.link_density(main) if main >= 0 else 1.0,
                main_share=st.text[main] / page_text if main >= 0 else 0.0,
                own_prose=math.log1p(max(0, rules._own_prose(st, block))) if block >= 0 else 0.0,
                block_prose=math.log1p(max(0, st.text[block] - st.link_text[block]))
                if block >= 0
                else 0.0,
                block_links=math.log1p(st.links[block]) if block >= 0 else 0.0,
                reads_as_text=float(rules._reads_as_text(st, pos)),
                link_list=float(rules._in_link_list(st, pos)),
                card=float(clf._in_card(pos)),
            )
            cur = st.parent[pos]
            for k in range(1, 7):
                if cur < 0:
                    break
                f[f"ld{k}"] = st.link_density(cur)
                f[f"text{k}"] = math.log1p(st.text[cur])
                f[f"links{k}"] = math.log1p(st.links[cur])
                cur = st.parent[cur]
        f.update(_ancestors(link))
        rows.append(f)
    matched = match_labels(page.labels, link_keys(links))
    return [
        (rows[i], lab.content) for lab, i in zip(page.labels, matched, strict=True) if i is not None
    ]


def _score(pred: list[bool], truth: list[bool]) -> Score:
    sc = Score()
    for predicted, content in zip(pred, truth, strict=True):
        outcome = ("tp" if content else "fp") if predicted else ("fn" if content else "tn")
        setattr(sc, outcome, getattr(sc, outcome) + 1)
    return sc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "placement_learned.md"
    )
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--leaves", type=int, default=15)
    args = ap.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"corpora folder {args.corpora} not found; skipping")
        return 0
    import lightgbm
    import numpy as np
    from sklearn.model_selection import GroupKFold

    rows: list[tuple[Page, Features, bool]] = []
    for page in load(args.corpora):
        rows.extend((page, f, y) for f, y in page_features(page))
    names = sorted({k for _, f, _ in rows for k in f})
    x = np.array([[f.get(k, np.nan) for k in names] for _, f, _ in rows], dtype=float)
    y = np.array([lab for _, _, lab in rows])
    split = np.array([p.corpus for p, _, _ in rows])
    ptype = np.array([p.page_type for p, _, _ in rows])
    group = np.array([p.file_id for p, _, _ in rows])
    params = {
        "n_estimators": args.trees,
        "num_leaves": args.leaves,
        "learning_rate": 0.05,
        "min_child_samples": 50,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.7,
        "verbose": -1,
    }
    model_pred = np.zeros(len(rows), dtype=bool)
    dev = np.flatnonzero(split == "wcxb-dev")
    for train, test in GroupKFold(5).split(x[dev], y[dev], group[dev]):
        m = lightgbm.LGBMClassifier(**params).fit(x[dev[train]], y[dev[train]])
        model_pred[dev[test]] = m.predict_proba(x[dev[test]])[:, 1] > 0.5
    m = lightgbm.LGBMClassifier(**params).fit(x[dev], y[dev])
    rest = np.flatnonzero(split != "wcxb-dev")
    model_pred[rest] = m.predict_proba(x[rest])[:, 1] > 0.5
    rules_pred = np.array([f["rules_content"] > 0.5 for _, f, _ in rows])

    lines = [
        "# Learned link scorer vs. placement rules",
        "",
        "Generated by `python benchmarks/placement_learned.py` (do not edit by hand; the",
        "closing paragraph is hand-written). Content F1 on the corpus link labels; *bp* is",
        f"boilerplate precision. Model: LightGBM, {args.trees} trees of {args.leaves} leaves,",
        f"{len(names)} features; wcxb-dev scored by 5-fold cross-validation grouped by page,",
        "held-out splits by the model trained on all of wcxb-dev.",
        "",
        "| split / page type | links | rules F1 | rules bp | model F1 | model bp |",
        "|---|---|---|---|---|---|",
    ]
    for corpus in SPLITS:
        in_split = split == corpus
        for kind in [*sorted(set(ptype[in_split])), None]:
            sel = in_split if kind is None else in_split & (ptype == kind)
            truth = list(y[sel])
            r = _score(list(rules_pred[sel]), truth)
            mo = _score(list(model_pred[sel]), truth)
            name = f"**{corpus} overall**" if kind is None else f"{corpus} / {kind}"
            lines.append(
                f"| {name} | {int(sel.sum())} | {r.content_f1:.3f} | {r.boiler_p:.3f} "
                f"| {mo.content_f1:.3f} | {mo.boiler_p:.3f} |"
            )
    top = sorted(zip(m.feature_importances_, names, strict=True), reverse=True)[:12]
    lines += ["", "Most used features: " + ", ".join(f"`{n}`" for _, n in top) + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    tail = ""
    if args.out.exists():
        old = args.out.read_text(encoding="utf-8")
        cut = old.find("\n## Reading these numbers")
        tail = old[cut:] if cut >= 0 else ""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
