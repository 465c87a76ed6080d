"""The rest of the 2011 evaluation method: proportions, exceedance, reference items, Table 2, CWQI, change.

Also the Spearman trend over several periods.

Sources (copied into ``docs/waterquality.md`` with the decisions taken where the texts are silent):

* 《地表水环境质量评价办法（试行）》 环办〔2011〕22号 (the *2011 method*): 一(一)1 indicators and reference
  items,
  二(一)3 class proportions, 二(三) exceedance rates and multiples (against Class Ⅲ), 二(五) change over time
  and the Spearman trend;
* GB 3838-2002 Table 1 note on water temperature (weekly mean change ≤ 1 ℃ rise, ≤ 2 ℃ drop), Table 2 (the
  5 supplementary items of centralized drinking-water sources), DO class Ⅰ "饱和率90%（或7.5）";
* 《城市地表水环境质量排名技术规定（试行）》 环办监测〔2017〕51号 (CWQI).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import norm, rankdata

from basin._errors import SchemaError
from basin.waterquality.assess import (
    Period,
    _fmt_multiple,
    _period_labels,
    _selected_parameters,
    _station_attr,
    assess,
    evaluate_rivers,
    evaluated_as,
    period_means,
)
from basin.waterquality.classify import class_labels, classify
from basin.waterquality.standards import Standard, load_standard, parameter_table

__all__ = [
    "GROUP_LEVELS",
    "STATUS_GRADE",
    "change",
    "change_by_proportions",
    "change_by_status",
    "class_proportions",
    "cwqi",
    "drinking_water",
    "exceedance",
    "group_levels",
    "reference_items",
    "sample_exceedance",
    "spearman_critical_value",
    "spearman_rs",
    "spearman_trend",
    "temperature_change",
]

#: station coordinates that group sections for proportions, exceedance rates and change (when present)
GROUP_LEVELS = ("river_id", "basin_id", "province", "county")
#: the network total (every section) is reported with this level / group
ALL_LEVEL, ALL_GROUP = "all", "全部"
#: 水质状况 grade of each status word (the 2011 method compares grades, Ⅰ and Ⅱ are both 优)
STATUS_GRADE = {"优": 1, "良好": 2, "轻度污染": 3, "中度污染": 4, "重度污染": 5}
_CLASS_KEYS = ("I", "II", "III", "IV", "V", "worse_than_V")


def group_levels(ds: xr.Dataset, by: Sequence[str] | None = None) -> list[str]:
    """Return the grouping coordinates to use: ``by``, or those of :data:`GROUP_LEVELS` that ``ds`` has."""
    if by is None:
        return [
            c for c in GROUP_LEVELS if c in ds.coords and (np.asarray(ds[c].values).astype(str) != "").any()
        ]
    missing = [c for c in by if c not in ds.coords]
    if missing:
        msg = f"the Dataset has no station coordinate(s) {missing} (add them to the stations layer)"
        raise SchemaError(msg)
    return list(by)


def _group_map(ds: xr.Dataset, level: str) -> pd.Series:
    ids = np.asarray(ds["station"].values).astype(str)
    if level == ALL_LEVEL:
        return pd.Series(ALL_GROUP, index=ids)
    return pd.Series(np.asarray(ds[level].values).astype(str), index=ids)


def _sections(
    ds: xr.Dataset, sections: pd.DataFrame | None, period: Period, std: Standard, **kw: Any
) -> pd.DataFrame:
    return sections if sections is not None else assess(ds, period=period, standard=std, **kw)


# ------------------------------------------------------------------------------------ class proportions
def class_proportions(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    by: Sequence[str] | None = None,
    sections: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the share of sections in each class per river, basin, region and for the whole network.

    As the bulletins print them (2011 method 二(一)3): the number and share of sections in Ⅰ, Ⅱ, Ⅲ, Ⅳ, Ⅴ and
    劣Ⅴ,
    and the groups Ⅰ-Ⅲ, Ⅳ-Ⅴ (and 劣Ⅴ). Sections without a class (no evaluated item) are not counted. Shares
    are fractions (0-1).

    Parameters
    ----------
    ds
        Water-quality Dataset (:func:`read_wq`).
    by
        Station coordinates to group by (default: those of ``river_id, basin_id, province, county`` present).
        Every level also gets the network total (``level = "all"``, ``group = "全部"``).
    sections
        The :func:`assess` table of ``ds`` and ``period`` when already computed.

    Returns
    -------
    pandas.DataFrame
        ``level, group, period, n_sections, n_I … n_worse_than_V, share_I … share_worse_than_V,
        share_I_III, share_IV_V``.
    """
    std = load_standard(standard)
    sec = _sections(ds, sections, period, std)
    sec = sec[sec["class"] > 0]
    frames = []
    for level in [*group_levels(ds, by), ALL_LEVEL]:
        g = sec["station_id"].map(_group_map(ds, level))
        part = sec.assign(group=g)[g.notna() & (g != "")]
        if part.empty:
            continue
        counts = pd.crosstab([part["group"], part["period"]], part["class"]).reindex(
            columns=range(1, 7), fill_value=0
        )
        counts.columns = [f"n_{k}" for k in _CLASS_KEYS]
        n = counts.sum(axis=1)
        out = counts.copy()
        out.insert(0, "n_sections", n)
        for k in _CLASS_KEYS:
            out[f"share_{k}"] = counts[f"n_{k}"] / n
        out["share_I_III"] = (counts["n_I"] + counts["n_II"] + counts["n_III"]) / n
        out["share_IV_V"] = (counts["n_IV"] + counts["n_V"]) / n
        out = out.reset_index()
        out.insert(0, "level", level)
        frames.append(out)
    cols = ["level", "group", "period", "n_sections", *(f"n_{k}" for k in _CLASS_KEYS)]
    cols += [*(f"share_{k}" for k in _CLASS_KEYS), "share_I_III", "share_IV_V"]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


# ------------------------------------------------------------------------------------ exceedance
def _limit_arrays(std: Standard, p: str, cls: np.ndarray, lake: np.ndarray) -> np.ndarray:
    """Limit of class ``cls`` (per station) of item ``p``; NaN for pH (range) and without limits."""
    out = np.full(len(cls), np.nan)
    for wb, m in (("river", ~lake), ("lake", lake)):
        for c in np.unique(cls[m]):
            out[m & (cls == c)] = std.class_limit(p, int(c), wb)
    return out


def exceedance(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the *section exceedance rate* (断面超标率) of every item per river, basin, region and network.

    2011 method 二(三): a section exceeds for an item when the item's period mean is worse than Class Ⅲ; the
    rate
    is the number of exceeding sections over the sections with a value of that item. ``max_multiple`` is the
    largest exceedance multiple ``(C - C_Ⅲ)/C_Ⅲ`` among them (none for pH and DO) and ``max_station`` its
    section.

    Returns
    -------
    pandas.DataFrame
        ``level, group, period, parameter, name_zh, n_sections, n_exceeding, rate, max_multiple, max_station``
        (items without any value in a group and period are left out).
    """
    std = load_standard(standard)
    ev = std.evaluation
    ref = int(ev.get("reference_class", 3))
    means = period_means(ds, period).compute()
    lake = evaluated_as(means) == "lake"
    wb = np.where(lake, "lake", "river")
    labels = np.asarray(_period_labels(means["time"].values, period), dtype=object)
    st = np.asarray(means["station"].values).astype(str)
    n_st, n_t = means.sizes["station"], means.sizes["time"]
    names = parameter_table()["name_zh"]
    rows = []
    for p in [q for q in std.items if q in means]:
        v = means[p].transpose("station", "time").values
        cls = classify(v, p, waterbody=wb[:, None], standard=std)
        has = cls > 0
        exc = cls > ref
        if p in ev.get("no_multiple", []):
            mult = np.full(v.shape, np.nan)
        else:
            lim = _limit_arrays(std, p, np.full(n_st, ref), lake)[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                mult = np.where(exc, (v - lim) / lim, np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "station_id": np.repeat(st, n_t),
                    "period": np.tile(labels, n_st),
                    "parameter": p,
                    "_has": has.ravel(),
                    "_exc": exc.ravel(),
                    "_mult": mult.ravel(),
                }
            )
        )
    cols = ["level", "group", "period", "parameter", "name_zh", "n_sections", "n_exceeding", "rate",
            "max_multiple", "max_station"]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=cols)
    long = pd.concat(rows, ignore_index=True)
    long = long[long["_has"]]
    frames = []
    for level in [*group_levels(ds, by), ALL_LEVEL]:
        g = long["station_id"].map(_group_map(ds, level))
        part = long.assign(group=g)[g.notna() & (g != "")]
        if part.empty:
            continue
        keys = ["group", "period", "parameter"]
        grp = part.groupby(keys, sort=True)
        out = pd.DataFrame({"n_sections": grp.size(), "n_exceeding": grp["_exc"].sum().astype(int)})
        out["rate"] = out["n_exceeding"] / out["n_sections"]
        m = part.dropna(subset=["_mult"])
        if len(m):
            top = m.loc[m.groupby(keys, sort=True)["_mult"].idxmax()].set_index(keys)
            out["max_multiple"] = top["_mult"].reindex(out.index)
            out["max_station"] = top["station_id"].reindex(out.index).fillna("")
        else:
            out["max_multiple"] = np.nan
            out["max_station"] = ""
        out = out.reset_index()
        out.insert(0, "level", level)
        frames.append(out)
    if not frames:
        return pd.DataFrame(columns=cols)
    res = pd.concat(frames, ignore_index=True)
    res["name_zh"] = res["parameter"].map(names)
    order = {p: k for k, p in enumerate(std.items)}
    res = res.sort_values(["level", "group", "period"], kind="stable")
    res = res.assign(_o=res["parameter"].map(order)).sort_values(
        ["level", "group", "period", "_o"], kind="stable"
    )
    return res[cols].reset_index(drop=True)


def sample_exceedance(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    against: str = "target",
) -> pd.DataFrame:
    """Return the *sample exceedance rate* (测次超标率) of every section, period and item.

    A sample exceeds when its single-factor class is worse than the reference class: the station's
    ``target_class`` (``against="target"``; Class Ⅲ where the target is unknown) or Class Ⅲ
    (``against="III"``, the 2011 method's basis). ``rate = n_exceeding / n_samples``. ``max_multiple`` is the
    largest ``(C - C_ref)/C_ref`` of the exceeding samples (C_ref = the reference class limit; none for pH and
    DO) and ``worst_time`` when the worst exceeding sample was taken (largest multiple; lowest DO; pH farthest
    from 7), ``worst_value`` its value.

    Returns
    -------
    pandas.DataFrame
        ``station_id, name, period, parameter, name_zh, reference_class, limit, n_samples, n_exceeding, rate,
        max_multiple, worst_value, worst_time`` (only items with samples in the period).

    Raises
    ------
    SchemaError
        ``against`` is neither ``"target"`` nor ``"III"``.
    """
    if against not in ("target", "III"):
        msg = f"against must be 'target' or 'III', got {str(against)[:60]!r}"
        raise SchemaError(msg)
    std = load_standard(standard)
    ev = std.evaluation
    ref3 = int(ev.get("reference_class", 3))
    lake = evaluated_as(ds) == "lake"
    wb = np.where(lake, "lake", "river")
    st = np.asarray(ds["station"].values).astype(str)
    names_st = _station_attr(ds, "name", "").astype(str)
    target = pd.to_numeric(pd.Series(_station_attr(ds, "target_class", 0)), errors="coerce").fillna(0)
    target = target.to_numpy(int)
    ref = np.where((target > 0) & (against == "target"), target, ref3)
    times = pd.DatetimeIndex(ds["time"].values)
    freq = {"year": "Y", "quarter": "Q", "month": "M"}[period]
    per = times.to_period(freq)
    codes, uniq = pd.factorize(per, sort=True)
    starts = uniq.to_timestamp()
    labels = np.asarray(_period_labels(starts.values, period), dtype=object)
    names = parameter_table()["name_zh"]
    frames = []
    for p in [q for q in std.items if q in ds]:
        v = np.asarray(ds[p].transpose("station", "time").values, dtype=float)
        cls = classify(v, p, waterbody=wb[:, None], standard=std)
        has = cls > 0
        exc = has & (cls > ref[:, None])
        lim = _limit_arrays(std, p, ref, lake)
        if p == "DO":
            badness = np.where(exc, -v, -np.inf)
        elif p == "pH":
            badness = np.where(exc, np.abs(v - 7), -np.inf)
        else:
            badness = np.where(exc, v, -np.inf)
        no_mult = p in ev.get("no_multiple", []) or p == "pH"
        n_samp = np.zeros((len(st), len(uniq)), dtype=int)
        n_exc = np.zeros_like(n_samp)
        worst_j = np.full(n_samp.shape, -1)
        for k in range(len(uniq)):
            cols_k = np.flatnonzero(codes == k)
            n_samp[:, k] = has[:, cols_k].sum(axis=1)
            n_exc[:, k] = exc[:, cols_k].sum(axis=1)
            b = badness[:, cols_k]
            worst_j[:, k] = np.where(np.isfinite(b).any(axis=1), cols_k[np.argmax(b, axis=1)], -1)
        si, pk = np.nonzero(n_samp > 0)
        wj = worst_j[si, pk]
        wv = np.where(wj >= 0, v[si, np.maximum(wj, 0)], np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            mm = np.full(len(si), np.nan) if no_mult else np.where(wj >= 0, (wv - lim[si]) / lim[si], np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "station_id": st[si],
                    "name": names_st[si],
                    "period": labels[pk],
                    "parameter": p,
                    "name_zh": names.get(p, p),
                    "reference_class": ref[si].astype(int),
                    "limit": lim[si],
                    "n_samples": n_samp[si, pk],
                    "n_exceeding": n_exc[si, pk],
                    "rate": n_exc[si, pk] / n_samp[si, pk],
                    "max_multiple": mm,
                    "worst_value": wv,
                    "worst_time": pd.DatetimeIndex(
                        np.where(wj >= 0, times.values[np.maximum(wj, 0)], np.datetime64("NaT"))
                    ),
                }
            )
        )
    cols = ["station_id", "name", "period", "parameter", "name_zh", "reference_class", "limit", "n_samples",
            "n_exceeding", "rate", "max_multiple", "worst_value", "worst_time"]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    order = {p: k for k, p in enumerate(std.items)}
    out = out.assign(_o=out["parameter"].map(order)).sort_values(
        ["station_id", "period", "_o"], kind="stable"
    )
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------------------------ reference items
_BASELINE_ALIASES = {
    "station_id": "station_id",
    "断面编码": "station_id",
    "站点编码": "station_id",
    "week": "week",
    "周": "week",
    "周次": "week",
    "temperature": "temperature",
    "水温": "temperature",
    "水温(℃)": "temperature",
}


def _read_baseline(baseline: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    if isinstance(baseline, (str, os.PathLike)):
        path = Path(baseline)
        if not path.exists():
            msg = f"temperature baseline {path}: file not found"
            raise SchemaError(msg)
        df = pd.read_excel(path) if path.suffix.lower() in (".xlsx", ".xls") else pd.read_csv(path)
        where = str(path)
    else:
        df, where = baseline.copy(), "temperature baseline"
    df.columns = [
        _BASELINE_ALIASES.get(str(c).strip().lower(), _BASELINE_ALIASES.get(str(c).strip(), c))
        for c in df.columns
    ]
    missing = [c for c in ("week", "temperature") if c not in df.columns]
    if missing:
        msg = (
            f"{where}: missing column(s) {missing}; expected week (ISO week 1-53), temperature (℃), "
            "optional station_id"
        )
        raise SchemaError(msg)
    week = pd.to_numeric(df["week"], errors="coerce")
    temp = pd.to_numeric(df["temperature"], errors="coerce")
    bad = week.isna() | ~week.between(1, 53) | temp.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"{where}: row {row + 1}: week must be 1-53 and temperature a number"
        raise SchemaError(msg)
    out = pd.DataFrame({"week": week.astype(int), "temperature": temp.astype(float)})
    out["station_id"] = df["station_id"].astype(str) if "station_id" in df.columns else ""
    return out


def temperature_change(
    ds: xr.Dataset,
    baseline: pd.DataFrame | str | os.PathLike[str],
    *,
    period: Period = "year",
    max_rise: float = 1.0,
    max_drop: float = 2.0,
) -> pd.DataFrame:
    """Check the water temperature against a natural baseline (GB 3838-2002 Table 1, item 1).

    "人为造成的环境水温变化应限制在：周平均最大温升≤1，周平均最大温降≤2": the observed **weekly mean** (ISO
    calendar week) minus the natural weekly mean of the same week number; within each period the largest
    rise and the largest drop are compared with 1 ℃ and 2 ℃.

    Parameters
    ----------
    baseline
        DataFrame (or CSV / Excel path) with ``week`` (ISO week 1-53) and ``temperature`` (℃, the natural
        weekly mean), optionally ``station_id`` (rows without it apply to every station; a station's own rows
        win). Chinese headers 周 / 水温 / 断面编码 are understood.

    Returns
    -------
    pandas.DataFrame
        ``station_id, period, temperature_weeks (weeks compared), temperature_max_rise, temperature_max_drop,
        temperature_ok``.

    Raises
    ------
    SchemaError
        Baseline without ``week`` / ``temperature`` columns, or with a bad row.
    """
    cols = ["station_id", "period", "temperature_weeks", "temperature_max_rise", "temperature_max_drop",
            "temperature_ok"]  # fmt: skip
    base = _read_baseline(baseline)
    if "temperature" not in ds:
        return pd.DataFrame(columns=cols)
    df = ds["temperature"].to_dataframe().reset_index()[["station", "time", "temperature"]].dropna()
    df["station"] = df["station"].astype(str)
    iso = pd.DatetimeIndex(df["time"]).isocalendar()
    df["iso_year"], df["week"] = iso["year"].to_numpy(), iso["week"].to_numpy().astype(int)
    weekly = df.groupby(["station", "iso_year", "week"], sort=True).agg(
        temperature=("temperature", "mean"), time=("time", "min")
    )
    weekly = weekly.reset_index()
    generic = (
        base[base["station_id"] == ""].drop_duplicates("week", keep="last").set_index("week")["temperature"]
    )
    own = base[base["station_id"] != ""].drop_duplicates(["station_id", "week"], keep="last")
    own = own.set_index(["station_id", "week"])["temperature"]
    ref = weekly["week"].map(generic).to_numpy(float)
    if len(own):
        idx = pd.MultiIndex.from_arrays([weekly["station"], weekly["week"]])
        ref = np.where(idx.isin(own.index), own.reindex(idx).to_numpy(float), ref)
    weekly["delta"] = weekly["temperature"].to_numpy(float) - ref
    weekly = weekly.dropna(subset=["delta"])
    if weekly.empty:
        return pd.DataFrame(columns=cols)
    starts = pd.DatetimeIndex(weekly["time"]).to_period({"year": "Y", "quarter": "Q", "month": "M"}[period])
    weekly["period"] = _period_labels(starts.to_timestamp().values, period)
    g = weekly.groupby(["station", "period"], sort=True)["delta"]
    out = pd.DataFrame(
        {
            "temperature_weeks": g.size(),
            "temperature_max_rise": g.max().clip(lower=0),
            "temperature_max_drop": (-g.min()).clip(lower=0),
        }
    ).reset_index()
    out = out.rename(columns={"station": "station_id"})
    out["temperature_ok"] = (out["temperature_max_rise"] <= max_rise) & (
        out["temperature_max_drop"] <= max_drop
    )
    return out[cols]


def reference_items(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    baseline: pd.DataFrame | str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Evaluate the reference items separately: water temperature, TN and fecal coliform.

    2011 method 一(一)1: "水温、总氮、粪大肠菌群作为参考指标单独评价（河流总氮除外）".

    * **总氮**: class of the period mean for lakes and reservoirs (evaluated as lakes); rivers (and river-type
      reservoirs) get no TN class;
    * **粪大肠菌群**: class of the period mean (Table 1 limits, 个/L);
    * **水温**: the period mean, and with a natural ``baseline`` the weekly-change rule of Table 1
      (:func:`temperature_change`); without a baseline ``temperature_ok`` is NA.

    Returns
    -------
    pandas.DataFrame
        ``station_id, name, period, evaluated_as, temperature, temperature_weeks, temperature_max_rise,
        temperature_max_drop, temperature_ok, TN, TN_class, TN_class_label, fecal_coliform,
        fecal_coliform_class, fecal_coliform_class_label`` (classes: 1-6, NA = no class); one row per station
        and period with any of the three items.
    """
    std = load_standard(standard)
    present = [p for p in ("temperature", "TN", "fecal_coliform") if p in ds]
    cols = ["station_id", "name", "period", "evaluated_as", "temperature", "temperature_weeks",
            "temperature_max_rise", "temperature_max_drop", "temperature_ok", "TN", "TN_class",
            "TN_class_label",
            "fecal_coliform", "fecal_coliform_class", "fecal_coliform_class_label"]  # fmt: skip
    if not present:
        return pd.DataFrame(columns=cols)
    means = period_means(ds[present], period).compute()
    ev_as = evaluated_as(ds)
    st = np.asarray(means["station"].values).astype(str)
    labels = np.asarray(_period_labels(means["time"].values, period), dtype=object)
    n_st, n_t = len(st), len(labels)
    out = pd.DataFrame(
        {
            "station_id": np.repeat(st, n_t),
            "name": np.repeat(_station_attr(ds, "name", "").astype(str), n_t),
            "period": np.tile(labels, n_st),
            "evaluated_as": np.repeat(ev_as, n_t),
        }
    )
    any_val = np.zeros(n_st * n_t, dtype=bool)
    for p in ("temperature", "TN", "fecal_coliform"):
        v = (
            means[p].transpose("station", "time").values.ravel()
            if p in means
            else np.full(n_st * n_t, np.nan)
        )
        any_val |= np.isfinite(v)
        out[p] = v
        if p == "temperature":
            continue
        wb = np.repeat(ev_as, n_t)
        c = classify(v, p, waterbody=wb, standard=std)
        if p == "TN":
            c = np.where(wb == "lake", c, 0)
        out[f"{p}_class"] = pd.array(np.where(c > 0, c, 0), dtype="Int8")
        out.loc[c == 0, f"{p}_class"] = pd.NA
        out[f"{p}_class_label"] = class_labels(c)
    out = out[any_val].reset_index(drop=True)
    if baseline is not None:
        tc = temperature_change(ds, baseline, period=period)
        out = out.merge(tc, on=["station_id", "period"], how="left")
        out["temperature_weeks"] = out["temperature_weeks"].astype("Int64")
        out["temperature_ok"] = out["temperature_ok"].astype("boolean")
    else:
        out["temperature_weeks"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["temperature_max_rise"] = np.nan
        out["temperature_max_drop"] = np.nan
        out["temperature_ok"] = pd.array([pd.NA] * len(out), dtype="boolean")
    return out[cols]


# ------------------------------------------------------------------------------------ drinking water
def drinking_water(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
) -> pd.DataFrame:
    """Check centralized drinking-water sources against GB 3838-2002 Table 2 (the 5 supplementary items).

    Stations whose boolean coordinate ``drinking_source`` is true (集中式生活饮用水地表水源地, a column of the
    stations layer). Each item's period mean is compared with its Table 2 limit (sulfate 250, chloride 250,
    nitrate as N 10, Fe 0.3, Mn 0.1 mg/L; ``standards/GB3838-2002-table2.csv``). ``compliant`` is true when
    every measured item meets its limit, NA when none was measured; ``exceeding`` lists the items over the
    limit with their multiple ``(C - L)/L``; ``not_measured`` the items without data.

    Returns
    -------
    pandas.DataFrame
        ``station_id, name, period, <item>, <item>_compliant`` for the 5 items, ``n_items, compliant,
        exceeding, not_measured``. Empty when no station is a drinking-water source.
    """
    std = load_standard(standard)
    sup = std.supplementary
    items = [str(p) for p in sup["parameter"]]
    limits = dict(zip(items, sup["upper"].astype(float), strict=True))
    cols = ["station_id", "name", "period"]
    for p in items:
        cols += [p, f"{p}_compliant"]
    cols += ["n_items", "compliant", "exceeding", "not_measured"]
    if "drinking_source" not in ds.coords or not np.asarray(ds["drinking_source"].values).astype(bool).any():
        return pd.DataFrame(columns=cols)
    sub = ds.isel(station=np.flatnonzero(np.asarray(ds["drinking_source"].values).astype(bool)))
    present = [p for p in items if p in sub]
    st = np.asarray(sub["station"].values).astype(str)
    times = pd.DatetimeIndex(sub["time"].values)
    starts = times.to_period({"year": "Y", "quarter": "Q", "month": "M"}[period]).unique().sort_values()
    labels = np.asarray(_period_labels(starts.to_timestamp().values, period), dtype=object)
    if present:
        means = period_means(sub[present], period).compute()
        labels = np.asarray(_period_labels(means["time"].values, period), dtype=object)
    n_st, n_t = len(st), len(labels)
    out = pd.DataFrame(
        {
            "station_id": np.repeat(st, n_t),
            "name": np.repeat(_station_attr(sub, "name", "").astype(str), n_t),
            "period": np.tile(labels, n_st),
        }
    )
    names = parameter_table()["name_zh"]
    measured = np.zeros(len(out), dtype=int)
    ok_all = np.ones(len(out), dtype=bool)
    exceeding: list[list[str]] = [[] for _ in range(len(out))]
    missing: list[list[str]] = [[] for _ in range(len(out))]
    for p in items:
        v = (
            means[p].transpose("station", "time").values.ravel()
            if p in present
            else np.full(len(out), np.nan)
        )
        fin = np.isfinite(v)
        ok = v <= limits[p]
        out[p] = v
        out[f"{p}_compliant"] = pd.array(np.where(fin, ok, False), dtype="boolean")
        out.loc[~fin, f"{p}_compliant"] = pd.NA
        measured += fin
        ok_all &= ~fin | ok
        for r in np.flatnonzero(fin & ~ok):
            exceeding[r].append(f"{names[p]}({_fmt_multiple((v[r] - limits[p]) / limits[p])})")
        for r in np.flatnonzero(~fin):
            missing[r].append(str(names[p]))
    out["n_items"] = measured
    out["compliant"] = pd.array(ok_all, dtype="boolean")
    out.loc[measured == 0, "compliant"] = pd.NA
    out["exceeding"] = ["、".join(e) for e in exceeding]
    out["not_measured"] = ["、".join(m) for m in missing]
    return out[cols]


# ------------------------------------------------------------------------------------ CWQI
def _cwqi_items(means: xr.Dataset, std: Standard, lake: np.ndarray) -> dict[str, np.ndarray]:
    """CWQI_i per item (station, period) from the period means (2017 ranking rules)."""
    out: dict[str, np.ndarray] = {}
    for p in [q for q in std.items if q in means]:
        v = means[p].transpose("station", "time").values
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == "pH":
                lim = std.get_limits("pH", "river")
                lo = float(lim.lower[2]) if lim is not None else 6.0
                up = float(lim.upper[2]) if lim is not None else 9.0
                out[p] = np.where(v <= 7, (7 - v) / (7 - lo), (v - 7) / (up - 7))
            elif p == "DO":
                out[p] = std.class_limit("DO", 3) / v
            else:
                lim3 = np.where(lake, std.class_limit(p, 3, "lake"), std.class_limit(p, 3, "river"))
                out[p] = v / lim3[:, None]
    return out


def cwqi(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
) -> pd.DataFrame:
    """Return the water-quality index CWQI of every section and period, with the ranking of the sections.

    《城市地表水环境质量排名技术规定（试行）》 (环办监测〔2017〕51号), on the period means of the 21 evaluated
    items
    (Table 1 minus water temperature, TN and fecal coliform):

    * ``CWQI_i = C_i / C_Ⅲ,i`` (Class Ⅲ limit; lakes and reservoirs use the lake TP limit 0.05);
    * DO: ``CWQI_DO = C_Ⅲ,DO / C_DO`` (5 / C);
    * pH: ``(7 - pH)/(7 - 6)`` when pH ≤ 7, else ``(pH - 7)/(9 - 7)``;
    * section ``CWQI = Σ_i CWQI_i``.

    Sections are ranked within each period from the smallest CWQI (best, rank 1; ties share the lower rank).
    A CWQI only compares sections measured for the same items: ``n_items`` says how many entered.

    Returns
    -------
    pandas.DataFrame
        ``station_id, name, period, cwqi, n_items, rank, n_ranked, cwqi_<item>`` (one column per item).
    """
    std = load_standard(standard)
    means = period_means(ds, period).compute()
    lake = evaluated_as(means) == "lake"
    parts = _cwqi_items(means, std, lake)
    st = np.asarray(means["station"].values).astype(str)
    labels = np.asarray(_period_labels(means["time"].values, period), dtype=object)
    n_st, n_t = len(st), len(labels)
    if parts:
        stack = np.stack(list(parts.values()), axis=-1)
        n_items = np.isfinite(stack).sum(axis=-1)
        total = np.where(n_items > 0, np.nansum(stack, axis=-1), np.nan)
    else:
        n_items = np.zeros((n_st, n_t), dtype=int)
        total = np.full((n_st, n_t), np.nan)
    out = pd.DataFrame(
        {
            "station_id": np.repeat(st, n_t),
            "name": np.repeat(_station_attr(means, "name", "").astype(str), n_t),
            "period": np.tile(labels, n_st),
            "cwqi": total.ravel(),
            "n_items": n_items.ravel(),
        }
    )
    for p, v in parts.items():
        out[f"cwqi_{p}"] = v.ravel()
    out = out[out["n_items"] > 0].reset_index(drop=True)
    out.insert(5, "rank", out.groupby("period")["cwqi"].rank(method="min").astype(int))
    out.insert(6, "n_ranked", out.groupby("period")["cwqi"].transform("size").astype(int))
    return out.sort_values(["period", "rank", "station_id"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------ change over time
def change_by_status(before: str, after: str) -> tuple[int | None, str]:
    """Compare two 水质状况 words (2011 method 二(五)2, by grade; Ⅰ and Ⅱ are both 优).

    Unchanged grade → 无明显变化; one grade → 有所好转 / 有所变差; two or more → 明显好转 / 明显变差.

    Examples
    --------
    >>> change_by_status("轻度污染", "优")
    (-2, '明显好转')
    """
    if before not in STATUS_GRADE or after not in STATUS_GRADE:
        return None, ""
    d = STATUS_GRADE[after] - STATUS_GRADE[before]
    if d == 0:
        return 0, "无明显变化"
    word = "好转" if d < 0 else "变差"
    return d, ("有所" if abs(d) == 1 else "明显") + word


def change_by_proportions(g1: float, d1: float, g2: float, d2: float) -> tuple[float, str]:
    """Compare two periods by the combined class proportions (2011 method 二(五)2, 组合类别比例法).

    ``ΔG = G2 - G1`` (Ⅰ-Ⅲ share) and ``ΔD = D2 - D1`` (劣Ⅴ share), in percentage points; ``ΔG - ΔD > 0`` is
    better, ``< 0`` worse; ``|ΔG - ΔD| ≤ 10`` → 无明显变化, ``10 < |ΔG - ΔD| ≤ 20`` → 有所好转 / 有所变差,
    ``> 20`` → 明显好转 / 明显变差. Shares are given as fractions (0-1).

    Examples
    --------
    >>> change_by_proportions(0.60, 0.20, 0.75, 0.10)  # ΔG = 15, ΔD = -10 -> 25 points
    (25.0, '明显好转')
    """
    x = round(100 * ((g2 - g1) - (d2 - d1)), 9)
    if abs(x) <= 10:
        return x, "无明显变化"
    word = "好转" if x > 0 else "变差"
    return x, ("有所" if abs(x) <= 20 else "明显") + word


def change(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    before: str | None = None,
    after: str | None = None,
    by: Sequence[str] | None = None,
    sections: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compare two periods for every section and every river / basin / region (2011 method 二(五)2).

    * Sections (``level = "section"``): their 水质状况 grade (:func:`change_by_status`).
    * Groups (each of ``by``, and the network ``all``): with at least 5 sections in both periods the combined
      class proportions ``ΔG - ΔD`` (:func:`change_by_proportions`); with fewer, the status of the mean
      method (:func:`basin.waterquality.evaluate_rivers`) by grade.

    Parameters
    ----------
    before, after
        Period labels (``"2023"``, ``"2023Q4"``, ``"2023-12"``); default the last two periods with data.

    Returns
    -------
    pandas.DataFrame
        ``level, id, name, before, after, class_before, class_after, status_before, status_after,
        grade_change,
        share_good_before, share_good_after, share_bad_before, share_bad_after, delta_g_minus_d, method,
        change``. Empty when there are fewer than two periods.

    Raises
    ------
    SchemaError
        ``before`` / ``after`` is not a period of the data.
    """
    std = load_standard(standard)
    sec = _sections(ds, sections, period, std)
    cols = ["level", "id", "name", "before", "after", "class_before", "class_after", "status_before",
            "status_after", "grade_change", "share_good_before", "share_good_after", "share_bad_before",
            "share_bad_after", "delta_g_minus_d", "method", "change"]  # fmt: skip
    periods = sorted(sec["period"].unique())
    for lab, val in (("before", before), ("after", after)):
        if val is not None and val not in periods:
            shown = ", ".join(periods[:12])
            msg = f"change: {lab}={str(val)[:60]!r} is not a period of the data (periods: {shown})"
            raise SchemaError(msg)
    if before is None or after is None:
        if len(periods) < 2:
            return pd.DataFrame(columns=cols)
        after = after or periods[-1]
        before = before or [p for p in periods if p < after][-1] if any(p < after for p in periods) else None
        if before is None:
            return pd.DataFrame(columns=cols)
    rows: list[dict[str, Any]] = []
    s1 = sec[sec["period"] == before].set_index("station_id")
    s2 = sec[sec["period"] == after].set_index("station_id")
    for sid in [s for s in s1.index if s in s2.index]:
        a, b = s1.loc[sid], s2.loc[sid]
        d, word = change_by_status(str(a["status"]), str(b["status"]))
        rows.append(
            {
                "level": "section",
                "id": sid,
                "name": b.get("name", ""),
                "class_before": int(a["class"]),
                "class_after": int(b["class"]),
                "status_before": a["status"],
                "status_after": b["status"],
                "grade_change": d,
                "method": "status",
                "change": word,
            }
        )
    for level in [*group_levels(ds, by), ALL_LEVEL]:
        if level == ALL_LEVEL:
            dsg = ds.assign_coords(_all=("station", np.full(ds.sizes["station"], ALL_GROUP, dtype=object)))
            riv = evaluate_rivers(dsg, by="_all", period=period, standard=std, sections=sec)
            riv = riv.rename(columns={"_all": "group"})
        else:
            riv = evaluate_rivers(ds, by=level, period=period, standard=std, sections=sec)
            riv = riv.rename(columns={level: "group"})
        r1 = riv[riv["period"] == before].set_index("group")
        r2 = riv[riv["period"] == after].set_index("group")
        for gid in [g for g in r1.index if g in r2.index]:
            a, b = r1.loc[gid], r2.loc[gid]
            row: dict[str, Any] = {
                "level": level,
                "id": gid,
                "name": "",
                "class_before": a["river_class"],
                "class_after": b["river_class"],
                "status_before": a["status"],
                "status_after": b["status"],
                "share_good_before": a["share_good"],
                "share_good_after": b["share_good"],
                "share_bad_before": a["share_worse_than_v"],
                "share_bad_after": b["share_worse_than_v"],
            }
            if a["method"] == "proportion" and b["method"] == "proportion":
                x, word = change_by_proportions(
                    a["share_good"], a["share_worse_than_v"], b["share_good"], b["share_worse_than_v"]
                )
                row.update(delta_g_minus_d=x, method="proportion", change=word)
            else:
                d, word = change_by_status(str(a["status"]), str(b["status"]))
                row.update(grade_change=d, method="status", change=word)
            rows.append(row)
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["before"], out["after"] = before, after
    out["class_before"] = pd.array(pd.to_numeric(out["class_before"], errors="coerce"), dtype="Int8")
    out["class_after"] = pd.array(pd.to_numeric(out["class_after"], errors="coerce"), dtype="Int8")
    out["grade_change"] = pd.array(pd.to_numeric(out["grade_change"], errors="coerce"), dtype="Int8")
    out["name"] = out["name"].fillna("")
    return out


# ------------------------------------------------------------------------------------ Spearman trend
@functools.lru_cache(maxsize=1)
def _spearman_table() -> pd.DataFrame:
    with resources.as_file(
        resources.files("basin.waterquality").joinpath("standards", "spearman_critical.csv")
    ) as p:
        df = pd.read_csv(p, encoding="utf-8")
    return df.set_index("n")


def spearman_critical_value(n: int, alpha: float = 0.05) -> float:
    """Return the critical value ``W_p`` of Spearman's r_s for ``n`` periods (one-sided ``alpha``).

    ``alpha`` is 0.05 or 0.01.

    From the table of the 2011 method (``standards/spearman_critical.csv``, Olds 1938); an ``n`` between two
    tabulated values takes the smaller tabulated ``n`` (the larger, conservative W_p); above 30 the normal
    approximation ``z_(1-α) / √(n - 1)``. NaN when ``n < 4`` or no value reaches ``alpha`` (n = 4 at 0.01).

    Examples
    --------
    >>> spearman_critical_value(10), spearman_critical_value(11), spearman_critical_value(5, 0.01)
    (0.564, 0.564, 1.0)
    """
    if alpha not in (0.05, 0.01):
        msg = f"alpha must be 0.05 or 0.01 (the method's table), got {alpha!r}"
        raise SchemaError(msg)
    table = _spearman_table()
    if n < int(table.index.min()):
        return float("nan")
    if n > int(table.index.max()):
        return float(norm.ppf(1 - alpha) / np.sqrt(n - 1))
    k = int(table.index[table.index <= n].max())
    return float(table.at[k, f"w_{alpha}"])


def spearman_rs(values: Any) -> np.ndarray:
    """Return Spearman's r_s of each row of ``values`` against the time order (NaN skipped).

    ``r_s = 1 - 6 Σ d_i² / (N³ - N)`` with ``d_i`` the difference between the rank of the i-th period's value
    and its time rank (2011 method 二(五)3). With ties the ranks are averaged and r_s is Pearson's r of the
    ranks, as :func:`scipy.stats.spearmanr` (without ties the two are the same). NaN for fewer than 3 values.
    """
    a = np.atleast_2d(np.asarray(values, dtype=float))
    valid = ~np.isnan(a)
    n = valid.sum(axis=-1)
    rx = rankdata(a, axis=-1, nan_policy="omit")
    order = np.cumsum(valid, axis=-1).astype(float)
    ry = np.where(valid, order, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dx = rx - np.nanmean(rx, axis=-1, keepdims=True)
        dy = ry - np.nanmean(ry, axis=-1, keepdims=True)
        r = np.nansum(dx * dy, axis=-1) / np.sqrt(np.nansum(dx * dx, axis=-1) * np.nansum(dy * dy, axis=-1))
    return np.where(n >= 3, r, np.nan)


_HIGHER_IS_BETTER = {"DO"}


def spearman_trend(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    parameters: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_periods: int = 4,
) -> pd.DataFrame:
    """Multi-period trend of every station and item by Spearman's rank correlation (2011 method 二(五)3).

    The period means of an item over N periods are correlated with time (:func:`spearman_rs`); ``|r_s| ≥
    W_p`` (:func:`spearman_critical_value` for N) means a significant trend: r_s > 0 上升, r_s < 0 下降 (for
    concentrations 上升 is 加重 and 下降 好转; for DO the reverse), otherwise 无显著变化 (稳定). Series with
    fewer
    than ``min_periods`` (4) periods are not tested.

    Returns
    -------
    pandas.DataFrame
        ``station_id, name, parameter, n_periods, first_period, last_period, r_s, critical_value, alpha,
        significant, trend (上升 | 下降 | 无显著变化 | not tested), assessment (加重 | 好转 | 稳定 | "")``.
    """
    params = _selected_parameters(ds, parameters)
    cols = ["station_id", "name", "parameter", "n_periods", "first_period", "last_period", "r_s",
            "critical_value", "alpha", "significant", "trend", "assessment"]  # fmt: skip
    if not params:
        return pd.DataFrame(columns=cols)
    means = period_means(ds[params], period).compute()
    st = np.asarray(means["station"].values).astype(str)
    names = _station_attr(ds, "name", "").astype(str)
    labels = np.asarray(_period_labels(means["time"].values, period), dtype=object)
    frames = []
    for p in params:
        v = means[p].transpose("station", "time").values
        valid = ~np.isnan(v)
        n = valid.sum(axis=-1)
        rs = spearman_rs(v)
        crit_of = {int(k): spearman_critical_value(int(k), alpha) for k in np.unique(n)}
        crit = np.array([crit_of[int(k)] for k in n], dtype=float)
        tested = n >= min_periods
        sig = tested & np.isfinite(crit) & (np.abs(rs) >= crit)
        up = rs > 0
        trend = np.where(~tested, "not tested", np.where(sig, np.where(up, "上升", "下降"), "无显著变化"))
        worse = up if p not in _HIGHER_IS_BETTER else ~up
        assessment = np.where(~tested, "", np.where(sig, np.where(worse, "加重", "好转"), "稳定"))
        first = np.where(n > 0, valid.argmax(axis=-1), 0)
        last = np.where(n > 0, v.shape[1] - 1 - valid[:, ::-1].argmax(axis=-1), 0)
        frames.append(
            pd.DataFrame(
                {
                    "station_id": st,
                    "name": names,
                    "parameter": p,
                    "n_periods": n.astype(int),
                    "first_period": np.where(n > 0, labels[first], ""),
                    "last_period": np.where(n > 0, labels[last], ""),
                    "r_s": np.where(tested, rs, np.nan),
                    "critical_value": np.where(tested, crit, np.nan),
                    "alpha": alpha,
                    "significant": sig,
                    "trend": trend,
                    "assessment": assessment,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out = out[out["n_periods"] > 0]
    return out.sort_values(["station_id"], kind="stable").reset_index(drop=True)[cols]
