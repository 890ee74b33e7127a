"""Correctness: linkspider's ``backlinks.csv`` against the generator's known backlinks.

Every known backlink must be found, and nothing else: rows are matched as a multiset of
(source page, target URL). Matched rows are also checked attribute by attribute: the
nofollow / sponsored / ugc flags against the link's ``rel``, the anchor text (text links)
or the image's alt text (image links).
"""

from __future__ import annotations

import csv
import html
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.compare.web import WebFiles, known_backlinks

_ALT = re.compile(r'alt="([^"]*)"')


@dataclass
class Correctness:
    known: int = 0
    found: int = 0
    missing: int = 0
    extra: int = 0
    attribute_mismatches: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.extra == 0 and self.attribute_mismatches == 0

    def summary(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        return (
            f"{verdict}: {self.found:,} of {self.known:,} known backlinks found, "
            f"{self.missing:,} missing, {self.extra:,} extra, "
            f"{self.attribute_mismatches:,} with a wrong rel flag or anchor"
        )


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1")


def check(web: WebFiles, backlinks_csv: Path) -> Correctness:
    csv.field_size_limit(sys.maxsize)
    expected: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in known_backlinks(web):
        expected.setdefault((row["source_url"], row["target_url"]), []).append(row)
    result = Correctness(known=sum(len(v) for v in expected.values()))
    seen: Counter[tuple[str, str]] = Counter()
    # utf-8-sig: the run folder's CSV files may start with a BOM (Excel reads them right).
    with backlinks_csv.open(encoding="utf-8-sig", newline="") as rows:
        for row in csv.DictReader(rows):
            key = (row["source_url"], row["target_url"])
            seen[key] += 1
            wanted = expected.get(key, [])
            if seen[key] > len(wanted):
                result.extra += 1
                _example(result, f"extra: {key}")
                continue
            result.found += 1
            problem = _mismatch(wanted[seen[key] - 1], row)
            if problem:
                result.attribute_mismatches += 1
                _example(result, f"{problem}: {key}")
    for key, rows_ in expected.items():
        if seen[key] < len(rows_):
            result.missing += len(rows_) - seen[key]
            _example(result, f"missing: {key}")
    return result


def _mismatch(known: dict[str, str], row: dict[str, str]) -> str:
    rel = known["rel"].split()
    for flag in ("nofollow", "sponsored", "ugc"):
        if _flag(row[flag]) != (flag in rel):
            return f"{flag}={row[flag]} for rel={known['rel']!r}"
    if known["kind"] == "image":
        alt = _ALT.search(known["anchor"])
        if row["link_type"] != "image" or (alt and row["image_alt"] != html.unescape(alt[1])):
            return f"image link read as {row['link_type']!r} alt={row['image_alt']!r}"
    elif " ".join(row["anchor_text"].split()) != html.unescape(known["anchor"]):
        return f"anchor {row['anchor_text']!r} != {known['anchor']!r}"
    return ""


def _example(result: Correctness, text: str) -> None:
    if len(result.examples) < 5:
        result.examples.append(text)
