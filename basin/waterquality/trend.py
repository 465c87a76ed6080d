"""Trend tests: Mann-Kendall, Seasonal Kendall and Sen's slope, vectorised over many series.

The functions reproduce ``pymannkendall`` 1.4.3 (``original_test``, ``seasonal_test``, ``sens_slope``,
``seasonal_sens_slope``) to 1e-9, including its handling of missing values: NaNs are skipped for S and Var(S),
and Sen's slopes use the true index distance between the remaining values. Formulas: DOMAIN.md section 6.
They work on a 2-D array (series × time) in one pass; memory is O(n²) per series, fine for annual and monthly
series (n up to a few hundred).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import norm

from basin._errors import SchemaError
from basin.waterquality.standards import canonical_parameter

__all__ = ["TrendResult", "mann_kendall", "seasonal_kendall", "trend"]


@dataclass(frozen=True)
class TrendResult:
    """Arrays (one value per series) of a trend test, as in pymannkendall's result tuple."""

    trend: np.ndarray
    h: np.ndarray
    p: np.ndarray
    z: np.ndarray
    tau: np.ndarray
    s: np.ndarray
    var_s: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray
    n: np.ndarray


def _s_var(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S, Var(S) (tie-corrected) and n of each row of ``x`` (NaN skipped)."""
    valid = ~np.isnan(x)
    n = valid.sum(axis=-1)
    s = np.zeros(x.shape[:-1])
    ties = np.ones(x.shape, dtype=np.int64)  # size of each value's tie group (itself included)
    length = x.shape[-1]
    with np.errstate(invalid="ignore"):
        for k in range(1, length):
            a, b = x[..., :-k], x[..., k:]
            d = b - a
            s += np.nansum(np.sign(d), axis=-1)
            eq = d == 0
            ties[..., :-k] += eq
            ties[..., k:] += eq
    t = np.where(valid, ties, 1).astype(float)
    tie_term = ((t - 1) * (2 * t + 5)).sum(axis=-1)
    nf = n.astype(float)
    var = (nf * (nf - 1) * (2 * nf + 5) - tie_term) / 18.0
    return s, var, n


def _z(s: np.ndarray, var: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    return z


def _decide(z: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = 2 * (1 - norm.cdf(np.abs(z)))
    h = np.abs(z) > norm.ppf(1 - alpha / 2)
    trend = np.where(h & (z < 0), "decreasing", np.where(h & (z > 0), "increasing", "no trend")).astype(
        object
    )
    return p, h, trend


def _pair_slopes(x: np.ndarray) -> np.ndarray:
    """All pairwise slopes (x_j - x_i)/(j - i), i < j, along the last axis (NaN where either is missing)."""
    length = x.shape[-1]
    parts = [(x[..., k:] - x[..., :-k]) / k for k in range(1, length)]
    if not parts:
        return np.full(x.shape[:-1] + (0,), np.nan)
    return np.concatenate(parts, axis=-1)


def _nanmedian(a: np.ndarray, axis: int = -1) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN
        if a.shape[axis] == 0:
            return np.full(a.shape[:axis] if axis == -1 else a.shape, np.nan)
        return np.nanmedian(a, axis=axis)


def _valid_index_median(x: np.ndarray) -> np.ndarray:
    idx = np.where(~np.isnan(x), np.arange(x.shape[-1], dtype=float), np.nan)
    return _nanmedian(idx)


def mann_kendall(x: np.ndarray, *, alpha: float = 0.05) -> TrendResult:
    """Mann-Kendall test and Sen's slope for each row of ``x`` (1-D: one series).

    Identical to ``pymannkendall.original_test`` row by row (S, Var(S), Z, p, Tau, slope, intercept). Slope is
    per time step; intercept at index 0 (Conover).
    """
    a = np.atleast_2d(np.asarray(x, dtype=float))
    s, var, n = _s_var(a)
    z = _z(s, var)
    p, h, tr = _decide(z, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = s / (0.5 * n * (n - 1))
    slope = _nanmedian(_pair_slopes(a))
    intercept = _nanmedian(a) - _valid_index_median(a) * slope
    res = TrendResult(tr, h, p, z, tau, s, var, slope, intercept, n)
    return res if np.ndim(x) > 1 else TrendResult(*(np.asarray(v)[0] for v in res.__dict__.values()))


def seasonal_kendall(x: np.ndarray, *, period: int = 12, alpha: float = 0.05) -> TrendResult:
    """Seasonal Kendall test (Hirsch, Slack & Smith 1982) and seasonal Sen's slope for each row of ``x``.

    Each row is a regular series starting at season 0 (padded with NaN to whole cycles, as pymannkendall's
    ``seasonal_test`` does); S and Var(S) are summed over seasons; slope is per cycle (per year for monthly
    data). Identical to ``pymannkendall.seasonal_test(x, period)`` row by row.
    """
    a = np.atleast_2d(np.asarray(x, dtype=float))
    m, length = a.shape
    pad = (-length) % period
    full = np.pad(a, ((0, 0), (0, pad)), constant_values=np.nan) if pad else a
    seasons = full.reshape(m, -1, period).transpose(0, 2, 1)  # (series, season, cycle)
    s_g, var_g, n_g = _s_var(seasons)
    s = s_g.sum(axis=-1)
    var = var_g.sum(axis=-1)
    denom = (0.5 * n_g * (n_g - 1)).sum(axis=-1)
    z = _z(s, var)
    p, h, tr = _decide(z, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = s / denom
    slopes = _pair_slopes(seasons).reshape(m, -1)
    slope = _nanmedian(slopes)
    intercept = _nanmedian(a) - _valid_index_median(a) / period * slope
    n = (~np.isnan(a)).sum(axis=-1)
    res = TrendResult(tr, h, p, z, tau, s, var, slope, intercept, n)
    return res if np.ndim(x) > 1 else TrendResult(*(np.asarray(v)[0] for v in res.__dict__.values()))


TREND_COLUMNS = [
    "station_id",
    "parameter",
    "test",
    "n",
    "n_years",
    "s",
    "var_s",
    "z",
    "p",
    "tau",
    "slope",
    "intercept",
    "slope_units",
    "trend",
    "note",
]


def trend(
    ds: xr.Dataset,
    *,
    parameters: list[str] | None = None,
    alpha: float = 0.05,
    min_years: int = 5,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """Trend tests per station and parameter.

    * ``mann_kendall``: Mann-Kendall and Sen's slope on the **annual means** (mean of the monthly means of each
      calendar year), slope per year.
    * ``seasonal_kendall``: Seasonal Kendall and seasonal Sen's slope on the **monthly means** (season = calendar
      month, series from January of the first year), slope per year.

    Rule for series too short or too gappy (``trend = "not tested"``, statistics NaN, reason in ``note``): fewer
    than ``min_years`` years with data, or data in less than ``min_coverage`` of the years (MK) / of the months
    (SK) between the first and the last year with data.

    Returns
    -------
    pandas.DataFrame
        Columns ``station_id, parameter, test, n, n_years, s, var_s, z, p, tau, slope, intercept, slope_units,
        trend, note``.
    """
    params = [str(v) for v in ds.data_vars if canonical_parameter(str(v)) == str(v)]
    if parameters is not None:
        codes = [canonical_parameter(p) for p in parameters]
        missing = [p for p, c in zip(parameters, codes, strict=True) if c is None or c not in params]
        if missing:
            msg = f"parameter(s) {missing} not in the Dataset; it has {params}"
            raise SchemaError(msg)
        params = [c for c in codes if c is not None]
    if not params:
        return pd.DataFrame(columns=TREND_COLUMNS)
    monthly = ds[params].resample(time="MS").mean()
    monthly = monthly.compute()  # small (station x period); a no-op copy for numpy data
    times = pd.DatetimeIndex(monthly["time"].values)
    y0, y1 = times.year.min(), times.year.max()
    full = pd.date_range(f"{y0}-01-01", f"{y1}-12-01", freq="MS")
    monthly = monthly.reindex(time=full)
    n_years_span = y1 - y0 + 1
    stations = np.asarray(monthly["station"].values).astype(str)
    frames = []
    for p in params:
        arr = monthly[p].transpose("station", "time").values  # (station, months)
        by_year = arr.reshape(arr.shape[0], n_years_span, 12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            annual = np.nanmean(by_year, axis=-1)
        has_year = ~np.isnan(annual)
        n_years = has_year.sum(axis=-1)
        first = np.where(n_years > 0, has_year.argmax(axis=-1), 0)
        last = np.where(n_years > 0, n_years_span - 1 - has_year[:, ::-1].argmax(axis=-1), -1)
        span = np.maximum(last - first + 1, 1)
        months_valid = (~np.isnan(arr)).sum(axis=-1)
        units = ds[p].attrs.get("units", "")
        for test, res, coverage in (
            ("mann_kendall", mann_kendall(annual, alpha=alpha), n_years / span),
            ("seasonal_kendall", seasonal_kendall(arr, period=12, alpha=alpha), months_valid / (span * 12)),
        ):
            ok = (n_years >= min_years) & (coverage >= min_coverage)
            note = np.where(
                n_years < min_years,
                [f"not tested: {k} year(s) with data (< {min_years})" for k in n_years],
                np.where(
                    ok,
                    "",
                    [
                        f"not tested: data in {c:.0%} of the {'years' if test == 'mann_kendall' else 'months'} (< {min_coverage:.0%})"
                        for c in coverage
                    ],
                ),
            )
            frame = pd.DataFrame(
                {
                    "station_id": stations,
                    "parameter": p,
                    "test": test,
                    "n": res.n.astype(int),
                    "n_years": n_years.astype(int),
                    "s": np.where(ok, res.s, np.nan),
                    "var_s": np.where(ok, res.var_s, np.nan),
                    "z": np.where(ok, res.z, np.nan),
                    "p": np.where(ok, res.p, np.nan),
                    "tau": np.where(ok, res.tau, np.nan),
                    "slope": np.where(ok, res.slope, np.nan),
                    "intercept": np.where(ok, res.intercept, np.nan),
                    "slope_units": f"{units}/year" if units and units != "1" else "per year",
                    "trend": np.where(ok, res.trend, "not tested"),
                    "note": note,
                }
            )
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["station_id", "parameter", "test"], kind="stable").reset_index(drop=True)[
        TREND_COLUMNS
    ]
