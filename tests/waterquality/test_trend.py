"""Trend tests: DOMAIN.md 6.4 vectors, agreement with pymannkendall to 1e-9, the too-short / too-gappy rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall as mk
import pytest

from basin._errors import SchemaError
from basin.waterquality import mann_kendall, seasonal_kendall, trend

from .conftest import make_ds

FIELDS = ("s", "var_s", "z", "p", "tau", "slope", "intercept")


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([1, 2, 3, 4, 5], (10, 16.6667, 2.20454, 0.027486, 1.0, 1.0, 1.0)),
        (
            [1.2, 1.5, 1.1, 1.9, 2.3, 2.0, 2.8, 3.1, 2.9, 3.5],
            (37, 125.0, 3.21994, 0.0012822, 0.82222, 0.26667, 0.95),
        ),
        ([5, 3, 3, 2, 4, 1, 1, 0.5], (-20, 63.3333, -2.38747, 0.016965, -0.71429, -0.5, 4.25)),
    ],
)
def test_domain_mk_vectors(x, expected):
    r = mann_kendall(np.array(x, dtype=float))
    got = tuple(float(getattr(r, f)) for f in FIELDS)
    assert got == pytest.approx(expected, rel=1e-4)


def test_domain_seasonal_vector():
    x = np.array([1, 5, 3, 2, 4, 3.5, 3, 6, 2, 4, 7, 4, 5, 8, 5], dtype=float)
    r = seasonal_kendall(x, period=3)
    got = tuple(float(getattr(r, f)) for f in FIELDS)
    assert got == pytest.approx((24, 50.0, 3.25269, 0.0011432, 0.8, 1.0, 1.6667), rel=1e-4)
    assert r.trend == "increasing"


def _compare(ours, ref, i):
    for f, rf in zip(FIELDS, ("s", "var_s", "z", "p", "Tau", "slope", "intercept"), strict=True):
        a, b = float(getattr(ours, f)[i]), float(getattr(ref, rf))
        assert a == pytest.approx(b, abs=1e-9, nan_ok=True), (f, i, a, b)
    assert ours.trend[i] == ref.trend
    assert bool(ours.h[i]) == bool(ref.h)


@pytest.mark.parametrize("gaps", [0.0, 0.25])
def test_agrees_with_pymannkendall(gaps):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 8, (60, 36)).astype(float) + np.linspace(0, 3, 36) * rng.choice([-1, 0, 1], (60, 1))
    x[rng.random(x.shape) < gaps] = np.nan
    x[:5] = np.round(x[:5])  # many ties
    mkr = mann_kendall(x)
    skr = seasonal_kendall(x, period=12)
    sk4 = seasonal_kendall(x[:, :30], period=4)  # not whole cycles: padded like pymannkendall
    for i in range(len(x)):
        _compare(mkr, mk.original_test(x[i]), i)
        _compare(skr, mk.seasonal_test(x[i], period=12), i)
        _compare(sk4, mk.seasonal_test(x[i, :30], period=4), i)


def _monthly(n_years, slope_per_year, *, seed=0):
    rng = np.random.default_rng(seed)
    months = np.arange(12 * n_years)
    season = 0.3 * np.sin(2 * np.pi * months / 12)
    return 3 + slope_per_year * months / 12 + season + rng.normal(0, 0.05, months.size)


def test_trend_dataset_against_pymannkendall():
    up, flat = _monthly(8, 0.5), _monthly(8, 0.0, seed=1)
    ds = make_ds({"CODMn": [up, flat]})
    df = trend(ds)
    assert set(df["test"]) == {"mann_kendall", "seasonal_kendall"}
    s1 = df[(df.station_id == "S1")].set_index("test")
    assert s1.loc["seasonal_kendall", "trend"] == "increasing"
    assert s1.loc["mann_kendall", "trend"] == "increasing"
    assert s1.loc["seasonal_kendall", "slope_units"] == "mg/L/year"
    ref_sk = mk.seasonal_test(up, period=12)
    assert s1.loc["seasonal_kendall", "p"] == pytest.approx(ref_sk.p, abs=1e-9)
    assert s1.loc["seasonal_kendall", "slope"] == pytest.approx(ref_sk.slope, abs=1e-9)
    ref_mk = mk.original_test(up.reshape(8, 12).mean(axis=1))
    assert s1.loc["mann_kendall", "slope"] == pytest.approx(ref_mk.slope, abs=1e-9)
    assert s1.loc["mann_kendall", "s"] == ref_mk.s == 28
    assert s1.loc["seasonal_kendall", "slope"] == pytest.approx(0.5, abs=0.05)
    s2 = df[(df.station_id == "S2")].set_index("test")
    assert s2.loc["seasonal_kendall", "trend"] == "no trend"


def test_trend_too_short_and_too_gappy():
    ds = make_ds({"TP": [_monthly(4, 0.1), _monthly(4, 0.1)]})
    df = trend(ds)
    assert (df["trend"] == "not tested").all()
    assert df["note"].iloc[0] == "not tested: 4 year(s) with data (< 5)"
    assert df["p"].isna().all()
    # 10 years, but only 5 months a year in 6 of them plus 4 empty years: coverage of months < 50 %
    x = _monthly(10, 0.1)
    x = x.reshape(10, 12)
    x[:, 5:] = np.nan
    x[[2, 4, 6, 8]] = np.nan
    ds = make_ds({"TP": [x.ravel()]})
    df = trend(ds).set_index("test")
    assert df.loc["seasonal_kendall", "trend"] == "not tested"
    assert df.loc["seasonal_kendall", "note"] == "not tested: data in 25% of the months (< 50%)"
    assert df.loc["mann_kendall", "trend"] != "not tested"  # 6 of 10 years have an annual mean
    assert trend(ds, min_coverage=0.2).set_index("test").loc["seasonal_kendall", "trend"] != "not tested"


def test_trend_parameters_argument(two_stations):
    df = two_stations.wq.trend(parameters=["总磷"], min_years=1)
    assert set(df["parameter"]) == {"TP"}
    with pytest.raises(SchemaError, match=r"parameter\(s\) \['COD'\] not in the Dataset"):
        trend(two_stations, parameters=["COD"])
    pd.testing.assert_frame_equal(two_stations.wq.trend(), trend(two_stations))
