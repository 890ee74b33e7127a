"""``backlinks.xlsx``: the run's tables in one workbook, ready for a spreadsheet.

Sheets: backlinks (from ``backlinks.parquet``), referring domains, anchors, target pages,
and new links and lost links when the run has a history. Each sheet has a frozen bold
header, an autofilter, typed cells (numbers, booleans, dates as dates in UTC, text as
text: a cell never becomes a formula) and hyperlinks on URL columns.

Bounded memory: rows are written one at a time with xlsxwriter's ``constant_memory``
mode (each row goes to a temporary file as soon as it is complete). Excel's limits are
kept and said: a sheet holds at most 1,048,575 rows under its header, the rest go to
``backlinks (2)``, ``backlinks (3)``...; a sheet holds at most 65,530 hyperlinks, the URLs
after them are plain text.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from linkspider.engines.headers import HeaderStyle, column_names, headers
from linkspider.engines.spreadsheet import raw_array
from linkspider.output import XLSX_SCRATCH

XLSX_NAME = "backlinks.xlsx"
#: Data rows under the header of one sheet (Excel: 1,048,576 rows).
MAX_ROWS = 1_048_575
#: Hyperlinks per sheet (Excel: 65,530) and the longest URL a hyperlink may hold.
MAX_LINKS = 65_530
MAX_URL = 2_079
#: Excel's longest cell text.
MAX_TEXT = 32_767
#: (sheet name, CSV file) after the backlinks sheet, when the file exists.
CSV_SHEETS = (
    ("referring domains", "referring_domains.csv"),
    ("anchors", "anchors.csv"),
    ("target pages", "target_pages.csv"),
    ("new links", "new_links.csv"),
    ("lost links", "lost_links.csv"),
)
_BATCH = 50_000
_PY_ROWS = 2_000
_WIDTH_SAMPLE = 500

#: How a column's text is written, decided over all its values (blanks do not count).
_KINDS = (
    ("bool", r"^(true|false|True|False)$"),
    ("int", r"^-?[0-9]{1,15}$"),
    ("float", r"^-?[0-9]{1,15}(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?$"),
    ("date", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
             r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"),
)  # fmt: skip
_DATE_NAME = re.compile(r"(_seen|_at|_since)$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class SheetResult:
    name: str
    rows: int = 0
    sheets: int = 1
    links: int = 0
    plain_urls: int = 0  # URLs past the hyperlink limit, written as text


@dataclass
class XlsxSummary:
    path: Path
    sheets: list[SheetResult] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What Excel's limits changed, for the log."""
        found = []
        for sheet in self.sheets:
            if sheet.sheets > 1:
                found.append(f"{sheet.name}: {sheet.rows} rows in {sheet.sheets} sheets")
            if sheet.plain_urls:
                found.append(f"{sheet.name}: {sheet.plain_urls} URLs past {MAX_LINKS} as text")
        return found


def write_xlsx(folder: Path, style: HeaderStyle = "linkspider") -> XlsxSummary:
    """Write ``folder/backlinks.xlsx`` (through a temporary file) from the run's tables."""
    path = folder / XLSX_NAME
    tmp = folder / (XLSX_NAME + ".tmp")
    summary = XlsxSummary(path)
    # xlsxwriter's row files, in a folder of their own: removed at the end, and by the next
    # export (``remove_tmp_files``) if this process is killed first
    scratch = Path(tempfile.mkdtemp(prefix=XLSX_SCRATCH, suffix=".tmp", dir=folder))
    workbook = xlsxwriter.Workbook(
        str(tmp),
        {
            "constant_memory": True,
            "tmpdir": str(scratch),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        formats = _Formats(workbook)
        parquet = folder / "backlinks.parquet"
        if parquet.exists():
            source: _Source = _ParquetSource(parquet)
            summary.sheets.append(_write_sheets(workbook, formats, "backlinks", "backlinks.csv",
                                                source, style))  # fmt: skip
        for sheet, file in CSV_SHEETS:
            csv_path = folder / file
            if csv_path.is_file() and csv_path.stat().st_size:
                source = _CsvSource(csv_path, file)
                summary.sheets.append(_write_sheets(workbook, formats, sheet, file, source, style))
    finally:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # xlsxwriter's notes on Excel's limits are ours
                workbook.close()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    tmp.replace(path)
    return summary


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.header = workbook.add_format({"bold": True, "bottom": 1})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.url = workbook.add_format({"font_color": "blue", "underline": 1})


class _Source(ABC):
    """A table as Arrow batches, and the kind of each column."""

    columns: list[str]
    kinds: dict[str, str]

    @abstractmethod
    def batches(self) -> Iterator[pa.RecordBatch]:
        """The table's rows, batch by batch."""


class _ParquetSource(_Source):
    def __init__(self, path: Path) -> None:
        self.path = path
        schema = pq.ParquetFile(path).schema_arrow
        self.columns = list(schema.names)
        self.kinds = {}
        text_dates = []
        for column in schema:
            if pa.types.is_boolean(column.type):
                self.kinds[column.name] = "bool"
            elif pa.types.is_integer(column.type):
                self.kinds[column.name] = "int"
            elif pa.types.is_floating(column.type):
                self.kinds[column.name] = "float"
            elif _DATE_NAME.search(column.name):
                text_dates.append(column.name)
                self.kinds[column.name] = "text"
            else:
                self.kinds[column.name] = "text"
        if text_dates:
            found = _detect(self._iter(text_dates), text_dates)
            self.kinds.update({name: found[name] for name in text_dates})

    def _iter(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        reader = pq.ParquetFile(self.path)
        yield from reader.iter_batches(batch_size=_BATCH, columns=columns)

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self._iter()


class _CsvSource(_Source):
    """A CSV file written by linkspider: any header style, with or without a BOM; the
    neutralising quote of formula-like text is removed (xlsx cells are never formulas)."""

    def __init__(self, path: Path, file: str) -> None:
        self.path = path
        self.file = file
        self.columns = column_names(file, self._open().schema.names)
        self.kinds = _detect(self.batches(), self.columns)

    def _open(self) -> pa_csv.CSVStreamingReader:
        return pa_csv.open_csv(
            str(self.path),
            read_options=pa_csv.ReadOptions(block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={}, strings_can_be_null=False, auto_dict_encode=False
            ),
        )

    def _reader(self) -> Iterator[pa.RecordBatch]:
        reader = self._open()
        text = pa.schema([(name, pa.string()) for name in self.columns])
        for batch in reader:
            columns = [batch.column(i).cast(pa.string()) for i in range(batch.num_columns)]
            yield pa.RecordBatch.from_arrays([raw_array(c) for c in columns], schema=text)

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self._reader()


def _detect(batches: Iterator[pa.RecordBatch], columns: Sequence[str]) -> dict[str, str]:
    """The first kind of :data:`_KINDS` that every non-blank value of a column has."""
    possible = {name: [kind for kind, _ in _KINDS] for name in columns}
    seen = dict.fromkeys(columns, False)
    patterns = dict(_KINDS)
    for batch in batches:
        for name in columns:
            values = batch.column(name)
            if not pa.types.is_string(values.type):
                values = values.cast(pa.string())
            values = values.filter(pc.fill_null(pc.not_equal(values, ""), False))
            if not len(values):
                continue
            seen[name] = True
            possible[name] = [
                kind for kind in possible[name]
                if pc.all(pc.match_substring_regex(values, patterns[kind])).as_py()
            ]  # fmt: skip
    return {name: (possible[name][0] if seen[name] and possible[name] else "text")
            for name in columns}  # fmt: skip


Writer = Callable[[Worksheet, int, int, Any], None]


def _write_sheets(
    workbook: xlsxwriter.Workbook,
    formats: _Formats,
    name: str,
    file: str,
    source: _Source,
    style: HeaderStyle,
) -> SheetResult:
    """Write ``source`` into sheet ``name`` (and ``name (2)``... past :data:`MAX_ROWS`)."""
    result = SheetResult(name)
    titles = headers(file, source.columns, style)
    state = _SheetState(workbook, formats, name, titles, source, result)
    writers = [state.writer(column) for column in source.columns]
    for batch in source.batches():
        for start in range(0, batch.num_rows, _PY_ROWS):
            _write_rows(state, writers, batch.slice(start, _PY_ROWS))
    state.close_sheet()
    result.sheets = state.number
    return result


def _write_rows(state: _SheetState, writers: list[Writer], batch: pa.RecordBatch) -> None:
    """Rows of ``batch``, as Python values a few thousand rows at a time (40 columns of
    50,000 rows as Python objects would hold some 200 MB)."""
    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
    # xlsxwriter's notes on Excel's limits are ours (the writers check them): silenced
    # once a batch, not once a cell (catch_warnings resets the warning registries).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for values in zip(*columns, strict=True):
            sheet, row = state.next_row()
            for index, value in enumerate(values):
                if value is not None and value != "":
                    writers[index](sheet, row, index, value)
            state.sample(values)


class _SheetState:
    """The sheet being written: its row, its hyperlink count, the widths it will get."""

    def __init__(
        self,
        workbook: xlsxwriter.Workbook,
        formats: _Formats,
        name: str,
        titles: list[str],
        source: _Source,
        result: SheetResult,
    ) -> None:
        self.workbook = workbook
        self.formats = formats
        self.name = name
        self.titles = titles
        self.source = source
        self.result = result
        self.number = 0
        self.row = MAX_ROWS
        self.links = 0
        self.sheet: Worksheet | None = None
        self.widths = [min(max(len(title) + 3, 8), 60) for title in titles]
        self.sampled = 0
        self.open_sheet()

    def open_sheet(self) -> None:
        self.close_sheet()
        self.number += 1
        title = self.name if self.number == 1 else f"{self.name} ({self.number})"
        sheet = self.workbook.add_worksheet(title[:31])
        sheet.freeze_panes(1, 0)
        for index, text in enumerate(self.titles):
            sheet.write_string(0, index, text, self.formats.header)
        self.sheet, self.row, self.links = sheet, 0, 0

    def close_sheet(self) -> None:
        if self.sheet is None:
            return
        last_col = max(len(self.titles) - 1, 0)
        self.sheet.autofilter(0, 0, max(self.row, 1), last_col)
        for index, kind in enumerate(self.source.kinds[c] for c in self.source.columns):
            width = 20 if kind == "date" else self.widths[index]
            self.sheet.set_column(index, index, width)
        self.sheet = None

    def next_row(self) -> tuple[Worksheet, int]:
        if self.row >= MAX_ROWS:
            self.open_sheet()
        self.row += 1
        self.result.rows += 1
        assert self.sheet is not None
        return self.sheet, self.row

    def sample(self, values: Sequence[Any]) -> None:
        """Column widths from the first rows: header or text length, capped."""
        if self.sampled >= _WIDTH_SAMPLE:
            return
        self.sampled += 1
        for index, value in enumerate(values):
            if isinstance(value, str):
                self.widths[index] = min(max(self.widths[index], len(value) + 2), 60)

    def writer(self, column: str) -> Writer:
        kind = self.source.kinds[column]
        date = self.formats.date
        if kind == "bool":
            return lambda s, r, c, v: s.write_boolean(r, c, _boolean(v))
        if kind in ("int", "float"):
            return _number
        if kind == "date":
            return lambda s, r, c, v: s.write_datetime(r, c, _datetime(v), date)
        if column == "url" or column.endswith("_url"):
            return self._url
        return lambda s, r, c, v: s.write_string(r, c, _text(v))

    def _url(self, sheet: Worksheet, row: int, col: int, value: Any) -> None:
        text = _text(value)
        linkable = text.startswith(("http://", "https://")) and len(text) <= MAX_URL
        if linkable and self.links < MAX_LINKS:
            written = sheet.write_url(row, col, text, self.formats.url, text)
            if written == 0:
                self.links += 1
                self.result.links += 1
                return
        elif linkable:
            self.result.plain_urls += 1
        sheet.write_string(row, col, text)


def _number(sheet: Worksheet, row: int, col: int, value: Any) -> None:
    number = float(value) if isinstance(value, str) else value
    if isinstance(number, float) and not math.isfinite(number):
        return  # NaN/infinity: Excel has no such number, the cell stays empty
    sheet.write_number(row, col, number)


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _datetime(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is not None:  # Excel has no time zones: UTC, as in the CSV files
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if _CONTROL.search(text):  # not allowed in XML: Excel would call the file corrupt
        text = _CONTROL.sub("\ufffd", text)
    return text[:MAX_TEXT]
