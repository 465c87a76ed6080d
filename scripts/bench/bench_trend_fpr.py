"""False-positive rate of basin's trend tests on trend-free AR(1) monthly series (issue 12).

For each φ in (0, 0.5, 0.9), ``--series`` (default 1,000) independent trend-free AR(1) monthly series
of ``--years`` (default 10) years are simulated, ``x_t = φ x_{t-1} + e_t`` with ``e_t ~ N(0, 1)`` (started
from the stationary distribution, so there is no warm-up drift), and every test of
:func:`basin.waterquality.trend` is applied at α = 0.05. As in ``trend()``, the Mann-Kendall family runs on
the **annual means** (the mean of the 12 months of each year) and the seasonal tests on the **monthly
values** (season = calendar month). The same tests are also run on the monthly series as one series
(``*_monthly``: what a user gets by calling them on the raw series), for comparison. A false positive is a
"trend" verdict on a series that has none; the nominal rate is 5 %, and a binomial 95 % interval over 1,000
series is about ±1.4 points.

Baselines measured in the same run: basin's vectorised tests are also timed against pymannkendall on the same
series (``--check N`` series per test, default 50), and the p-values must agree to 1e-9.

    python scripts/bench/bench_trend_fpr.py
    python scripts/bench/bench_trend_fpr.py --series 200 --years 20
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's basin, not an installed one

T = importlib.import_module("basin.waterquality.trend")


def ar1(n_series: int, n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.normal(size=(n_series, n))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi**2)  # stationary start
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


def tests(monthly: np.ndarray) -> dict[str, object]:
    m = monthly.shape[0]
    annual = monthly.reshape(m, -1, 12).mean(axis=-1)
    return {
        "mann_kendall (annual means)": T.mann_kendall(annual),
        "hamed_rao (annual means)": T.hamed_rao(annual),
        "hamed_rao lag 3 (annual means)": T.hamed_rao(annual, lag=3),
        "yue_wang (annual means)": T.yue_wang(annual),
        "yue_wang lag 1 (annual means)": T.yue_wang(annual, lag=1),
        "seasonal_kendall (monthly)": T.seasonal_kendall(monthly, period=12),
        "correlated_seasonal (monthly)": T.correlated_seasonal(monthly, period=12),
        "mann_kendall_monthly": T.mann_kendall(monthly),
        "hamed_rao_monthly": T.hamed_rao(monthly),
        "hamed_rao_monthly lag 3": T.hamed_rao(monthly, lag=3),
        "yue_wang_monthly": T.yue_wang(monthly),
        "yue_wang_monthly lag 1": T.yue_wang(monthly, lag=1),
    }


def check_against_pymannkendall(monthly: np.ndarray) -> tuple[float, float]:
    import pymannkendall as mk

    annual = monthly.reshape(monthly.shape[0], -1, 12).mean(axis=-1)
    pairs = [
        (T.hamed_rao(annual).p, [mk.hamed_rao_modification_test(a).p for a in annual]),
        (T.yue_wang(annual).p, [mk.yue_wang_modification_test(a).p for a in annual]),
        (T.hamed_rao(monthly).p, [mk.hamed_rao_modification_test(a).p for a in monthly]),
        (T.correlated_seasonal(monthly).p, [mk.correlated_seasonal_test(a).p for a in monthly]),
    ]
    worst = max(float(np.nanmax(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)
    t0 = time.perf_counter()
    for a in monthly:
        mk.hamed_rao_modification_test(a)
        mk.correlated_seasonal_test(a)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    T.hamed_rao(monthly)
    T.correlated_seasonal(monthly)
    t_basin = time.perf_counter() - t0
    return worst, t_ref / max(t_basin, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--check", type=int, default=50, help="series compared with pymannkendall")
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    phis = (0.0, 0.5, 0.9)
    rates: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    for phi in phis:
        x = ar1(args.series, 12 * args.years, phi, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for name, res in tests(x).items():
                rates.setdefault(name, []).append(float(np.mean(res.h)))
    elapsed = time.perf_counter() - t0
    print(
        f"false-positive rate at alpha = 0.05, {args.series} trend-free AR(1) monthly series of "
        f"{args.years} years per phi (basin tests, {elapsed:.1f} s)"
    )
    print(f"{'test':34s}" + "".join(f"  phi={p:<4}" for p in phis))
    for name, r in rates.items():
        mark = "  <- default" if name.split(" ")[0] in T.DEFAULT_TESTS else ""
        print(f"{name:34s}" + "".join(f"  {v:8.1%}" for v in r) + mark)
    if args.check:
        x = ar1(args.check, 12 * args.years, 0.5, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            worst, speedup = check_against_pymannkendall(x)
        print(
            f"agreement with pymannkendall on {args.check} series: max |p difference| = {worst:.2e} "
            f"(must be <= 1e-9); basin vectorised is {speedup:,.0f}x faster (Hamed-Rao + correlated seasonal)"
        )
        if not worst <= 1e-9:
            msg = "basin and pymannkendall disagree"
            raise SystemExit(msg)


if __name__ == "__main__":
    main()
