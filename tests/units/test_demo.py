"""The run's units and management steps on the embedded demo project: the four-class and management maps.

The riparian zones come from the run's riparian step, in memory.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from basin import datasets
from basin.io import read_layer
from basin.units.derive import region_from_admin

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    from basin.project import demo_project
    from basin.run import run_project

    out = tmp_path_factory.mktemp("demo")
    res = run_project(
        demo_project(), steps=["riparian", "units", "management"], outdir=out, maps=False, reports=False,
        echo=lambda s: None,
    )
    files = {f"{step}: {label}": path for step, fs in res.files.items() for label, path in fs.items()}
    admin = read_layer(datasets.get_path("admin"), "admin")
    zones = res.riparian.zones
    region = region_from_admin(admin)
    region_km2 = float(region.to_crs(zones.crs).area.sum()) / 1e6
    a_km2 = float(zones.loc[zones["zone"] == "A"].area.sum()) / 1e6
    return out, files, region_km2, a_km2


def test_demo_four_class_map(demo_out):
    out, files, region_km2, _ = demo_out
    assert files["units: units (GeoPackage)"] == out / "units" / "units.gpkg"
    u = gpd.read_file(out / "units" / "units.gpkg", layer="units")
    assert u["unit_id"].is_unique
    assert set(u["class_code"]) == {"HPLC", "LPLC", "HPHC", "LPHC"}
    assert u["area_km2"].sum() == pytest.approx(region_km2, rel=1e-6)
    assert u["county_id"].notna().all()  # the demo uses basin x county control units
    classes = pd.read_csv(out / "units" / "classes.csv")
    assert list(classes["class_code"]) == ["HPLC", "LPLC", "HPHC", "LPHC"]
    assert (classes["n_units"] > 0).all()
    assert classes["n_units"].sum() == len(u)
    rob = pd.read_csv(out / "units" / "robustness.csv")
    assert set(rob["step"]) == {-0.2, 0.2}
    assert (rob["n_changed"] <= len(u)).all()


def test_demo_management_map(demo_out):
    out, files, region_km2, a_km2 = demo_out
    path = out / "zoning" / "management.gpkg"
    assert files["management: management (GeoPackage)"] == path
    assert [n for n, _ in pyogrio.list_layers(path)] == ["management", "management_zones"]
    m = gpd.read_file(path, layer="management")
    assert set(m["mgmt_zone"]) == {"priority", "key", "general"}
    assert m["area_km2"].sum() == pytest.approx(region_km2, rel=1e-6)
    # no red line / water sources in the demo: priority is exactly zone A
    assert m.loc[m["mgmt_zone"] == "priority", "area_km2"].sum() == pytest.approx(a_km2, rel=1e-6)
    county = pd.read_csv(out / "zoning" / "area_by_county.csv", dtype={"admin_id": str})
    assert len(county) == 221
    prov = pd.read_csv(out / "zoning" / "area_by_province.csv", dtype={"admin_id": str})
    assert set(prov["admin_id"]) == {"510000", "500000"}
    assert prov["area_km2_total"].sum() == pytest.approx(region_km2, rel=1e-4)
