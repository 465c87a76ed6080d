"""Four-class evaluation by hand: indices, thresholds, classes, counts and areas, robustness, config
errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from basin._errors import DataError, SchemaError
from basin.units.classify import (
    class_summary,
    classify_units,
    normalise,
    robustness,
    threshold_value,
)
from basin.units.config import load_config
from tests.units.conftest import UTM


def five_units() -> gpd.GeoDataFrame:
    """Units a-e of 1, 2, 3, 4, 5 km² with hand-made indicators (see the expected values in the tests)."""
    geoms = [box(0, 1000 * i, 1000 * (i + 1), 1000 * (i + 1) + 1000) for i in range(5)]
    geoms = [box(0, 10_000 * i, 1000 * (i + 1), 10_000 * i + 1000) for i in range(5)]
    return gpd.GeoDataFrame(
        {
            "unit_id": list("abcde"),
            "population_density": [0.0, 100, 200, 300, 400],
            "economic_intensity": [50.0, 0, 100, 25, 75],
            "town_pressure": [0.2] * 5,
            "river_density": [1.0, 2, 3, 4, 5],
            "water_sensitivity": [0.0, 0.5, 1.0, 0.5, 0.0],
        },
        geometry=geoms,
        crs=UTM,
    )


# the default config without the log transforms, so that the indices are easy to compute by hand
LINEAR = {
    "indices": {
        "pressure": {
            "population_density": {"weight": 0.35},
            "economic_intensity": {"weight": 0.35},
            "town_pressure": {"weight": 0.30},
        }
    }
}


def test_two_indicator_classes_by_hand():
    units = five_units().iloc[:4].copy()
    units["population_density"] = [0.0, 10, 20, 30]
    units["river_density"] = [0.0, 3, 1, 2]
    cfg = {
        "indices": {
            "pressure": {"population_density": {"weight": 1}},
            "capacity": {"river_density": {"weight": 1}},
        }
    }
    out = classify_units(units, config=cfg)
    np.testing.assert_allclose(out["pressure_index"], [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(out["capacity_index"], [0, 1, 1 / 3, 2 / 3])
    assert list(out["class_code"]) == ["LPLC", "LPHC", "HPLC", "HPHC"]
    assert list(out["class_zh"]) == ["低压低容", "低压高容", "高压低容", "高压高容"]
    assert out["class_en"].iloc[2] == "high pressure, low capacity"
    assert out.attrs["classification"]["pressure"]["threshold"] == pytest.approx(0.5)


def test_default_weights_by_hand():
    units = five_units()
    out = classify_units(units, config=LINEAR)
    # pressure = 0.35*pop + 0.35*gdp + 0.30*town (town is constant -> normalised 0)
    np.testing.assert_allclose(out["pressure_index"], [0.175, 0.0875, 0.525, 0.35, 0.6125])
    # capacity = 0.4*river + 0.6*(1 - sensitivity)   (load/capacity ratio is optional and absent)
    np.testing.assert_allclose(out["capacity_index"], [0.6, 0.4, 0.2, 0.6, 1.0])
    # medians 0.35 and 0.6; "high" is strictly above
    assert list(out["pressure_high"]) == [False, False, True, False, True]
    assert list(out["capacity_high"]) == [False, False, False, False, True]
    assert list(out["class_code"]) == ["LPLC", "LPLC", "HPLC", "LPLC", "HPHC"]
    assert out.attrs["classification"]["capacity"]["weights"] == pytest.approx(
        {"river_density": 0.4, "water_sensitivity": 0.6}
    )
    assert "geometry" in out.columns
    assert len(out) == 5
    assert "pressure_index" not in units.columns  # the input is not changed


def test_class_summary_counts_and_areas():
    s = class_summary(classify_units(five_units(), config=LINEAR))
    assert list(s["class_code"]) == ["HPLC", "LPLC", "HPHC", "LPHC"]
    assert list(s["n_units"]) == [1, 3, 1, 0]
    np.testing.assert_allclose(s["area_km2"], [3.0, 1 + 2 + 4, 5.0, 0.0])
    np.testing.assert_allclose(s["area_share"], np.array([3, 7, 5, 0]) / 15)
    assert list(s["class_zh"]) == ["高压低容", "低压低容", "高压高容", "低压高容"]


def test_robustness_by_hand():
    r = robustness(five_units(), config=LINEAR)
    assert list(r.columns) == [
        "index",
        "indicator",
        "weight",
        "step",
        "weight_share",
        "n_changed",
        "share_changed",
        "changed_units",
    ]
    assert len(r) == 2 * (3 + 2)
    assert (r.loc[r["index"] == "pressure", "n_changed"] == 0).all()
    cap = r[r["index"] == "capacity"].set_index(["indicator", "step"])
    # river weight -20 %: capacity [0.6, 0.38, 0.16, 0.54, 0.92], median 0.54 -> a becomes high capacity
    assert cap.loc[("river_density", -0.2), "changed_units"] == "a"
    assert cap.loc[("river_density", 0.2), "changed_units"] == "d"
    assert cap.loc[("water_sensitivity", -0.2), "changed_units"] == "d"
    assert cap.loc[("water_sensitivity", 0.2), "changed_units"] == "a"
    assert cap.loc[("river_density", -0.2), "weight_share"] == pytest.approx(0.32 / 0.92)
    assert cap.loc[("river_density", 0.2), "share_changed"] == pytest.approx(0.2)


def test_log1p_transform_by_hand():
    units = five_units().iloc[:3].copy()
    units["population_density"] = [0.0, np.e - 1, np.e**2 - 1]  # ln(1 + x) = 0, 1, 2
    units["economic_intensity"] = [0.0, 0.0, 0.0]
    out = classify_units(units)  # default config: log1p on population and GDP density
    np.testing.assert_allclose(out["pressure_index"], [0.0, 0.35 * 0.5, 0.35])
    bad = units.assign(economic_intensity=[0.0, -1.0, 0.0])
    with pytest.raises(
        DataError, match=r"indicator 'economic_intensity' has negative values for unit\(s\) \['1'\]"
    ):
        classify_units(bad)
    with pytest.raises(SchemaError, match=r"transform: must be one of \['none', 'log1p'\]"):
        load_config({"indices": {"pressure": {"town_pressure": {"weight": 1, "transform": "sqrt"}}}})


def test_threshold_methods():
    units = five_units()
    q = classify_units(units, config={**LINEAR, "threshold": {"method": "quantile", "q": 0.75}})
    assert list(q["pressure_high"]) == [False, False, False, False, True]
    f = classify_units(
        units, config={**LINEAR, "threshold": {"method": "fixed", "pressure": 0.3, "capacity": 0.5}}
    )
    assert list(f["pressure_high"]) == [False, False, True, True, True]
    assert list(f["capacity_high"]) == [True, False, False, True, True]
    assert list(f["class_code"]) == ["LPHC", "LPLC", "HPLC", "HPHC", "HPHC"]
    s = pd.Series([0.0, 0.1, 0.2, 0.8, 0.9])
    assert threshold_value(s, "natural_breaks") == pytest.approx(0.2)
    nb = classify_units(units, config={**LINEAR, "threshold": {"method": "natural_breaks"}})
    # pressure [0.175, 0.0875, 0.525, 0.35, 0.6125]: Fisher-Jenks splits {0.0875, 0.175} | {0.35, 0.525,
    # 0.6125}
    assert list(nb["pressure_high"]) == [False, False, True, True, True]


def test_normalisations():
    s = pd.Series([1.0, 3.0, 2.0, 2.0], name="x")
    np.testing.assert_allclose(normalise(s, "minmax"), [0, 1, 0.5, 0.5])
    np.testing.assert_allclose(normalise(s, "rank"), [0, 1, 0.5, 0.5])
    np.testing.assert_allclose(normalise(s, "zscore"), (s - 2) / s.std(ddof=0))
    np.testing.assert_allclose(normalise(pd.Series([4.0, 4.0]), "minmax"), [0, 0])
    with pytest.raises(
        DataError, match=r"indicator 'x' has missing or infinite values for unit\(s\) \['1'\]"
    ):
        normalise(pd.Series([1.0, np.nan], name="x"))
    with pytest.raises(SchemaError, match="unknown normalisation 'log'"):
        normalise(s, "log")


def test_classification_errors():
    units = five_units()
    with pytest.raises(SchemaError, match="pressure_index: indicator 'town_pressure' is missing"):
        classify_units(units.drop(columns="town_pressure"))
    bad = units.copy()
    bad.loc[1, "river_density"] = np.nan
    with pytest.raises(
        DataError, match=r"indicator 'river_density' has missing or infinite values for unit\(s\) \['1'\]"
    ):
        classify_units(bad)
    with pytest.raises(SchemaError, match="indicators must be aligned to the units"):
        classify_units(units, units.drop(columns="geometry").iloc[::-1])


def test_config_validation(tmp_path):
    with pytest.raises(SchemaError, match="normalisation 'log' unknown"):
        load_config({"normalisation": "log"})
    with pytest.raises(SchemaError, match="threshold.method must be one of"):
        load_config({"threshold": {"method": "mean"}})
    with pytest.raises(SchemaError, match="'fixed' needs threshold.pressure"):
        load_config({"threshold": {"method": "fixed"}})
    with pytest.raises(SchemaError, match=r"indices.pressure.slope: unknown indicator"):
        load_config({"indices": {"pressure": {"slope": {"weight": 1}}}})
    with pytest.raises(SchemaError, match=r"indices.pressure.town_pressure.weight: must be > 0"):
        load_config({"indices": {"pressure": {"town_pressure": {"weight": -1}}}})
    with pytest.raises(SchemaError, match=r"direction: must be 1 or -1"):
        load_config({"indices": {"capacity": {"river_density": {"weight": 1, "direction": 2}}}})
    with pytest.raises(SchemaError, match=r"unknown key\(s\) \['colour'\]"):
        load_config({"colour": "red"})
    f = tmp_path / "c.yaml"
    f.write_text("threshold: [1, 2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"config file .*c\.yaml: not valid YAML at line 2, column 1: "):
        load_config(f)
    with pytest.raises(DataError, match=r"config file .*nope\.yaml does not exist"):
        load_config(tmp_path / "nope.yaml")
    f.write_text("threshold:\n  method: quantile\n  q: 0.6\n", encoding="utf-8")
    cfg = load_config(f)
    assert cfg["threshold"]["q"] == 0.6
    assert cfg["normalisation"] == "minmax"
    assert cfg["source"] == str(f)


def test_default_config_weights_documented():
    """Every default weight is positive and documented in docs/units.md."""
    from pathlib import Path

    cfg = load_config()
    doc = (Path(__file__).resolve().parents[2] / "docs" / "units.md").read_text(encoding="utf-8")
    for idx in ("pressure", "capacity"):
        for name, spec in cfg["indices"][idx].items():
            assert spec["weight"] > 0
            assert f"`{name}`" in doc
