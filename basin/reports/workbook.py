"""All result tables in one Excel workbook (XlsxWriter): a sheet per table, as officers read them.

The sheets stream to disk row by row (XlsxWriter's ``constant_memory`` mode), each column's values prepared
once with pandas/numpy (:func:`column_values`). A table longer than Excel's 1,048,575 data rows continues on
further sheets ``<title> (2)``, ``<title> (3)`` ….
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basin._errors import DataError
from basin._validate import display_width
from basin.io import atomic_path
from basin.io.reproducible import fixed_datetime
from basin.reports.labels import field_spec, localize, table_title

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60
#: Data rows per sheet: Excel's 1,048,576 rows less the header row.
MAX_ROWS = 1_048_575


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


# XlsxWriter's cell XML (worksheet._write_cell, constant_memory: inline strings), built here per distinct value
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
#: Excel's longest cell text, in UTF-16 units (XlsxWriter cuts longer strings to it).
MAX_TEXT = 32_767
#: Rows serialised at a time (bounds the memory of the cell strings).
BLOCK = 5_000


def _text_xml(text: str) -> str:
    """Return the end of an inline-string cell holding ``text``, as XlsxWriter writes it.

    Control characters become ``_xHHHH_``, ``&<>`` are escaped, leading or trailing white space gets
    ``xml:space="preserve"``; text over Excel's :data:`MAX_TEXT` is cut to it and ends in "…" (the table's CSV
    keeps the whole text).
    """
    if len(text) > MAX_TEXT // 2 and len(text.encode("utf-16-le", "surrogatepass")) // 2 > MAX_TEXT:
        # cut, and marked as cut: the CSV of the table keeps the whole text
        text = text.encode("utf-16-le", "surrogatepass")[: 2 * (MAX_TEXT - 1)].decode("utf-16-le", "ignore") + "…"
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    keep = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f' t="inlineStr"><is><t{keep}>{text}</t></is></c>'


def _value_xml(value: Any, style: str) -> str | None:
    """Return the end of the cell (after ``r="A2"``) holding ``value`` (a :func:`_cell` result), or None."""
    if value is None or value == "":  # an empty text is an empty cell, as a missing value
        return None
    if isinstance(value, str):
        return style + _text_xml(value)
    if isinstance(value, bool | np.bool_):
        return f'{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"{style}><v>{value:.16G}</v></c>"
    return style + _text_xml(str(value))


def column_xml(series: pd.Series, text: bool, style: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Return the cells of a column as codes into their distinct cell endings.

    Each distinct value is converted once, as :func:`_cell` converts it (missing or empty text -> no cell,
    ``inf`` -> ``"∞"``, text columns as text), and written as XlsxWriter writes such a cell.

    Parameters
    ----------
    series
        One column of a localised table.
    text
        Write the column as text (codes, labels, names).
    style
        The cells' style attribute (``' s="3"'``) or ``""``.

    Returns
    -------
    codes, ends
        ``ends[codes[i]]`` is the XML of row ``i`` after ``<c r="A2``; ``""`` (the last entry) for no cell.
    """
    dtype = series.dtype
    if not text and isinstance(dtype, np.dtype) and dtype.kind in "iuf":  # plain numbers: vectorised
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        nums = np.asarray(uniques)
        finite = np.isfinite(nums) if dtype.kind == "f" else np.ones(len(nums), bool)
        ends = np.empty(len(nums) + 1, dtype=object)
        digits = np.array(list(map("{:.16G}".format, nums[finite].tolist())), dtype=object)
        if len(digits):
            ends[:-1][finite] = f'"{style}><v>' + digits + "</v></c>"
        for i in np.flatnonzero(~finite).tolist():
            ends[i] = '"' + style + _text_xml("∞" if nums[i] > 0 else "-∞")
        ends[-1] = ""
        return np.asarray(codes), ends
    mixed = pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(series) not in (
        "string",
        "empty",
    )
    if not mixed:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        values = [_cell(u, text) for u in uniques]
    else:  # mixed objects: 1, 1.0 and True are equal keys for factorize, so convert every value first
        cells = [_cell(v, text) for v in series]
        keys = [None if v is None else (type(v).__name__, v) for v in cells]
        codes, uniq_keys = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
        values = [k[1] for k in uniq_keys]
    tails = [_value_xml(v, style) for v in values]
    out = np.array([("" if e is None else '"' + e) for e in tails] + [""], dtype=object)
    if any(e is None for e in tails):  # a distinct value that makes no cell: give it the "no cell" code
        none = np.array([e is None for e in tails] + [True])
        codes = np.where(none[codes], -1, codes)
    return np.asarray(codes), out


def write_workbook(
    tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, lang: str = "zh"
) -> Path:
    """Write every result table into one workbook, a sheet per table, and return its path.

    Each sheet: the table's title as its name (``选址违规``), headers in ``lang`` with units (``距离(m)``),
    the header row frozen and filtered, classes written ``Ⅲ`` / ``劣Ⅴ``, values as officers write them
    (``禁止新建``, ``达标``), shares as percentages, numbers with the decimals of ``labels.yml``,
    identifiers as text (codes keep their leading zeros), columns sized to their content. A table longer
    than :data:`MAX_ROWS` continues on sheets ``<title> (2)``, ``<title> (3)`` …, each with the header row.
    The file is written atomically, with fixed document dates (the same tables give the same bytes).

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
    import tempfile

    import xlsxwriter

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        msg = f"cannot write the workbook to {target}: expected an .xlsx file"
        raise DataError(msg)
    if not tables:
        msg = f"no result table to write into {target}"
        raise DataError(msg)
    with atomic_path(target) as tmp, tempfile.TemporaryDirectory(prefix="basin-xlsx-") as scratch:
        # constant_memory: the sheet data goes to a scratch file per sheet as it is written
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "tmpdir": scratch})
        try:
            wb.use_zip64()  # zip64 records only for a part over 4 GB: smaller files are unchanged
            wb.set_properties({"author": "basin", "created": fixed_datetime()})
            head = wb.add_format({"bold": True, "pattern": 1, "bg_color": "#DDEBF7", "valign": "vcenter"})
            styles: dict[str, Any] = {}
            taken: set[str] = set()
            for name, df in tables.items():
                _write_table(wb, df, table_title(name, lang, df), lang, taken, head, styles)
        finally:
            wb.close()
    return target


def _write_table(
    wb: Any, df: pd.DataFrame, title: str, lang: str, taken: set[str], head: Any, styles: dict[str, Any]
) -> None:
    from xlsxwriter.utility import xl_col_to_name

    loc = localize(df, lang, short=True)
    fields = loc.attrs["fields"]
    formats = [number_format(f, df[f]) for f in fields]
    text_cols = [
        fmt == "@" or not pd.api.types.is_numeric_dtype(loc[h])
        for fmt, h in zip(formats, loc.columns, strict=True)
    ]
    widths = []
    for j, col in enumerate(loc.columns):
        sample = loc[col].head(500)
        if text_cols[j]:
            w = max((display_width(str(_cell(v, True) or "")) for v in sample), default=0)
        else:
            nums = pd.to_numeric(sample, errors="coerce").dropna()
            w = max((len(f"{v:,.3f}") for v in nums), default=0)
        w = max(display_width(str(col)), w)
        widths.append(min(max(w + 2, 6), MAX_WIDTH))
    head_style = f' s="{head._get_xf_index()}"'
    header = "".join(
        f'<c r="{xl_col_to_name(j)}1"{head_style}{_text_xml(str(h))}' for j, h in enumerate(loc.columns)
    )
    columns = []
    for j, (col, fmt, is_text) in enumerate(zip(loc.columns, formats, text_cols, strict=True)):
        style = ""
        if fmt is not None:
            style = f' s="{styles.setdefault(fmt, wb.add_format({"num_format": fmt}))._get_xf_index()}"'
        columns.append((f'<c r="{xl_col_to_name(j)}', loc[col], is_text, style))
    n = len(loc)
    for start in range(0, max(n, 1), MAX_ROWS):
        stop = min(start + MAX_ROWS, n)
        ws = wb.add_worksheet(sheet_name(title, taken))
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.freeze_panes(1, 0)
        if widths:
            ws.autofilter(0, 0, stop - start, len(widths) - 1)
        _stream_rows(ws, header, columns, start, stop)


def _stream_rows(
    ws: Any, header: str, columns: list[tuple[str, pd.Series, bool, str]], start: int, stop: int
) -> None:
    """Write the header and rows ``start:stop`` into a constant_memory XlsxWriter sheet.

    XlsxWriter's own ``write_*`` calls cost ~4 µs a cell (storing each cell, then serialising it); here
    blocks of :data:`BLOCK` rows are put together from the cell endings of :func:`column_xml` (the distinct
    values of the block's column, converted once) with numpy and written
    to the sheet's row-data file (``ws.fh``), where XlsxWriter's ``_write_single_row`` writes its rows. The
    sheet's used range is recorded as its writers record it (``_check_dimensions``). The result is the XML
    XlsxWriter writes for the same cells (tests/reports/test_workbook.py compares them byte for byte).
    """
    if not ws.constant_memory:  # pragma: no cover - the workbook is opened so
        msg = "the sheet rows are streamed: the workbook must be in constant_memory mode"
        raise RuntimeError(msg)
    if not header:
        return
    fh = ws.fh
    fh.write(f'<row r="1">{header}</row>')
    ws._check_dimensions(0, 0)
    ws._check_dimensions(stop - start, len(columns) - 1)
    for a in range(start, stop, BLOCK):
        b = min(a + BLOCK, stop)
        rn = np.array([str(r) for r in range(a - start + 2, b - start + 2)], dtype=object)
        cells = []
        for prefix, series, text, style in columns:
            c, ends = column_xml(series.iloc[a:b], text, style)
            cell = prefix + rn + ends[c]
            blank = c < 0
            if blank.any():
                cell[blank] = ""
            cells.append(cell)
        fh.writelines(_rows(rn, cells))


def _rows(numbers: np.ndarray, cells: list[np.ndarray]) -> Iterator[str]:
    """Yield the ``<row>`` elements of a block, one at a time; a row without a cell is left out."""
    for r, parts in zip(numbers, zip(*cells, strict=True), strict=True):
        row = "".join(parts)
        if row:
            yield f'<row r="{r}">{row}</row>'
