"""The 2011 national evaluation method (环办〔2011〕22号): sections, main pollutants, targets, rivers, TLI.

Rules and their sources: DOMAIN.md section 2; the item lists and thresholds are data in
``standards/standards.yml`` (``evaluation``) and ``standards/trophic.yml``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from basin._errors import SchemaError
from basin.waterquality.classify import class_labels, class_status, classify, classify_dataset
from basin.waterquality.standards import Standard, canonical_parameter, load_standard, parameter_table

__all__ = [
    "PERIODS",
    "RIVER_COLUMNS",
    "do_class_saturation",
    "do_saturation",
    "evaluated_as",
    "station_waterbody",
    "RiverEvaluation",
    "assess",
    "compliance",
    "evaluate_river",
    "evaluate_rivers",
    "exceedance_multiple",
    "main_pollutants",
    "period_means",
    "tli",
    "trophic_state",
]

Period = Literal["year", "quarter", "month"]
PERIODS: dict[str, str] = {"year": "YS", "quarter": "QS-JAN", "month": "MS"}


def _parameters(ds: xr.Dataset) -> list[str]:
    return [str(v) for v in ds.data_vars if canonical_parameter(str(v)) == str(v)]


def _selected_parameters(ds: xr.Dataset, parameters: Any = None) -> list[str]:
    """Return the parameters of ``ds`` to evaluate: all, or ``parameters`` (any spelling) checked against it."""
    params = _parameters(ds)
    if parameters is None:
        return params
    codes = [canonical_parameter(p) for p in parameters]
    missing = [p for p, c in zip(parameters, codes, strict=True) if c is None or c not in params]
    if missing:
        msg = f"parameter(s) {missing} not in the Dataset; it has {params}"
        raise SchemaError(msg)
    return [c for c in codes if c is not None]


def period_means(ds: xr.Dataset, period: Period = "year") -> xr.Dataset:
    """Return the arithmetic mean of every parameter per station and period (NaN-skipping; lazy on dask).

    Values below the detection limit already hold half the limit (see :func:`read_wq`), as the 2020 statistics
    rule (环办监测函〔2020〕82号) asks. Periods without any value are dropped.
    """
    if period not in PERIODS:
        msg = f"period must be one of {list(PERIODS)}, got {period!r}"
        raise SchemaError(msg)
    params = _parameters(ds)
    if not params:
        msg = f"no water-quality parameters in the Dataset (variables: {list(ds.data_vars)})"
        raise SchemaError(msg)
    sub = ds[params]
    times = pd.DatetimeIndex(sub["time"].values)
    lazy = any(sub[p].chunks is not None for p in params)
    if lazy or not len(times) or not times.is_monotonic_increasing or sub[params[0]].dims[-1] != "time":
        return sub.resample(time=PERIODS[period]).mean(keep_attrs=True)
    return _period_means_numpy(sub, times, period)


_PERIOD_FREQ = {"year": "Y", "quarter": "Q", "month": "M"}


def _period_means_numpy(sub: xr.Dataset, times: pd.DatetimeIndex, period: str) -> xr.Dataset:
    """Period means of numpy-backed ``(..., time)`` variables with sorted times, as ``resample().mean()``.

    One ``np.add.reduceat`` per variable instead of xarray's group-by-group loop (the month means of 1,000
    stations x 10 years took ~4 s that way). Every period between the first and the last gets a bin (all-NaN
    when empty), labelled by its start, as xarray's resample does.
    """
    per = times.to_period(_PERIOD_FREQ[period])
    bins = pd.period_range(per[0], per[-1], freq=_PERIOD_FREQ[period])
    idx = (per.asi8 - bins[0].ordinal).astype(np.int64)
    cut = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    filled = idx[cut]
    labels = bins.to_timestamp().values.astype(sub["time"].dtype)
    data = {}
    for p in sub.data_vars:
        v = np.asarray(sub[p].values, dtype=float)
        ok = ~np.isnan(v)
        sums = np.add.reduceat(np.where(ok, v, 0.0), cut, axis=-1)
        counts = np.add.reduceat(ok.astype(np.int64), cut, axis=-1)
        out = np.full(v.shape[:-1] + (len(bins),), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., filled] = np.where(counts > 0, sums / counts, np.nan)
        data[p] = (sub[p].dims, out, dict(sub[p].attrs))
    coords = {k: c for k, c in sub.coords.items() if "time" not in c.dims}
    coords["time"] = labels
    return xr.Dataset(data, coords=coords, attrs=dict(sub.attrs))


def _period_labels(times: np.ndarray, period: str) -> list[str]:
    idx = pd.DatetimeIndex(times)
    if period == "year":
        return [f"{t.year}" for t in idx]
    if period == "quarter":
        return [f"{t.year}Q{t.quarter}" for t in idx]
    return [f"{t.year}-{t.month:02d}" for t in idx]


def exceedance_multiple(
    value: Any, parameter: str, *, waterbody: str = "river", standard: str | Standard | None = None
) -> np.ndarray:
    """Return the exceedance multiple ``(C - C_III) / C_III`` against the Class III limit (NaN if not over).

    No multiple for water temperature, pH and DO (the method computes none for them): NaN.
    """
    std = load_standard(standard)
    ev = std.evaluation
    ref = int(ev.get("reference_class", 3))
    v = np.asarray(value, dtype=float)
    if parameter in ev.get("no_multiple", []):
        return np.full(v.shape, np.nan)
    lim = std.class_limit(parameter, ref, waterbody)
    m = (v - lim) / lim
    return np.where(m > 0, m, np.nan)


def _fmt_multiple(m: float) -> str:
    return f"{m:.2f}".rstrip("0").rstrip(".")


def _main_pollutants_rows(
    values: np.ndarray, classes: np.ndarray, lake: np.ndarray, items: list[str], std: Standard
) -> np.ndarray:
    """Vectorise main pollutants: ``values``/``classes`` (rows, items), ``lake`` (rows,) -> strings."""
    ev = std.evaluation
    ref = int(ev.get("reference_class", 3))
    limit_n = int(ev.get("main_pollutants_max", 3))
    priority = np.array([p in set(ev.get("priority", [])) for p in items])
    no_mult = np.array([p in set(ev.get("no_multiple", [])) for p in items])
    lim_r = np.array([std.class_limit(p, ref, "river") for p in items])
    lim_l = np.array([std.class_limit(p, ref, "lake") for p in items])
    out = np.full(len(values), "", dtype=object)
    if not items or not len(values):
        return out
    cand = classes > ref
    rows = np.flatnonzero(cand.any(axis=1))
    if not len(rows):
        return out
    v, c, cd = values[rows], classes[rows].astype(float), cand[rows]
    lim = np.where(lake[rows][:, None], lim_l[None, :], lim_r[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        mult = np.where(cd & ~no_mult[None, :], (v - lim) / lim, np.nan)
    # order: candidates first; cyanide / heavy metals first; worst class; larger multiple; no multiple last
    k_pri = np.where(cd, priority[None, :], False).astype(float)
    k_cls = np.where(cd, c, 0.0)
    k_mult = np.where(np.isnan(mult), -np.inf, mult)
    order = np.lexsort((-k_mult, -k_cls, -k_pri, ~cd), axis=-1)[:, :limit_n]
    names = parameter_table()["name_zh"].reindex(items).to_numpy(object)
    # the chosen (row, rank) pairs; candidates come first in ``order``, so a row's pieces are contiguous
    top_cd = np.take_along_axis(cd, order, axis=-1)
    rr, kk = np.nonzero(top_cd)
    jj = order[rr, kk]
    mm = mult[rr, jj]
    pieces = [
        f"{n}({_fmt_multiple(m)})" if m == m else str(n)  # m == m: not NaN
        for n, m in zip(names[jj].tolist(), mm.tolist(), strict=True)
    ]
    table = np.full(top_cd.shape, "", dtype=object)
    table[rr, kk] = pieces
    out[rows] = ["、".join(x for x in row if x) for row in table.tolist()]
    return out


def main_pollutants(
    means: Mapping[str, float],
    *,
    waterbody: str = "river",
    standard: str | Standard | None = None,
) -> str:
    """Return the main pollution indicators of one section, e.g. ``"总磷(0.45)、氨氮(0.2)"``.

    Rules (2011 method, DOMAIN.md 2.4): none when the section is Class III or better; otherwise among the
    items worse than Class III, cyanide and heavy metals first, then the worst class, ties broken by the
    larger exceedance multiple ``(C - C_III)/C_III``; at most three. pH and DO have no multiple (they rank
    after the items of the same class that have one) and are written without a number. Items are joined with
    ``、``.

    Parameters
    ----------
    means
        Period mean of each evaluated item (canonical codes; other keys are ignored).
    """
    std = load_standard(standard)
    items = [p for p in std.items if p in means and means[p] is not None and np.isfinite(means[p])]
    vals = np.array([[float(means[p]) for p in items]])
    cls = np.array([[classify([means[p]], p, waterbody=waterbody, standard=std)[0] for p in items]])
    lake = np.array([waterbody in ("lake", "reservoir")])
    return str(_main_pollutants_rows(vals.reshape(1, -1), cls.reshape(1, -1), lake, items, std)[0])


def _station_attr(ds: xr.Dataset, name: str, default: Any) -> np.ndarray:
    if name in ds.coords or name in ds.data_vars:
        return np.asarray(ds[name].values)
    return np.full(ds.sizes["station"], default, dtype=object)


def station_waterbody(ds: xr.Dataset) -> np.ndarray:
    """Return each station's waterbody (river, lake, reservoir; missing or unknown -> river)."""
    wb = _station_attr(ds, "waterbody", "river").astype(str)
    return np.where(np.isin(wb, ["river", "lake", "reservoir"]), wb, "river")


def evaluated_as(ds: xr.Dataset) -> np.ndarray:
    """Return the waterbody each station is *evaluated* as: ``"river"`` or ``"lake"``.

    Lakes and reservoirs are evaluated as lakes (lake TP limits, TN and TLI, mean of the points), except
    river-type reservoirs (河流型水库), which the 2011 method evaluates as rivers (二(二)1:
    "河流型水库按照河流 评价"). A river-type reservoir is a station whose boolean coordinate
    ``river_type_reservoir`` is true (a column of the stations layer, carried by :func:`read_wq`).
    """
    wb = station_waterbody(ds)
    lake = np.isin(wb, ["lake", "reservoir"])
    if "river_type_reservoir" in ds.coords or "river_type_reservoir" in ds.data_vars:
        lake &= ~np.asarray(ds["river_type_reservoir"].values).astype(bool)
    return np.where(lake, "lake", "river")


#: saturated dissolved oxygen of fresh water, mg/L, at temperature T (℃): DO_f = 468 / (31.6 + T)
#: (HJ 2.3-2018 附录 D, the formula of the DO standard index; fresh water at normal pressure)
def do_saturation(temperature: Any) -> np.ndarray:
    """Return the saturated DO concentration ``468 / (31.6 + T)`` (mg/L) of fresh water at ``T`` ℃.

    The formula is the one of HJ 2.3-2018 (技术导则 地表水环境, appendix D, DO standard index), fresh water at
    normal pressure; e.g. 14.81 mg/L at 0 ℃, 9.07 mg/L at 20 ℃ (the APHA/Benson-Krause table gives 14.62 and
    9.09).
    """
    t = np.asarray(temperature, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 468.0 / (31.6 + t)


def do_class_saturation(do: Any, temperature: Any, *, standard: str | Standard | None = None) -> np.ndarray:
    """Return DO classes with class Ⅰ by **saturation ≥ 90 %** (GB 3838-2002 Table 1: "饱和率90%（或7.5）").

    Saturation is ``DO / DO_f(T)`` with :func:`do_saturation`. A value with saturation ≥ 90 % is class Ⅰ; a
    value below it is at best class Ⅱ, the other classes by the mg/L limits (6, 5, 3, 2). Where the
    temperature is missing the 7.5 mg/L limit is used (the standard's alternative).

    Examples
    --------
    >>> do_class_saturation([7.2, 7.6, 7.6], [30.0, 30.0, 5.0]).tolist()  # DO_f = 7.60, 7.60, 12.79 mg/L
    [1, 1, 2]
    """
    d = np.asarray(do, dtype=float)
    t = np.broadcast_to(np.asarray(temperature, dtype=float), d.shape)
    cls = classify(d, "DO", standard=standard)
    with np.errstate(invalid="ignore", divide="ignore"):
        sat = d / do_saturation(t)
    by_sat = np.where(sat >= 0.9, 1, np.maximum(cls, 2)).astype(np.int8)
    return np.where(np.isfinite(t) & np.isfinite(d), by_sat, cls).astype(np.int8)


def assess(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    do_saturation: bool = False,
) -> pd.DataFrame:
    """Evaluate every station and period with the 2011 national method.

    Period means of every parameter (:func:`period_means`) are classified item by item; the section class is
    the worst class of the evaluated items (21 for GB 3838-2002: Table 1 minus water temperature, TN and fecal
    coliform); status from the class (优 … 重度污染); main pollutants by :func:`main_pollutants`; compliance
    with the station's ``target_class`` coordinate. Lakes and reservoirs also get TLI(Σ) and their trophic
    state when Chl-a, TP, TN, SD and CODMn are all present. River-type reservoirs (coordinate
    ``river_type_reservoir``) are evaluated as rivers (:func:`evaluated_as`).

    Parameters
    ----------
    ds
        Water-quality Dataset (:func:`read_wq`), dims ``(station, time)``; numpy or dask backed.
    period
        ``"year"``, ``"quarter"`` or ``"month"``.
    standard
        Standard name or object (default GB3838-2002).
    do_saturation
        Class Ⅰ of DO by saturation ≥ 90 % (:func:`do_class_saturation`, needs ``temperature``; periods
        without a temperature mean keep the 7.5 mg/L limit). Default: the 7.5 mg/L limit.

    Returns
    -------
    pandas.DataFrame
        One row per station and period with data: ``station_id, period, period_start, class (1-6),
        class_label, status, main_pollutants, target_class (NA = unknown), compliant (NA when the target is
        unknown), n_items, name, waterbody, tli, trophic_state, evaluated_as`` (river | lake).
    """
    std = load_standard(standard)
    means = period_means(ds, period)
    means = means.compute()  # small (station x period); a no-op copy for numpy data
    waterbody = station_waterbody(means)
    ev_as = evaluated_as(means)
    classes = classify_dataset(means.assign_coords(waterbody=("station", ev_as)), standard=std)
    if do_saturation and "DO" in classes and "temperature" in means:
        cls_do = do_class_saturation(
            means["DO"].transpose("station", "time").values,
            means["temperature"].transpose("station", "time").values,
            standard=std,
        )
        classes["DO"] = (("station", "time"), cls_do)
    items = [p for p in std.items if p in classes]
    n_st, n_t = means.sizes["station"], means.sizes["time"]
    if items:
        cls_arr = np.stack([classes[p].transpose("station", "time").values for p in items], axis=-1)
    else:
        cls_arr = np.zeros((n_st, n_t, 0), dtype=np.int8)
    section = cls_arr.max(axis=-1, initial=0).astype(np.int8)
    n_items = (cls_arr > 0).sum(axis=-1)
    stations = np.asarray(means["station"].values).astype(str)
    target = _station_attr(means, "target_class", 0)
    target = pd.to_numeric(pd.Series(target), errors="coerce").fillna(0).to_numpy(int)
    names = _station_attr(means, "name", "").astype(str)
    labels = _period_labels(means["time"].values, period)
    mvals = {p: means[p].transpose("station", "time").values for p in _parameters(means)}
    lake = ev_as == "lake"
    tli_vals = np.full((n_st, n_t), np.nan)
    if all(p in mvals for p in ("Chla", "TP", "TN", "SD", "CODMn")):
        t = tli(chla=mvals["Chla"], tp=mvals["TP"], tn=mvals["TN"], sd=mvals["SD"], codmn=mvals["CODMn"])
        tli_vals = np.where(lake[:, None], t, np.nan)
    vals = np.stack([mvals[p] for p in items], axis=-1) if items else np.zeros((n_st, n_t, 0))
    si, tj = np.nonzero(n_items > 0)
    mp = _main_pollutants_rows(vals[si, tj], cls_arr[si, tj], lake[si], items, std)
    c = section[si, tj]
    tc = target[si]
    has_t = tc > 0
    df = pd.DataFrame(
        {
            "station_id": stations[si],
            "period": np.asarray(labels, dtype=object)[tj] if len(labels) else np.array([], dtype=object),
            "period_start": pd.DatetimeIndex(means["time"].values)[tj],
            "class": c,
            "main_pollutants": mp,
            "target_class": pd.array(np.where(has_t, tc, 0), dtype="Int8"),
            "compliant": pd.array(c <= tc, dtype="boolean"),
            "n_items": n_items[si, tj].astype(int),
            "name": names[si],
            "waterbody": waterbody[si],
            "tli": tli_vals[si, tj],
        }
    )
    df.loc[~has_t, "target_class"] = pd.NA
    df.loc[~has_t, "compliant"] = pd.NA
    df["class"] = df["class"].astype("int8")
    df.insert(4, "class_label", class_labels(df["class"].to_numpy()) if len(df) else [])
    df.insert(5, "status", class_status(df["class"].to_numpy()) if len(df) else [])
    df["target_class"] = df["target_class"].astype("Int8")
    df["compliant"] = df["compliant"].astype("boolean")
    df["tli"] = df["tli"].astype(float)
    df["trophic_state"] = trophic_state(df["tli"].to_numpy()) if len(df) else []
    df["evaluated_as"] = ev_as[si]
    return df


def compliance(ds: xr.Dataset, *, standard: str | Standard | None = None) -> pd.DataFrame:
    """Compare each station's monthly section class with its target class, per station and year.

    A month is *out of target* when its section class (of the monthly means) is worse than ``target_class``.
    ``longest_run_out`` counts consecutive calendar months out of target within the year; a month without data
    breaks a run (it is not known to be out). Stations without a target get NA rates.

    Returns
    -------
    pandas.DataFrame
        ``station_id, year, target_class, months_assessed, months_compliant, months_out, attainment_rate
        (months_compliant / months_assessed), longest_run_out, annual_class, annual_class_label,
        annual_compliant``.
    """
    std = load_standard(standard)
    monthly = assess(ds, period="month", standard=std)
    annual = assess(ds, period="year", standard=std)
    cols = [
        "station_id",
        "year",
        "target_class",
        "months_assessed",
        "months_compliant",
        "months_out",
        "attainment_rate",
        "longest_run_out",
        "annual_class",
        "annual_class_label",
        "annual_compliant",
    ]
    if monthly.empty:
        return pd.DataFrame(columns=cols)
    m = monthly.assign(year=monthly["period_start"].dt.year, month=monthly["period_start"].dt.month)
    m["out"] = (m["compliant"] == False).fillna(False).astype(bool)  # noqa: E712 - nullable boolean
    m["_ok"] = (m["compliant"] == True).fillna(False).astype(bool)  # noqa: E712 - nullable boolean
    keys = (
        m[["station_id", "year"]].drop_duplicates().sort_values(["station_id", "year"]).reset_index(drop=True)
    )
    k_idx = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(m[["station_id", "year"]]))
    grid = np.zeros((len(keys), 12), dtype=np.int32)
    grid[k_idx, m["month"].to_numpy() - 1] = m["out"].to_numpy()
    run = np.zeros(len(keys), dtype=np.int32)
    best = np.zeros(len(keys), dtype=np.int32)
    for k in range(12):
        run = (run + 1) * grid[:, k]
        best = np.maximum(best, run)
    g = m.groupby(["station_id", "year"], sort=True)
    out = pd.DataFrame(
        {
            "station_id": keys["station_id"],
            "year": keys["year"].astype(int),
            "target_class": g["target_class"].first().to_numpy(),
            "months_assessed": g["class"].size().to_numpy(),
            "months_compliant": g["_ok"].sum().to_numpy().astype(int),
            "months_out": g["out"].sum().to_numpy().astype(int),
        }
    )
    has_target = out["target_class"].notna()
    out["attainment_rate"] = np.where(has_target, out["months_compliant"] / out["months_assessed"], np.nan)
    out["longest_run_out"] = pd.array(np.where(has_target, best, 0), dtype="Int64")
    out.loc[~has_target, "longest_run_out"] = pd.NA
    out.loc[~has_target, ["months_compliant", "months_out"]] = np.nan
    out["months_compliant"] = out["months_compliant"].astype("Int64")
    out["months_out"] = out["months_out"].astype("Int64")
    a = annual.assign(year=annual["period_start"].dt.year).set_index(["station_id", "year"])
    idx = pd.MultiIndex.from_frame(out[["station_id", "year"]])
    out["annual_class"] = a["class"].reindex(idx).to_numpy()
    out["annual_class_label"] = a["class_label"].reindex(idx).to_numpy()
    out["annual_compliant"] = a["compliant"].reindex(idx).to_numpy()
    out["target_class"] = out["target_class"].astype("Int8")
    return out[cols]


# --------------------------------------------------------------------------------------------- rivers
@dataclass(frozen=True)
class RiverEvaluation:
    """Result of :func:`evaluate_river`."""

    n_sections: int
    method: str
    share_good: float
    share_worse_than_v: float
    status: str
    river_class: int | None = None
    class_label: str = ""
    main_pollutants: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return dict(self.__dict__)


def _section_pollutants(labels: Sequence[str], pollutants: Sequence[str]) -> str:
    """Join per-section main pollutants: ``"Q3：氨氮(0.2)；Q4：氨氮(1.2)"`` (sections without any omitted)."""
    return "；".join(f"{lab}：{mp}" for lab, mp in zip(labels, pollutants, strict=True) if mp)


def evaluate_river(
    section_classes: Sequence[int] | np.ndarray,
    *,
    means: pd.DataFrame | Mapping[str, Sequence[float]] | None = None,
    waterbody: str = "river",
    standard: str | Standard | None = None,
) -> RiverEvaluation:
    """Evaluate a river, basin or water system, or a lake / reservoir, from its sections (2011 method).

    Rivers (环办〔2011〕22号 二(一)3, DOMAIN.md 2.3): with at least ``min_sections`` (5) classified sections,
    the *proportion method*: share of sections in classes Ⅰ-Ⅲ and share 劣Ⅴ → 优 (Ⅰ-Ⅲ ≥ 90%), 良好 (≥ 75%),
    then by 劣Ⅴ: 重度污染 (≥ 40%), 中度污染 (≥ 20%), else 轻度污染. With fewer sections, the *mean method*:
    every item is averaged over the sections (``means``) and evaluated as one section (class, status); the
    main pollution indicators are then given **per section** (二(一)3(2): those of each section worse than Ⅲ,
    by the section rule), as ``"<section>：<pollutants>"`` joined with ``；``, the section named by the index
    of ``means``. Exactly 5 sections use the proportion method.

    Lakes and reservoirs (``waterbody`` lake or reservoir; 二(二)1(2)): always the mean of the points, never
    the proportion method, whatever their number; the main pollutants by the section rule on the lake means.

    Parameters
    ----------
    section_classes
        Class (1-6) of each section; 0 / NaN (no class) are not counted.
    means
        For the mean method: the sections' values (period means), a DataFrame with one row per section (index
        = section names) and one column per item (or a mapping item -> values).
    waterbody
        ``river`` (also for river-type reservoirs), ``lake`` or ``reservoir``.

    Raises
    ------
    SchemaError
        No classified section, or the mean method is needed and no ``means`` are given.
    """
    std = load_standard(standard)
    rules = std.evaluation.get("river", {})
    min_n = int(rules.get("min_sections", 5))
    good_cls = set(rules.get("good_classes", [1, 2, 3]))
    bad_cls = set(rules.get("bad_classes", [6]))
    c = pd.to_numeric(pd.Series(np.asarray(section_classes).ravel()), errors="coerce").fillna(0).to_numpy(int)
    c = c[c > 0]
    n = len(c)
    if n == 0:
        msg = "evaluate_river: no classified section (all classes are 0/NaN)"
        raise SchemaError(msg)
    good = float(np.isin(c, list(good_cls)).mean())
    bad = float(np.isin(c, list(bad_cls)).mean())
    lake = waterbody in ("lake", "reservoir")
    if n >= min_n and not lake:
        status = ""
        for rule in rules.get("rules", []):
            if good >= rule.get("good_min", -1) and bad >= rule.get("bad_min", -1):
                status = rule["status"]
                break
        return RiverEvaluation(n, "proportion", good, bad, status)
    if means is None:
        why = f"{n} section(s) (< {min_n})"
        if lake:
            why = "a lake or reservoir is evaluated on the mean of its points"
        msg = f"evaluate_river: {why}: pass means= (one row per section, one column per item)"
        raise SchemaError(msg)
    mdf = pd.DataFrame(means)
    cols = {str(col): canonical_parameter(str(col)) for col in mdf.columns}
    mdf = mdf[[col for col in mdf.columns if cols[str(col)] is not None]]
    mdf.columns = [cols[str(col)] for col in mdf.columns]
    avg = {
        p: float(np.nanmean(mdf[p].to_numpy(float))) if mdf[p].notna().any() else np.nan for p in mdf.columns
    }
    per_item = [
        int(classify([avg[p]], p, waterbody=waterbody, standard=std)[0])
        for p in std.items
        if p in avg and np.isfinite(avg[p])
    ]
    rc = max(per_item, default=0)
    if rc == 0:
        msg = "evaluate_river: the means hold none of the evaluated items"
        raise SchemaError(msg)
    if lake:
        mp = main_pollutants(avg, waterbody=waterbody, standard=std)
    else:
        labels = [str(x) for x in mdf.index]
        mp = _section_pollutants(
            labels, [main_pollutants(row.to_dict(), standard=std) for _, row in mdf.iterrows()]
        )
    return RiverEvaluation(
        n,
        "lake_mean" if lake else "mean",
        good,
        bad,
        str(class_status([rc])[0]),
        rc,
        str(class_labels([rc])[0]),
        mp,
    )


RIVER_COLUMNS = [
    "period",
    "n_sections",
    "method",
    "share_good",
    "share_worse_than_v",
    "status",
    "river_class",
    "class_label",
    "main_pollutants",
    "tli",
    "trophic_state",
]


def evaluate_rivers(
    ds: xr.Dataset,
    *,
    by: str = "river_id",
    period: Period = "year",
    standard: str | Standard | None = None,
    sections: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Apply :func:`evaluate_river` to every group of stations (coordinate ``by``) and period.

    * A group of **rivers** (any station of the group evaluated as a river, :func:`evaluated_as`) with >= 5
      sections: the proportion method; with a status worse than 良好, ``main_pollutants`` lists up to three
      items by *section exceedance rate* (share of the sections whose period mean is worse than Class III),
      e.g. ``总磷(40%)`` (DOMAIN.md 2.4; the rate formula is confidence U). With fewer sections: the mean
      method for class and status, and the main pollutants **per section**
      (``"Q3：氨氮(0.2)；Q4：氨氮(1.2)"``, sections named by ``name``, else their id).
    * A group of **lakes / reservoirs** (every station evaluated as a lake, e.g. ``by="lake_id"``): the mean
      of the points (the period mean of each point first, then the mean over the points), never the proportion
      method (``method = "lake_mean"``); main pollutants by the section rule on the lake means; ``tli`` and
      ``trophic_state`` from the lake means of Chl-a, TP, TN, SD and CODMn.

    Returns
    -------
    pandas.DataFrame
        ``<by>, period, n_sections, method (proportion | mean | lake_mean), share_good, share_worse_than_v,
        status, river_class, class_label, main_pollutants, tli, trophic_state``.
    """
    std = load_standard(standard)
    if by not in ds.coords:
        msg = f"the Dataset has no station coordinate {by!r} (pass stations= to read_wq)"
        raise SchemaError(msg)
    sec = sections if sections is not None else assess(ds, period=period, standard=std)
    st_ids = np.asarray(ds["station"].values).astype(str)
    group = pd.Series(np.asarray(ds[by].values).astype(str), index=st_ids)
    ev = pd.Series(evaluated_as(ds), index=st_ids)
    sec = sec.assign(_g=sec["station_id"].map(group), _lake=sec["station_id"].map(ev) == "lake")
    sec = sec[sec["_g"].notna() & (sec["_g"] != "")]
    cols = [by, *RIVER_COLUMNS]
    if sec.empty:
        return pd.DataFrame(columns=cols)
    rules = std.evaluation.get("river", {})
    min_n = int(rules.get("min_sections", 5))
    sec = sec.assign(
        _good=sec["class"].isin(rules.get("good_classes", [1, 2, 3])),
        _bad=sec["class"].isin(rules.get("bad_classes", [6])),
    )
    g = sec.groupby(["_g", "period"], sort=True)
    out = pd.DataFrame(
        {
            "n_sections": g.size(),
            "share_good": g["_good"].mean(),
            "share_worse_than_v": g["_bad"].mean(),
            "_lake": g["_lake"].all(),
        }
    )
    lake = out["_lake"].to_numpy(bool)
    prop = (out["n_sections"] >= min_n).to_numpy() & ~lake
    out["method"] = np.where(prop, "proportion", np.where(lake, "lake_mean", "mean"))
    status = np.full(len(out), "", dtype=object)
    done = ~prop
    for rule in rules.get("rules", []):
        hit = (
            ~done
            & (out["share_good"].to_numpy() >= rule.get("good_min", -1))
            & (out["share_worse_than_v"].to_numpy() >= rule.get("bad_min", -1))
        )
        status[hit] = rule["status"]
        done |= hit
    # mean method: every item averaged over the group's sections (their period means), then one section
    means = period_means(ds, period).compute()  # small (station x period)
    labels = _period_labels(means["time"].values, period)
    items = [p for p in std.items if p in means]
    extra = [p for p in ("Chla", "TN", "SD") if p in means and p not in items]
    allp = items + extra
    mdf = pd.DataFrame({p: means[p].transpose("station", "time").values.ravel() for p in allp})
    mdf["station_id"] = np.repeat(np.asarray(means["station"].values).astype(str), means.sizes["time"])
    mdf["period"] = np.tile(np.asarray(labels, dtype=object), means.sizes["station"])
    mdf = mdf.merge(
        sec[["station_id", "period", "_g", "_lake", "main_pollutants", "class", "name"]],
        on=["station_id", "period"],
        how="inner",
    )
    gm = mdf.groupby(["_g", "period"], sort=True)[allp].mean().reindex(out.index)
    wb = np.where(lake, "lake", "river")
    vals = gm[items].to_numpy(float)
    cls = (
        np.stack([classify(vals[:, j], p, waterbody=wb, standard=std) for j, p in enumerate(items)], axis=-1)
        if items
        else np.zeros((len(out), 0), dtype=np.int8)
    )
    river_class = cls.max(axis=-1, initial=0) if items else np.zeros(len(out), dtype=np.int8)
    mean_m = ~prop & (river_class > 0)
    status[mean_m] = class_status(river_class[mean_m])
    mp_lake = _main_pollutants_rows(vals, cls, lake, items, std)
    # fewer than 5 river sections: the main pollutants of each section worse than Class III
    mdf["_label"] = np.where(mdf["name"].astype(str) != "", mdf["name"].astype(str), mdf["station_id"])
    per_sec = mdf[mdf["main_pollutants"] != ""].groupby(["_g", "period"], sort=True)
    mp_sec = pd.Series(
        {k: _section_pollutants(list(v["_label"]), list(v["main_pollutants"])) for k, v in per_sec},
        dtype=object,
    )
    mp_sec = mp_sec.reindex(out.index).fillna("").to_numpy(object) if len(mp_sec) else np.full(len(out), "")
    out["status"] = status
    out["river_class"] = pd.array(np.where(mean_m, river_class, 0), dtype="Int8")
    out.loc[~mean_m, "river_class"] = pd.NA
    out["class_label"] = np.where(mean_m, class_labels(np.where(mean_m, river_class, 0)), "")
    # proportion method: items ranked by section exceedance rate (share of the sections worse than Class III)
    ref = int(std.evaluation.get("reference_class", 3))
    limit_n = int(std.evaluation.get("main_pollutants_max", 3))
    sec_wb = np.where(mdf["_lake"].to_numpy(bool), "lake", "river")
    exceed = pd.DataFrame(
        {p: classify(mdf[p].to_numpy(float), p, waterbody=sec_wb, standard=std) > ref for p in items}
    )
    exceed[["_g", "period"]] = mdf[["_g", "period"]]
    rates = exceed.groupby(["_g", "period"], sort=True)[items].mean().reindex(out.index).to_numpy(float)
    names = parameter_table()["name_zh"].reindex(items).to_numpy(object)
    good_status = {r["status"] for r in rules.get("rules", []) if "good_min" in r}
    mp_prop = np.full(len(out), "", dtype=object)
    for r in np.flatnonzero(prop & ~np.isin(status, list(good_status))):
        order = np.argsort(-rates[r], kind="stable")[:limit_n]
        mp_prop[r] = "、".join(f"{names[j]}({rates[r, j]:.0%})" for j in order if rates[r, j] > 0)
    out["main_pollutants"] = np.where(prop, mp_prop, np.where(lake, mp_lake, mp_sec))
    tli_vals = np.full(len(out), np.nan)
    if all(p in gm.columns for p in ("Chla", "TP", "TN", "SD", "CODMn")):
        t = tli(
            chla=gm["Chla"].to_numpy(float),
            tp=gm["TP"].to_numpy(float),
            tn=gm["TN"].to_numpy(float),
            sd=gm["SD"].to_numpy(float),
            codmn=gm["CODMn"].to_numpy(float),
        )
        tli_vals = np.where(lake, t, np.nan)
    out["tli"] = tli_vals
    out["trophic_state"] = trophic_state(tli_vals) if len(out) else []
    out = out.reset_index().rename(columns={"_g": by})
    return out[cols]


# ------------------------------------------------------------------------------------------------ TLI
@functools.lru_cache(maxsize=1)
def _trophic() -> dict[str, Any]:
    text = (
        resources.files("basin.waterquality").joinpath("standards", "trophic.yml").read_text(encoding="utf-8")
    )
    cfg = yaml.safe_load(text)
    r = cfg["correlation"]
    if set(r) != set(cfg["components"]):
        msg = "trophic.yml: correlation and components must name the same parameters"
        raise SchemaError(msg)
    r2 = {k: float(v) ** 2 for k, v in r.items()}
    total = sum(r2.values())
    cfg["weights"] = {k: v / total for k, v in r2.items()}
    return cfg


def tli(*, chla: Any, tp: Any, tn: Any, sd: Any, codmn: Any, components: bool = False) -> Any:
    """Return the comprehensive trophic state index TLI(Σ) (中国环境监测总站 2001, DOMAIN.md 2.6).

    TLI(Σ) = Σ W_j · TLI(j), W_j = r_j² / Σ r², TLI(j) = 10 (a_j + b_j ln x_j); Chl-a in mg/m³ (= µg/L), SD in
    m, TP, TN, CODMn in mg/L. All five are required: NaN where any is missing or not positive.

    Parameters
    ----------
    chla, tp, tn, sd, codmn
        Scalars or arrays (broadcast together).
    components
        Also return the component indices as a dict.

    Examples
    --------
    >>> round(float(tli(chla=10, tp=0.05, tn=1.0, sd=1.0, codmn=4)), 2)
    48.02
    """
    cfg = _trophic()
    vals = dict(
        zip(
            ("Chla", "TP", "TN", "SD", "CODMn"),
            np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (chla, tp, tn, sd, codmn))),
            strict=True,
        )
    )
    total = np.zeros(vals["Chla"].shape)
    comps = {}
    for k, x in vals.items():
        a, b = cfg["components"][k]["a"], cfg["components"][k]["b"]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = 10.0 * (a + b * np.log(np.where(x > 0, x, np.nan)))
        comps[k] = t
        total = total + cfg["weights"][k] * t
    result: Any = total if total.ndim else float(total)
    return (result, comps) if components else result


def trophic_state(values: Any) -> np.ndarray:
    """Return the trophic state (贫营养, 中营养, 轻度/中度/重度富营养; empty for NaN) of TLI values."""
    cfg = _trophic()
    v = np.atleast_1d(np.asarray(values, dtype=float))
    out = np.full(v.shape, "", dtype=object)
    done = np.isnan(v)
    for c in cfg["classes"]:
        up = float(c["upper"])
        hit = ~done & ((v <= up) if c["upper_inclusive"] else (v < up))
        out[hit] = c["state"]
        done |= hit
    return out
