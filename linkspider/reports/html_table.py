"""Tables and the template environment of ``report.html``.

The report's markup lives in Jinja2 templates (``linkspider/reports/templates``), rendered
with autoescape on and undefined names an error: every value from the web (anchors, titles,
URLs, run.json fields) is escaped by the template engine, in text and in attributes alike,
and a template that names a missing value fails instead of printing nothing. Python code
here and in the ``report_*`` modules computes what to show (view models: :class:`TableView`,
:class:`Cell`, numbers already formatted as text); templates only lay it out. The SVG charts
of :mod:`linkspider.reports.svg` are the one markup made in Python (they escape their own
labels) and enter templates through :func:`chart`.

Tables are plain, complete HTML tables. One small inline script (:data:`SCRIPT`, allowed by
its hash in the report's Content-Security-Policy, nothing else may run) makes them
sortable (click a column header; numbers sort largest first, text A to Z; click again to
reverse) and filterable (a search box above tables of more than :data:`FILTER_MIN` rows
keeps the rows holding every typed word), and shows a "scroll sideways" hint above a table
wider than its box. Without script the tables are all there, unsorted and unfiltered, and
the hint shows on narrow screens for tables of many columns. The script fetches nothing.
Data given to a script would go through the templates' ``tojson`` filter, which escapes
``<``, ``>``, ``&`` and ``'`` so that no string can end the ``<script>`` element.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

Row = dict[str, Any]
CellKind = Literal["text", "url", "anchor"]
#: Tables with more rows than this get a filter box.
FILTER_MIN = 5
#: Tables with at least this many columns show the scroll hint on phones without script.
MANY_COLUMNS = 5


@dataclass(frozen=True)
class Cell:
    """One table cell's content: ``text`` shown as text; a ``url`` cell links to it (http(s)
    only), an ``anchor`` cell is quoted (an empty one says "(none)")."""

    text: str
    kind: CellKind = "text"


def text(value: object) -> str:
    return "" if value is None else str(value)


def as_int(value: object) -> int:
    try:
        return int(float(str(value)))
    except ValueError:
        return 0


def fmt_num(value: object) -> str:
    return f"{as_int(value):,}"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def share(value: object) -> str:
    try:
        return f"{100 * float(str(value)):.1f}%"
    except ValueError:
        return text(value)


def yes_no(value: object) -> str:
    return "yes" if str(value).strip().lower() in ("true", "1", "yes") else "no"


def url_cell(value: object) -> Cell:
    shown = text(value)
    return Cell(shown, "url" if shown.lower().startswith(("http://", "https://")) else "text")


def anchor_cell(value: object) -> Cell:
    return Cell(text(value), "anchor")


Render = Callable[[object], "str | Cell"]


@dataclass
class Column:
    key: str
    label: str
    render: Render = text
    numeric: bool = False
    wide: bool = False

    @property
    def classes(self) -> str:
        return " ".join(k for k, on in (("num", self.numeric), ("wide", self.wide)) if on)


def num(key: str, label: str) -> Column:
    return Column(key, label, fmt_num, numeric=True)


def _sort_value(value: object) -> str:
    """A numeric cell's value for sorting (its text shows 1,234 or 45%)."""
    try:
        return repr(float(str(value).replace(",", "").strip().rstrip("%")))
    except ValueError:
        return ""


@dataclass(frozen=True)
class TableCell:
    content: Cell
    classes: str
    sort: str | None  # data-v of a numeric cell


@dataclass
class TableView:
    columns: Sequence[Column]
    rows: list[list[TableCell]] = field(default_factory=list)
    caption: str = ""

    @property
    def many(self) -> bool:
        return len(self.columns) >= MANY_COLUMNS


def table_view(columns: Sequence[Column], rows: Iterable[Row], caption: str = "") -> TableView:
    """The cells of a table, formatted, in column order."""
    view = TableView(columns, caption=caption)
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c.key, "")
            shown = c.render(value)
            content = shown if isinstance(shown, Cell) else Cell(shown)
            cells.append(TableCell(content, c.classes, _sort_value(value) if c.numeric else None))
        view.rows.append(cells)
    return view


@cache
def environment() -> Environment:
    """The report's templates: autoescaped, an undefined name is an error."""
    env = Environment(
        loader=PackageLoader("linkspider.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["blocks"] = env.get_template("blocks.html.j2").module
    return env


def render(template: str, **data: Any) -> Markup:
    """A template (or fragment) rendered with ``data``, as markup to place in another."""
    return Markup(environment().get_template(template).render(**data))


def _block(name: str, *args: Any) -> Markup:
    macro = getattr(environment().globals["blocks"], name)
    return Markup(macro(*args))


def chart(svg_markup: str) -> Markup:
    """An SVG chart from :mod:`linkspider.reports.svg` (which escapes its own text)."""
    return Markup(svg_markup)


def table(columns: Sequence[Column], rows: Iterable[Row], caption: str = "") -> Markup:
    return _block("table", table_view(columns, rows, caption))


def figure(svg_markup: str, caption: str) -> Markup:
    return _block("figure", chart(svg_markup), caption)


def details(summary: str, body: Markup, is_open: bool = False) -> Markup:
    """A collapsed block (``<details>``): the page stays short, the rows stay in it."""
    return _block("details", summary, body, is_open)


SCRIPT = """(function () {
"use strict";
var doc = document;
doc.documentElement.classList.add("js");
function value(row, i, numeric) {
  var cell = row.cells[i];
  var raw = cell ? cell.getAttribute("data-v") : "";
  if (raw === null) { raw = cell.textContent.trim(); }
  if (!numeric) { return raw.toLowerCase(); }
  var n = parseFloat(raw);
  return isNaN(n) ? -Infinity : n;
}
function sortBy(table, th, i) {
  var numeric = th.classList.contains("num");
  var now = th.getAttribute("aria-sort");
  var dir = now === "descending" ? "ascending" : now === "ascending" ? "descending" :
    numeric ? "descending" : "ascending";
  table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
  th.setAttribute("aria-sort", dir);
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var sign = dir === "ascending" ? 1 : -1;
  rows.sort(function (a, b) {
    var x = value(a, i, numeric), y = value(b, i, numeric);
    if (x < y) { return -sign; }
    if (x > y) { return sign; }
    return a.getAttribute("data-i") - b.getAttribute("data-i");
  });
  rows.forEach(function (r) { body.appendChild(r); });
}
function filter(table, input, count) {
  var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
  var rows = table.tBodies[0].rows, shown = 0;
  for (var k = 0; k < rows.length; k++) {
    var text = rows[k].textContent.toLowerCase();
    var keep = terms.every(function (t) { return text.indexOf(t) >= 0; });
    rows[k].hidden = !keep;
    if (keep) { shown++; }
  }
  count.textContent = terms.length ? shown + " of " + rows.length + " rows" : "";
}
var hints = [];
function showHints() {
  hints.forEach(function (h) {
    h[1].classList.toggle("on", h[0].scrollWidth > h[0].clientWidth + 1);
  });
}
doc.querySelectorAll("table.data").forEach(function (table) {
  var wrap = table.parentNode, box = wrap.parentNode, rows = table.tBodies[0].rows;
  for (var k = 0; k < rows.length; k++) { rows[k].setAttribute("data-i", k); }
  table.querySelectorAll("thead th").forEach(function (th, i) {
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.title = "Sort by this column";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(table, th, i); });
  });
  if (rows.length > FILTER_MIN) {
    var bar = doc.createElement("div"), input = doc.createElement("input");
    var count = doc.createElement("span");
    bar.className = "table-filter";
    input.type = "search";
    input.placeholder = "Filter " + rows.length + " rows";
    input.setAttribute("aria-label", "Filter the rows of this table");
    count.className = "muted";
    count.setAttribute("aria-live", "polite");
    bar.appendChild(input);
    bar.appendChild(count);
    box.insertBefore(bar, wrap);
    input.addEventListener("input", function () { filter(table, input, count); });
  }
  var hint = box.querySelector(".scroll-hint");
  if (hint) { hints.push([wrap, hint]); }
});
showHints();
window.addEventListener("resize", showHints);
doc.addEventListener("toggle", showHints, true);
window.addEventListener("beforeprint", function () {
  doc.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
})();""".replace("FILTER_MIN", str(FILTER_MIN))
#: The CSP source that lets :data:`SCRIPT`, and only it, run.
SCRIPT_SOURCE = (
    "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode() + "'"
)

TABLE_CSS = """
.table-box{margin:0 0 12px}
.table-box .table-wrap{margin:0}
.scroll-hint{display:none;margin:0 0 4px;font-size:12px;color:var(--muted)}
@media (max-width:640px){.scroll-hint.many{display:block}}
.js .scroll-hint.many{display:none}
.js .scroll-hint.on{display:block}
.table-filter{display:flex;gap:10px;align-items:center;margin:0 0 6px;flex-wrap:wrap}
.table-filter input{font:inherit;font-size:14px;padding:5px 9px;border:1px solid var(--line);
border-radius:8px;min-width:0;width:min(100%,280px)}
th button.sort{all:unset;cursor:pointer;display:inline-flex;gap:4px;align-items:center}
th button.sort:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
th button.sort::after{content:"\\2195";opacity:.35;font-size:11px}
th[aria-sort=ascending] button.sort::after{content:"\\25B2";opacity:1}
th[aria-sort=descending] button.sort::after{content:"\\25BC";opacity:1}
details.more{margin:4px 0 12px;border:1px solid var(--line);border-radius:10px;padding:0 12px}
details.more>summary{cursor:pointer;padding:9px 0;font-weight:600;color:var(--accent)}
details.more[open]>summary{margin-bottom:6px}
@media (max-width:640px){thead th{white-space:normal;letter-spacing:0}th,td{padding:6px}
th button.sort::after{display:none}th[aria-sort] button.sort::after{display:inline}}
@media print{.table-filter,.scroll-hint{display:none!important}
details.more>summary{color:inherit}}
"""
