"""Read water-quality series (long/wide CSV, Excel, NetCDF, Zarr) into an ``(station, time)`` Dataset.

Every value is checked; a value that cannot be used is rejected with its line number and reason, never dropped
silently (see :func:`read_wq`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
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

__all__ = ["FLAG_MEANINGS", "read_wq", "stations_coords"]

FLAG_MEANINGS = "measured below_detection_limit"
STATION_COLUMNS = ("name", "river_id", "lake_id", "waterbody", "target_class")
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
}
_BELOW_FLAGS = {"l", "<", "nd", "未检出"}
_OK_FLAGS = {"", "n"}
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_RE_LSUFFIX = re.compile(rf"^({_NUM})\s*[lL]$")
_RE_LT = re.compile(rf"^[<＜]\s*({_NUM})$")
_RE_ND = re.compile(r"^(nd|n\.d\.|未检出|<dl|bdl)$", re.IGNORECASE)
_RE_HEADER_UNIT = re.compile(r"^(.*?)\s*[\(（\[]\s*(.+?)\s*[\)）\]]\s*$")


def _rename_columns(df: pd.DataFrame) -> pd.DataFrame:
    ren: dict[Any, str] = {}
    taken = set(df.columns)
    for c in df.columns:
        target = _COLUMN_ALIASES.get(normalize_name(str(c)))
        if target and target not in taken and target not in ren.values():  # never two columns of one name
            ren[c] = target
    return df.rename(columns=ren)


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            df = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True
            )
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text ({exc}); save the file as UTF-8"
        raise DataError(msg) from exc
    except Exception as exc:  # pandas/openpyxl raise many kinds
        msg = f"{path}: cannot read as a table: {exc}"
        raise DataError(msg) from exc
    df = df.fillna("")
    if df.empty:
        msg = f"{path}: no data rows"
        raise DataError(msg)
    # header is line 1 in CSV and Excel alike; data row i is line i + 2
    df.insert(0, "_line", np.arange(2, len(df) + 2))
    return df


def _wide_to_long(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    meta = {"_line", "station_id", "time", *STATION_COLUMNS, "flag", "detection_limit"}
    value_cols = [c for c in df.columns if c not in meta]
    if not value_cols:
        msg = f"{path}: no parameter columns; expected a long table (station_id,time,parameter,value) or a wide one"
        raise SchemaError(msg)
    unknown = []
    parts = []
    for col in value_cols:
        name, unit = str(col), ""
        m = _RE_HEADER_UNIT.match(name)
        if m and canonical_parameter(name) is None:
            name, unit = m.group(1), m.group(2)
        if canonical_parameter(name) is None:
            unknown.append(str(col))
        part = df[["_line", "station_id", "time", *[c for c in STATION_COLUMNS if c in df.columns]]].copy()
        part["parameter"] = name
        part["value"] = df[col].astype(str)
        part["unit"] = unit
        parts.append(part[part["value"].str.strip() != ""])
    long = pd.concat(parts, ignore_index=True)
    return long, unknown


def _parse_values(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str | None]]:
    """Return value (detection-limit handled, not unit-converted), below-DL flag, DL, reason per row."""
    raw = df["value"].astype(str).str.strip()
    n = len(df)
    value = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    below = np.zeros(n, dtype=bool)
    reasons: list[str | None] = [None] * n
    dl_col = (
        pd.to_numeric(df["detection_limit"].astype(str).str.strip(), errors="coerce").to_numpy(float)
        if "detection_limit" in df.columns
        else np.full(n, np.nan)
    )
    flags = df["flag"].astype(str).str.strip().str.lower() if "flag" in df.columns else pd.Series([""] * n)
    flags = flags.to_numpy(object)
    dl = np.full(n, np.nan)
    nonnum = np.flatnonzero(np.isnan(value))
    raw_np = raw.to_numpy(object)
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
                reasons[i] = (
                    f"value {text!r} (not detected) without a detection limit; add a detection_limit column"
                )
            else:
                dl[i] = dl_col[i]
                below[i] = True
        elif text == "":
            reasons[i] = "empty value"
        elif text.lower() in {"nan", "na", "n/a", "-", "--", "/"}:
            reasons[i] = f"missing value {text!r}"
        else:
            reasons[i] = f"text {text!r} where a number is expected"
    for i in np.flatnonzero(~np.isin(flags, list(_OK_FLAGS))):
        f = flags[i]
        if f in _BELOW_FLAGS:
            if reasons[i] is None and not below[i]:
                dl[i] = value[i]
                below[i] = True
        elif reasons[i] is None:
            reasons[i] = (
                f"flag {df['flag'].to_numpy(object)[i]!r}: not a valid measurement (accepted flags: N, L, <, ND)"
            )
    value = np.where(below, dl / 2.0, value)
    return value, below, dl, reasons


def _validate_long(df: pd.DataFrame, station_ids: set[str] | None) -> pd.DataFrame:
    """Add canonical ``code``, converted ``value_c``, ``below`` and ``reason`` columns."""
    df = df.reset_index(drop=True)
    n = len(df)
    reasons: list[str | None] = [None] * n

    def add(mask: np.ndarray, text: str | Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask):
            if reasons[i] is None:
                reasons[i] = text if isinstance(text, str) else text(i)

    sid = df["station_id"].astype(str).str.strip()
    df["station_id"] = sid
    add((sid == "").to_numpy(), "missing station_id")
    if station_ids is not None:
        unknown_st = (~sid.isin(station_ids) & (sid != "")).to_numpy()
        add(unknown_st, lambda i: f"unknown station {sid.iat[i]!r} (not in the stations layer)")
    t = df["time"].astype(str).str.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format": handled below
        times = pd.to_datetime(t, errors="coerce")
        bad_t = times.isna() & (t != "")
        if bad_t.any():
            times[bad_t] = pd.to_datetime(t[bad_t], errors="coerce", format="mixed")
    add(times.isna().to_numpy(), lambda i: f"bad time {t.iat[i]!r}")
    df["time"] = times
    # parameter names and units are few: resolve each distinct one once, then take by position
    names = df["parameter"].astype(str).to_numpy(object)
    p_idx, p_uniq = pd.factorize(names)
    u_code = np.array([canonical_parameter(p) for p in p_uniq] + [None], dtype=object)
    code_np = u_code[p_idx]
    code = pd.Series(code_np, dtype=object)
    params = parameter_table()
    known = code.notna().to_numpy()
    add(~known, lambda i: f"unknown parameter {names[i]!r}")
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
            f"unknown unit {units[i]!r} for {code_np[i]} (accepted: {', '.join(known_units(code_np[i]))})"
        ),
    )
    value, below, _dl, vreasons = _parse_values(df)
    add(np.array([r is not None for r in vreasons]), lambda i: str(vreasons[i]))
    value_c = value * fac
    u_params = params.reindex([c if c is not None else "" for c in u_code])
    lo = u_params["min"].to_numpy(float)[p_idx]
    hi = u_params["max"].to_numpy(float)[p_idx]
    is_conc = u_params["quantity"].isin(["mass_concentration", "count_concentration"]).to_numpy()[p_idx]
    raw = df["value"].astype(str).str.strip().to_numpy(object)
    ok = ~np.isnan(value_c)
    neg = ok & is_conc & (value_c < 0)
    add(neg, lambda i: f"negative concentration {raw[i]}")
    out = ok & ~neg & ((value_c < lo) | (value_c > hi))
    add(out, lambda i: f"{code_np[i]} value {raw[i]} outside the plausible range {lo[i]:g}-{hi[i]:g}")
    good = np.array([r is None for r in reasons])
    key = pd.DataFrame({"s": sid, "t": times, "c": code})[good]
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
        "time": bad["time"].astype(str).to_numpy() if "time" in bad else "",
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
        "(fix them, or set them aside as a table: `basin wq assess --rejected FILE`, read_wq(on_invalid='report'))"
    )
    raise SchemaError(msg)


def stations_coords(stations: Any, station_ids: list[str]) -> dict[str, tuple[str, np.ndarray]]:
    """Return station coordinates (name, river_id, lake_id, waterbody, target_class, lon, lat) for ``station_ids``."""
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
                msg = f"{path}: column {col!r} has several values for station(s) {sorted(set(per['station_id'][clash]))}"
                raise SchemaError(msg)
            m = per.set_index("station_id")[col].reindex(station_ids).fillna("")
            if col == "target_class":
                tc = pd.to_numeric(m.replace("", np.nan), errors="coerce")
                if tc.notna().any() and not tc.dropna().isin(range(1, 6)).all():
                    msg = f"{path}: column 'target_class' must hold 1-5"
                    raise SchemaError(msg)
                coords[col] = ("station", tc.fillna(0).to_numpy("int8"))
            elif col == "waterbody":
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
    standard: str | None = None,
    on_invalid: Literal["raise"] = "raise",
) -> xr.Dataset: ...
@overload
def read_wq(
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    standard: str | None = None,
    on_invalid: Literal["report"],
) -> tuple[xr.Dataset, pd.DataFrame]: ...


def read_wq(
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    standard: str | None = None,
    on_invalid: Literal["raise", "report"] = "raise",
) -> xr.Dataset | tuple[xr.Dataset, pd.DataFrame]:
    """Read a water-quality series into a Dataset with dims ``(station, time)``.

    Parameters
    ----------
    path
        Long CSV (``station_id,time,parameter,value[,unit][,flag][,detection_limit]``), wide CSV (``station_id,
        time`` + one column per parameter, unit optionally in the header: ``总磷(mg/L)``), Excel (.xlsx, first
        sheet, either layout), NetCDF (.nc) or Zarr (.zarr) with dims ``(station, time)``.
    stations
        Stations GeoDataFrame (``basin.io.read_layer(path, "stations")``) or its path: adds the coordinates
        ``name, river_id, lake_id, waterbody, target_class`` (0 = unknown), ``lon, lat``; a station of the data
        that is not in the layer is rejected.
    standard
        Standard name; checked to exist (classification happens later, see :func:`classify_dataset`).
    on_invalid
        ``"raise"`` (default): any rejected value raises :class:`SchemaError` listing line numbers and reasons.
        ``"report"``: return ``(ds, rejected)``, the Dataset built from the good rows only and a DataFrame
        ``line, station_id, time, parameter, value, unit, reason``.

    Returns
    -------
    xarray.Dataset
        One float64 variable per canonical parameter in its canonical unit (``units`` attr), plus an int8
        ``<param>_flag`` (1 = below detection limit; the value is then half the limit).

    Raises
    ------
    DataError
        Missing or unreadable file.
    SchemaError
        Missing columns, or rejected values: negative concentration, pH outside 0-14 (any value outside the
        parameter's plausible range), text, not-detected without a limit, unknown parameter or unit, bad time,
        duplicate sample, unknown station.
    """
    from basin.waterquality.standards import load_standard

    load_standard(standard)
    if on_invalid not in ("raise", "report"):
        msg = f"on_invalid must be 'raise' or 'report', got {on_invalid!r}"
        raise ValueError(msg)
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file or directory"
        raise DataError(msg)
    st = _load_stations(stations)
    station_ids = set(st["station_id"].astype(str)) if st is not None else None
    suffix = path.suffix.lower()
    if suffix in {".nc", ".nc4", ".netcdf", ".zarr"} or path.is_dir():
        return _read_gridded(path, st, station_ids, on_invalid)
    df = _rename_columns(_read_table(path))
    missing = [c for c in ("station_id", "time") if c not in df.columns]
    if missing:
        found = [c for c in df.columns if c != "_line"]
        msg = f"{path}: missing column(s) {missing}; found {found}"
        raise SchemaError(msg)
    unknown_cols: list[str] = []
    if "parameter" in df.columns or "value" in df.columns:
        lack = [c for c in ("parameter", "value") if c not in df.columns]
        if lack:
            msg = f"{path}: long table without column(s) {lack}"
            raise SchemaError(msg)
        long = df
    else:
        long, unknown_cols = _wide_to_long(df, path)
        if unknown_cols and on_invalid == "raise":
            msg = f"{path}: unknown parameter column(s) {unknown_cols}"
            raise SchemaError(msg)
    if "unit" not in long.columns:
        long = long.assign(unit="")
    checked = _validate_long(long, station_ids)
    rejected = _rejected_table(checked)
    if len(rejected) and on_invalid == "raise":
        _raise_rejected(rejected, path)
    good = checked[checked["reason"].isna()]
    if good.empty:
        msg = f"{path}: no valid values ({len(rejected)} rejected)"
        raise SchemaError(msg)
    ds = _build_dataset(good, st, path)
    return (ds, rejected) if on_invalid == "report" else ds


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
    rejected_rows = []
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
                    "negative concentration"
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
    raw = _read_table(path)
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
