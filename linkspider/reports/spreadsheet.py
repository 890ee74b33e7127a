"""CSV cells that a spreadsheet opens as text, never as a formula (CSV injection).

Anchors, titles and context come from pages anyone can write: ``=HYPERLINK(...)``,
``+SUM(1,2)`` or ``=cmd|' /C calc'!A0`` in a CSV cell runs as a formula in Excel, LibreOffice
or Google Sheets. As OWASP recommends, every CSV export prefixes a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return with a single quote ``'``
(the spreadsheet shows the text, and the quote marks it). Numbers and booleans are not
text cells and stay as they are; Parquet and JSON Lines files keep the raw values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: First characters that make a spreadsheet read a cell as a formula (OWASP list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FIRST_BYTES = pa.array([start.encode() for start in FORMULA_STARTS], pa.binary())
QUOTE = "'"


def safe_text(value: str) -> str:
    """``value``, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def safe_cell(value: Any) -> Any:
    """:func:`safe_text` for text; any other value as it is."""
    return safe_text(value) if isinstance(value, str) else value


def safe_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A string column with :func:`safe_text` applied to each value (nulls stay null)."""
    # The first byte, compared as binary: a few times faster than a regular expression.
    first = pc.binary_slice(values.cast(pa.binary()), 0, 1)
    starts = pc.fill_null(pc.is_in(first, value_set=_FIRST_BYTES), False)
    if not pc.any(starts).as_py():
        return values
    return pc.if_else(starts, pc.binary_join_element_wise(QUOTE, values, ""), values)


def safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every string column made safe for a CSV file."""
    for index, column in enumerate(table.schema):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            table = table.set_column(index, column, safe_array(table.column(index)))
    return table


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to the CSV file ``path`` (through a temporary file), text made safe.

    Lines end in CRLF (RFC 4180): Python's CSV writer then quotes a cell holding a bare CR,
    which would otherwise end the row for every CSV reader.
    """
    tmp = path.with_name(path.name + ".tmp")
    safe_frame(frame).to_csv(tmp, index=False, lineterminator="\r\n")
    tmp.replace(path)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are made safe for a CSV file."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name].dtype):
            out[name] = out[name].map(safe_cell)
    return out
