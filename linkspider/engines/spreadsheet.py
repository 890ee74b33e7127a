"""CSV cells that a spreadsheet opens as text, never as a formula (CSV injection).

Anchors, titles and context come from pages anyone can write: ``=HYPERLINK(...)``,
``+SUM(1,2)`` or ``=cmd|' /C calc'!A0`` in a CSV cell runs as a formula in Excel, LibreOffice
or Google Sheets. As OWASP recommends, every CSV export prefixes a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return with a single quote ``'``
(the spreadsheet shows the text, and the quote marks it). Numbers and booleans are not
text cells and stay as they are; Parquet and JSON Lines files keep the raw values.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from linkspider.engines.cells import FORMULA_STARTS, QUOTE, safe_cell
from linkspider.engines.headers import SPREADSHEET_FILES, SpreadsheetOptions, column_names, headers

if TYPE_CHECKING:
    import pandas as pd

_FIRST_BYTES = pa.array([start.encode() for start in FORMULA_STARTS], pa.binary())


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
    import pandas as pd  # the tables stage of the exports writes no frame: no pandas there

    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name].dtype):
            out[name] = out[name].map(safe_cell)
    return out


def raw_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A string column read from a CSV file with :func:`raw_text` applied to each value."""
    quoted = pc.fill_null(pc.match_substring_regex(values, _QUOTED_FORMULA), False)
    if not pc.any(quoted).as_py():
        return values
    return pc.if_else(quoted, pc.utf8_slice_codeunits(values, 1), values)


_QUOTED_FORMULA = "^'[=+\\-@\\t\\r]"


BOM = "\ufeff".encode()


def finish_spreadsheet_csvs(
    folder: Path, options: SpreadsheetOptions, names: Iterable[str] = SPREADSHEET_FILES
) -> list[str]:
    """Give the spreadsheet-facing CSV files of ``folder`` their BOM and header names.

    Idempotent: a file already finished (or finished with other options) is rewritten to
    ``options``, one that already matches is left alone. Returns the files rewritten.
    """
    done = []
    for name in names:
        path = folder / name
        if path.is_file() and finish_csv(path, name, options):
            done.append(name)
    return done


def finish_csv(path: Path, name: str, options: SpreadsheetOptions) -> bool:
    """Rewrite ``path``'s first line (and BOM) for ``options``; False if nothing changes.

    The rows are copied as bytes, through a temporary file: a cost of one sequential copy.
    """
    with path.open("rb") as source:
        first = source.readline()
        has_bom = first.startswith(BOM)
        line = first[len(BOM) :] if has_bom else first
        ending = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
        text = line[: len(line) - len(ending)].decode("utf-8")
        if not text:
            return False
        found = next(csv.reader([text]))
        names = headers(name, column_names(name, found), options.headers)
        if found == names and has_bom == options.csv_bom:
            return False
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(names)
        wanted = out.getvalue().encode() + (ending or b"\n")
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as target:
            target.write((BOM if options.csv_bom else b"") + wanted)
            shutil.copyfileobj(source, target, 1 << 20)
    tmp.replace(path)
    return True
