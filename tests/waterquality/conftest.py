"""Tiny hand-made water-quality worlds for the waterquality tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import basin.waterquality  # noqa: F401 - registers ds.wq


def make_ds(
    values: dict[str, list[list[float]]], *, times=None, waterbody=None, target=None, stations=None
) -> xr.Dataset:
    """Build a (station, time) Dataset from {param: [[station0 values], [station1 values]]}."""
    first = np.asarray(next(iter(values.values())), dtype=float)
    n_st, n_t = first.shape
    times = (
        pd.date_range("2020-01-01", periods=n_t, freq="MS") + pd.Timedelta(days=14)
        if times is None
        else times
    )
    stations = stations or [f"S{i + 1}" for i in range(n_st)]
    data = {
        k: (("station", "time"), np.asarray(v, dtype=float), {"units": "mg/L"}) for k, v in values.items()
    }
    coords = {"station": stations, "time": times}
    if waterbody is not None:
        coords["waterbody"] = ("station", np.asarray(waterbody, dtype=object))
    if target is not None:
        coords["target_class"] = ("station", np.asarray(target, dtype="int8"))
    return xr.Dataset(data, coords=coords)


@pytest.fixture
def two_stations() -> xr.Dataset:
    """2 stations x 24 months: S1 clean river (Class III by TP), S2 polluted lake."""
    n = 24
    return make_ds(
        {
            "TP": [[0.15] * n, [0.45] * n],
            "NH3_N": [[0.5] * n, [1.8] * n],
            "DO": [[7.0] * n, [2.5] * n],
        },
        waterbody=["river", "lake"],
        target=[3, 3],
    )
