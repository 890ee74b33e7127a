"""report.html: hostile strings from the web are text everywhere (no browser needed).

The page is parsed as a browser's tokenizer would split it (Python's HTMLParser): hostile
anchors, URLs, run.json fields, monitoring rows and the folder's own name must come out as
the text or attribute values they were, never as elements, attributes or script.
"""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

from linkspider.reports.html_table import SCRIPT, environment
from tests.support.report_folder import link, make_folder, page

HOSTILE = [
    "<script>window.__owned = 1</script>",
    '"><img src=x onerror="window.__owned = 2">',
    "' onmouseover='window.__owned = 3",
    "</textarea><textarea>",
    "</td></tr></table><h2>Injected</h2>",
    "</script><script>window.__owned = 4</script><!--",
    "a & b &amp; \"c\" 'd'",
]
FORBIDDEN_TAGS = {"img", "textarea", "iframe", "object", "embed", "form", "input", "button"}


class Page(HTMLParser):
    """Elements, attributes, text and script bodies of a page, as a tokenizer splits them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self.scripts: list[str] = []
        self._in: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "script":
            self.scripts.append(data)
        elif not (self._in and self._in[-1] == "style"):
            self.text.append(data)
            if self._in and self._in[-1] in ("h1", "h2", "h3"):
                self.headings.append(data)


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_hostile_strings_are_text_in_elements_and_attributes(tmp_path: Path) -> None:
    folder = tmp_path / "run\"<b>'&x"  # the folder's name is shown too
    pages, links = [], []
    for i, hostile in enumerate(HOSTILE):
        host = f"site{i}.com"
        pages.append(page(host, 0))
        links.append(link(host, 0, anchor=hostile, category="exact", path=f"/a?q=\"'<{i}>"))
    run = {"targets": "acme-boots.com<script>x()</script>", "started_at": HOSTILE[3],
           "status": HOSTILE[1], "command": ["scrapy", "crawl", "backlinks", "-a", HOSTILE[5]]}  # fmt: skip
    make_folder(folder, pages, links, run=run)
    write_csv(folder / "lost_links.csv", [
        {"source_url": f"https://old.com/{h}", "target_url": "https://acme-boots.com/",
         "anchor": h, "lost_reason": h, "lost_detail": h} for h in HOSTILE
    ])  # fmt: skip
    make_folder(folder, pages, links, run=run)  # the report again, with the lost links

    parsed = Page((folder / "report.html").read_text("utf-8"))

    assert parsed.scripts == [SCRIPT]  # the report's own, allowed by its hash; nothing else
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert not {t for t, _ in parsed.tags} & FORBIDDEN_TAGS
    for tag, attrs in parsed.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://", "http://")), href
    assert "Injected" not in parsed.headings
    for hostile in HOSTILE:  # each shown whole, as the text it is
        assert hostile in parsed.text, hostile
    assert any("acme-boots.com<script>x()</script>" in t for t in parsed.text)
    assert folder.name in parsed.text
    hrefs = {attrs["href"] for _, attrs in parsed.tags if attrs.get("href")}
    assert "https://acme-boots.com/a?q=\"'<0>" in hrefs  # one attribute value, intact
    assert f"https://old.com/{HOSTILE[1]}" in hrefs


def test_data_for_a_script_is_json_that_cannot_end_the_script() -> None:
    """Data handed to a script goes through the templates' ``tojson`` filter."""
    data = {"anchors": HOSTILE, "url": "https://x.com/?a=</script>&b='1'"}
    template = environment().from_string(
        '<script type="application/json" id="data">{{ data|tojson }}</script>'
    )
    parsed = Page(template.render(data=data))
    assert [t for t, _ in parsed.tags] == ["script"]
    (body,) = parsed.scripts
    assert "</" not in body and "<!--" not in body and "'" not in body
    assert json.loads(body) == data
