"""Trend tests: DOMAIN.md 6.4 vectors, agreement with pymannkendall to 1e-9, the too-short/gappy rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall as mk
import pytest

from basin._errors import SchemaError
from basin.waterquality import mann_kendall, seasonal_kendall, trend
from basin.waterquality.trend import correlated_seasonal, hamed_rao, lag1_autocorrelation, yue_wang

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
    assert list(df["test"].unique()) == [
        "mann_kendall", "hamed_rao", "yue_wang", "seasonal_kendall", "correlated_seasonal"
    ]  # fmt: skip
    assert df.loc[df["default"], "test"].unique().tolist() == ["correlated_seasonal"]
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


# ------------------------------------------------------------------------------ autocorrelation-robust tests
@pytest.mark.parametrize("gaps", [0.0, 0.2])
def test_modified_tests_agree_with_pymannkendall(gaps):
    rng = np.random.default_rng(11)
    x = rng.integers(0, 6, (30, 48)).astype(float) + np.linspace(0, 2, 48) * rng.choice([-1, 0, 1], (30, 1))
    x[rng.random(x.shape) < gaps] = np.nan
    for ours, ref, kw in [
        (hamed_rao, mk.hamed_rao_modification_test, {}),
        (hamed_rao, mk.hamed_rao_modification_test, {"lag": 3}),
        (yue_wang, mk.yue_wang_modification_test, {}),
        (yue_wang, mk.yue_wang_modification_test, {"lag": 1}),
    ]:
        res = ours(x, **kw)
        for i in range(len(x)):
            _compare(res, ref(x[i], **kw), i)


@pytest.mark.parametrize(("period", "length"), [(12, 96), (12, 90), (4, 40)])
def test_correlated_seasonal_agrees_with_pymannkendall(period, length):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20, length)).cumsum(axis=1) * 0.1 + rng.normal(size=(20, length))
    x[3] = np.round(x[3])  # ties
    x[4, 7] = np.nan  # a year with a missing month is left out
    res = correlated_seasonal(x, period=period)
    for i in range(len(x)):
        _compare(res, mk.correlated_seasonal_test(x[i], period=period), i)


def test_correlated_seasonal_by_hand():
    # 3 years x 2 seasons, both seasons rise every year: S = 3 + 3 = 6; within-season ranks 1, 2, 3.
    # K_gh = 3 for every pair of seasons (all pairs concordant), Σ_i R_ig R_ih = 1 + 4 + 9 = 14, n(n+1)² = 48:
    # Γ = (3 + 56 - 48)/3 = 11/3 for all four entries -> Var(S) = 44/3; Z = 6 / sqrt(44/3).
    r = correlated_seasonal(np.array([1.0, 10, 2, 11, 3, 12]), period=2)
    assert float(r.s) == 6
    assert float(r.var_s) == pytest.approx(44 / 3)
    assert float(r.z) == pytest.approx(6 / np.sqrt(44 / 3))


def test_lag1_autocorrelation_flag():
    # alternating series: r1 = Σ y_t y_t+1 / Σ y_t² = -(n-1)/n = -0.95 for n = 20, bound 1.96/sqrt(20) = 0.44
    x = np.tile([1.0, -1.0], 10)
    r1, sig = lag1_autocorrelation(x)
    assert float(r1[0]) == pytest.approx(-19 / 20)
    assert bool(sig[0])
    r1, sig = lag1_autocorrelation(np.array([[1.0, 2.0, np.nan, np.nan]]))
    assert np.isnan(r1[0])
    assert not sig[0]


def test_trend_intercept_per_station():
    # the same series for S1 whether or not another station starts 3 years earlier in the file
    up = _monthly(8, 0.5)
    t2018 = pd.date_range("2018-01-01", periods=96, freq="MS") + pd.Timedelta(days=14)
    alone = trend(make_ds({"CODMn": [up]}, times=t2018))
    early = np.concatenate([np.full(36, np.nan), up])
    both = trend(
        make_ds(
            {"CODMn": [early, _monthly(11, 0.1, seed=3)]},
            times=pd.date_range("2015-01-01", periods=132, freq="MS") + pd.Timedelta(days=14),
        )
    )
    a = alone.set_index("test")
    b = both[both.station_id == "S1"].set_index("test")
    for t in ("mann_kendall", "seasonal_kendall", "correlated_seasonal"):
        assert b.loc[t, "intercept"] == pytest.approx(a.loc[t, "intercept"], abs=1e-12)
        assert b.loc[t, "first_year"] == a.loc[t, "first_year"] == 2018
    # MK intercept by hand: median(annual) - median(index) * slope (Conover), index 0 = 2018
    annual = up.reshape(8, 12).mean(axis=1)
    ref = mk.original_test(annual)
    assert a.loc["mann_kendall", "intercept"] == pytest.approx(ref.intercept, abs=1e-12)


def test_trend_unknown_test(two_stations):
    with pytest.raises(SchemaError, match=r"unknown trend test\(s\) \['spearman'\]"):
        trend(two_stations, tests=["spearman"])
