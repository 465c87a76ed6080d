"""Pressure and capacity indices and the four-class evaluation of units (高压低容 / 低压低容 / ...).

Each indicator is rescaled to 0-1 (min-max by default), turned round when a high value lowers the index
(``direction: -1`` -> ``1 - x``), and combined with the weights of the configuration file
(``basin/units/config/default.yaml``). A unit is *high* on an index when its index is strictly above the
threshold (median by default; quantile, fixed value or natural breaks). The two flags give the class:

=====  =========  =================================
code   中文        English
=====  =========  =================================
HPLC   高压低容     high pressure, low capacity
LPLC   低压低容     low pressure, low capacity
HPHC   高压高容     high pressure, high capacity
LPHC   低压高容     low pressure, high capacity
=====  =========  =================================
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from basin._errors import DataError, SchemaError
from basin.units.config import load_config

__all__ = [
    "CLASSES",
    "class_summary",
    "classify_units",
    "composite_index",
    "normalise",
    "robustness",
    "threshold_value",
]

_TIE_TOL = 1e-9

CLASSES = pd.DataFrame(
    {
        "class_code": ["HPLC", "LPLC", "HPHC", "LPHC"],
        "class_zh": ["高压低容", "低压低容", "高压高容", "低压高容"],
        "class_en": [
            "high pressure, low capacity",
            "low pressure, low capacity",
            "high pressure, high capacity",
            "low pressure, high capacity",
        ],
        "pressure_high": [True, False, True, False],
        "capacity_high": [False, False, True, True],
    }
)


def normalise(values: pd.Series, method: str = "minmax") -> pd.Series:
    """Rescale an indicator across the units.

    ``minmax``: ``(x - min) / (max - min)`` in 0-1 (all 0 when the indicator is constant); ``rank``: average
    rank
    rescaled to 0-1; ``zscore``: ``(x - mean) / std`` (population std; all 0 when constant).

    Raises
    ------
    SchemaError
        Unknown method.
    DataError
        Missing or infinite values (the message names the index labels).
    """
    x = values.to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        labels = [str(i) for i in values.index[bad]][:10]
        msg = (
            f"indicator {values.name!r} has missing or infinite values for unit(s) {labels}; "
            "fill or drop those units (or the indicator) before classifying"
        )
        raise DataError(msg)
    if method == "minmax":
        span = x.max() - x.min()
        out = (x - x.min()) / span if span > 0 else np.zeros_like(x)
    elif method == "rank":
        r = values.rank(method="average").to_numpy(dtype=float)
        out = (r - 1) / (len(x) - 1) if len(x) > 1 else np.zeros_like(x)
    elif method == "zscore":
        sd = x.std()
        out = (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
    else:
        msg = f"unknown normalisation {method!r}; expected one of ['minmax', 'rank', 'zscore']"
        raise SchemaError(msg)
    return pd.Series(out, index=values.index, name=values.name)


def _flip(x: pd.Series, method: str) -> pd.Series:
    return -x if method == "zscore" else 1.0 - x


def composite_index(
    indicators: pd.DataFrame,
    spec: Mapping[str, Mapping[str, Any]],
    *,
    normalisation: str = "minmax",
    name: str,
) -> tuple[pd.Series, dict[str, float]]:
    """Weighted sum of normalised indicators.

    Formula: ``I = Σ wᵢ·nᵢ / Σ wᵢ`` with ``nᵢ`` the normalised indicator (``1 - nᵢ`` for ``direction: -1``;
    ``-nᵢ``
    for z-scores) over the indicators of ``spec`` present in ``indicators``. An indicator with
    ``transform: log1p`` is replaced by ``ln(1 + x)`` before normalising (for skewed densities).

    Returns
    -------
    tuple
        The index (Series named ``name``) and the weights actually used (rescaled to sum 1).

    Raises
    ------
    SchemaError
        A required (non-optional) indicator is missing.
    """
    used = {}
    for ind, s in spec.items():
        if ind in indicators.columns and not (s.get("optional") and indicators[ind].isna().all()):
            used[ind] = s
        elif not s.get("optional"):
            msg = (
                f"{name}: indicator {ind!r} is missing; computed indicators: {list(indicators.columns)} "
                "(mark it optional or give its input)"
            )
            raise SchemaError(msg)
    if not used:
        msg = f"{name}: none of its indicators {list(spec)} was computed"
        raise SchemaError(msg)
    total = sum(float(s["weight"]) for s in used.values())
    weights = {ind: float(s["weight"]) / total for ind, s in used.items()}
    value = pd.Series(0.0, index=indicators.index)
    for ind, s in used.items():
        x = indicators[ind].rename(ind)
        if s.get("transform", "none") == "log1p":
            neg = x.to_numpy(dtype=float) < 0
            if neg.any():
                labels = [str(i) for i in x.index[neg]][:10]
                msg = f"indicator {ind!r} has negative values for unit(s) {labels}; log1p needs >= 0"
                raise DataError(msg)
            x = np.log1p(x)
        n = normalise(x, normalisation)
        if int(s.get("direction", 1)) == -1:
            n = _flip(n, normalisation)
        value = value + weights[ind] * n
    return value.rename(name), weights


def threshold_value(
    index: pd.Series, method: str = "median", *, q: float = 0.5, fixed: float | None = None
) -> float:
    """Return the threshold above which (strictly) a unit counts as high on ``index``.

    ``median``: the median; ``quantile``: the ``q`` quantile (linear interpolation); ``fixed``: ``fixed``;
    ``natural_breaks``: the upper bound of the lower of two Fisher-Jenks classes (mapclassify.FisherJenks, the
    exact optimisation of Jenks natural breaks).
    """
    x = index.to_numpy(dtype=float)
    if method == "median":
        return float(np.median(x))
    if method == "quantile":
        return float(np.quantile(x, q))
    if method == "fixed":
        if fixed is None:
            msg = "threshold method 'fixed' needs a value"
            raise SchemaError(msg)
        return float(fixed)
    if method == "natural_breaks":
        if len(np.unique(x)) < 2:
            return float(x.max())
        import mapclassify

        return float(mapclassify.FisherJenks(x, k=2).bins[0])
    methods = ["median", "quantile", "fixed", "natural_breaks"]
    msg = f"unknown threshold method {method!r}; expected one of {methods}"
    raise SchemaError(msg)


def _classify_frame(indicators: pd.DataFrame, cfg: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    th = cfg["threshold"]
    out = pd.DataFrame(index=indicators.index)
    info: dict[str, Any] = {}
    for idx in ("pressure", "capacity"):
        value, weights = composite_index(
            indicators, cfg["indices"][idx], normalisation=cfg["normalisation"], name=f"{idx}_index"
        )
        t = threshold_value(value, th["method"], q=float(th.get("q", 0.5)), fixed=th.get(idx))
        out[f"{idx}_index"] = value
        # strictly above, ignoring floating-point noise (weights are rescaled, so equal values may differ in
        # the last bits)
        out[f"{idx}_high"] = value > t + _TIE_TOL * max(1.0, abs(t))
        info[idx] = {"threshold": t, "weights": weights}
    key = out[["pressure_high", "capacity_high"]].merge(
        CLASSES, on=["pressure_high", "capacity_high"], how="left"
    )
    for col in ("class_code", "class_zh", "class_en"):
        out[col] = pd.array(key[col].to_numpy(), dtype="string")
    return out, info


def _indicator_frame(
    units: pd.DataFrame, indicators: pd.DataFrame | None, cfg: Mapping[str, Any]
) -> pd.DataFrame:
    if indicators is None:
        names = {ind for idx in cfg["indices"].values() for ind in idx}
        cols = [c for c in units.columns if c in names]
        return pd.DataFrame(units[cols])
    if not indicators.index.equals(units.index):
        msg = "indicators must be aligned to the units (same index)"
        raise SchemaError(msg)
    return indicators


def classify_units(
    units: gpd.GeoDataFrame,
    indicators: pd.DataFrame | None = None,
    *,
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """Classify units into the four pressure/capacity classes.

    Parameters
    ----------
    units
        Units; their indicator columns are used when ``indicators`` is None.
    indicators
        Indicator table aligned to ``units.index`` (columns named as the indicator functions' Series).
    config
        Configuration file or dict (default ``basin/units/config/default.yaml``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``units`` with the indicators and ``pressure_index``, ``capacity_index``, ``pressure_high``,
        ``capacity_high``, ``class_code``, ``class_zh``, ``class_en``. ``attrs["classification"]`` holds the
        thresholds and the weights used. A unit is high when its index exceeds the threshold by more than
        1e-9 (relative), so that ties are not decided by floating-point rounding.

    Raises
    ------
    SchemaError
        A required indicator is missing, or the configuration is invalid.
    DataError
        An indicator has missing or infinite values.
    """
    cfg = load_config(config) if not isinstance(config, dict) or "source" not in config else config
    ind = _indicator_frame(units, indicators, cfg)
    res, info = _classify_frame(ind, cfg)
    out = units.copy()
    for col in ind.columns:
        out[col] = ind[col]
    for col in res.columns:
        out[col] = res[col]
    out.attrs["classification"] = {
        "config": cfg["source"],
        "normalisation": cfg["normalisation"],
        "threshold_method": cfg["threshold"]["method"],
        **info,
    }
    return out


def class_summary(classified: gpd.GeoDataFrame, *, crs: Any = None) -> pd.DataFrame:
    """Count and area of the units in each class (all four classes listed, also when empty).

    Areas are measured in ``crs``, else in the units' CRS when projected in metres, else in the metric CRS.

    Returns
    -------
    pandas.DataFrame
        ``class_code, class_zh, class_en, n_units, area_km2, area_share`` (share of the total unit area, 0-1).
    """
    from basin.units.indicators import working_crs

    if "class_code" not in classified.columns:
        msg = "units are not classified (no 'class_code' column); run classify_units first"
        raise SchemaError(msg)
    area = classified.geometry.to_crs(working_crs(classified, crs)).area / 1e6
    g = pd.DataFrame({"class_code": classified["class_code"].astype(str), "area": area.to_numpy()})
    agg = g.groupby("class_code").agg(n_units=("area", "size"), area_km2=("area", "sum"))
    out = CLASSES[["class_code", "class_zh", "class_en"]].merge(
        agg, left_on="class_code", right_index=True, how="left"
    )
    out["n_units"] = out["n_units"].fillna(0).astype(int)
    out["area_km2"] = out["area_km2"].fillna(0.0)
    total = out["area_km2"].sum()
    out["area_share"] = out["area_km2"] / total if total > 0 else 0.0
    return out.reset_index(drop=True)


def robustness(
    units: gpd.GeoDataFrame,
    indicators: pd.DataFrame | None = None,
    *,
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """How many units change class when each weight moves (by default ±20 %).

    Every weight of every index is multiplied in turn by ``1 + step`` for each step of ``robustness.steps``
    (the weights are then rescaled to sum 1 within the index, as always) and the units are classified again
    with the same normalisation and threshold method (a median threshold is recomputed).

    Returns
    -------
    pandas.DataFrame
        One row per index x indicator x step: ``index, indicator, weight`` (configured), ``step``,
        ``weight_share`` (rescaled weight after the step), ``n_changed``, ``share_changed`` (0-1),
        ``changed_units`` (ids, ``;``-separated).
    """
    cfg = load_config(config) if not isinstance(config, dict) or "source" not in config else config
    ind = _indicator_frame(units, indicators, cfg)
    base, _ = _classify_frame(ind, cfg)
    ids = units["unit_id"].astype(str) if "unit_id" in units.columns else pd.Series(units.index.astype(str))
    rows = []
    for idx in ("pressure", "capacity"):
        _, used = composite_index(ind, cfg["indices"][idx], normalisation=cfg["normalisation"], name=idx)
        for name in used:
            for step in cfg["robustness"]["steps"]:
                c = copy.deepcopy(dict(cfg))
                c["indices"][idx][name]["weight"] = float(cfg["indices"][idx][name]["weight"]) * (1.0 + step)
                res, info = _classify_frame(ind, c)
                changed = (res["class_code"] != base["class_code"]).to_numpy()
                rows.append(
                    {
                        "index": idx,
                        "indicator": name,
                        "weight": float(cfg["indices"][idx][name]["weight"]),
                        "step": step,
                        "weight_share": info[idx]["weights"][name],
                        "n_changed": int(changed.sum()),
                        "share_changed": float(changed.mean()),
                        "changed_units": ";".join(ids.to_numpy()[changed]),
                    }
                )
    return pd.DataFrame(rows)
