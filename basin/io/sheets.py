"""Officers' tables: CSV (UTF-8 or GBK) and Excel (.xlsx/.xlsm/.xls), with a title above the header.

:func:`read_table` returns every cell as text (Excel dates as ISO text, whole numbers without ``.0``) with the
header found automatically (the first of the top rows that holds known column names) or given as a 1-based
``header_row``, and a ``_line`` column with each row's line in the file (the Excel row number), for messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basin._errors import DataError, SchemaError
from basin.io.encoding import decode_bytes, existing_file

__all__ = ["EXCEL_SUFFIXES", "TEXT_SUFFIXES", "Table", "read_table"]

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
#: how many top rows are searched for the header
HEADER_SEARCH_ROWS = 30
MAX_CELL_CHARS = 60


@dataclass
class Table:
    """A table read by :func:`read_table`."""

    frame: pd.DataFrame
    path: Path
    header_row: int  # 1-based line of the header
    encoding: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        """``file`` or ``file, sheet S`` for messages."""
        return f"{self.path}, sheet {self.sheet!r}" if self.sheet else str(self.path)


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() and ts.tzinfo is None else ts.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    return str(v).strip()


def _excel_rows(path: Path, sheet: str | int | None) -> tuple[list[list[str]], str]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path))
            names = book.sheet_names()
            ws_name = _pick_sheet(names, sheet, path)
            ws = book.sheet_by_name(ws_name)
            rows: list[list[str]] = []
            for r in range(ws.nrows):
                out = []
                for c in range(ws.ncols):
                    cell = ws.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        out.append(_cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
                    else:
                        out.append(_cell_text(cell.value))
                rows.append(out)
            return rows, ws_name
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws_name = _pick_sheet(wb.sheetnames, sheet, path)
            rows = [[_cell_text(v) for v in row] for row in wb[ws_name].iter_rows(values_only=True)]
        finally:
            wb.close()
        return rows, ws_name
    except (SchemaError, DataError):
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl/xlrd/zipfile raise many types
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read as an Excel workbook ({detail})"
        raise DataError(msg) from exc


def _pick_sheet(names: list[str], sheet: str | int | None, path: Path) -> str:
    if sheet is None:
        if not names:
            msg = f"{path}: the workbook has no sheet"
            raise DataError(msg)
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
    elif str(sheet) in names:
        return str(sheet)
    msg = f"{path}: no sheet {str(sheet)[:MAX_CELL_CHARS]!r}; the workbook has {names[:20]} (set `sheet`)"
    raise SchemaError(msg)


def _text_rows(path: Path, encoding: str | None, option: str) -> tuple[pd.DataFrame, str]:
    size = path.stat().st_size
    if size > 2 * 1024**3:
        msg = f"{path}: {size} bytes, too large for a CSV table"
        raise DataError(msg)
    text, codec = decode_bytes(path.read_bytes(), encoding=encoding, where=str(path), option=option)
    sample = text[:20000]
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    if delim == "," and sample.count(",") == 0:
        for cand in ("\t", ";", "|"):
            if sample.count(cand) > 0:
                delim = cand
                break
    # pandas' C parser when every line has the same number of fields (the common case), else the csv module
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
        except csv.Error as exc:
            msg = f"{path}: cannot read as CSV ({exc})"
            raise DataError(msg) from exc
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    except pd.errors.EmptyDataError as exc:
        msg = f"{path}: no data rows (the table is empty)"
        raise DataError(msg) from exc
    grid = grid.fillna("")
    for c in grid.columns:
        col = grid[c].astype(str)
        grid[c] = col.str.strip()
    return grid, codec


def read_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    is_header: Callable[[list[str]], int] | None = None,
    option: str = "encoding",
) -> Table:
    """Read a CSV or Excel sheet as text cells, finding the header below any title rows.

    Parameters
    ----------
    path
        ``.csv``/``.txt``/``.tsv`` (UTF-8 or GBK/GB18030, detected) or ``.xlsx``/``.xlsm``/``.xls``.
    encoding
        Text encoding of a CSV (None detects UTF-8 or GB18030).
    sheet
        Sheet name or 0-based index of a workbook (default the first sheet).
    header_row
        1-based line (Excel row) of the header; None finds it.
    is_header
        Scores a row of cells: the number of cells that are known column names. The header is the first of the
        top rows with the highest score (at least 1); without it, or when no row scores, the first
        non-empty row.
    option
        How the user sets the encoding, for messages.

    Returns
    -------
    Table
        ``frame`` holds one text column per header cell (empty cells as ``""``, blank rows dropped) and
        ``_line``, the row's line in the file.

    Raises
    ------
    DataError
        Missing, empty, unreadable or undecodable file.
    SchemaError
        A ``header_row`` beyond the data, an unknown sheet, duplicate or empty header names.
    """
    p = existing_file(path)
    if p.stat().st_size == 0:
        msg = f"{p}: file is empty (0 bytes)"
        raise DataError(msg)
    codec: str | None = None
    sheet_name: str | None = None
    if p.suffix.lower() in EXCEL_SUFFIXES:
        rows, sheet_name = _excel_rows(p, sheet)
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    else:
        grid, codec = _text_rows(p, encoding, option)
    grid.columns = range(grid.shape[1])
    filled = (grid != "").to_numpy() if grid.size else np.zeros((len(grid), 0), dtype=bool)
    nonempty_mask = np.asarray(filled.any(axis=1) if filled.size else np.zeros(len(grid)), dtype=bool)
    nonempty = np.flatnonzero(nonempty_mask).tolist()
    if not nonempty:
        msg = f"{p}: no data rows (the table is empty)"
        raise DataError(msg)

    def row(i: int) -> list[str]:
        return [str(v) for v in grid.iloc[i].tolist()]

    notes: list[str] = []
    n_rows = len(grid)
    if header_row is not None:
        if isinstance(header_row, bool) or not isinstance(header_row, int | np.integer) or header_row < 1:
            msg = f"{p}: header_row must be a line number >= 1, got {str(header_row)[:MAX_CELL_CHARS]!r}"
            raise SchemaError(msg)
        h = int(header_row) - 1
        if h >= n_rows or not nonempty_mask[h]:
            msg = f"{p}: header_row {header_row} is empty or beyond the last line ({n_rows})"
            raise SchemaError(msg)
    else:
        h = nonempty[0]
        if is_header is not None:
            best = 0
            for i in nonempty[:HEADER_SEARCH_ROWS]:
                score = is_header(row(i))
                if score > best:
                    best, h = score, i
        if h != nonempty[0]:
            skipped = " / ".join(next(c for c in row(i) if c)[:MAX_CELL_CHARS] for i in nonempty if i < h)
            notes.append(f"header found on line {h + 1}; line(s) above it skipped as titles: {skipped}")
    header = row(h)
    below = filled[h + 1 :]
    used = np.asarray(below.any(axis=0) if len(below) else np.zeros(len(header)), dtype=bool)
    width = len(header)
    while width and header[width - 1] == "" and not used[width - 1]:
        width -= 1
    names = header[:width]
    for j, n in enumerate(names):
        if n == "":
            if used[j]:
                msg = (
                    f"{p}: line {h + 1}: column {j + 1} has values but no header name (is the header on "
                    "another line? set `header_row`)"
                )
                raise SchemaError(msg)
            names[j] = f"_empty_{j}"
    seen: set[str] = set()
    dup = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dup:
        msg = f"{p}: line {h + 1}: duplicate column name(s) {[d[:MAX_CELL_CHARS] for d in dup]}"
        raise SchemaError(msg)
    keep = np.flatnonzero(below[:, :width].any(axis=1)) + h + 1 if width else np.array([], dtype=np.int64)
    frame = grid.iloc[keep, :width].copy()
    frame.columns = names
    frame = frame.drop(columns=[n for n in names if n.startswith("_empty_")]).astype(object)
    frame.insert(0, "_line", (keep + 1).astype(np.int64))
    frame = frame.reset_index(drop=True)
    if frame.empty:
        msg = f"{p}: no data rows below the header (line {h + 1})"
        raise DataError(msg)
    return Table(frame, p, h + 1, encoding=codec, sheet=sheet_name, notes=notes)
