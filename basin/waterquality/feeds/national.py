"""The national automatic-monitoring release export (国家地表水水质自动监测实时数据发布系统, as downloaded).

Columns: 省份, 流域, 断面名称, 监测时间 (``MM-DD HH:MM``, no year), 水质类别, 水温(℃),
pH(无量纲), 溶解氧(mg/L), 电导率(μS/cm), 浊度(NTU), 高锰酸盐指数(mg/L), 氨氮(mg/L), 总磷(mg/L),
总氮(mg/L), 叶绿素α(mg/L), 藻密度(cells/L), 站点情况 (正常 / 维护 / 停站 / 不具备运行条件).
``--`` is a missing value and ``*`` an item the station does not measure; neither is an error.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basin._errors import DataError, SchemaError

__all__ = [
    "NATIONAL_COLUMNS",
    "STATUS_VALUES",
    "compare_classes",
    "is_national_export",
    "read_national_export",
]

#: export column -> (basin parameter, unit in the export)
NATIONAL_COLUMNS: dict[str, tuple[str, str]] = {
    "水温(℃)": ("temperature", "℃"),
    "pH(无量纲)": ("pH", "1"),
    "溶解氧(mg/L)": ("DO", "mg/L"),
    "电导率(μS/cm)": ("conductivity", "µS/cm"),
    "浊度(NTU)": ("turbidity", "NTU"),
    "高锰酸盐指数(mg/L)": ("CODMn", "mg/L"),
    "氨氮(mg/L)": ("NH3_N", "mg/L"),
    "总磷(mg/L)": ("TP", "mg/L"),
    "总氮(mg/L)": ("TN", "mg/L"),
    "叶绿素α(mg/L)": ("Chla", "mg/L"),
    "藻密度(cells/L)": ("algae_density", "cells/L"),
}
ID_COLUMNS = ("省份", "流域", "断面名称", "监测时间", "水质类别", "站点情况")
STATUS_VALUES = ("正常", "维护", "停站", "不具备运行条件")
MISSING = "--"
NOT_MEASURED = "*"
#: items the national system's 水质类别 is set by (GB 3838-2002 Table 1, single factor; TN and the
#: reference items are not part of the class, 环办〔2011〕22号 二(一)1)
CLASS_ITEMS = ("pH", "DO", "CODMn", "NH3_N", "TP")
_RE_TIME = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})\s*$")
_HEADER_SCAN = 10
_SHOW = 60


def _norm(text: Any) -> str:
    import unicodedata

    t = unicodedata.normalize("NFKC", str(text)).strip().replace(" ", "")
    return t.replace("µ", "μ")


_NORM_COLUMNS = {_norm(k): k for k in (*ID_COLUMNS, *NATIONAL_COLUMNS)}


def is_national_export(columns: Any) -> bool:
    """Return True when a header holds the export's 省份, 断面名称, 监测时间 and 站点情况 columns."""
    cols = {_norm(c) for c in columns}
    return {"省份", "断面名称", "监测时间", "站点情况"} <= cols


def _head_rows(path: Path, encoding: str | None) -> list[list[str]]:
    """Return the first lines of a CSV as cells (UTF-8, else GB18030 when no encoding is given)."""
    import io
    import itertools

    with path.open("rb") as f:
        head = f.read(64 * 1024)
    for codec in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            text = head.decode(codec)
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sample is not a wrong codec
            if exc.start < len(head) - 4:
                continue
            text = head[: exc.start].decode(codec)
        return list(itertools.islice(csv.reader(io.StringIO(text, newline="")), _HEADER_SCAN))
    return []


def _score(cells: list[str]) -> int:
    return sum(_norm(c) in _NORM_COLUMNS for c in cells)


def sniff(path: str | os.PathLike[str], *, encoding: str | None = None) -> bool:
    """Return True when the file's header (in its first 10 lines) is the release export's."""
    from basin.io.sheets import read_table

    path = Path(path)
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
            table = read_table(path, is_header=_score)
            return is_national_export(table.frame.columns)
        return any(is_national_export(r) for r in _head_rows(path, encoding))
    except (DataError, SchemaError, OSError, csv.Error, LookupError):
        return False


def _assign_years(months: np.ndarray, year: int) -> np.ndarray:
    """Return the year of each row: ``year`` for the first one, then a boundary at every wrap.

    A jump of more than 6 months between consecutive rows is a year boundary (12 to 1: +1; 1 to 12,
    a newest-first file or the next station: -1).
    """
    years = np.empty(len(months), dtype=np.int64)
    y = year
    prev = None
    for i, m in enumerate(months):
        if m <= 0:
            years[i] = y
            continue
        if prev is not None:
            if m - prev < -6:
                y += 1
            elif m - prev > 6:
                y -= 1
        years[i] = y
        prev = m
    return years


def read_national_export(
    path: str | os.PathLike[str],
    *,
    year: int | None,
    station_names: dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read the release export into the long table.

    Parameters
    ----------
    path
        CSV or Excel as downloaded; the header may follow title rows (first 10 lines searched).
    year
        Year of the first data row (the export's 监测时间 has none). Later rows take a year boundary at every
        December → January step (and January → December in a newest-first file).
    station_names
        ``{断面名称: station_id}`` (from the stations layer's ``name``); a section not in it is
        rejected. Without it the station id is the section name.

    Returns
    -------
    (long, rejects, info)
        ``long``: station_id, time, parameter, value (canonical unit), flag ("N"), status (站点情况),
        line, plus name, province, basin, file_class; ``rejects``: line, reason, packet (the row's text);
        ``info``: counts (rows, missing ``--``, not measured ``*``, by status) and ``rows`` (one per sample:
        line, station_id, time, status, file_class).

    Raises
    ------
    SchemaError
        No ``year``; header not found; a parameter column missing.
    """
    from basin.waterquality.standards import parameter_table, unit_factor

    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file or directory"
        raise DataError(msg)
    if year is None:
        msg = (
            f"{path}: the national release export has no year in 监测时间 (MM-DD HH:MM); "
            "give the year of the first row: read_wq(..., year=2024) or `--year 2024`"
        )
        raise SchemaError(msg)
    from basin.io.sheets import read_table

    table = read_table(path, encoding=encoding, sheet=sheet, is_header=_score)
    df = table.frame.rename(columns=lambda c: _NORM_COLUMNS.get(_norm(c), c) if c != "_line" else c)
    if not is_national_export(df.columns):
        msg = (
            f"{path}: no release-export header (省份, 流域, 断面名称, 监测时间, ..., 站点情况) "
            f"in the first {_HEADER_SCAN} lines"
        )
        raise SchemaError(msg)
    missing = [c for c in (*ID_COLUMNS, *NATIONAL_COLUMNS) if c not in df.columns]
    if missing:
        msg = f"{path}: release export without column(s) {missing}"
        raise SchemaError(msg)
    df = df.reset_index(drop=True)
    n = len(df)
    rejects: list[tuple[int, str, str]] = []
    lines = df["_line"].to_numpy()
    text_rows = df.drop(columns="_line").astype(str).agg(",".join, axis=1).to_numpy(object)
    bad_row = np.zeros(n, dtype=bool)

    def reject(i: int, reason: str) -> None:
        rejects.append((int(lines[i]), reason, str(text_rows[i])[:200]))
        bad_row[i] = True

    t_txt = df["监测时间"].astype(str).to_numpy(object)
    parts = np.zeros((n, 4), dtype=np.int64)
    for i, t in enumerate(t_txt):
        m = _RE_TIME.match(t)
        if m is None:
            reject(i, f"监测时间 {t[:_SHOW]!r} is not MM-DD HH:MM")
            continue
        parts[i] = [int(g) for g in m.groups()]
    years = _assign_years(np.where(bad_row, 0, parts[:, 0]), int(year))
    times = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    for i in np.flatnonzero(~bad_row).tolist():
        mo, d, hh, mi = parts[i]
        try:
            times[i] = np.datetime64(pd.Timestamp(int(years[i]), int(mo), int(d), int(hh), int(mi)), "ns")
        except ValueError:
            reject(i, f"监测时间 {t_txt[i]!r} is not a date in {years[i]}")
    status = df["站点情况"].astype(str).str.strip().to_numpy(object)
    for i in np.flatnonzero(~bad_row).tolist():
        if status[i] not in STATUS_VALUES:
            reject(i, f"站点情况 {status[i][:_SHOW]!r} is not one of {', '.join(STATUS_VALUES)}")
    section = df["断面名称"].astype(str).str.strip().to_numpy(object)
    sid = section.copy()
    for i in np.flatnonzero(~bad_row).tolist():
        if not section[i]:
            reject(i, "empty 断面名称")
        elif station_names is not None:
            s = station_names.get(section[i])
            if s is None:
                reject(i, f"section {section[i][:_SHOW]!r} is not a station name in the stations layer")
            else:
                sid[i] = s
    params = parameter_table()
    rows: list[pd.DataFrame] = []
    counts = {"missing": 0, "not_measured": 0}
    ok = ~bad_row
    for col, (param, unit) in NATIONAL_COLUMNS.items():
        txt = df[col].astype(str).str.strip().to_numpy(object)
        is_missing = (txt == MISSING) | (txt == "")
        is_nm = txt == NOT_MEASURED
        counts["missing"] += int((is_missing & ok).sum())
        counts["not_measured"] += int((is_nm & ok).sum())
        val = pd.to_numeric(pd.Series(txt), errors="coerce").to_numpy(float)
        take = ok & ~is_missing & ~is_nm
        for i in np.flatnonzero(take & np.isnan(val)).tolist():
            rejects.append(
                (
                    int(lines[i]),
                    f"{col}: text {txt[i][:_SHOW]!r} where a number, -- or * is expected",
                    str(text_rows[i])[:200],
                )
            )
        take &= ~np.isnan(val)
        fac = unit_factor(unit, param)
        assert fac is not None, (unit, param)
        v = val * fac
        lo, hi = float(params.at[param, "min"]), float(params.at[param, "max"])
        out = take & (((v < lo) if np.isfinite(lo) else False) | ((v > hi) if np.isfinite(hi) else False))
        for i in np.flatnonzero(out).tolist():
            what = "negative value" if v[i] < 0 else f"outside the plausible range {lo:g}-{hi:g}"
            rejects.append((int(lines[i]), f"{col}: {txt[i]} {what}", str(text_rows[i])[:200]))
        take &= ~out
        idx = np.flatnonzero(take)
        rows.append(
            pd.DataFrame(
                {
                    "station_id": sid[idx],
                    "time": times[idx],
                    "parameter": param,
                    "value": v[idx],
                    "flag": "N",
                    "status": status[idx],
                    "line": lines[idx],
                    "name": section[idx],
                }
            )
        )
    long = pd.concat(rows, ignore_index=True).sort_values(["line", "parameter"], kind="stable")
    prov = dict(zip(lines, df["省份"].astype(str).str.strip(), strict=True))
    basin_ = dict(zip(lines, df["流域"].astype(str).str.strip(), strict=True))
    fcls = dict(zip(lines, df["水质类别"].astype(str).str.strip(), strict=True))
    long["province"] = long["line"].map(prov)
    long["basin"] = long["line"].map(basin_)
    long["file_class"] = long["line"].map(fcls)
    long = long.reset_index(drop=True)
    long["time"] = long["time"].astype("datetime64[ns]")
    good = ~bad_row
    samples = pd.DataFrame(
        {
            "line": lines[good],
            "station_id": sid[good],
            "name": section[good],
            "time": times[good],
            "status": status[good],
            "file_class": df["水质类别"].astype(str).str.strip().to_numpy(object)[good],
        }
    )
    status_counts = pd.Series(status[good]).value_counts().to_dict()
    info = {
        "rows": n,
        "missing": counts["missing"],
        "not_measured": counts["not_measured"],
        "status": {str(k): int(v) for k, v in status_counts.items()},
        "samples": samples,
    }
    rej = pd.DataFrame(sorted(rejects), columns=["line", "reason", "packet"])
    return long, rej, info


_ROMAN = {
    "Ⅰ": 1,
    "Ⅱ": 2,
    "Ⅲ": 3,
    "Ⅳ": 4,
    "Ⅴ": 5,
    "劣Ⅴ": 6,
    "I": 1,
    "II": 2,
    "III": 3,
    "IV": 4,
    "V": 5,
    "劣V": 6,
}


def parse_class_label(text: str) -> int:
    """Return 1-6 for a class label (``Ⅲ``, ``Ⅲ类``, ``III``, ``劣Ⅴ类`` …), 0 when empty, ``--`` or ``*``."""
    import unicodedata

    t = str(text).strip().removesuffix("类").strip()
    if t in _ROMAN:
        return _ROMAN[t]
    t2 = unicodedata.normalize("NFKC", t).upper()
    return _ROMAN.get(t2, 0)


def compare_classes(
    long: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    waterbody: dict[str, str] | str = "river",
    standard: Any = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Compare the export's own 水质类别 with basin's single-factor class of each sample.

    basin's class of a sample is the worst GB 3838-2002 class of its pH, DO, CODMn, NH3-N and TP (TN and the
    reference items are not part of the class). Samples whose station status is not 正常, or whose file class
    is empty/``--``, are not compared (counted).

    Returns
    -------
    (table, summary)
        ``table``: one row per compared sample: line, station_id, name, time, file_class, basin_class,
        basin_class_label, agree, worst (the items that set basin's class); ``summary``: compared, agree,
        agreement (share), disagree, not_compared.
    """
    from basin.waterquality.classify import class_labels, classify

    s = samples.copy()
    s["file_code"] = [parse_class_label(x) for x in s["file_class"]]
    use = (s["status"] == "正常") & (s["file_code"] > 0)
    s = s[use].reset_index(drop=True)
    sub = long[long["parameter"].isin(CLASS_ITEMS) & (long["status"] == "正常")]
    wb_of = (
        (lambda x: waterbody)
        if isinstance(waterbody, str)
        else (lambda x: waterbody.get(x, "river") or "river")
    )
    cls = np.zeros(len(sub), dtype=np.int8)
    wb = np.array([wb_of(x) for x in sub["station_id"]], dtype=object).astype(str)
    for p in CLASS_ITEMS:
        m = (sub["parameter"] == p).to_numpy()
        if m.any():
            cls[m] = classify(sub["value"].to_numpy(float)[m], p, waterbody=wb[m], standard=standard)
    sub = sub.assign(cls=cls)
    worst = sub.groupby("line")["cls"].max()
    s["basin_class"] = s["line"].map(worst).fillna(0).astype(int)
    top = sub.merge(worst.rename("w"), left_on="line", right_index=True)
    top = top[(top["cls"] == top["w"]) & (top["w"] > 0)]
    names = top.groupby("line")["parameter"].agg(lambda x: ",".join(sorted(x)))
    s["worst"] = s["line"].map(names).fillna("")
    s = s[s["basin_class"] > 0].reset_index(drop=True)
    s["basin_class_label"] = class_labels(s["basin_class"].to_numpy())
    s["agree"] = s["file_code"] == s["basin_class"]
    table = s[
        [
            "line",
            "station_id",
            "name",
            "time",
            "file_class",
            "basin_class",
            "basin_class_label",
            "agree",
            "worst",
        ]
    ]
    n = len(table)
    agree = int(table["agree"].sum())
    summary = {
        "compared": n,
        "agree": agree,
        "disagree": n - agree,
        "agreement": agree / n if n else None,
        "not_compared": int(len(samples) - n),
    }
    return table, summary
