"""Read water-quality series (long/wide CSV, Excel, NetCDF, Zarr) into an ``(station, time)`` Dataset.

Every value is checked; a value that cannot be used is rejected with its line number and reason, never dropped
silently (see :func:`read_wq`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
import xarray as xr

from basin._errors import DataError, SchemaError
from basin.waterquality.standards import (
    canonical_parameter,
    known_units,
    normalize_name,
    parameter_table,
    unit_factor,
)

__all__ = [
    "FLAG_MEANINGS",
    "TIME_FORMS",
    "load_detection_limits",
    "parse_times",
    "read_wq",
    "stations_coords",
]

FLAG_MEANINGS = "measured below_detection_limit"
STATION_COLUMNS = ("name", "river_id", "lake_id", "waterbody", "target_class")
# optional station attributes carried as coordinates when the stations layer has them (issue 12: grouping of
# the class proportions, drinking-water sources checked against Table 2, river-type reservoirs)
OPTIONAL_STATION_COLUMNS = ("basin_id", "province", "county")
STATION_FLAGS = ("drinking_source", "river_type_reservoir")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f", "", "nan", "none", "<na>"}
MAX_LISTED = 20

# header spellings -> model column (after normalize_name)
_COLUMN_ALIASES = {
    "station_id": "station_id",
    "station": "station_id",
    "site": "station_id",
    "site_id": "station_id",
    "断面编码": "station_id",
    "站点编码": "station_id",
    "断面代码": "station_id",
    "测站编码": "station_id",
    "time": "time",
    "date": "time",
    "datetime": "time",
    "时间": "time",
    "日期": "time",
    "监测时间": "time",
    "采样时间": "time",
    "parameter": "parameter",
    "param": "parameter",
    "item": "parameter",
    "指标": "parameter",
    "项目": "parameter",
    "监测项目": "parameter",
    "value": "value",
    "数值": "value",
    "监测值": "value",
    "浓度": "value",
    "unit": "unit",
    "units": "unit",
    "单位": "unit",
    "flag": "flag",
    "标识": "flag",
    "数据标识": "flag",
    "detection_limit": "detection_limit",
    "dl": "detection_limit",
    "检出限": "detection_limit",
    "name": "name",
    "station_name": "name",
    "断面名称": "name",
    "waterbody": "waterbody",
    "target_class": "target_class",
    "目标水质": "target_class",
    "river_id": "river_id",
    "lake_id": "lake_id",
    "点位编码": "station_id",
    "监测点编码": "station_id",
    "站码": "station_id",
    "采样日期": "time",
    "监测日期": "time",
    "监测年月": "time",
    "年月": "time",
    "采样时刻": "time",
    "检测项目": "parameter",
    "监测指标": "parameter",
    "因子": "parameter",
    "监测因子": "parameter",
    "测定值": "value",
    "结果": "value",
    "监测结果": "value",
    "检测结果": "value",
    "计量单位": "unit",
    "检测限": "detection_limit",
    "方法检出限": "detection_limit",
    "站点名称": "name",
    "点位名称": "name",
    "测站名称": "name",
    "水质目标": "target_class",
    "目标水质类别": "target_class",
    "考核目标": "target_class",
    "水体类型": "waterbody",
}
_BELOW_FLAGS = {"l", "<", "nd", "未检出"}
_OK_FLAGS = {"", "n"}
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_RE_LSUFFIX = re.compile(rf"^({_NUM})\s*[lL]$")
_RE_LT = re.compile(rf"^[<＜]\s*({_NUM})$")
_RE_ND = re.compile(r"^(nd|n\.d\.|未检出|<dl|bdl)$", re.IGNORECASE)
_RE_HEADER_UNIT = re.compile(r"^(.*?)\s*[\(（\[]\s*(.+?)\s*[\)）\]]\s*$")


# --------------------------------------------------------------------------------------------- time parsing
CST = "Asia/Shanghai"
TIME_FORMS = (
    "2019-01, 2019-01-15, 2019/1/15, 2019.1.15, 2019年01月, 2019年1月15日, 201901, 20190115, Excel dates, "
    "ISO 8601 with a time zone (converted to China Standard Time)"
)
_RE_T_ISO = re.compile(
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?)?"
    r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_RE_T_ZH = re.compile(
    r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?"
    r"(?:\s*(?P<H>\d{1,2})\s*[时点:](?:\s*(?P<M>\d{1,2})\s*分?)?(?:\s*(?P<S>\d{1,2})\s*秒)?)?$"
)
_RE_T_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$")
_RE_T_AMBIGUOUS = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T].*)?$")
_RE_T_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


def parse_times(
    values: Any, *, time_format: str | None = None, excel: bool = False
) -> tuple[pd.Series, list[str | None]]:
    """Parse officers' date spellings into naive China Standard Time timestamps.

    Parameters
    ----------
    values
        Text values (one per row).
    time_format
        A ``strftime`` format for every value (``%d/%m/%Y``); None accepts the forms of :data:`TIME_FORMS`.
    excel
        Accept Excel serial day numbers (``43466`` = 2019-01-01), for values read from a workbook.

    Returns
    -------
    tuple
        The timestamps (``NaT`` where refused) and, per value, None or the reason it was refused.

    Notes
    -----
    A stamp with a zone (``2019-01-15T02:00Z``, ``+08:00``) is converted to China Standard Time (UTC+8, the
    time of Chinese monitoring data) and stored without zone; a stamp without zone is taken to be in China
    Standard Time. ``01/02/2019`` (day and month in either order) is refused unless ``time_format`` says
    which.
    """
    all_t = pd.Series(values, dtype=object).astype(str)
    codes, uniq = pd.factorize(all_t)
    if len(uniq) < len(all_t):  # dates repeat (one per station and parameter): parse each once
        u_times, u_reasons = parse_times(np.asarray(uniq, dtype=object), time_format=time_format, excel=excel)
        taken = u_times.to_numpy("datetime64[ns]")[codes]
        return pd.Series(taken), [u_reasons[c] for c in codes]
    t = all_t.map(lambda s: unicodedata.normalize("NFKC", s).strip())
    n = len(t)
    reasons: list[str | None] = [None] * n
    out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    tv = t.to_numpy(object)
    if time_format is not None:
        parsed = pd.to_datetime(t, format=time_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(CST).dt.tz_localize(None)
        for i in np.flatnonzero(parsed.isna().to_numpy()):
            reasons[i] = f"bad time {_cut(tv[i])!r} (does not match time_format {time_format!r})"
        return pd.Series(parsed.to_numpy("datetime64[ns]")), reasons
    parts = {k: np.full(n, np.nan) for k in ("y", "m", "d", "H", "M", "S")}
    frac = np.zeros(n)
    offset_min = np.full(n, np.nan)
    matched = np.zeros(n, dtype=bool)
    for rx in (_RE_T_ISO, _RE_T_ZH, _RE_T_COMPACT):
        rest = ~matched
        if not rest.any():
            break
        ext = t[rest].str.extract(rx.pattern)
        hit = ext["y"].notna().to_numpy()
        idx = np.flatnonzero(rest)[hit]
        for k in parts:
            if k in ext.columns:
                parts[k][idx] = pd.to_numeric(ext[k][hit], errors="coerce").to_numpy(float)
        if "f" in ext.columns:
            f = ext["f"][hit].fillna("")
            frac[idx] = [float("0." + x) if x else 0.0 for x in f]
        if "z" in ext.columns:
            for j, z in zip(idx, ext["z"][hit].to_numpy(object), strict=True):
                if isinstance(z, str) and z:
                    if z == "Z":
                        offset_min[j] = 0
                    else:
                        sign = -1 if z[0] == "-" else 1
                        digits = z[1:].replace(":", "")
                        offset_min[j] = sign * (
                            int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
                        )
        matched[idx] = True
    if excel:
        serial = ~matched & t.str.fullmatch(_RE_T_SERIAL.pattern).to_numpy(bool)
        if serial.any():
            days = pd.to_numeric(t[serial]).to_numpy(float)
            out[serial] = (pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")).to_numpy()
    else:
        serial = np.zeros(n, dtype=bool)
    comp = pd.DataFrame(
        {
            "year": parts["y"],
            "month": parts["m"],
            "day": np.where(np.isnan(parts["d"]), 1, parts["d"]),
            "hour": np.nan_to_num(parts["H"]),
            "minute": np.nan_to_num(parts["M"]),
            "second": np.nan_to_num(parts["S"]),
        }
    )
    ok = (
        matched & (comp["month"].between(1, 12) & comp["day"].between(1, 31) & (comp["hour"] < 24)).to_numpy()
    )
    ts = (
        pd.to_datetime(comp[ok].astype("int64"), errors="coerce")
        if ok.any()
        else pd.Series([], dtype="datetime64[ns]")
    )
    vals = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if ok.any():
        v = ts.to_numpy("datetime64[ns]") + (frac[ok] * 1e9).astype("timedelta64[ns]")
        off = offset_min[ok]
        has = ~np.isnan(off)
        # to UTC, then to China Standard Time (UTC+8)
        v[has] = v[has] - (off[has] * 60e9).astype("timedelta64[ns]") + np.timedelta64(8, "h")
        vals[ok] = v
    out_np = np.where(serial, out.to_numpy("datetime64[ns]"), vals)
    for i in np.flatnonzero(np.isnat(out_np)):
        text = tv[i]
        if text in ("", "nan", "NaT"):
            reasons[i] = "empty time"
        elif _RE_T_AMBIGUOUS.match(text):
            reasons[i] = (
                f"ambiguous date {_cut(text)!r} (day/month order unknown); write it as 2019-01-15, or give "
                "the "
                "format (`time_format: '%d/%m/%Y'` in the water-quality mapping)"
            )
        elif matched[i]:
            reasons[i] = f"bad time {_cut(text)!r} (not a valid date)"
        else:
            reasons[i] = f"bad time {_cut(text)!r} (accepted: {TIME_FORMS})"
    return pd.Series(out_np), reasons


def _cut(value: Any, n: int = 60) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "..."


# ------------------------------------------------------------------------------------------ table reading
WQ_MODEL_COLUMNS = (
    "station_id",
    "time",
    "parameter",
    "value",
    "unit",
    "flag",
    "detection_limit",
    *STATION_COLUMNS,
)
_DL_LABELS = {
    normalize_name(s)
    for s in (
        "检出限",
        "检测限",
        "方法检出限",
        "最低检出限",
        "检出下限",
        "检出限值",
        "detection limit",
        "detection_limit",
        "dl",
        "mdl",
        "lod",
    )
}
_UNIT_LABELS = {normalize_name(s) for s in ("单位", "计量单位", "unit", "units")}
_SUMMARY_LABELS = {
    normalize_name(s)
    for s in (
        "标准值",
        "标准限值",
        "限值",
        "Ⅲ类标准",
        "III类标准",
        "标准",
        "平均值",
        "均值",
        "平均",
        "年均值",
        "最大值",
        "最小值",
        "合计",
        "总计",
        "mean",
        "average",
        "max",
        "min",
        "standard",
    )
}
# columns of officers' wide exports that are not parameters and not used (listed in the notes when dropped)
_IGNORED_COLUMNS = {
    normalize_name(s)
    for s in (
        "序号",
        "编号",
        "no",
        "no.",
        "河流名称",
        "河流",
        "所在河流",
        "所属河流",
        "所属流域",
        "流域",
        "水系",
        "行政区",
        "所在地",
        "所在地区",
        "所属区县",
        "区县",
        "省",
        "省份",
        "市",
        "地市",
        "县",
        "断面属性",
        "断面性质",
        "断面类型",
        "考核级别",
        "断面级别",
        "控制级别",
        "水质类别",
        "水质状况",
        "实测类别",
        "是否达标",
        "达标情况",
        "超标项目",
        "超标因子",
        "超标倍数",
        "主要污染指标",
        "主要污染物",
        "备注",
        "说明",
        "经度",
        "纬度",
        "监测单位",
        "采样人",
        "采样时刻",
        "天气",
        "气温",
        "水期",
        "remark",
        "remarks",
        "note",
        "notes",
    )
}
_NOT_MEASURED = {"/", "-", "—", "--", "——", "－", "未测", "未监测", "n/a"}
_YMD_COLUMNS = {
    "year": {normalize_name(s) for s in ("年", "年份", "监测年份", "year")},
    "month": {normalize_name(s) for s in ("月", "月份", "监测月份", "month")},
    "day": {normalize_name(s) for s in ("日", "日期(日)", "day")},
}
_RE_HEADER_SPLIT = re.compile(r"^(.*?\S)\s*(?:\s|/)\s*(\S+)$")


def _param_of_header(col: str) -> tuple[str | None, str, str]:
    """(canonical code or None, parameter name, unit) of a wide column header such as ``总磷(mg/L)``."""
    name = str(col).strip()
    code = canonical_parameter(name)
    if code is not None:
        return code, name, ""
    for rx in (_RE_HEADER_UNIT, _RE_HEADER_SPLIT):
        m = rx.match(name)
        if m and (code := canonical_parameter(m.group(1))) is not None:
            return code, m.group(1).strip(), m.group(2).strip()
    return None, name, ""


def _wq_scorer(mapped: set[str]) -> Callable[[list[str]], int]:
    known = {normalize_name(k) for k in _COLUMN_ALIASES} | {normalize_name(m) for m in mapped}

    def score(row: list[str]) -> int:
        return sum(1 for c in row if c and (normalize_name(c) in known or _param_of_header(c)[0] is not None))

    return score


def _apply_wq_mapping(df: pd.DataFrame, mp: dict[str, Any], where: str) -> pd.DataFrame:
    cols = mp.get("columns", {})
    missing = sorted({v for v in cols.values() if v not in df.columns})
    if missing:
        found = [_cut(c) for c in df.columns if c != "_line"]
        msg = (
            f"{where}: mapped column(s) {[_cut(m) for m in missing]} not in the file; file columns: "
            f"{found[:40]}"
        )
        raise SchemaError(msg)
    ignore = mp.get("ignore", [])
    not_there = [i for i in ignore if i not in df.columns]
    if not_there:
        msg = f"{where}: `ignore` names column(s) {[_cut(i) for i in not_there]} that are not in the file"
        raise SchemaError(msg)
    out = df.drop(columns=ignore)
    for model, col in cols.items():
        code = canonical_parameter(model) if model not in WQ_MODEL_COLUMNS else None
        if model not in WQ_MODEL_COLUMNS and code is None:
            msg = (
                f"{where}: the water-quality mapping names unknown model column {_cut(model)!r}; "
                "expected one "
                "of "
                f"{list(WQ_MODEL_COLUMNS)} or a parameter (TP, NH3_N, 总磷 ...)"
            )
            raise SchemaError(msg)
        out[model if code is None else code] = df[col]
    consumed = {c for c in cols.values() if c not in cols}
    return out.drop(columns=[c for c in consumed if c in out.columns])


def _rename_columns(df: pd.DataFrame) -> pd.DataFrame:
    ren: dict[Any, str] = {}
    taken = set(df.columns)
    for c in df.columns:
        key = normalize_name(str(c))
        target = _COLUMN_ALIASES.get(key) or _COLUMN_ALIASES.get(normalize_name(_strip_unit(str(c))))
        if target and target not in taken and target not in ren.values():
            ren[c] = target
    return df.rename(columns=ren)


def _strip_unit(text: str) -> str:
    m = _RE_HEADER_UNIT.match(text)
    return m.group(1) if m else text


def _ymd_time(df: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Build a time column from separate year / month [/ day] columns (年份, 月份)."""
    if "time" in df.columns:
        return df, None
    found = {}
    for part, names in _YMD_COLUMNS.items():
        found[part] = next((c for c in df.columns if normalize_name(str(c)) in names), None)
    if found["year"] is None or found["month"] is None:
        return df, None
    y = df[found["year"]].astype(str).str.strip().str.replace("年", "", regex=False)
    m = df[found["month"]].astype(str).str.strip().str.replace("月", "", regex=False)
    t = y + "-" + m
    used = [found["year"], found["month"]]
    if found["day"] is not None:
        t = t + "-" + df[found["day"]].astype(str).str.strip().str.replace("日", "", regex=False)
        used.append(found["day"])
    out = df.drop(columns=used).assign(time=t)
    return out, f"time built from the columns {used}"


def _number(text: str) -> float:
    t = unicodedata.normalize("NFKC", str(text)).strip()
    m = _RE_LSUFFIX.match(t) or _RE_LT.match(t)
    if m:
        t = m.group(1)
    try:
        return float(t)
    except ValueError:
        return float("nan")


def load_detection_limits(
    source: Any, *, where: str = "detection_limits", encoding: str | None = None
) -> dict[str, float]:
    """Return per-parameter detection limits in each parameter's canonical unit.

    Parameters
    ----------
    source
        A dict ``{parameter: limit}`` (any parameter spelling; the limit in the parameter's canonical unit,
        mg/L for TP, or a text with its unit such as ``"5 µg/L"``), or a CSV/Excel table with columns
        ``parameter`` (or 指标/项目), ``detection_limit`` (or 检出限) and optionally ``unit`` (or 单位).
    where
        For messages.
    encoding
        Text encoding of a CSV table (None detects UTF-8 or GB18030).

    Returns
    -------
    dict
        ``{canonical code: limit in the canonical unit}``.

    Raises
    ------
    SchemaError
        Unknown parameter, unit, or a limit that is not a positive finite number.
    """
    from basin.io.sheets import read_table

    if source is None:
        return {}
    rows: list[tuple[Any, Any, str, str]] = []
    if isinstance(source, Mapping):
        for k, v in source.items():
            text = str(v).strip()
            m = re.match(rf"^({_NUM})\s*(.*)$", unicodedata.normalize("NFKC", text))
            rows.append((k, m.group(1) if m else text, m.group(2) if m else "", f"{where}: {_cut(k)}"))
    elif isinstance(source, str | os.PathLike):
        tab = read_table(source, encoding=encoding)
        df = _rename_columns(tab.frame)
        need = [c for c in ("parameter", "detection_limit") if c not in df.columns]
        if need:
            found = [_cut(c) for c in tab.frame.columns if c != "_line"]
            msg = (
                f"{source}: a detection-limit table needs columns parameter, detection_limit[, unit]; found "
                f"{found}"
            )
            raise SchemaError(msg)
        for r in df.itertuples():
            rows.append((r.parameter, r.detection_limit, getattr(r, "unit", ""), f"{source}: line {r._1}"))
    else:
        msg = (
            f"{where}: expected a mapping {{parameter: limit}} or a CSV/Excel path, got "
            f"{type(source).__name__}"
        )
        raise SchemaError(msg)
    out: dict[str, float] = {}
    for name, value, unit, at in rows:
        code = canonical_parameter(str(name))
        if code is None:
            msg = f"{at}: unknown parameter {_cut(name)!r} in the detection limits"
            raise SchemaError(msg)
        try:
            val = float(value)
        except (TypeError, ValueError):
            val = float("nan")
        if not np.isfinite(val) or val <= 0:
            msg = f"{at}: detection limit {_cut(value)!r} of {code} is not a positive number"
            raise SchemaError(msg)
        fac = unit_factor(str(unit or ""), code)
        if fac is None:
            msg = f"{at}: unknown unit {_cut(unit)!r} for {code} (accepted: {', '.join(known_units(code))})"
            raise SchemaError(msg)
        out[code] = val * fac
    return out


def _read_wq_table(
    path: Path,
    *,
    mapping: Any,
    layout: str,
    header_row: int | None,
    encoding: str | None,
    sheet: str | int | None,
) -> tuple[pd.DataFrame, list[str], list[str], dict[str, float], dict[str, Any]]:
    """Read a long or wide table into long rows (long, unknown columns, notes, file DLs, mapping)."""
    from basin.io.sheets import read_table

    if mapping is None:
        mp: dict[str, Any] = {}
    else:
        from basin.io.layers import load_mapping

        mp = load_mapping(mapping, "wq")
    table = read_table(
        path,
        encoding=encoding,
        sheet=sheet,
        header_row=header_row,
        is_header=_wq_scorer(set(mp.get("columns", {}).values())),
    )
    where = table.where
    notes = list(table.notes)
    if table.encoding not in (None, "utf-8"):
        notes.append(f"text encoding detected as {table.encoding}")
    df = _apply_wq_mapping(table.frame, mp, where)
    df = _rename_columns(df)
    df, note = _ymd_time(df)
    if note:
        notes.append(note)
    if "station_id" not in df.columns and "name" in df.columns:
        df["station_id"] = df["name"]
        notes.append("no station code column: the station name column (断面名称) is the station key")
    missing = [c for c in ("station_id", "time") if c not in df.columns]
    if missing:
        found = [_cut(c) for c in table.frame.columns if c != "_line"]
        msg = (
            f"{where}: missing column(s) {missing}; found {found[:40]} (map them: `columns: "
            f"{{station_id: 断面编码, "
            "time: 监测时间}}` in the `mapping:` of water_quality in the project file, or --mapping)"
        )
        raise SchemaError(msg)
    is_long = "parameter" in df.columns or "value" in df.columns
    if layout == "long" or (layout == "auto" and is_long):
        lack = [c for c in ("parameter", "value") if c not in df.columns]
        if lack:
            msg = f"{where}: long table without column(s) {lack}"
            raise SchemaError(msg)
        return df, [], notes, {}, mp
    if layout not in ("auto", "wide"):
        msg = f"layout must be 'auto', 'long', 'wide', 'national_export' or 'hj212', got {_cut(layout)!r}"
        raise SchemaError(msg)
    long, unknown, more, file_dl = _wide_to_long(df, where)
    return long, unknown, notes + more, file_dl, mp


def _wide_to_long(
    df: pd.DataFrame, where: str | Path
) -> tuple[pd.DataFrame, list[str], list[str], dict[str, float]]:
    notes: list[str] = []
    meta = {"_line", "station_id", "time", *STATION_COLUMNS, "flag", "detection_limit"}
    dropped = [c for c in df.columns if c not in meta and normalize_name(str(c)) in _IGNORED_COLUMNS]
    if dropped:
        notes.append(f"column(s) not used: {[_cut(c) for c in dropped]}")
        df = df.drop(columns=dropped)
    value_cols = [c for c in df.columns if c not in meta]
    if not value_cols:
        msg = (
            f"{where}: no parameter columns; expected a long table (station_id,time,parameter,value) or a "
            "wide one"
        )
        raise SchemaError(msg)
    heads = {c: _param_of_header(str(c)) for c in value_cols}
    unknown = [str(c) for c, (code, _, _) in heads.items() if code is None]
    # rows that are not samples: a detection-limit row, a unit row, summary rows (standard values, means)
    label_cols = ["station_id", "name", "time", df.columns[1] if len(df.columns) > 1 else "station_id"]
    labels = pd.Series("", index=df.index, dtype=object)
    for c in dict.fromkeys(label_cols):
        if c in df.columns:
            cell = df[c].astype(str)
            u_idx, u_vals = pd.factorize(cell)
            normed = np.array([normalize_name(v) for v in u_vals] + [""], dtype=object)[u_idx]
            labels = labels.where(labels != "", pd.Series(normed, index=df.index))
    is_dl = labels.isin(_DL_LABELS).to_numpy()
    is_unit = labels.isin(_UNIT_LABELS).to_numpy()
    is_summary = labels.isin(_SUMMARY_LABELS).to_numpy()
    units = {c: heads[c][2] for c in value_cols}
    if is_unit.any():
        row = df[is_unit].iloc[0]
        for c in value_cols:
            u = str(row[c]).strip()
            if u:
                if units[c] and units[c] != u:
                    msg = (
                        f"{where}: column {_cut(c)!r} has unit {units[c]!r} in its header and {u!r} in the "
                        "unit row"
                    )
                    raise SchemaError(msg)
                units[c] = u
        notes.append(f"unit row on line {int(row['_line'])}")
    file_dl: dict[str, float] = {}
    if is_dl.any():
        row = df[is_dl].iloc[0]
        for c in value_cols:
            code = heads[c][0]
            text = str(row[c]).strip()
            if code is None or not text:
                continue
            val = _number(text)
            fac = unit_factor(units[c], code)
            if not np.isfinite(val) or val <= 0 or fac is None:
                msg = (
                    f"{where}: line {int(row['_line'])} (detection limits), column {_cut(c)!r}: "
                    f"{_cut(text)!r} is not "
                    "a detection limit (a positive number in the column's unit)"
                )
                raise SchemaError(msg)
            file_dl[code] = val * fac
        notes.append(f"detection-limit row on line {int(row['_line'])}: {sorted(file_dl)}")
    if is_summary.any():
        notes.append(
            f"summary row(s) skipped on line(s) {', '.join(str(int(x)) for x in df.loc[is_summary, '_line'])}"
        )
    df = df[~(is_dl | is_unit | is_summary)]
    parts = []
    n_not_measured = 0
    keep_cols = ["_line", "station_id", "time", *[c for c in STATION_COLUMNS if c in df.columns]]
    for extra in ("flag", "detection_limit"):
        if extra in df.columns:
            keep_cols.append(extra)
    for col in value_cols:
        code, name, _ = heads[col]
        part = df[keep_cols].copy()
        part["parameter"] = name if code is not None else str(col)
        vals = df[col].astype(str).str.strip()
        nm = vals.isin(_NOT_MEASURED)
        n_not_measured += int(nm.sum())
        part["value"] = vals
        part["unit"] = units[col]
        parts.append(part[(vals != "") & ~nm])
    if n_not_measured:
        notes.append(f"{n_not_measured} cell(s) marked not measured (/, -, 未监测) left empty")
    long = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*keep_cols, "parameter", "value", "unit"])
    )
    return long, unknown, notes, file_dl


VALUE_FORMS = "accepted: a number, 0.01L, <0.02, ND/未检出 with a detection limit"


def _parse_values(
    df: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str | None], np.ndarray]:
    """Return value (not unit-converted), below-DL flag, DL, reason per row, and ND rows without a DL.

    The last array marks ``ND``/``未检出`` rows that have no ``detection_limit`` of their own: their value is
    filled in from the per-parameter limits by :func:`_validate_long` (or refused there).
    """
    raw = df["value"].astype(str).str.strip()
    wide_chars = ~raw.str.isascii()
    if wide_chars.any():  # full-width digits and signs (０.０１, ＜0.02) as ASCII
        raw = raw.copy()
        raw[wide_chars] = raw[wide_chars].map(lambda v: unicodedata.normalize("NFKC", v).strip())
    n = len(df)
    value = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    below = np.zeros(n, dtype=bool)
    pending = np.zeros(n, dtype=bool)
    reasons: list[str | None] = [None] * n
    dl_col = (
        pd.to_numeric(df["detection_limit"].astype(str).str.strip(), errors="coerce").to_numpy(float)
        if "detection_limit" in df.columns
        else np.full(n, np.nan)
    )
    flags = df["flag"].astype(str).str.strip().str.lower() if "flag" in df.columns else pd.Series([""] * n)
    flags = flags.to_numpy(object)
    dl = np.full(n, np.nan)
    raw_np = raw.to_numpy(object)
    for i in np.flatnonzero(np.isinf(value)):
        reasons[i] = f"not a finite number {_cut(raw_np[i])!r} ({VALUE_FORMS})"
    nonnum = np.flatnonzero(np.isnan(value))
    # the common below-detection-limit spelling "0.05L", vectorised; the rest row by row below
    sub = pd.Series(raw_np[nonnum], dtype=object).astype(str)
    lsuf = sub.str.extract(_RE_LSUFFIX.pattern, expand=False).to_numpy(object)
    hit = pd.notna(lsuf)
    dl[nonnum[hit]] = lsuf[hit].astype(float)
    below[nonnum[hit]] = True
    for i in nonnum[~hit]:
        text = raw_np[i]
        if m := (_RE_LSUFFIX.match(text) or _RE_LT.match(text)):
            dl[i] = float(m.group(1))
            below[i] = True
        elif _RE_ND.match(text):
            if np.isnan(dl_col[i]):
                pending[i] = True
            else:
                dl[i] = dl_col[i]
                below[i] = True
        elif text == "":
            reasons[i] = "empty value"
        elif text.lower() in {"nan", "na", "n/a", "-", "--", "/", "null", "none"}:
            reasons[i] = f"missing value {_cut(text)!r}"
        else:
            reasons[i] = f"text {_cut(text)!r} where a number is expected ({VALUE_FORMS})"
    bad_dl = below & ~np.isfinite(dl)
    for i in np.flatnonzero(bad_dl):
        reasons[i] = f"not a finite detection limit {_cut(raw_np[i])!r}"
    for i in np.flatnonzero(~np.isin(flags, list(_OK_FLAGS))):
        f = flags[i]
        if f in _BELOW_FLAGS:
            if reasons[i] is None and not below[i] and not pending[i]:
                dl[i] = value[i]
                below[i] = True
        elif reasons[i] is None:
            reasons[i] = (
                f"flag {_cut(df['flag'].to_numpy(object)[i])!r}: not a valid measurement (accepted flags: N, "
                "L, <, ND)"
            )
    value = np.where(below, dl / 2.0, value)
    return value, below, dl, reasons, pending


def _validate_long(
    df: pd.DataFrame,
    station_ids: set[str] | None,
    *,
    detection_limits: Mapping[str, float] | None = None,
    time_format: str | None = None,
    excel: bool = False,
) -> pd.DataFrame:
    """Add canonical ``code``, converted ``value_c``, ``below`` and ``reason`` columns."""
    df = df.reset_index(drop=True)
    n = len(df)
    reasons: list[str | None] = [None] * n
    limits = dict(detection_limits or {})

    def add(mask: np.ndarray, text: str | Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask):
            if reasons[i] is None:
                reasons[i] = text if isinstance(text, str) else text(int(i))

    sid = df["station_id"].astype(str).str.strip()
    df["station_id"] = sid
    add((sid == "").to_numpy(), "missing station_id")
    if station_ids is not None:
        unknown_st = (~sid.isin(station_ids) & (sid != "")).to_numpy()
        add(unknown_st, lambda i: f"unknown station {_cut(sid.iat[i])!r} (not in the stations layer)")
    df["_time_raw"] = df["time"].astype(str)
    times, t_reasons = parse_times(df["time"].to_numpy(object), time_format=time_format, excel=excel)
    add(np.array([r is not None for r in t_reasons], dtype=bool), lambda i: str(t_reasons[i]))
    df["time"] = times.to_numpy("datetime64[ns]")
    # parameter names and units are few: resolve each distinct one once, then take by position
    names = df["parameter"].astype(str).to_numpy(object)
    p_idx, p_uniq = pd.factorize(names)
    u_code = np.array([canonical_parameter(p) for p in p_uniq] + [None], dtype=object)
    code_np = u_code[p_idx]
    code = pd.Series(code_np, dtype=object)
    params = parameter_table()
    known = code.notna().to_numpy()
    add(~known, lambda i: f"unknown parameter {_cut(names[i])!r}")
    units = (df["unit"].astype(str).str.strip() if "unit" in df.columns else pd.Series([""] * n)).to_numpy(
        object
    )
    pair_idx, pair_uniq = pd.factorize(pd.Series(code.fillna("").to_numpy(object) + "\t" + units))
    pair_fac = []
    for key in pair_uniq:
        c, u = str(key).split("\t", 1)
        f = unit_factor(u, c) if c else None
        pair_fac.append(np.nan if f is None else f)
    fac = np.asarray(pair_fac + [np.nan], dtype=float)[pair_idx]
    bad_u = np.isnan(fac) & known
    add(
        bad_u,
        lambda i: (
            f"unknown unit {_cut(units[i])!r} for {code_np[i]} (accepted: "
            f"{', '.join(known_units(code_np[i]))})"
        ),
    )
    value, below, _dl, vreasons, pending = _parse_values(df)
    add(np.array([r is not None for r in vreasons], dtype=bool), lambda i: str(vreasons[i]))
    value_c = value * fac
    # not detected without a limit of its own: the parameter's limit (canonical unit), else refused
    for i in np.flatnonzero(pending):
        c = code_np[i]
        if c is not None and c in limits:
            value_c[i] = limits[c] / 2.0
            below[i] = True
        else:
            raw_v = str(df["value"].iat[i]).strip()
            add(
                np.arange(n) == i,
                f"value {_cut(raw_v)!r} (not detected) without a detection limit for {c or names[i]}: give "
                "one "
                "(a detection-limit row 检出限 in the file, "
                f"`detection_limits: {{{c or 'TP'}: 0.01}}` in the "
                "project file, or a detection_limit column)",
            )
    u_params = params.reindex([c if c is not None else "" for c in u_code])
    lo = u_params["min"].to_numpy(float)[p_idx]
    hi = u_params["max"].to_numpy(float)[p_idx]
    is_conc = u_params["quantity"].isin(["mass_concentration", "count_concentration"]).to_numpy()[p_idx]
    raw = df["value"].astype(str).str.strip().to_numpy(object)
    finite = np.isfinite(value_c)
    ok = finite
    add(~finite & ~np.isnan(value_c), lambda i: f"not a finite number {_cut(raw[i])!r} ({VALUE_FORMS})")
    neg = ok & is_conc & (value_c < 0)
    add(neg, lambda i: f"negative concentration {_cut(raw[i])}")
    out = ok & ~neg & ((value_c < lo) | (value_c > hi))
    add(out, lambda i: f"{code_np[i]} value {_cut(raw[i])} outside the plausible range {lo[i]:g}-{hi[i]:g}")
    add(np.isnan(value_c) & known & ~bad_u, "no value")
    good = np.array([r is None for r in reasons], dtype=bool)
    key = pd.DataFrame({"s": sid, "t": df["time"], "c": code})[good]
    dup = key.duplicated(keep=False)
    if dup.any():
        d = key[dup].assign(line=df.loc[key.index[dup], "_line"].to_numpy())
        lines = d.groupby(["s", "t", "c"])["line"].transform(lambda x: ", ".join(map(str, sorted(x))))
        for i, ls in zip(d.index, lines.to_numpy(), strict=True):
            reasons[i] = f"duplicate sample: same station, time and parameter on lines {ls}"
    df["code"] = code
    df["value_c"] = value_c
    df["below"] = below
    df["reason"] = reasons
    return df


def _rejected_table(df: pd.DataFrame) -> pd.DataFrame:
    bad = df[df["reason"].notna()]
    cols = {
        "line": bad["_line"].to_numpy(),
        "station_id": bad["station_id"].to_numpy(),
        "time": (bad["_time_raw"] if "_time_raw" in bad else bad["time"].astype(str)).to_numpy(),
        "parameter": bad["parameter"].to_numpy(),
        "value": bad["value"].to_numpy(),
        "unit": bad["unit"].to_numpy() if "unit" in bad.columns else "",
        "reason": bad["reason"].to_numpy(),
    }
    return pd.DataFrame(cols).sort_values("line", kind="stable").reset_index(drop=True)


def _raise_rejected(rejected: pd.DataFrame, path: Path) -> None:
    shown = "; ".join(f"line {r.line}: {r.reason}" for r in rejected.head(MAX_LISTED).itertuples())
    more = f"; ... and {len(rejected) - MAX_LISTED} more" if len(rejected) > MAX_LISTED else ""
    msg = (
        f"{path}: {len(rejected)} rejected value(s): {shown}{more} "
        "(fix them, or set them aside as a table: `basin wq assess --rejected FILE`, "
        "read_wq(on_invalid='report'))"
    )
    raise SchemaError(msg)


def stations_coords(stations: Any, station_ids: list[str]) -> dict[str, tuple[str, np.ndarray]]:
    """Return the station coordinates (name, river_id, ..., lon, lat) of ``station_ids``."""
    gdf = stations.set_index(stations["station_id"].astype(str))
    gdf = gdf.loc[station_ids]
    coords: dict[str, tuple[str, np.ndarray]] = {}
    for col in STATION_COLUMNS:
        if col == "target_class":
            tc = gdf[col] if col in gdf.columns else pd.Series(pd.NA, index=gdf.index)
            coords[col] = ("station", pd.to_numeric(tc).fillna(0).to_numpy("int8"))
        else:
            vals = (
                gdf[col].astype("string").fillna("") if col in gdf.columns else pd.Series("", index=gdf.index)
            )
            coords[col] = ("station", vals.to_numpy(str).astype(object))
    for col in OPTIONAL_STATION_COLUMNS:
        if col in gdf.columns:
            coords[col] = ("station", gdf[col].astype("string").fillna("").to_numpy(str).astype(object))
    for col in STATION_FLAGS:
        if col in gdf.columns:
            text = gdf[col].astype("string").fillna("").str.strip().str.lower()
            bad = ~text.isin(_TRUE | _FALSE)
            if bad.any():
                first = str(gdf[col][bad.to_numpy()].iloc[0])[:60]
                msg = (
                    f"stations: column {col!r} must be true/false (or 1/0, 是/否); station "
                    f"{gdf.index[bad.to_numpy()][0]!r} has {first!r}"
                )
                raise SchemaError(msg)
            coords[col] = ("station", text.isin(_TRUE).to_numpy(bool))
    if hasattr(gdf, "geometry") and gdf.crs is not None:
        ll = gdf.geometry.to_crs(4326)
        coords["lon"] = ("station", ll.x.to_numpy())
        coords["lat"] = ("station", ll.y.to_numpy())
    return coords


def _load_stations(stations: Any) -> Any:
    if stations is None:
        return None
    if isinstance(stations, (str, os.PathLike)):
        from basin.io import read_layer

        return read_layer(stations, "stations")
    if isinstance(stations, pd.DataFrame) and "station_id" in stations.columns:
        return stations
    msg = "stations must be a stations GeoDataFrame (basin.io.read_layer(path, 'stations')) or a path"
    raise SchemaError(msg)


def _build_dataset(good: pd.DataFrame, st: Any, path: Path) -> xr.Dataset:
    s_idx, st_uniq = pd.factorize(good["station_id"].to_numpy(object), sort=True)
    station_ids = list(st_uniq)
    t_idx, t_uniq = pd.factorize(good["time"], sort=True)
    times = np.asarray(t_uniq)
    params = parameter_table()
    data_vars: dict[str, Any] = {}
    present = set(good["code"].unique())
    order = [p for p in params.index if p in present]
    codes = good["code"].to_numpy(object)
    vals = good["value_c"].to_numpy(float)
    below = good["below"].to_numpy(bool)
    for p in order:
        m = codes == p
        arr = np.full((len(station_ids), len(times)), np.nan)
        arr[s_idx[m], t_idx[m]] = vals[m]
        flag = np.zeros(arr.shape, dtype=np.int8)
        flag[s_idx[m], t_idx[m]] = below[m]
        data_vars[p] = (
            ("station", "time"),
            arr,
            {
                "units": params.at[p, "unit"],
                "long_name": params.at[p, "name_zh"],
                "standard_name_en": params.at[p, "name_en"],
            },
        )
        data_vars[f"{p}_flag"] = (
            ("station", "time"),
            flag,
            {
                "long_name": f"detection-limit flag of {p}",
                "flag_values": np.array([0, 1], dtype=np.int8),
                "flag_meanings": FLAG_MEANINGS,
                "comment": "1: below the detection limit, the value is half the limit",
            },
        )
    coords: dict[str, Any] = {"station": np.array(station_ids, dtype=object), "time": times}
    if st is not None:
        coords.update(stations_coords(st, station_ids))
    else:
        # station attributes given in the table itself (one value per station)
        for col in ("name", "waterbody", "target_class", "river_id", "lake_id"):
            if col not in good.columns:
                continue
            per = good[["station_id", col]].astype({col: str}).drop_duplicates()
            per = per[per[col].str.strip() != ""]
            clash = per["station_id"].duplicated(keep=False)
            if clash.any():
                msg = (
                    f"{path}: column {col!r} has several values for station(s) "
                    f"{sorted(set(per['station_id'][clash]))}"
                )
                raise SchemaError(msg)
            m = per.set_index("station_id")[col].reindex(station_ids).fillna("")
            if col == "target_class":
                from basin.io.layers import parse_class

                tc = m.map(lambda v: parse_class(v) if str(v).strip() else np.nan).astype(float)
                unparsed = sorted(
                    {str(v) for v, t in zip(m, tc, strict=True) if str(v).strip() and np.isnan(t)}
                )
                if unparsed:
                    msg = (
                        f"{path}: column 'target_class' has {[_cut(u) for u in unparsed[:10]]}; "
                        "expected 1-5 or Ⅰ类 ... Ⅴ类"
                    )
                    raise SchemaError(msg)
                if tc.notna().any() and not tc.dropna().isin(range(1, 6)).all():
                    msg = f"{path}: column 'target_class' must hold 1-5"
                    raise SchemaError(msg)
                coords[col] = ("station", tc.fillna(0).to_numpy("int8"))
            elif col == "waterbody":
                from basin.io.layers import _builtin_value

                m = m.map(
                    lambda v: (
                        v
                        if v in {"", "river", "lake", "reservoir"}
                        else _builtin_value("stations", "waterbody", v) or v
                    )
                )
                bad = sorted(set(m) - {"", "river", "lake", "reservoir"})
                if bad:
                    msg = f"{path}: column 'waterbody' has {bad}; expected river, lake or reservoir"
                    raise SchemaError(msg)
                coords[col] = ("station", m.to_numpy(object))
            else:
                coords[col] = ("station", m.to_numpy(object))
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {"source": str(path), "title": "water-quality series", "Conventions": "CF-1.8"}
    return ds


@overload
def read_wq(
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    layout: str = "auto",
    mapping: Any = None,
    detection_limits: Any = None,
    header_row: int | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    time_format: str | None = None,
    year: int | None = None,
    standard: str | None = None,
    on_invalid: Literal["raise"] = "raise",
) -> xr.Dataset: ...
@overload
def read_wq(
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    layout: str = "auto",
    mapping: Any = None,
    detection_limits: Any = None,
    header_row: int | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    time_format: str | None = None,
    year: int | None = None,
    standard: str | None = None,
    on_invalid: Literal["report"],
) -> tuple[xr.Dataset, pd.DataFrame]: ...


def read_wq(
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    layout: str = "auto",
    mapping: Any = None,
    detection_limits: Any = None,
    header_row: int | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    time_format: str | None = None,
    year: int | None = None,
    standard: str | None = None,
    on_invalid: Literal["raise", "report"] = "raise",
) -> xr.Dataset | tuple[xr.Dataset, pd.DataFrame]:
    """Read a water-quality series into a Dataset with dims ``(station, time)``.

    Parameters
    ----------
    path
        Long table (``station_id,time,parameter,value[,unit][,flag][,detection_limit]``), wide table
        (station and time columns + one column per parameter, the unit optionally in the header:
        ``总磷(mg/L)``),
        as CSV (UTF-8 or GBK/GB18030) or Excel (.xlsx/.xls); or NetCDF (.nc) / Zarr (.zarr) with dims
        ``(station, time)``. Chinese headers are recognised (断面编码/断面名称, 监测时间, 指标, 监测值 ...); a
        table without a station code column is keyed by its station names (断面名称). A title above the header
        is skipped (the header is found, or given with ``header_row``). In a wide table a row labelled 检出限
        holds per-parameter detection limits, a row 单位 the units, rows such as 平均值/标准值 are skipped,
        and
        columns such as 序号/河流名称/水质类别 are left out (all listed in ``ds.attrs["notes"]``).
    stations
        Stations GeoDataFrame (``basin.io.read_layer(path, "stations")``) or its path: adds the coordinates
        ``name, river_id, lake_id, waterbody, target_class`` (0 = unknown), ``lon, lat``; a station of the
        data
        that is not in the layer is rejected. Station names of the data are matched to the layer's names
        when they are not its ids.
    layout
        ``"auto"`` (a ``parameter``/``value`` column makes a long table), ``"long"`` or ``"wide"``.
    mapping
        Column mapping of the table (see :func:`basin.io.load_mapping`, kind ``wq``): ``columns`` (model
        column or parameter code -> file column), ``ignore`` (file columns left out), ``time_format``.
    detection_limits
        Per-parameter detection limits for ``ND``/``未检出`` values: ``{parameter: limit}`` in the parameter's
        canonical unit (or ``"5 µg/L"``), or a CSV/Excel table (see :func:`load_detection_limits`). A limit of
        the row's own ``detection_limit`` column comes first; a limit both here and in the file's 检出限 row
        must agree.
    header_row
        1-based line (Excel row) of the header; None finds it below any title rows.
    encoding
        Text encoding of a CSV (None detects UTF-8, else GBK/GB18030).
    sheet
        Sheet name or 0-based index of a workbook (default the first).
    time_format
        ``strftime`` format of the dates (e.g. ``%d/%m/%Y``); None accepts the forms of :data:`TIME_FORMS`
        (also ``time_format`` in the mapping). Zone-aware stamps are converted to China Standard Time.
    year
        Year of the first row of a national export (layout ``national_export``); unused by long and wide
        tables.
    standard
        Standard name; checked to exist (classification happens later, see :func:`classify_dataset`).
    on_invalid
        ``"raise"`` (default): any rejected value raises :class:`SchemaError` listing line numbers and
        reasons.
        ``"report"``: return ``(ds, rejected)``, the Dataset built from the good rows only and a DataFrame
        ``line, station_id, time, parameter, value, unit, reason``.

    Returns
    -------
    xarray.Dataset
        One float64 variable per canonical parameter in its canonical unit (``units`` attr), plus an int8
        ``<param>_flag`` (1 = below detection limit; the value is then half the limit,
        环办监测函〔2020〕82号).
        ``attrs["notes"]`` lists what was inferred (header line, detection-limit row, columns left out ...).

    Raises
    ------
    DataError
        Missing, unreadable or undecodable file.
    SchemaError
        Missing columns, or rejected values: negative or non-finite concentration (``inf``, ``1e999``), pH
        outside 0-14 (any value outside the parameter's plausible range), text, not-detected without a limit,
        unknown parameter or unit, bad or ambiguous time, duplicate sample, unknown station.
    """
    from basin.waterquality.standards import load_standard

    load_standard(standard)
    if on_invalid not in ("raise", "report"):
        msg = f"on_invalid must be 'raise' or 'report', got {_cut(on_invalid)!r}"
        raise ValueError(msg)
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file or directory"
        raise DataError(msg)
    st = _load_stations(stations)
    feed_layout = layout in ("national_export", "hj212")
    if feed_layout or (layout == "auto" and path.is_file() and _is_feed(path, encoding)):
        # station feeds (issue 12): daily means of the normal values, see basin.waterquality.feeds
        from basin.waterquality.feeds import feed_dataset, parse_feed

        feed = parse_feed(path, layout=layout, year=year, stations=st, encoding=encoding, sheet=sheet)
        ds, feed_rejects = feed_dataset(feed, stations=st)
        if len(feed_rejects) and on_invalid == "raise":
            _raise_rejected(feed_rejects, path)
        return (ds, feed_rejects) if on_invalid == "report" else ds
    station_ids = set(st["station_id"].astype(str)) if st is not None else None
    suffix = path.suffix.lower()
    if suffix in {".nc", ".nc4", ".netcdf", ".zarr"} or path.is_dir():
        return _read_gridded(path, st, station_ids, on_invalid)
    long, unknown_cols, notes, file_dl, mp = _read_wq_table(
        path, mapping=mapping, layout=layout, header_row=header_row, encoding=encoding, sheet=sheet
    )
    if unknown_cols and on_invalid == "raise":
        msg = (
            f"{path}: unknown parameter column(s) {[_cut(c) for c in unknown_cols[:20]]}; map them "
            "(`columns: {TP: 列名}` in the water-quality mapping) or leave them out (`ignore: [列名]`)"
        )
        raise SchemaError(msg)
    limits = load_detection_limits(detection_limits)
    for code, val in file_dl.items():
        if code in limits and not np.isclose(limits[code], val, rtol=1e-9, atol=0):
            msg = (
                f"{path}: detection limit of {code} is {val:g} in the file's 检出限 row "
                f"and {limits[code]:g} in "
                "detection_limits (canonical unit); remove one"
            )
            raise SchemaError(msg)
    limits = {**file_dl, **limits}
    if "unit" not in long.columns:
        long = long.assign(unit="")
    if st is not None and len(long):
        long, note = _names_to_ids(long, st)
        if note:
            notes.append(note)
    checked = _validate_long(
        long,
        station_ids,
        detection_limits=limits,
        time_format=time_format or mp.get("time_format"),
        excel=suffix in {".xlsx", ".xlsm", ".xls"},
    )
    rejected = _rejected_table(checked)
    if len(rejected) and on_invalid == "raise":
        _raise_rejected(rejected, path)
    good = checked[checked["reason"].isna()]
    if good.empty:
        msg = f"{path}: no valid values ({len(rejected)} rejected)"
        raise SchemaError(msg)
    ds = _build_dataset(good, st, path)
    if notes:
        ds.attrs["notes"] = "; ".join(notes)
    return (ds, rejected) if on_invalid == "report" else ds


def _is_feed(path: Path, encoding: str | None) -> bool:
    """Return True when the file is a station feed (HJ 212 packets, the national release export)."""
    from basin.waterquality.feeds import detect_layout

    return detect_layout(path, encoding=encoding) in ("national_export", "hj212")


def _names_to_ids(long: pd.DataFrame, st: Any) -> tuple[pd.DataFrame, str | None]:
    """Station keys of the data that are the layer's station names (断面名称), not its ids: use the ids."""
    ids = set(st["station_id"].astype(str))
    keys = long["station_id"].astype(str).str.strip()
    unknown = set(keys) - ids - {""}
    if not unknown or "name" not in st.columns:
        return long, None
    names = st["name"].astype("string").str.strip()
    counts = names.value_counts()
    lookup = {
        n: i
        for n, i in zip(names, st["station_id"].astype(str), strict=True)
        if pd.notna(n) and counts[n] == 1
    }
    if not unknown <= set(lookup):
        return long, None
    out = long.copy()
    out["station_id"] = keys.map(lambda k: lookup.get(k, k))
    return out, f"station names of the data matched to the stations layer's ids ({len(unknown)} name(s))"


def _read_gridded(
    path: Path, st: Any, station_ids: set[str] | None, on_invalid: str
) -> xr.Dataset | tuple[xr.Dataset, pd.DataFrame]:
    try:
        if path.suffix.lower() == ".zarr" or path.is_dir():
            try:
                ds = xr.open_zarr(path, consolidated=True)
            except (KeyError, ValueError, FileNotFoundError):
                ds = xr.open_zarr(path, consolidated=False)
        else:
            ds = xr.open_dataset(path)
    except Exception as exc:
        msg = f"{path}: cannot open as NetCDF/Zarr: {exc}"
        raise DataError(msg) from exc
    if "station" not in ds.dims or "time" not in ds.dims:
        msg = f"{path}: expected dims ('station', 'time'), found {tuple(ds.dims)}"
        raise SchemaError(msg)
    params = parameter_table()
    problems: list[str] = []
    rename: dict[str, str] = {}
    out = {}
    rejected_rows: list[dict[str, Any]] = []
    checked = []
    for name in ds.data_vars:
        sname = str(name)
        if sname.endswith("_flag"):
            continue
        code = canonical_parameter(sname)
        if code is None:
            problems.append(f"unknown parameter variable {sname!r}")
            continue
        da = ds[name]
        unit = da.attrs.get("units", "")
        fac = unit_factor(unit, code)
        if fac is None:
            problems.append(
                f"variable {sname!r}: unknown unit {unit!r} (accepted: {', '.join(known_units(code))})"
            )
            continue
        if not np.issubdtype(da.dtype, np.number):
            problems.append(f"variable {sname!r}: dtype {da.dtype} is not numeric")
            continue
        v = da.astype("float64") * fac if fac != 1.0 else da.astype("float64")
        lo, hi = params.at[code, "min"], params.at[code, "max"]
        bad = (v < lo) if np.isfinite(lo) else xr.zeros_like(v, dtype=bool)
        if np.isfinite(hi):
            bad = bad | (v > hi)
        bad = bad | np.isinf(v)  # inf / 1e999 are refused, never classed 劣Ⅴ
        checked.append((sname, code, da, v, bad, unit, lo, hi))
    # one pass over the data for all the checks (lazy arrays: one dask graph)
    import dask

    n_bads = [int(n) for n in dask.compute(*[c[4].sum() for c in checked])]
    for (sname, code, da, v, bad, unit, lo, hi), n_bad in zip(checked, n_bads, strict=True):
        if n_bad:
            where = bad.stack(z=("station", "time"))
            pos = where.z[where.values][:MAX_LISTED].values
            vals = v.stack(z=("station", "time")).sel(z=pos).values
            first = len(rejected_rows)
            for (s_, t_), val in zip(pos, vals, strict=True):
                is_conc = params.at[code, "quantity"] in ("mass_concentration", "count_concentration")
                what = (
                    "not a finite number"
                    if np.isinf(val)
                    else "negative concentration"
                    if is_conc and val < 0
                    else f"outside the plausible range {lo:g}-{hi:g}"
                )
                rejected_rows.append(
                    {
                        "line": pd.NA,
                        "station_id": str(s_),
                        "time": str(t_),
                        "parameter": sname,
                        "value": str(val),
                        "unit": unit,
                        "reason": what,
                    }
                )
            if on_invalid == "raise":
                problems.append(
                    f"variable {sname!r}: {n_bad} value(s) rejected, e.g. "
                    + ", ".join(
                        f"station {r['station_id']} time {r['time']}: {r['reason']} {r['value']}"
                        for r in rejected_rows[first : first + 3]
                    )
                )
            v = v.where(~bad)
        v.attrs = {**da.attrs, "units": params.at[code, "unit"], "long_name": params.at[code, "name_zh"]}
        out[code] = v
        flag_name = f"{sname}_flag"
        if flag_name in ds:
            out[f"{code}_flag"] = ds[flag_name].astype("int8")
        else:
            out[f"{code}_flag"] = xr.zeros_like(v, dtype=np.int8).assign_attrs(
                flag_values=np.array([0, 1], dtype=np.int8), flag_meanings=FLAG_MEANINGS
            )
        rename[sname] = code
    if station_ids is not None:
        unknown = sorted(set(map(str, ds["station"].values)) - station_ids)
        if unknown:
            problems.append(f"unknown station(s) {unknown[:MAX_LISTED]} (not in the stations layer)")
    if problems and on_invalid == "raise":
        raise SchemaError(f"{path}: " + "; ".join(problems))
    res = xr.Dataset(out, coords=ds.coords, attrs={**ds.attrs, "source": str(path)})
    if st is not None:
        keep = [s for s in map(str, res["station"].values) if s in (station_ids or set())]
        res = res.sel(station=keep)
        res = res.assign_coords(stations_coords(st, keep))
    if on_invalid == "report":
        rej = pd.DataFrame(
            rejected_rows, columns=["line", "station_id", "time", "parameter", "value", "unit", "reason"]
        )
        for p in problems:
            if not p.startswith("variable") or "rejected" not in p:
                rej.loc[len(rej)] = [pd.NA, "", "", "", "", "", p]
        return res, rej
    return res


def classify_table(
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    waterbody: str = "river",
    standard: str | None = None,
) -> pd.DataFrame:
    """Classify every row of a long table: the input rows plus ``class`` and ``class_label``.

    ``class`` is 1-6 (Int8), NA when the parameter has no class for the row's waterbody (TN of rivers, water
    temperature ...). The waterbody of a row comes from a ``waterbody`` column, else from ``stations``, else
    ``waterbody``. Rejected rows raise :class:`SchemaError` as in :func:`read_wq`.
    """
    from basin.waterquality.classify import class_labels, classify
    from basin.waterquality.standards import load_standard

    std = load_standard(standard)
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file or directory"
        raise DataError(msg)
    from basin.io.sheets import read_table

    raw = read_table(path, is_header=_wq_scorer(set())).frame
    df = _rename_columns(raw)
    missing = [c for c in ("station_id", "time", "parameter", "value") if c not in df.columns]
    if missing:
        found = [c for c in df.columns if c != "_line"]
        msg = f"{path}: missing column(s) {missing} of a long table; found {found}"
        raise SchemaError(msg)
    st = _load_stations(stations)
    station_ids = set(st["station_id"].astype(str)) if st is not None else None
    if "unit" not in df.columns:
        df = df.assign(unit="")
    checked = _validate_long(df.copy(), station_ids)
    rejected = _rejected_table(checked)
    if len(rejected):
        _raise_rejected(rejected, path)
    if "waterbody" in checked.columns and (checked["waterbody"].astype(str).str.strip() != "").all():
        wb = checked["waterbody"].astype(str).str.strip().to_numpy()
    elif st is not None:
        m = st.set_index(st["station_id"].astype(str))["waterbody"].astype(str)
        wb = checked["station_id"].map(m).to_numpy()
    else:
        wb = np.full(len(checked), waterbody, dtype=object)
    cls = np.zeros(len(checked), dtype=np.int8)
    for code in checked["code"].unique():
        m = (checked["code"] == code).to_numpy()
        cls[m] = classify(checked["value_c"].to_numpy()[m], code, waterbody=wb[m].astype(str), standard=std)
    out = raw.drop(columns="_line").copy()
    out["class"] = pd.array(np.where(cls > 0, cls, 0), dtype="Int8")
    out.loc[cls == 0, "class"] = pd.NA
    out["class_label"] = class_labels(cls)
    return out
