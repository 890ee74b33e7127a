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
from importlib.resources import files
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


def chart(svg_markup: str) -> Markup:
    """An SVG chart from :mod:`linkspider.reports.svg` (which escapes its own text)."""
    return Markup(svg_markup)


def asset(name: str) -> str:
    """A file shipped next to the templates (CSS, the script), as it is: not a template."""
    return (files("linkspider.reports") / "templates" / name).read_text("utf-8")


#: The tables' script (``templates/tables.js``), the one script of the page.
SCRIPT = asset("tables.js").rstrip("\n").replace("FILTER_MIN", str(FILTER_MIN))
#: The CSP source that lets :data:`SCRIPT`, and only it, run.
SCRIPT_SOURCE = (
    "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode() + "'"
)

#: The tables' styles (``templates/tables.css``).
TABLE_CSS = asset("tables.css")
