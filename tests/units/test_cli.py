"""``basin units`` and ``basin management`` on a hand-made world written to files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, Point, box

from basin.cli import main
from tests.units.conftest import UTM, X0, Y0, raster_values, write_raster


@pytest.fixture
def world(tmp_path):
    """A 3 km x 3 km province with two counties, four reaches, a lake, two stations, zones and two rasters."""
    d = tmp_path / "in"
    d.mkdir()
    admin = gpd.GeoDataFrame(
        {
            "admin_id": ["P", "D", "X"],
            "name": ["省", "城区", "某县"],
            "level": ["province", "county", "county"],
            "parent_id": [None, "P", "P"],
            "kind": [None, "区", "县"],
        },
        geometry=[
            box(X0, Y0, X0 + 3000, Y0 + 3000),
            box(X0, Y0, X0 + 1500, Y0 + 3000),
            box(X0 + 1500, Y0, X0 + 3000, Y0 + 3000),
        ],
        crs=UTM,
    )
    y = Y0 + 500
    rivers = gpd.GeoDataFrame(
        {
            "river_id": ["R1", "R2", "R3", "R4"],
            "name": ["上", "中", "支", "下"],
            "level": [1, 1, 2, 1],
            "downstream_id": ["R2", "R4", "R4", None],
        },
        geometry=[
            LineString([(X0, y), (X0 + 1500, y)]),
            LineString([(X0 + 1500, y), (X0 + 2500, y)]),
            LineString([(X0 + 2500, Y0 + 3000), (X0 + 2500, y)]),
            LineString([(X0 + 2500, y), (X0 + 3000, y)]),
        ],
        crs=UTM,
    )
    lakes = gpd.GeoDataFrame(
        {"lake_id": ["L1"], "name": ["湖"], "kind": ["reservoir"], "connected": [True]},
        geometry=[box(X0 + 2000, Y0 + 2000, X0 + 2400, Y0 + 2400)],
        crs=UTM,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["S1", "S2"],
            "name": ["a", "b"],
            "river_id": ["R1", "R3"],
            "waterbody": ["river", "river"],
            "target_class": [2, 3],
        },
        geometry=[Point(X0 + 700, y), Point(X0 + 2500, Y0 + 2000)],
        crs=UTM,
    )
    zones = gpd.GeoDataFrame(
        {"zone": ["A", "B", "C"]},
        geometry=[
            box(X0, Y0, X0 + 3000, Y0 + 800),
            box(X0, Y0 + 800, X0 + 3000, Y0 + 1500),
            box(X0, Y0 + 1500, X0 + 3000, Y0 + 3000),
        ],
        crs=UTM,
    )
    paths = {}
    for name, gdf in {
        "admin": admin,
        "rivers": rivers,
        "lakes": lakes,
        "stations": stations,
        "zones": zones,
    }.items():
        paths[name] = d / f"{name}.gpkg"
        gdf.to_file(paths[name], layer=name, engine="pyogrio")
    paths["population"] = write_raster(
        d / "pop.tif", raster_values(), x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=UTM
    )
    gdp = np.flipud(raster_values()).copy()
    paths["gdp"] = write_raster(d / "gdp.tif", gdp, x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=UTM)
    return paths


def _region_km2(world, crs) -> float:
    """Area of the province in ``crs`` (derived units are in the metric CRS, China Albers: true areas)."""
    adm = gpd.read_file(world["admin"])
    return float(adm[adm["level"] == "province"].to_crs(crs).area.sum() / 1e6)


def _units_args(world, out):
    args = ["units", "-o", str(out)]
    for key in ("rivers", "admin", "population", "gdp", "lakes", "stations", "zones"):
        args += [f"--{key}", str(world[key])]
    return args + ["--spacing", "50", "--no-by-county"]


def test_units_and_zoning_commands(tmp_path, world):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, _units_args(world, out))
    assert r.exit_code == 0, r.output
    for name in ("units.gpkg", "units.csv", "classes.csv", "robustness.csv", "classification.json"):
        assert (out / name).exists()
    u = gpd.read_file(out / "units.gpkg", layer="units")
    assert sorted(u["unit_id"]) == ["UR1", "UR2", "UR3", "UR4"]
    total = _region_km2(world, u.crs)
    assert total == pytest.approx(9.0, rel=1e-3)
    assert u["area_km2"].sum() == pytest.approx(total, rel=1e-9)
    assert set(u["class_code"]) <= {"HPLC", "LPLC", "HPHC", "LPHC"}
    for col in (
        "river_density",
        "river_density_l1",
        "river_density_l2",
        "population_density",
        "economic_intensity",
        "town_pressure",
        "riparian_share",
        "lake_share",
        "target_strictness",
        "water_sensitivity",
        "pressure_index",
        "capacity_index",
        "class_zh",
        "class_en",
    ):
        assert col in u.columns, col
    classes = pd.read_csv(out / "classes.csv")
    assert list(classes["class_code"]) == ["HPLC", "LPLC", "HPHC", "LPHC"]
    assert classes["n_units"].sum() == 4
    rob = pd.read_csv(out / "robustness.csv", keep_default_na=False)
    assert len(rob) == 2 * (3 + 2)
    changed = {x for ids in rob["changed_units"] for x in ids.split(";") if x}
    assert set(u.loc[~u["class_stable"], "unit_id"]) == changed
    assert "HPLC 高压低容" in r.output

    z = tmp_path / "zoning"
    r = CliRunner().invoke(
        main,
        [
            "management",
            "--classified-units",
            str(out / "units.gpkg"),
            "--zones",
            str(world["zones"]),
            "--admin",
            str(world["admin"]),
            "-o",
            str(z),
        ],
    )
    assert r.exit_code == 0, r.output
    layers = [n for n, _ in pyogrio.list_layers(z / "management.gpkg")]
    assert layers == ["management", "management_zones"]
    m = gpd.read_file(z / "management.gpkg", layer="management")
    assert m["area_km2"].sum() == pytest.approx(total, rel=1e-7)  # < 1 m² slivers are dropped
    # zone A (the southern 800 m, 2.4 km²) is priority everywhere
    assert m.loc[m["mgmt_zone"] == "priority", "area_km2"].sum() == pytest.approx(2.4, rel=1e-3)
    county = pd.read_csv(z / "area_by_county.csv", dtype={"admin_id": str})
    assert list(county["admin_id"]) == ["D", "X"]
    # the counties have a vertex mid-edge that the province lacks: their edges differ by metres in Albers
    assert county["area_km2_total"].sum() == pytest.approx(total, rel=1e-5)
    prov = pd.read_csv(z / "area_by_province.csv", dtype={"admin_id": str})
    assert prov["area_km2_priority"].item() == pytest.approx(2.4, rel=1e-3)


def test_units_by_county_command(tmp_path, world):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, [*_units_args(world, out)[:-1], "--by-county", "--min-area", "0"])
    assert r.exit_code == 0, r.output
    u = gpd.read_file(out / "units.gpkg", layer="units")
    assert set(u["county_id"]) == {"D", "X"}
    # counties have a mid-edge vertex the province lacks: in Albers their outer edges differ by metres
    assert u["area_km2"].sum() == pytest.approx(_region_km2(world, u.crs), rel=1e-5)
    assert len(u) > 4


def test_units_command_bad_raster(tmp_path, world):
    nocrs = write_raster(
        tmp_path / "nocrs.tif", raster_values(), x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=None
    )
    args = _units_args(world, tmp_path / "out")
    args[args.index("--population") + 1] = str(nocrs)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    assert "nocrs.tif: raster has no CRS" in r.output


def test_units_command_with_user_units_and_flows(tmp_path, world):
    """Given units (the 3x3 grid), flows and loads: capacity and load/capacity ratio enter the index."""
    from tests.units.conftest import grid_units

    upath = tmp_path / "in" / "units.gpkg"
    grid_units().to_file(upath, layer="units", engine="pyogrio")
    flows = tmp_path / "in" / "flows.csv"
    rows = ["unit_id,cs,c0,q,q_in,k,x_km,u"] + [
        f"u{i}{j},20,10,10,1,0.2,10,0.3" for i in range(3) for j in range(3)
    ]
    flows.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loads = tmp_path / "in" / "loads.csv"
    rows = ["unit_id,load_t_a"] + [f"u{i}{j},{1000 * (i + 1)}" for i in range(3) for j in range(3)]
    loads.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = [*_units_args(world, out), "--units", str(upath), "--flows", str(flows), "--loads", str(loads)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    u = gpd.read_file(out / "units.gpkg", layer="units").set_index("unit_id")
    assert len(u) == 9
    assert u["water_capacity"].to_numpy() == pytest.approx(4018.5, abs=0.1)
    assert u.loc["u21", "load_capacity_ratio"] == pytest.approx(3000 / 4018.5, rel=1e-4)
    info = (out / "classification.json").read_text(encoding="utf-8")
    assert "load_capacity_ratio" in info


def test_units_command_from_dem(tmp_path, world):
    r_, c_ = np.mgrid[0:30, 0:30]
    z = (1000.0 - 5.0 * r_ + 10.0 * np.abs(c_ - 15)).astype("float32")
    dem = write_raster(tmp_path / "dem.tif", z, x0=X0, y0=Y0 + 3000, res=100, crs=UTM)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, [*_units_args(world, out), "--dem", str(dem), "--dem-area", "1.5"])
    assert r.exit_code == 0, r.output
    u = gpd.read_file(out / "units.gpkg", layer="units")
    assert u["unit_id"].str.startswith("B").all()
    assert u["area_km2"].sum() == pytest.approx(9.0)
    r = CliRunner().invoke(main, [*_units_args(world, tmp_path / "o2"), "--dem", str(dem)])
    assert r.exit_code == 2
    assert "give exactly one of min_area_km2" in r.output


def test_zoning_with_redline_and_errors(tmp_path, world):
    out = tmp_path / "out"
    assert CliRunner().invoke(main, _units_args(world, out)).exit_code == 0
    red = tmp_path / "in" / "redline.gpkg"
    gpd.GeoDataFrame(geometry=[box(X0 + 2000, Y0 + 2000, X0 + 3000, Y0 + 3000)], crs=UTM).to_file(red)
    base = [
        "management",
        "--classified-units",
        str(out / "units.gpkg"),
        "--zones",
        str(world["zones"]),
        "--admin",
        str(world["admin"]),
    ]
    r = CliRunner().invoke(main, [*base, "--redline", str(red), "-o", str(tmp_path / "z")])
    assert r.exit_code == 0, r.output
    m = gpd.read_file(tmp_path / "z" / "management.gpkg", layer="management")
    # zone A (2.4 km²) + the red-line square (1 km², all in zone C)
    assert m.loc[m["mgmt_zone"] == "priority", "area_km2"].sum() == pytest.approx(3.4, rel=1e-3)
    lines = tmp_path / "in" / "lines.gpkg"
    gpd.GeoDataFrame(geometry=[LineString([(X0, Y0), (X0 + 1, Y0 + 1)])], crs=UTM).to_file(lines)
    r = CliRunner().invoke(main, [*base, "--redline", str(lines), "-o", str(tmp_path / "z2")])
    assert r.exit_code == 2
    assert "lines.gpkg: the red line layer must hold polygons" in r.output
    nozone = tmp_path / "in" / "nozone.gpkg"
    gpd.read_file(world["zones"]).rename(columns={"zone": "zz"}).to_file(nozone)
    r = CliRunner().invoke(main, [*base[:3], "--zones", str(nozone), "-o", str(tmp_path / "z3")])
    assert r.exit_code == 2
    assert "riparian zones need a 'zone' column" in r.output


def test_zoning_needs_classified_units(tmp_path, world):
    r = CliRunner().invoke(
        main,
        ["management", "--classified-units", str(world["zones"]), "--zones", str(world["zones"]), "-o",
         str(tmp_path / "z")],
    )
    assert r.exit_code == 2
    assert "units are not classified" in r.output
