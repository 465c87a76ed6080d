"""Single-factor classes: every limit of GB 3838-2002 Table 1 from both sides, NaN / no-class, xarray."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import xarray as xr

from basin._errors import SchemaError
from basin.waterquality import class_labels, class_status, classify, classify_dataset, load_standard

classify_mod = importlib.import_module("basin.waterquality.classify")

# GB 3838-2002 Table 1, transcribed from DOMAIN.md section 1 (independent of the package's data file)
UPPER = {
    "CODMn": [2, 4, 6, 10, 15],
    "COD": [15, 15, 20, 30, 40],
    "BOD5": [3, 3, 4, 6, 10],
    "NH3_N": [0.15, 0.5, 1.0, 1.5, 2.0],
    "Cu": [0.01, 1.0, 1.0, 1.0, 1.0],
    "Zn": [0.05, 1.0, 1.0, 2.0, 2.0],
    "F": [1.0, 1.0, 1.0, 1.5, 1.5],
    "Se": [0.01, 0.01, 0.01, 0.02, 0.02],
    "As": [0.05, 0.05, 0.05, 0.1, 0.1],
    "Hg": [0.00005, 0.00005, 0.0001, 0.001, 0.001],
    "Cd": [0.001, 0.005, 0.005, 0.005, 0.01],
    "Cr6": [0.01, 0.05, 0.05, 0.05, 0.1],
    "Pb": [0.01, 0.01, 0.05, 0.05, 0.1],
    "CN": [0.005, 0.05, 0.2, 0.2, 0.2],
    "phenol": [0.002, 0.002, 0.005, 0.01, 0.1],
    "petroleum": [0.05, 0.05, 0.05, 0.5, 1.0],
    "LAS": [0.2, 0.2, 0.2, 0.3, 0.3],
    "sulfide": [0.05, 0.1, 0.2, 0.5, 1.0],
    "fecal_coliform": [200, 2000, 10000, 20000, 40000],
}
TP_RIVER = [0.02, 0.1, 0.2, 0.3, 0.4]
TP_LAKE = [0.01, 0.025, 0.05, 0.1, 0.2]
TN_LAKE = [0.2, 0.5, 1.0, 1.5, 2.0]
DO = [7.5, 6, 5, 3, 2]


def expected_upper(v: float, limits: list[float]) -> int:
    """Reference rule: the first (best) class whose upper limit holds the value; 6 when none."""
    for k, lim in enumerate(limits, start=1):
        if v <= lim:
            return k
    return 6


def expected_lower(v: float, limits: list[float]) -> int:
    for k, lim in enumerate(limits, start=1):
        if v >= lim:
            return k
    return 6


def _cases():
    for p, lims in [*UPPER.items(), ("TP", TP_RIVER)]:
        yield p, "river", lims, expected_upper
    yield "TP", "lake", TP_LAKE, expected_upper
    yield "TP", "reservoir", TP_LAKE, expected_upper
    yield "TN", "lake", TN_LAKE, expected_upper
    yield "TN", "reservoir", TN_LAKE, expected_upper
    yield "DO", "river", DO, expected_lower
    yield "DO", "lake", DO, expected_lower


CASES = list(_cases())


@pytest.mark.parametrize(
    ("param", "waterbody", "limits", "rule"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_every_limit_both_sides(param, waterbody, limits, rule):
    values = []
    for lim in limits:
        values += [lim, lim * (1 - 1e-9), lim * (1 + 1e-9)]
    values += [0.0, max(limits) * 10]
    got = classify(values, param, waterbody=waterbody)
    exp = [rule(v, limits) for v in values]
    assert got.tolist() == exp
    assert got.dtype == np.int8


@pytest.mark.parametrize(
    ("param", "value", "cls"),
    [
        ("COD", 15, 1),  # Class I == Class II limit: equal value -> the better class
        ("COD", 15.01, 3),
        ("Cu", 0.011, 2),
        ("Cu", 1.0, 2),
        ("Cu", 1.01, 6),
        ("Hg", 0.00005, 1),
        ("Hg", 0.00006, 3),
        ("CN", 0.2, 3),
        ("CN", 0.21, 6),
        ("DO", 7.5, 1),
        ("DO", 7.49, 2),
        ("DO", 1.99, 6),
        ("TP", 0.45, 6),
        ("fecal_coliform", 40001, 6),
    ],
)
def test_hand_picked(param, value, cls):
    assert classify([value], param).tolist() == [cls]


def test_tp_river_vs_lake():
    assert classify([0.05, 0.05, 0.05], "TP", waterbody=["river", "lake", "reservoir"]).tolist() == [2, 3, 3]
    assert classify([0.3], "TP", waterbody="river").tolist() == [4]
    assert classify([0.3], "TP", waterbody="lake").tolist() == [6]


def test_ph_range():
    assert classify([6.0, 9.0, 7.2, 5.99, 9.01, 0, 14], "pH").tolist() == [1, 1, 1, 6, 6, 6, 6]


def test_no_class():
    assert classify([1.0, 3.0], "TN", waterbody="river").tolist() == [0, 0]
    assert classify([20.0], "temperature").tolist() == [0]
    assert classify([5.0], "Chla").tolist() == [0]
    assert classify([300.0], "sulfate").tolist() == [0]  # Table 2: single limit, no class
    assert classify([np.nan, 0.1], "TP").tolist() == [0, 2]


def test_aliases_and_shape():
    v = np.array([[0.01, 0.5], [np.nan, 0.15]])
    out = classify(v, "总磷", waterbody=np.array([["lake"], ["river"]]))
    assert out.shape == (2, 2)
    assert out.tolist() == [[1, 6], [0, 3]]
    assert classify(0.1, "w21011").tolist() == 2


def test_unknown_parameter_and_waterbody():
    with pytest.raises(SchemaError, match=r"unknown parameter 'XYZ'; expected a canonical code"):
        classify([1], "XYZ")
    with pytest.raises(SchemaError, match=r"unknown waterbody value\(s\) \['sea'\]"):
        classify([1], "TP", waterbody="sea")
    with pytest.raises(SchemaError, match=r"unknown waterbody value\(s\) \['ocean'\]"):
        classify([1, 2], "TP", waterbody=["river", "ocean"])


@pytest.mark.parametrize("param", ["TP", "DO", "pH", "COD", "Hg"])
def test_numba_and_numpy_paths_agree(param, monkeypatch):
    rng = np.random.default_rng(42)
    std = load_standard()
    lim = std.get_limits(param, "river")
    finite = np.concatenate([lim.upper[np.isfinite(lim.upper)], lim.lower[np.isfinite(lim.lower)]])
    base = rng.choice(finite, 20000) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12, 0.5, 2.0], 20000)
    base[::17] = np.nan
    a = classify_mod._classify_numpy(base, lim)
    b = classify(base, param)  # numba path (one thread) for large arrays when numba is there
    assert np.array_equal(a, b)
    assert classify_mod.HAVE_NUMBA
    monkeypatch.setattr(classify_mod, "_PARALLEL_MIN_SIZE", 1000)
    c = classify(base, param)  # the parallel (prange) kernels
    assert np.array_equal(a, c)


def test_class_never_improves_as_pollutant_rises():
    x = np.sort(np.random.default_rng(0).uniform(0, 0.6, 5000))
    assert (np.diff(classify(x, "TP").astype(int)) >= 0).all()
    assert (np.diff(classify(x * 20, "DO").astype(int)) <= 0).all()


def test_labels_and_status():
    assert class_labels([1, 2, 3, 4, 5, 6, 0]).tolist() == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ", ""]
    assert class_status([1, 3, 4, 5, 6]).tolist() == ["优", "良好", "轻度污染", "中度污染", "重度污染"]


def test_classify_dataset(two_stations):
    out = classify_dataset(two_stations)
    assert set(out.data_vars) == {"TP", "NH3_N", "DO"}
    assert out["TP"].dims == ("station", "time")
    assert out["TP"].sel(station="S1").values[0] == 3  # river 0.15
    assert out["TP"].sel(station="S2").values[0] == 6  # lake 0.45
    assert out["DO"].sel(station="S2").values[0] == 5
    assert out["TP"].attrs["flag_values"].tolist() == list(range(7))
    assert out["TP"].attrs["standard"] == "GB3838-2002"
    assert "waterbody" in out.coords


def test_classify_dataset_dask_matches(two_stations):
    lazy = classify_dataset(two_stations.chunk({"time": 5}))
    assert lazy["TP"].chunks is not None
    xr.testing.assert_identical(lazy.compute(), classify_dataset(two_stations))


def test_accessor_classify(two_stations):
    xr.testing.assert_identical(two_stations.wq.classify(), classify_dataset(two_stations))
