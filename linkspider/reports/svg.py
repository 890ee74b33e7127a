"""Server-side SVG charts for ``report.html``: bar, stacked bar and donut.

Each chart is one self-contained ``<svg>`` string: no script, no external font or file, a
``<title>``/``<desc>`` for screen readers, a ``<title>`` tooltip on every shape, and every
label escaped (anchors and domains come from the web). The charts scale with their
container (``viewBox``, width 100%) and keep working when printed.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness; values are always written next to the shapes as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import count

#: Okabe-Ito, in the order series get them.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#7F7F7F",  # grey
    "#000000",  # black
)
#: Fixed colours for the anchor categories: warm colours for keyword-rich anchors.
CATEGORY_COLOURS = {
    "compound": "#D55E00",
    "exact": "#E69F00",
    "partial": "#F0E442",
    "branded": "#0072B2",
    "url": "#56B4E9",
    "generic": "#009E73",
    "image": "#CC79A7",
    "empty": "#BBBBBB",
    "other": "#555555",
}
EMPTY_COLOUR = "#DDDDDD"
_ids = count(1)


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _open(width: int, height: int, title: str, desc: str, css_class: str) -> list[str]:
    ident = f"chart-{next(_ids)}"
    return [
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{ident}-t">{_text(title)}</title>',
        f'<desc id="{ident}-d">{_text(desc)}</desc>',
    ]


def _describe(items: Sequence[tuple[str, float]], unit: str) -> str:
    return "; ".join(f"{label}: {_number(value)} {unit}".strip() for label, value in items)


def _empty_chart(title: str, width: int = 480, height: int = 60) -> str:
    parts = _open(width, height, title, "No data.", "chart-empty")
    parts.append(
        f'<rect x="0" y="8" width="{width}" height="{height - 16}" rx="6" fill="none" '
        f'stroke="{EMPTY_COLOUR}" stroke-dasharray="6 4"/>'
        f'<text x="{width / 2}" y="{height / 2 + 5}" text-anchor="middle" class="muted">'
        "No data</text></svg>"
    )
    return "".join(parts)


WIDTH = 480  # viewBox width of bar charts: about a phone's width, so text stays legible
_ROW = 40  # a label line above a bar


def _bar_row(y: float, label: str, label_chars: int, tip: str) -> str:
    return (
        f'<text x="0" y="{y + 14}"><title>{_text(tip)}</title>'
        f"{_text(_short(label, label_chars))}</text>"
    )


def bar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    unit: str = "",
    colour: str = PALETTE[0],
    label_chars: int = 64,
) -> str:
    """Horizontal bars, one per ``(label, value)`` in the given order, labels above bars."""
    if not items or max(value for _, value in items) <= 0:
        return _empty_chart(title, WIDTH)
    height = _ROW * len(items) + 4
    scale = (WIDTH - 70) / max(value for _, value in items)
    parts = _open(WIDTH, height, title, _describe(items, unit), "chart-bar")
    for i, (label, value) in enumerate(items):
        y = i * _ROW
        bar = max(value * scale, 2.0 if value > 0 else 0.0)
        tip = f"{label}: {_number(value)} {unit}".strip()
        parts.append(
            f"<g>{_bar_row(y, label, label_chars, tip)}"
            f'<rect x="0" y="{y + 20}" width="{bar:.1f}" height="14" rx="3" fill="{colour}">'
            f"<title>{_text(tip)}</title></rect>"
            f'<text x="{bar + 6:.1f}" y="{y + 32}" class="value">{_number(value)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[tuple[str, str]], y: int, x0: int = 0) -> list[str]:
    parts, x = [], x0
    for name, colour in series:
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" rx="2" fill="{colour}"/>'
            f'<text x="{x + 17}" y="{y + 11}">{_text(name)}</text>'
        )
        x += 30 + 8 * len(name)
    return parts


def stacked_bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    unit: str = "",
    colours: Sequence[str] = PALETTE,
    label_chars: int = 64,
) -> str:
    """Horizontal stacked bars: one bar per label, one segment per series; a legend on top."""
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    if not labels or max(totals) <= 0:
        return _empty_chart(title, WIDTH)
    legend_h = 24
    height = legend_h + _ROW * len(labels) + 4
    scale = (WIDTH - 70) / max(totals)
    desc = "; ".join(
        f"{label}: "
        + ", ".join(f"{name} {_number(values[i])}" for name, values in series)
        + f" {unit}".rstrip()
        for i, label in enumerate(labels)
    )
    parts = _open(WIDTH, height, title, desc, "chart-stacked")
    named = [(name, colours[i % len(colours)]) for i, (name, _) in enumerate(series)]
    parts.extend(_legend(named, 2))
    for i, label in enumerate(labels):
        y = legend_h + i * _ROW
        parts.append(_bar_row(y, label, label_chars, label))
        x = 0.0
        for (name, values), (_, colour) in zip(series, named, strict=True):
            value = values[i]
            if value <= 0:
                continue
            w = max(value * scale, 2.0)
            tip = _text(f"{label}, {name}: {_number(value)} {unit}".strip())
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 20}" width="{w:.1f}" height="14" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + 32}" class="value">{_number(totals[i])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def donut_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    unit: str = "",
    colours: Sequence[str] | dict[str, str] = PALETTE,
    centre_label: str = "",
) -> str:
    """A donut with a legend (label, value, share); zero items are listed, not drawn."""
    total = sum(value for _, value in items)
    if not items or total <= 0:
        return _empty_chart(title, 360, 60)
    size, radius, stroke = 160, 56, 26
    cx = cy = size / 2
    legend_row = 21
    height = max(size, legend_row * len(items) + 12)
    width = size + 220

    def colour_of(i: int, label: str) -> str:
        if isinstance(colours, dict):
            return colours.get(label, PALETTE[i % len(PALETTE)])
        return colours[i % len(colours)]

    parts = _open(width, height, title, _describe(items, unit), "chart-donut")
    parts.append(
        f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" stroke="{EMPTY_COLOUR}" '
        f'stroke-width="{stroke}"/>'
    )
    offset = 0.0
    for i, (label, value) in enumerate(items):
        if value <= 0:
            continue
        share = 100.0 * value / total
        tip = _text(f"{label}: {_number(value)} {unit} ({share:.1f}%)".replace("  ", " "))
        # pathLength=100 lets the dash pattern be written in percent of the circle.
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="none" '
            f'stroke="{colour_of(i, label)}" stroke-width="{stroke}" pathLength="100" '
            f'stroke-dasharray="{share:.3f} {100 - share:.3f}" '
            f'stroke-dashoffset="{-offset:.3f}" transform="rotate(-90 {cx} {cy})">'
            f"<title>{tip}</title></circle>"
        )
        offset += share
    parts.append(
        f'<text x="{cx}" y="{cy + 2}" text-anchor="middle" class="donut-total">'
        f"{_number(total)}</text>"
        f'<text x="{cx}" y="{cy + 20}" text-anchor="middle" class="muted">'
        f"{_text(centre_label or unit)}</text>"
    )
    for i, (label, value) in enumerate(items):
        y = 8 + i * legend_row
        share = 100.0 * value / total
        parts.append(
            f'<rect x="{size + 14}" y="{y}" width="12" height="12" rx="2" '
            f'fill="{colour_of(i, label) if value > 0 else EMPTY_COLOUR}"/>'
            f'<text x="{size + 32}" y="{y + 11}">{_text(_short(label, 16))}</text>'
            f'<text x="{width - 8}" y="{y + 11}" text-anchor="end">{_number(value)} '
            f'<tspan class="muted">{share:.0f}%</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- charts over time (one point or column per run) -------------------------------------

_PLOT_TOP = 30  # room for the legend
_PLOT_BOTTOM = 22  # room for the x labels
_PLOT_LEFT = 44  # room for the y labels


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float, most: int = 5) -> list[str]:
    """Some of the x labels (first, last, evenly between), never overlapping."""
    n = len(labels)
    step = max(1, -(-n // most))
    picked = sorted({*range(0, n, step), n - 1})
    if len(picked) > 1 and picked[-1] - picked[-2] < step:
        picked.pop(-2)  # the last label wins over its too-close neighbour
    parts = []
    for i in picked:
        anchor = "start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle")
        parts.append(
            f'<text x="{xs[i]:.1f}" y="{y}" text-anchor="{anchor}" class="muted">'
            f"{_text(_short(labels[i], 12))}</text>"
        )
    return parts


def _y_axis(top: float, bottom: float, low: float, high: float, width: int) -> list[str]:
    """Grid lines and labels at ``low``, 0 (if between) and ``high``."""
    parts = []
    marks = sorted({low, 0.0, high}) if low < 0 < high else sorted({low, high})
    for value in marks:
        y = bottom - (value - low) / (high - low) * (bottom - top) if high > low else bottom
        parts.append(
            f'<line x1="{_PLOT_LEFT}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{EMPTY_COLOUR if value else "#999999"}" stroke-width="1"/>'
            f'<text x="{_PLOT_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="muted">'
            f"{_number(abs(value))}</text>"
        )
    return parts


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    unit: str = "",
    colours: Sequence[str] = PALETTE,
) -> str:
    """One line per series over ``labels`` (runs, oldest first); ``None`` is a gap (not
    known for that run), never drawn as 0. Every point has a tooltip; the last value is
    written at the end of its line."""
    known = [v for _, values in series for v in values if v is not None]
    if not labels or not known:
        return _empty_chart(title, WIDTH)
    height = 200
    top, bottom = float(_PLOT_TOP), float(height - _PLOT_BOTTOM)
    right = WIDTH - 40
    high = max(max(known), 1.0)
    n = len(labels)
    xs = [_PLOT_LEFT + 8 + (right - _PLOT_LEFT - 8) * (i / (n - 1) if n > 1 else 0.5)
          for i in range(n)]  # fmt: skip

    def y_of(value: float) -> float:
        return bottom - value / high * (bottom - top)

    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{labels[i]} {'n/a' if v is None else _number(v)}" for i, v in
                    enumerate(values))
        for name, values in series
    )  # fmt: skip
    parts = _open(WIDTH, height, title, desc, "chart-line")
    named = [(name, colours[i % len(colours)]) for i, (name, _) in enumerate(series)]
    parts.extend(_legend(named, 2))
    parts.extend(_y_axis(top, bottom, 0.0, high, right))
    for (name, values), (_, colour) in zip(series, named, strict=True):
        run: list[str] = []
        runs: list[list[str]] = []
        for i, value in enumerate(values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{xs[i]:.1f},{y_of(value):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    'stroke-width="2.5" stroke-linejoin="round"/>'
                )
        for i, value in enumerate(values):
            if value is None:
                continue
            tip = _text(f"{labels[i]}, {name}: {_number(value)} {unit}".strip())
            parts.append(
                f'<circle cx="{xs[i]:.1f}" cy="{y_of(value):.1f}" r="3.5" fill="{colour}">'
                f"<title>{tip}</title></circle>"
            )
        last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None))
        parts.append(
            f'<text x="{xs[last[0]] + 6:.1f}" y="{y_of(last[1]) + 4:.1f}" class="value">'
            f"{_number(last[1])}</text>"
        )
    parts.extend(_x_labels(labels, xs, height - 4))
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    labels: Sequence[str],
    up: Sequence[tuple[str, Sequence[float]]],
    title: str,
    unit: str = "",
    down: Sequence[tuple[str, Sequence[float]]] = (),
    colours: Sequence[str] = PALETTE,
) -> str:
    """Vertical columns per label (runs, oldest first): the ``up`` series stacked above the
    zero line, the ``down`` series stacked below it (new links up, lost links down)."""
    n = len(labels)
    ups = [sum(values[i] for _, values in up) for i in range(n)]
    downs = [sum(values[i] for _, values in down) for i in range(n)]
    if not n or max([*ups, *downs, 0]) <= 0:
        return _empty_chart(title, WIDTH)
    height = 220
    top, bottom = float(_PLOT_TOP), float(height - _PLOT_BOTTOM)
    high, low = max(ups, default=0.0), -max(downs, default=0.0)
    span = (high - low) or 1.0
    zero = top + high / span * (bottom - top)
    slot = (WIDTH - _PLOT_LEFT - 4) / n
    width = max(min(slot * 0.7, 36.0), 1.0)
    named = [(name, colours[i % len(colours)]) for i, (name, _) in enumerate([*up, *down])]
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{name} {_number(values[i])}" for name, values in [*up, *down])
        for i, label in enumerate(labels)
    )
    parts = _open(WIDTH, height, title, desc + f" {unit}".rstrip(), "chart-columns")
    parts.extend(_legend(named, 2))
    parts.extend(_y_axis(top, bottom, low, high, WIDTH))
    xs = [_PLOT_LEFT + 2 + slot * (i + 0.5) for i in range(n)]
    colour_of = dict(named)
    for i, label in enumerate(labels):
        for group, sign in ((up, -1), (down, 1)):
            y = zero
            for name, values in group:
                value = values[i]
                if value <= 0:
                    continue
                h = max(value / span * (bottom - top), 1.5)
                y0 = y - h if sign < 0 else y
                tip = _text(f"{label}, {name}: {_number(value)} {unit}".strip())
                parts.append(
                    f'<rect x="{xs[i] - width / 2:.1f}" y="{y0:.1f}" width="{width:.1f}" '
                    f'height="{h:.1f}" fill="{colour_of[name]}"><title>{tip}</title></rect>'
                )
                y = y0 if sign < 0 else y + h
    parts.extend(_x_labels(labels, xs, height - 4))
    parts.append("</svg>")
    return "".join(parts)
