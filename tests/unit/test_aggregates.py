"""Aggregates: the out-of-core DuckDB build gives the files the in-memory pandas build gave.

``_pandas_*`` below is the previous implementation (whole table in pandas), kept as the
reference: the CSV text must be identical on the sample web's crawl and on a generated
table full of ties, non-ASCII case pairs, image links, empty anchors and null-free edges.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkspider.core.items import BacklinkItem
from linkspider.engines.tables import arrow_schema
from linkspider.extract.anchor_category import CATEGORIES
from linkspider.reports import aggregates
from linkspider.reports.authority import AUTHORITY_COLUMNS
from tests.support.paths import DATA

SAMPLE = DATA / "sample_backlinks.parquet"


def _pandas_load(parquet_path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(parquet_path, columns=aggregates.AGGREGATE_COLUMNS)
    image = frame["link_type"] == "image"
    frame["anchor"] = frame["anchor_text"].where(~image, frame["image_alt"])
    # pandas' Arrow-backed strings lower-case like the exports (İ -> i); the default string
    # dtype is Arrow-backed only from pandas 3, so ask for it (the minimum-versions run).
    frame["anchor_key"] = frame["anchor"].astype("string[pyarrow]").str.lower()
    return frame


def _pandas_summary(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=False, dropna=False)
    result = grouped.agg(
        backlinks=("source_url", "size"),
        referring_domains=("source_domain", "nunique"),
        linking_pages=("source_url", "nunique"),
        dofollow=("follow", "sum"),
        content_backlinks=("in_content", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    result["nofollow"] = result["backlinks"] - result["dofollow"]
    return result


def _pandas_most_frequent(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    counts = frame.groupby([key, value], sort=False).size().reset_index(name="n")
    counts = counts.sort_values(["n", value], ascending=[False, True])
    return counts.drop_duplicates(key).set_index(key)[value]


def _pandas_referring_domains(frame: pd.DataFrame) -> pd.DataFrame:
    result = _pandas_summary(frame, ["source_domain"]).drop(columns="referring_domains")
    grouped = frame.groupby("source_domain", sort=False)
    result["targets"] = grouped["target"].nunique()
    result["target_pages"] = grouped["target_url"].nunique()
    result["sitewide"] = grouped["sitewide"].any()
    with_text = frame[frame["anchor"] != ""]
    result["top_anchor"] = _pandas_most_frequent(with_text, "source_domain", "anchor")
    # audit columns: followed share of the links on indexable pages, TLD, language by pages
    indexable = frame[frame["source_indexable"]]
    by_domain = indexable.groupby("source_domain", sort=False)
    counted = by_domain.size().reindex(result.index).fillna(0).astype("int64")
    followed = by_domain["follow"].sum().reindex(result.index)
    result["indexable_backlinks"] = counted
    result["dofollow_ratio"] = (followed / counted.where(counted > 0)).round(4)
    result["tld"] = [d.rsplit(".", 1)[-1] for d in result.index]
    lang = frame["source_lang"].str.strip().str.lower().str.replace(r"[-_].*$", "", regex=True)
    pages = frame.assign(language=lang)[lang != ""].groupby(["source_domain", "language"])
    ranked = pages["source_url"].nunique().reset_index(name="n")
    ranked = ranked.sort_values(["n", "language"], ascending=[False, True])
    result["language"] = ranked.drop_duplicates("source_domain").set_index("source_domain")[
        "language"
    ]
    result["language"] = result["language"].fillna("")
    result = result.reset_index()
    order = ["source_domain", "backlinks", "linking_pages", "dofollow", "nofollow",
             "content_backlinks", "sitewide", "targets", "target_pages", "top_anchor",
             "first_seen", "last_seen", "indexable_backlinks", "dofollow_ratio", "tld",
             "language"]  # fmt: skip
    return result[order].sort_values(
        ["dofollow", "backlinks", "source_domain"], ascending=[False, False, True]
    )


def _pandas_anchors(frame: pd.DataFrame) -> pd.DataFrame:
    result = _pandas_summary(frame, ["anchor_key", "anchor_category"])
    spelling = _pandas_most_frequent(frame, "anchor_key", "anchor")
    result = result.reset_index()
    result["anchor"] = result["anchor_key"].map(spelling)
    total_domains = max(frame["source_domain"].nunique(), 1)
    result["share_of_referring_domains"] = (result["referring_domains"] / total_domains).round(4)
    order = ["anchor", "anchor_category", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "content_backlinks", "share_of_referring_domains",
             "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "anchor"], ascending=[False, False, True]
    )


def _pandas_anchor_categories(frame: pd.DataFrame) -> pd.DataFrame:
    result = _pandas_summary(frame, ["anchor_category"]).reindex(list(CATEGORIES))
    result.index.name = "anchor_category"
    counts = ["backlinks", "referring_domains", "linking_pages", "dofollow", "nofollow",
              "content_backlinks"]  # fmt: skip
    result[counts] = result[counts].fillna(0).astype("int64")
    total_links = max(len(frame), 1)
    total_domains = max(frame["source_domain"].nunique(), 1)
    result["share_of_backlinks"] = (result["backlinks"] / total_links).round(4)
    result["share_of_referring_domains"] = (result["referring_domains"] / total_domains).round(4)
    order = ["anchor_category", *counts, "share_of_backlinks", "share_of_referring_domains"]
    return result.reset_index()[order]


def _pandas_target_pages(frame: pd.DataFrame) -> pd.DataFrame:
    result = _pandas_summary(frame, ["target_url", "target"]).reset_index()
    order = ["target_url", "target", "backlinks", "referring_domains", "linking_pages",
             "dofollow", "nofollow", "content_backlinks", "first_seen", "last_seen"]  # fmt: skip
    return result[order].sort_values(
        ["referring_domains", "backlinks", "target_url"], ascending=[False, False, True]
    )


def _reference(parquet: Path) -> dict[str, str]:
    frame = _pandas_load(parquet)
    domains = _pandas_referring_domains(frame)
    for column in AUTHORITY_COLUMNS:  # no release: present and empty
        domains[column] = pd.NA
    frames = (domains, _pandas_anchors(frame),
              _pandas_anchor_categories(frame), _pandas_target_pages(frame))  # fmt: skip
    return {name: f.to_csv(index=False) for name, f in zip(aggregates.FILES, frames, strict=True)}


def _streamed(parquet: Path, folder: Path) -> dict[str, str]:
    folder.mkdir(exist_ok=True)
    result = aggregates.write_aggregates(parquet, folder)
    frame = pd.read_parquet(parquet, columns=["source_domain", "target"])
    assert result.total_domains == frame["source_domain"].nunique()
    assert result.total_targets == frame["target"].nunique()
    assert not any(p.name.endswith(".tmp") for p in folder.iterdir())  # spill folder removed
    return {name: (folder / name).read_text("utf-8") for name in aggregates.FILES}


def _assert_same(parquet: Path, folder: Path) -> None:
    want, got = _reference(parquet), _streamed(parquet, folder)
    for name in aggregates.FILES:
        assert got[name] == want[name], name


def test_sample_web_crawl_gives_the_same_files(tmp_path: Path) -> None:
    _assert_same(SAMPLE, tmp_path / "out")


def _row(rnd: random.Random, n: int) -> dict[str, object]:
    domain = rnd.choice(["a.com", "b.org", "c.net", "bücher.de", "d.io"])
    page = f"https://www.{domain}/{rnd.randrange(6)}"
    # Case pairs Python and DuckDB lower differently (İ, Σ, ẞ), ties and empty anchors.
    anchor = rnd.choice(["Acme", "acme", "ACME", "İstanbul", "istanbul", "ΣΟΦΊΑ", "σοφία",
                         "STRAẞE", "straße", "", "click here", "Click Here", "ß", "ǅ"])  # fmt: skip
    image = rnd.random() < 0.15
    target = rnd.choice(["acme.com", "globex.co.uk"])
    return {
        "source_url": page, "source_host": f"www.{domain}", "source_domain": domain,
        "source_title": "", "source_status": 200,
        "target_url": f"https://{target}/{rnd.choice(['', 'p', 'P', 'é'])}",
        "href": "x", "target_host": target, "target_domain": target, "target": target,
        "anchor_text": "" if image else anchor, "link_type": "image" if image else "text",
        "image_alt": anchor if image else "", "rel": "", "nofollow": False, "ugc": False,
        "sponsored": False, "link_index": n, "depth": 0,
        "first_seen": f"2026-01-{rnd.randrange(1, 29):02d}", "last_seen": "2026-02-01",
        "placement": "content", "in_content": rnd.random() < 0.5, "xpath": "",
        "anchor_category": rnd.choice(CATEGORIES[:4]), "anchor_rule": "",
        "follow": rnd.random() < 0.6, "sitewide": rnd.random() < 0.1,
        "source_indexable": rnd.random() < 0.8,
        "source_lang": rnd.choice(["en", "en-GB", "EN_us", " de ", "", "fr-FR", "de-AT"]),
    }  # fmt: skip


def _write_table(path: Path, rows: list[dict[str, object]]) -> None:
    schema = arrow_schema(BacklinkItem)
    columns = {}
    for name in schema.names:
        kind = schema.field(name).type
        default = False if kind == pa.bool_() else 0 if kind == pa.int64() else ""
        columns[name] = [row.get(name, default) for row in rows]
    pq.write_table(pa.Table.from_pydict(columns, schema=schema), path, row_group_size=97)


@pytest.mark.parametrize("rows", [0, 1, 700])
def test_generated_table_with_ties_and_case_pairs(tmp_path: Path, rows: int) -> None:
    rnd = random.Random(rows)
    parquet = tmp_path / "backlinks.parquet"
    _write_table(parquet, [_row(rnd, n) for n in range(rows)])
    _assert_same(parquet, tmp_path / "out")


def test_all_nine_categories_even_without_links(tmp_path: Path) -> None:
    parquet = tmp_path / "backlinks.parquet"
    _write_table(parquet, [])
    folder = tmp_path / "out"
    folder.mkdir()
    aggregates.write_aggregates(parquet, folder)
    cats = pd.read_csv(folder / "anchor_categories.csv")
    assert list(cats["anchor_category"]) == list(CATEGORIES)
    assert cats["backlinks"].sum() == 0
    assert pd.read_csv(folder / "referring_domains.csv").empty


def _arrow_sitewide(parquet: Path, host_pages: dict[str, int], min_pages: int,
                    min_share: float) -> tuple[list[int], list[bool]]:  # fmt: skip
    """The previous in-memory Arrow implementation: group, then join every row back."""
    import pyarrow.compute as pc

    from linkspider.reports.sitewide import GROUP_KEYS

    links = pq.read_table(parquet, columns=[*GROUP_KEYS, "source_url"])
    groups = links.group_by(GROUP_KEYS).aggregate(
        [("source_url", "count"), ("source_url", "count_distinct")]
    )
    hosts = groups.column("source_host").to_pylist()
    pages = groups.column("source_url_count_distinct").to_pylist()
    flags = [n >= min_pages and n >= min_share * host_pages.get(h, 0)
             for h, n in zip(hosts, pages, strict=True)]  # fmt: skip
    table = pa.table({**{k: groups.column(k) for k in GROUP_KEYS},
                      "_links": groups.column("source_url_count").cast(pa.int64()),
                      "_sitewide": pa.array(flags, pa.bool_())})  # fmt: skip
    rows = links.append_column("_row", pa.array(range(links.num_rows), pa.int64()))
    joined = rows.join(table, keys=GROUP_KEYS, join_type="left outer").sort_by("_row")
    return (pc.fill_null(joined.column("_links"), 0).to_pylist(),
            pc.fill_null(joined.column("_sitewide"), False).to_pylist())  # fmt: skip


@pytest.mark.parametrize(("min_pages", "min_share"), [(3, 0.5), (2, 0.25), (1, 1.0)])
def test_sitewide_flags_match_the_in_memory_build(
    tmp_path: Path, min_pages: int, min_share: float
) -> None:
    from collections import Counter

    from linkspider.reports.options import SitewideRule
    from linkspider.reports.sitewide import row_flags

    rnd = random.Random(min_pages)
    rows = [_row(rnd, n) for n in range(900)]
    for n, row in enumerate(rows):  # footers repeated on most pages of a few hosts
        if n % 3 == 0:
            row.update(anchor_text="Acme", link_type="text", target_url="https://acme.com/")
        row["placement"] = rnd.choice(["footer", "content"])
    parquet = tmp_path / "backlinks.parquet"
    _write_table(parquet, rows)
    host_pages = Counter({f"www.{d}": rnd.randrange(2, 9)
                          for d in ["a.com", "b.org", "c.net", "bücher.de"]})  # fmt: skip
    links, flags = row_flags(parquet, host_pages, SitewideRule(min_pages, min_share), tmp_path)
    want_links, want_flags = _arrow_sitewide(parquet, host_pages, min_pages, min_share)
    assert links.tolist() == want_links
    assert flags.tolist() == want_flags
    assert 0 < sum(want_flags) < len(rows)
