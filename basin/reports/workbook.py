"""All result tables in one Excel workbook (openpyxl): a sheet per table, as officers read them."""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basin._errors import DataError
from basin.io import atomic_path
from basin.io.reproducible import normalise_zip
from basin.reports.labels import field_spec, localize, table_title

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60


def display_width(text: str) -> int:
    """Width of ``text`` in Excel character units: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def sheet_name(title: str, taken: set[str]) -> str:
    """Return a valid, unique Excel sheet name for ``title`` (at most 31 characters, no ``[]:*?/``)."""
    base = _BAD_SHEET.sub("_", title).strip("'") or "Sheet"
    base = base[:31]
    name, i = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(name)
    return name


def number_format(field: str, series: pd.Series) -> str | None:
    """Excel number format of a column: percentages ``0.0%``, integers ``0``, decimals from the labels."""
    spec = field_spec(field)
    fmt = spec.format if spec is not None else None
    decimals = spec.decimals if spec is not None else None
    if fmt == "text" or (spec is not None and spec.values is not None):
        return "@"
    if fmt == "percent":
        d = 1 if decimals is None else decimals
        return "0%" if d == 0 else "0." + "0" * d + "%"
    if fmt == "integer":
        return "0"
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if decimals is not None:
        return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
    if pd.api.types.is_integer_dtype(series):
        return "0"
    vals = pd.to_numeric(series, errors="coerce").abs()
    big = float(vals.median()) if vals.notna().any() else 0.0
    return "#,##0.00" if big >= 100 else "0.000"


def _cell(value: Any, text: bool) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if math.isnan(float(value)):
            return None
        if math.isinf(float(value)):
            return "∞" if value > 0 else "-∞"
    if text:
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, list | tuple | set | dict):
        return str(value)
    return value


def write_workbook(
    tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, lang: str = "zh"
) -> Path:
    """Write every result table into one workbook, a sheet per table, and return its path.

    Each sheet: the table's title as its name (``选址违规``), headers in ``lang`` with units (``距离(m)``),
    the header row frozen and filtered, classes written ``Ⅲ`` / ``劣Ⅴ``, values as officers write them
    (``禁止新建``, ``达标``), shares as percentages, numbers with the decimals of ``labels.yml``,
    identifiers as text (codes keep their leading zeros), columns sized to their content. The file is
    written atomically.

    Parameters
    ----------
    tables
        Result tables by name (``RunResult.tables()``): names known to ``labels.yml`` get their title.
    path
        The ``.xlsx`` file to write.
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        ``path`` is not an ``.xlsx`` file, or there is no table to write.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        msg = f"cannot write the workbook to {target}: expected an .xlsx file"
        raise DataError(msg)
    if not tables:
        msg = f"no result table to write into {target}"
        raise DataError(msg)
    # write-only: rows stream to the file as they are appended (memory and time grow with the rows only)
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for name, df in tables.items():
        ws = wb.create_sheet(sheet_name(table_title(name, lang, df), taken))
        loc = localize(df, lang, short=True)
        fields = loc.attrs["fields"]
        formats = [number_format(f, df[f]) for f in fields]
        text_cols = [
            fmt == "@" or not pd.api.types.is_numeric_dtype(loc[h])
            for fmt, h in zip(formats, loc.columns, strict=True)
        ]
        # column widths first (a write-only sheet takes them before its rows)
        for j, col in enumerate(loc.columns, start=1):
            sample = loc[col].head(500)
            if text_cols[j - 1]:
                w = max((display_width(str(_cell(v, True) or "")) for v in sample), default=0)
            else:
                nums = pd.to_numeric(sample, errors="coerce").dropna()
                w = max((len(f"{v:,.3f}") for v in nums), default=0)
            w = max(display_width(str(col)), w)
            ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 6), MAX_WIDTH)
        ws.freeze_panes = "A2"
        if len(loc.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(loc.columns))}{len(loc) + 1}"
        heads = []
        for h in loc.columns:
            c = WriteOnlyCell(ws, value=str(h))
            c.font, c.fill = head_font, head_fill
            c.alignment = Alignment(vertical="center", wrap_text=False)
            heads.append(c)
        ws.append(heads)
        # one cell per formatted column, reused: a write-only row is serialised when it is appended
        protos: list[Any] = []
        for fmt in formats:
            if fmt is None:
                protos.append(None)
            else:
                c = WriteOnlyCell(ws)
                c.number_format = fmt
                protos.append(c)
        for row in loc.itertuples(index=False, name=None):
            out = []
            for v, is_text, proto in zip(row, text_cols, protos, strict=True):
                value = _cell(v, is_text)
                if proto is None or value is None:
                    out.append(value)
                else:
                    proto.value = value
                    out.append(proto)
            ws.append(out)
    wb.properties.creator = "basin"
    with atomic_path(target) as tmp:
        wb.save(tmp)
        normalise_zip(tmp)  # fixed zip entry times and document dates (basin.io.reproducible)
    return target
