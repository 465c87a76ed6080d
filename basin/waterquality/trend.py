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
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import norm, rankdata

from basin._errors import SchemaError
from basin.waterquality.assess import _selected_parameters

__all__ = [
    "DEFAULT_TESTS",
    "TESTS",
    "TrendResult",
    "correlated_seasonal",
    "hamed_rao",
    "lag1_autocorrelation",
    "mann_kendall",
    "seasonal_kendall",
    "trend",
    "yue_wang",
]


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


def _compress(a: np.ndarray) -> np.ndarray:
    """Left-align the valid values of each row (NaNs moved to the end, order kept)."""
    order = np.argsort(np.isnan(a), axis=-1, kind="stable")
    return np.take_along_axis(a, order, axis=-1)


def _acf(c: np.ndarray, n: np.ndarray, nlags: int) -> np.ndarray:
    """Autocorrelation of left-aligned rows (NaN tail) at lags 0..nlags, as pymannkendall's ``__acf``.

    ``acov_k = Σ_t y_t y_{t+k} / n`` with ``y = x - mean(x)`` over the row's ``n`` valid values.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = c - np.nanmean(c, axis=-1, keepdims=True)
    y = np.where(np.isnan(y), 0.0, y)
    length = c.shape[-1]
    nf = np.maximum(n, 1).astype(float)
    out = np.full(c.shape[:-1] + (nlags + 1,), np.nan)
    for k in range(min(nlags, length - 1) + 1):
        out[..., k] = (y[..., : length - k] * y[..., k:]).sum(axis=-1) / nf
    with np.errstate(divide="ignore", invalid="ignore"):
        return out / out[..., :1]


def _modified(
    x: np.ndarray, alpha: float, lag: int | None, kind: Literal["hamed_rao", "yue_wang"]
) -> TrendResult:
    with np.errstate(divide="ignore", invalid="ignore"):
        return _modified_impl(np.asarray(x, dtype=float), alpha, lag, kind)


def _modified_impl(
    x: np.ndarray, alpha: float, lag: int | None, kind: Literal["hamed_rao", "yue_wang"]
) -> TrendResult:
    a = np.atleast_2d(x)
    s, var, n = _s_var(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = s / (0.5 * n * (n - 1))
    slope = _nanmedian(_pair_slopes(a))
    intercept = _nanmedian(a) - _valid_index_median(a) * slope
    c = _compress(a)
    length = a.shape[-1]
    det = c - np.arange(1, length + 1) * slope[:, None]  # pymannkendall: index 1..n of the kept values
    nlags = length - 1 if lag is None else min(int(lag), length - 1)
    i = np.arange(1, nlags + 1, dtype=float)
    nf = n.astype(float)[:, None]
    in_window = i[None, :] <= (nf - 1 if lag is None else np.minimum(nf - 1, float(lag)))
    if kind == "hamed_rao":
        ranks = rankdata(det, axis=-1, nan_policy="omit")
        rho = _acf(ranks, n, nlags)[:, 1:]
        bound = norm.ppf(1 - alpha / 2) / np.sqrt(nf)
        significant = ~((rho <= bound) & (rho >= -bound))  # NaN counts, as in pymannkendall
        w = (nf - i) * (nf - i - 1) * (nf - i - 2)
        sni = np.where(in_window & significant, w * rho, 0.0).sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            n_ns = 1 + (2 / (nf[:, 0] * (nf[:, 0] - 1) * (nf[:, 0] - 2))) * sni
    else:
        rho = _acf(det, n, nlags)[:, 1:]
        sni = np.where(in_window, (1 - i / nf) * rho, 0.0).sum(axis=-1)
        n_ns = 1 + 2 * sni
    var = var * n_ns
    with np.errstate(invalid="ignore"):
        z = _z(s, var)
    p, h, tr = _decide(z, alpha)
    res = TrendResult(tr, h, p, z, tau, s, var, slope, intercept, n)
    return res if np.ndim(x) > 1 else TrendResult(*(np.asarray(v)[0] for v in res.__dict__.values()))


def hamed_rao(x: np.ndarray, *, alpha: float = 0.05, lag: int | None = None) -> TrendResult:
    """Run the modified Mann-Kendall test of Hamed & Rao (1998) on each row of ``x`` (1-D: one series).

    Var(S) is multiplied by the correction ``n/n* = 1 + 2/(n(n-1)(n-2)) Σ_i (n-i)(n-i-1)(n-i-2) ρ_i`` where
    ``ρ_i`` is the lag-i autocorrelation of the **ranks** of the series detrended by Sen's slope, summed over
    the lags that are significant (outside ``±z_{1-α/2}/√n``); all lags 1..n-1 unless ``lag`` limits them
    (Hamed & Rao 1998, J. Hydrol. 204:182-196, doi:10.1016/S0022-1694(97)00125-X). Identical row by row to
    ``pymannkendall.hamed_rao_modification_test(x, alpha, lag)`` 1.4.3 (NaNs skipped as it does).
    """
    return _modified(x, alpha, lag, "hamed_rao")


def yue_wang(x: np.ndarray, *, alpha: float = 0.05, lag: int | None = None) -> TrendResult:
    """Run the modified Mann-Kendall test of Yue & Wang (2004) on each row of ``x`` (1-D: one series).

    Var(S) is multiplied by the effective-sample-size correction ``n/n* = 1 + 2 Σ_i (1 - i/n) ρ_i`` with
    ``ρ_i`` the lag-i autocorrelation of the series detrended by Sen's slope, all lags 1..n-1 unless ``lag``
    limits them (Yue & Wang 2004, Water Resour. Manage. 18:201-218, doi:10.1023/B:WARM.0000043140.61082.60).
    Identical row by row to ``pymannkendall.yue_wang_modification_test(x, alpha, lag)`` 1.4.3.
    """
    return _modified(x, alpha, lag, "yue_wang")


def correlated_seasonal(x: np.ndarray, *, period: int = 12, alpha: float = 0.05) -> TrendResult:
    """Run the correlated Seasonal Kendall test (Hipel & McLeod 1994) on each row of ``x``.

    The seasons' S are summed as in :func:`seasonal_kendall`, but Var(S) is the sum of the full covariance
    matrix of the seasons' S, ``Γ_gh = (K_gh + 4 Σ_i R_ig R_ih - n(n+1)²)/3`` (``K_gh`` = Σ_{i<j}
    sgn((x_jg - x_ig)(x_jh - x_ih)), ``R`` = within-season ranks), so correlation between the months of one
    year is accounted for; ``Z = S / √Var(S)`` (no continuity correction). As in pymannkendall, a cycle (year)
    with any missing season is left out. Identical row by row to
    ``pymannkendall.correlated_seasonal_test(x, period, alpha)`` 1.4.3; slope and intercept as
    :func:`seasonal_kendall`.
    """
    a = np.atleast_2d(np.asarray(x, dtype=float))
    m, length = a.shape
    pad = (-length) % period
    full = np.pad(a, ((0, 0), (0, pad)), constant_values=np.nan) if pad else a
    seasons = full.reshape(m, -1, period)  # (series, cycle, season)
    valid = ~np.isnan(seasons).any(axis=-1)  # (series, cycle)
    y = np.where(valid[..., None], seasons, np.nan)
    n_cyc = y.shape[1]
    n = valid.sum(axis=-1).astype(float)
    s = np.zeros(m)
    k_sum = np.zeros(m)
    r_sum = np.zeros(y.shape)
    with np.errstate(invalid="ignore"):
        for k in range(1, n_cyc):
            d = np.sign(y[:, k:] - y[:, :-k])
            d = np.where(np.isnan(d), 0.0, d)  # (series, cycle - k, season)
            s += d.sum(axis=(1, 2))
            k_sum += (d.sum(axis=-1) ** 2).sum(axis=-1)
            r_sum[:, k:] += d
            r_sum[:, :-k] -= d
    r = np.where(valid[..., None], (n[:, None, None] + 1 + r_sum) / 2, 0.0)
    var = (k_sum + 4 * (r.sum(axis=-1) ** 2).sum(axis=-1) - period**2 * n * (n + 1) ** 2) / 3
    with np.errstate(divide="ignore", invalid="ignore"):
        z = s / np.sqrt(var)
        tau = s / (period * 0.5 * n * (n - 1))
    p, h, tr = _decide(z, alpha)
    sk = seasonal_kendall(a, period=period, alpha=alpha)
    res = TrendResult(tr, h, p, z, tau, s, var, sk.slope, sk.intercept, (~np.isnan(a)).sum(axis=-1))
    return res if np.ndim(x) > 1 else TrendResult(*(np.asarray(v)[0] for v in res.__dict__.values()))


def lag1_autocorrelation(x: np.ndarray, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Lag-1 autocorrelation of each row (NaN skipped, values left-aligned) and whether it is significant.

    ``r1 = Σ y_t y_{t+1} / Σ y_t²`` (``y`` = deviations from the row mean, as :func:`hamed_rao`'s ACF);
    significant when ``|r1| > z_{1-α/2} / √n`` (Anderson's large-sample bound, the one Hamed & Rao use).
    Rows with fewer than 3 values get NaN and False.
    """
    a = np.atleast_2d(np.asarray(x, dtype=float))
    n = (~np.isnan(a)).sum(axis=-1)
    r1 = _acf(_compress(a), n, 1)[:, 1]
    r1 = np.where(n >= 3, r1, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        sig = np.abs(r1) > norm.ppf(1 - alpha / 2) / np.sqrt(np.maximum(n, 1))
    return r1, sig & np.isfinite(r1)


TESTS = ("mann_kendall", "hamed_rao", "yue_wang", "seasonal_kendall", "correlated_seasonal")
#: the test marked ``default`` in :func:`trend` (see docs/waterquality.md, "Trends under autocorrelation")
DEFAULT_TESTS = ("correlated_seasonal",)
_ANNUAL = ("mann_kendall", "hamed_rao", "yue_wang")

TREND_COLUMNS = [
    "station_id",
    "parameter",
    "test",
    "default",
    "n",
    "n_years",
    "first_year",
    "s",
    "var_s",
    "z",
    "p",
    "tau",
    "slope",
    "intercept",
    "slope_units",
    "trend",
    "lag1_r",
    "lag1_significant",
    "note",
]


def _run_test(test: str, annual: np.ndarray, monthly: np.ndarray, alpha: float) -> TrendResult:
    if test == "mann_kendall":
        return mann_kendall(annual, alpha=alpha)
    if test == "hamed_rao":
        return hamed_rao(annual, alpha=alpha)
    if test == "yue_wang":
        return yue_wang(annual, alpha=alpha, lag=1)
    if test == "seasonal_kendall":
        return seasonal_kendall(monthly, period=12, alpha=alpha)
    return correlated_seasonal(monthly, period=12, alpha=alpha)


def trend(
    ds: xr.Dataset,
    *,
    parameters: list[str] | None = None,
    alpha: float = 0.05,
    min_years: int = 5,
    min_coverage: float = 0.5,
    tests: tuple[str, ...] | list[str] | None = None,
) -> pd.DataFrame:
    """Trend tests per station, parameter and test.

    On the **annual means** (mean of the monthly means of each calendar year), slope per year:

    * ``mann_kendall``: Mann-Kendall and Sen's slope (:func:`mann_kendall`);
    * ``hamed_rao``: Hamed-Rao modified MK, all lags (:func:`hamed_rao`);
    * ``yue_wang``: Yue-Wang modified MK, lag 1 as Yue & Wang (2004) propose (:func:`yue_wang`).

    On the **monthly means** (season = calendar month, series from January of the station's first year), slope
    per year:

    * ``seasonal_kendall``: Seasonal Kendall and seasonal Sen's slope (:func:`seasonal_kendall`);
    * ``correlated_seasonal``: the correlated Seasonal Kendall test (:func:`correlated_seasonal`), the
      **default** (column ``default``): on trend-free AR(1) monthly series it keeps the false-positive rate
      near the nominal 5 % up to φ = 0.5, where Seasonal Kendall rejects 22 % of the time
      (``scripts/bench/bench_trend_fpr.py``).

    ``intercept`` is measured **per station**: the fitted value at ``first_year`` (the station's first year
    with data; January of that year for the seasonal tests), so a station's result does not depend on the
    other stations in the file. ``lag1_r`` is the lag-1 autocorrelation of the series the test ran on,
    detrended by its Sen slope (monthly: of the anomalies from each calendar month's mean) and
    ``lag1_significant`` whether ``|r1| > z_{1-α/2}/√n`` (:func:`lag1_autocorrelation`): a significant value
    says the plain MK / SK p-value is too small.

    Rule for series too short or too gappy (``trend = "not tested"``, statistics NaN, reason in ``note``):
    fewer than ``min_years`` years with data, or data in less than ``min_coverage`` of the years (annual
    tests) / of the months (seasonal tests) between the first and the last year with data; the correlated
    seasonal test also needs ``min_years`` complete years (it leaves out a year with any month missing).

    Parameters
    ----------
    tests
        Subset of :data:`TESTS` (default: all five).

    Returns
    -------
    pandas.DataFrame
        Columns ``station_id, parameter, test, default, n, n_years, first_year, s, var_s, z, p, tau, slope,
        intercept, slope_units, trend, lag1_r, lag1_significant, note``.

    Raises
    ------
    SchemaError
        A parameter not in the Dataset, or an unknown test.
    """
    tests = tuple(TESTS if tests is None else tests)
    bad = [t for t in tests if t not in TESTS]
    if bad:
        msg = f"unknown trend test(s) {bad}; expected some of {list(TESTS)}"
        raise SchemaError(msg)
    params = _selected_parameters(ds, parameters)
    if not params or not tests:
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
        arr_file = monthly[p].transpose("station", "time").values  # (station, months) from Jan of y0
        by_year = arr_file.reshape(arr_file.shape[0], n_years_span, 12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            annual_file = np.nanmean(by_year, axis=-1)
        has_year = ~np.isnan(annual_file)
        n_years = has_year.sum(axis=-1)
        first = np.where(n_years > 0, has_year.argmax(axis=-1), 0)
        last = np.where(n_years > 0, n_years_span - 1 - has_year[:, ::-1].argmax(axis=-1), -1)
        span = np.maximum(last - first + 1, 1)
        # each station's own series: from its first year with data (index 0 = that year / its January)
        shift_y = first[:, None] + np.arange(n_years_span)[None, :]
        annual = np.take_along_axis(
            np.pad(annual_file, ((0, 0), (0, n_years_span)), constant_values=np.nan), shift_y, axis=1
        )
        shift_m = 12 * first[:, None] + np.arange(12 * n_years_span)[None, :]
        arr = np.take_along_axis(
            np.pad(arr_file, ((0, 0), (0, 12 * n_years_span)), constant_values=np.nan), shift_m, axis=1
        )
        months_valid = (~np.isnan(arr)).sum(axis=-1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            anomalies = arr - np.nanmean(arr.reshape(arr.shape[0], -1, 12), axis=1).reshape(-1, 1, 12).repeat(
                n_years_span, axis=1
            ).reshape(arr.shape)
        units = ds[p].attrs.get("units", "")
        for test in tests:
            res = _run_test(test, annual, arr, alpha)
            seasonal = test not in _ANNUAL
            coverage = months_valid / (span * 12) if seasonal else n_years / span
            if seasonal:
                detr = anomalies - res.slope[:, None] * (np.arange(arr.shape[1]) / 12)[None, :]
            else:
                detr = annual - res.slope[:, None] * np.arange(annual.shape[1])[None, :]
            r1, r1_sig = lag1_autocorrelation(detr, alpha=alpha)
            ok = (n_years >= min_years) & (coverage >= min_coverage)
            what = "months" if seasonal else "years"
            notes = [
                f"not tested: {k} year(s) with data (< {min_years})"
                if k < min_years
                else f"not tested: data in {c:.0%} of the {what} (< {min_coverage:.0%})"
                if c < min_coverage
                else ""
                for k, c in zip(n_years, coverage, strict=True)
            ]
            if test == "correlated_seasonal":
                complete = (~np.isnan(arr.reshape(arr.shape[0], -1, 12))).all(axis=-1).sum(axis=-1)
                short = ok & (complete < min_years)
                for k in np.flatnonzero(short):
                    notes[k] = f"not tested: {complete[k]} complete year(s) (< {min_years})"
                ok = ok & ~short
            frame = pd.DataFrame(
                {
                    "station_id": stations,
                    "parameter": p,
                    "test": test,
                    "default": test in DEFAULT_TESTS,
                    "n": res.n.astype(int),
                    "n_years": n_years.astype(int),
                    "first_year": pd.array(np.where(n_years > 0, y0 + first, 0), dtype="Int64"),
                    "s": np.where(ok, res.s, np.nan),
                    "var_s": np.where(ok, res.var_s, np.nan),
                    "z": np.where(ok, res.z, np.nan),
                    "p": np.where(ok, res.p, np.nan),
                    "tau": np.where(ok, res.tau, np.nan),
                    "slope": np.where(ok, res.slope, np.nan),
                    "intercept": np.where(ok, res.intercept, np.nan),
                    "slope_units": f"{units}/year" if units and units != "1" else "per year",
                    "trend": np.where(ok, res.trend, "not tested"),
                    "lag1_r": np.where(ok, r1, np.nan),
                    "lag1_significant": ok & r1_sig,
                    "note": notes,
                }
            )
            frame.loc[n_years == 0, "first_year"] = pd.NA
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    order = {t: k for k, t in enumerate(TESTS)}
    out["_o"] = out["test"].map(order)
    out = out.sort_values(["station_id", "parameter", "_o"], kind="stable").reset_index(drop=True)
    return out[TREND_COLUMNS]
