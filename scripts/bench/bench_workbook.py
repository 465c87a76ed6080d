"""Benchmark of the workbook writer (``basin.reports.workbook.write_workbook``, XlsxWriter) on a run's tables.

Times, in the same run on the same tables, the writer of basin before this change (openpyxl write-only,
kept below as :func:`write_workbook_openpyxl`) and the current one, prints both times and their ratio, and
checks that the new file reads back (openpyxl) with the same sheets, headers, values, number formats,
frozen panes and filters as the old one: every cell of the first ``--rows`` rows of every sheet (all rows
with ``--rows 0``), floats to 1e-15 (XlsxWriter writes 16 significant digits, openpyxl 17).

Usage::

    python scripts/bench/bench_workbook.py                       # synthetic: 20,000-row units-like table
    python scripts/bench/bench_workbook.py --synthetic 100000
    python scripts/bench/bench_workbook.py --pickle result.pkl    # a pickled basin.run.RunResult

The provincial-scale figure (issue 14): a 98,962-reach ``basin run`` pickled as ``RunResult`` (24 tables,
10.6 M cells).
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's basin, not an installed one

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from basin._errors import DataError
from basin.io import atomic_path
from basin.io.reproducible import normalise_zip
from basin.reports.labels import localize, table_title
from basin.reports.workbook import (  # the value rules (_cell) are shared: only the writer differs
    MAX_WIDTH,
    _cell,
    display_width,
    number_format,
    sheet_name,
    write_workbook,
)


def write_workbook_openpyxl(
    tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, lang: str = "zh"
) -> Path:
    """The openpyxl write-only writer of basin before XlsxWriter (08a2087), kept as the baseline."""
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


def synthetic(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A units-like table of ``n`` rows: ids with leading zeros, names, 21 indicators, flags, classes."""
    rng = np.random.default_rng(seed)
    county = rng.choice(["500102", "510104", "510681", "513401"], n)
    df = pd.DataFrame(
        {
            "unit_id": pd.array([f"UR{i:05d}_{c}" for i, c in enumerate(county)], dtype="string"),
            "name": [f"长江支流{i}·区县" for i in range(n)],
            "county_id": pd.array(county, dtype="string"),
            "province_id": pd.array(np.where(county < "510000", "500000", "510000"), dtype="string"),
            "area_km2": rng.gamma(2.0, 10.0, n),
        }
    )
    for k in range(10):
        df[f"river_density_l{k}"] = np.where(rng.random(n) < 0.3, 0.0, rng.random(n))
    for col in ("population_density", "economic_intensity", "town_pressure", "riparian_share", "lake_share"):
        df[col] = rng.random(n) * 1000
    df.loc[rng.random(n) < 0.01, "lake_share"] = np.nan
    df.loc[rng.random(n) < 0.001, "economic_intensity"] = np.inf
    df["pressure_index"] = rng.random(n)
    df["pressure_high"] = df["pressure_index"] > 0.5
    df["class_code"] = pd.array(rng.choice(["HPLC", "LPLC", "HPHC", "LPHC"], n), dtype="string")
    return {"units": df, "rules": pd.DataFrame({"rule_id": ["A1", "B2"], "distance_m": [1000.0, 3000.0]})}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return a == b or math.isclose(a, b, rel_tol=1e-15, abs_tol=1e-300)
    return a == b


def compare(old: Path, new: Path, rows: int) -> tuple[int, list[str]]:
    """Compare two workbooks cell by cell (values and number formats); return cells compared, problems."""
    a, b = load_workbook(old, read_only=True), load_workbook(new, read_only=True)
    problems: list[str] = []
    if a.sheetnames != b.sheetnames:
        problems.append(f"sheet names differ: {a.sheetnames} vs {b.sheetnames}")
    cells = 0
    for name in a.sheetnames:
        if name not in b.sheetnames:
            continue
        wa, wb = a[name], b[name]
        stop = None if rows == 0 else rows + 1
        for r, (ra, rb) in enumerate(
            zip(wa.iter_rows(max_row=stop), wb.iter_rows(max_row=stop), strict=False)
        ):
            va = [c.value for c in ra]
            vb = [c.value for c in rb]
            width = max(len(va), len(vb))
            va += [None] * (width - len(va))
            vb += [None] * (width - len(vb))
            for j, (x, y) in enumerate(zip(va, vb, strict=True)):
                cells += 1
                if not _same(x, y) and len(problems) < 20:
                    problems.append(f"{name}!R{r + 1}C{j + 1}: {x!r} vs {y!r}")
            fa = [c.number_format for c in ra if getattr(c, "value", None) is not None]
            fb = [c.number_format for c in rb if getattr(c, "value", None) is not None]
            if fa != fb and len(problems) < 20:
                problems.append(f"{name} row {r + 1}: number formats {fa} vs {fb}")
    a.close()
    b.close()
    # frozen panes, filters and the used range (openpyxl's write-only sheets carry no <dimension>)
    la, lb = _layout(old), _layout(new)
    for name, (dim, pane, filt) in la.items():
        got = lb.get(name)
        if got is None or (dim is not None and dim != got[0]) or (pane, filt) != got[1:]:
            problems.append(f"{name}: layout {(dim, pane, filt)} vs {got}")
    return cells, problems


def _layout(path: Path) -> dict[str, tuple[Any, ...]]:
    """Freeze pane, auto filter and dimension of every sheet, read from the sheet XML heads."""
    import re
    import zipfile

    out = {}
    wb = load_workbook(path, read_only=True)
    names = wb.sheetnames
    wb.close()
    with zipfile.ZipFile(path) as z:
        for i, name in enumerate(names, start=1):
            with z.open(f"xl/worksheets/sheet{i}.xml") as fh:
                headx = fh.read(4096).decode("utf-8", "replace")
            with z.open(f"xl/worksheets/sheet{i}.xml") as fh:
                fh.seek(max(z.getinfo(f"xl/worksheets/sheet{i}.xml").file_size - 4096, 0))
                tail = fh.read().decode("utf-8", "replace")
            dim = re.search(r'<dimension ref="([^"]+)"', headx)
            pane = re.search(r'topLeftCell="([A-Z]+\d+)"', headx)
            filt = re.search(r'<autoFilter ref="([^"]+)"', tail)
            out[name] = (dim and dim.group(1), pane and pane.group(1), filt and filt.group(1))
    return out


def timed(fn: Any, *args: Any, **kwargs: Any) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pickle", type=Path, help="a pickled basin.run.RunResult: write its tables()")
    ap.add_argument(
        "--synthetic", type=int, default=20_000, help="rows of the synthetic table (default 20,000)"
    )
    ap.add_argument("--rows", type=int, default=3000, help="rows per sheet to compare (0: all)")
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--keep", type=Path, help="folder to keep the two files in")
    args = ap.parse_args()
    if args.pickle:
        with args.pickle.open("rb") as fh:
            tables = pickle.load(fh).tables()  # noqa: S301 - the user's own file
        what = f"RunResult {args.pickle.name}"
    else:
        tables = synthetic(args.synthetic)
        what = f"synthetic units table, {args.synthetic:,} rows"
    cells = sum(df.shape[0] * df.shape[1] for df in tables.values())
    print(
        f"{what}: {len(tables)} tables, {cells:,} cells, largest {max(len(d) for d in tables.values()):,} rows"
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-wb-"))
    folder.mkdir(parents=True, exist_ok=True)
    old, new = folder / "old_openpyxl.xlsx", folder / "new_xlsxwriter.xlsx"
    t_new = timed(write_workbook, tables, new, lang=args.lang)
    t_old = timed(write_workbook_openpyxl, tables, old, lang=args.lang)
    print(f"openpyxl write-only (baseline): {t_old:8.1f} s   {old.stat().st_size / 1e6:7.1f} MB")
    print(f"XlsxWriter (write_workbook):    {t_new:8.1f} s   {new.stat().st_size / 1e6:7.1f} MB")
    print(f"ratio new / old: {t_new / t_old:.3f}   (speed-up {t_old / t_new:.1f}x)")
    t0 = time.perf_counter()
    n, problems = compare(old, new, args.rows)
    span = "all rows" if args.rows == 0 else f"first {args.rows:,} rows of each sheet"
    print(f"read back with openpyxl, {span}: {n:,} cells compared in {time.perf_counter() - t0:.0f} s")
    # every row is there: each sheet's used range is its table's (all rows, not only the compared ones)
    from xlsxwriter.utility import xl_col_to_name

    layout = _layout(new)
    for (name, df), sheet in zip(tables.items(), layout, strict=False):
        loc = localize(df, args.lang, short=True)
        want = f"A1:{xl_col_to_name(max(loc.shape[1] - 1, 0))}{len(loc) + 1}"
        if loc.shape[1] and layout[sheet][0] != want:
            problems.append(f"{sheet} ({name}): used range {layout[sheet][0]}, the table has {want}")
    if problems:
        print("DIFFERENCES:")
        for p in problems:
            print("  ", p)
        sys.exit(1)
    print("same sheets, headers, values, number formats, frozen panes, filters and dimensions")
    if not args.keep:
        for p in (old, new):
            os.unlink(p)
        folder.rmdir()


if __name__ == "__main__":
    main()
