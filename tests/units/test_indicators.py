"""Indicators on the 3x3 grid: hand-computed zonal means, densities, shares and the capacity formula."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from basin._errors import CRSError, DataError, SchemaError
from basin.units import indicators as ind
from tests.units.conftest import (
    NODATA,
    UTM,
    X0,
    Y0,
    expected_grid_mean,
    grid_units,
    raster_values,
    write_raster,
)


def _expected_series(units: gpd.GeoDataFrame) -> np.ndarray:
    return np.array([expected_grid_mean(int(u[1]), int(u[2])) for u in units["unit_id"]])


# ------------------------------------------------------------------------------------------- zonal stats
def test_zonal_mean_by_hand(units, offset_raster):
    s = ind.population_density(units, offset_raster)
    assert s.name == "population_density"
    assert s.index.equals(units.index)
    # unit u02 (west column, top row) touches the nodata cell: mean of 1, 10, 11
    assert s[units["unit_id"] == "u02"].item() == pytest.approx(22 / 3)
    # unit u11 (centre): rows 1-2, cols 1-2 -> (11 + 12 + 21 + 22) / 4
    assert s[units["unit_id"] == "u11"].item() == pytest.approx(16.5)
    np.testing.assert_allclose(s.to_numpy(), _expected_series(units), rtol=1e-9)


def test_zonal_mean_other_crs(units, shifted_raster):
    """A raster in another CRS: the units are reprojected to it, the result is the same."""
    s = ind.economic_intensity(units, shifted_raster)
    assert s.name == "economic_intensity"
    np.testing.assert_allclose(s.to_numpy(), _expected_series(units), rtol=1e-9)


def test_zonal_mean_units_in_degrees(offset_raster):
    """Units given in lon/lat are projected to the raster's CRS."""
    units = grid_units("EPSG:4326")
    s = ind.zonal_mean(units, offset_raster, name="x")
    np.testing.assert_allclose(s.to_numpy(), _expected_series(grid_units()), rtol=1e-6)


def test_zonal_count_raster(units, offset_raster):
    """values='count': coverage-weighted sum / unit area in km² (here 1 km²)."""
    s = ind.zonal_mean(units, offset_raster, name="people", values="count")
    v = raster_values()
    # u11: a quarter of each of 11, 12, 21, 22
    assert s[units["unit_id"] == "u11"].item() == pytest.approx(0.25 * (11 + 12 + 21 + 22), rel=1e-6)
    # u02: the nodata cell contributes nothing
    assert s[units["unit_id"] == "u02"].item() == pytest.approx(
        0.25 * (v[0, 1] + v[1, 0] + v[1, 1]), rel=1e-6
    )


def test_zonal_mean_geographic_raster(tmp_path, units):
    """A lon/lat raster with a constant value gives that value (cells weighted by their spherical area)."""
    bounds = grid_units("EPSG:4326").total_bounds
    vals = np.full((20, 20), 7.0, dtype="float32")
    vals[0, :] = NODATA  # a nodata row north of the units
    res = 0.01
    path = write_raster(
        tmp_path / "geo.tif", vals, x0=bounds[0] - 0.05, y0=bounds[3] + 0.05, res=res, crs="EPSG:4326"
    )
    s = ind.zonal_mean(units, path, name="x")
    np.testing.assert_allclose(s.to_numpy(), 7.0)


def test_raster_without_crs_is_an_error(tmp_path, units):
    path = write_raster(
        tmp_path / "nocrs.tif", raster_values(), x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=None
    )
    with pytest.raises(CRSError, match=r"nocrs\.tif: raster has no CRS"):
        ind.population_density(units, path)


def test_raster_with_wrong_crs_is_an_error(tmp_path, units):
    """UTM coordinates labelled as lon/lat: the units (reprojected to degrees) fall outside the raster."""
    path = write_raster(
        tmp_path / "wrongcrs.tif", raster_values(), x0=X0 - 500, y0=Y0 + 3500, res=1000, crs="EPSG:4326"
    )
    with pytest.raises(
        DataError, match=r"wrongcrs\.tif: raster does not cover the units .*'WGS 84'.*lowest: 0\.0%"
    ):
        ind.population_density(units, path)


def test_raster_not_covering_units_is_an_error(tmp_path, units):
    # covers only the two western columns
    vals = np.ones((3, 2), dtype="float32")
    path = write_raster(tmp_path / "small.tif", vals, x0=X0, y0=Y0 + 3000, res=1000, crs=UTM)
    with pytest.raises(DataError, match=r"small\.tif: raster does not cover the units.*u20, u21, u22"):
        ind.population_density(units, path)


def test_raster_missing_or_unreadable(tmp_path, units):
    with pytest.raises(DataError, match="raster file does not exist"):
        ind.population_density(units, tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(DataError, match=r"bad\.tif: cannot read as a raster"):
        ind.population_density(units, bad)


def test_unit_with_only_nodata(tmp_path, units):
    vals = raster_values()
    vals[2:4, 0:2] = NODATA  # all four cells of u00
    path = write_raster(tmp_path / "holes.tif", vals, x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=UTM)
    with pytest.raises(DataError, match=r"holes\.tif: unit\(s\) u00 contain only nodata cells"):
        ind.population_density(units, path)
    s = ind.population_density(units, path, on_empty="nan")
    assert np.isnan(s[units["unit_id"] == "u00"].item())
    assert s.notna().sum() == 8


# ------------------------------------------------------------------------------------------ river density
def _rivers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"river_id": ["h", "v"], "name": ["east-west", "north-south"], "level": [1, 2]},
        geometry=[
            LineString([(X0, Y0 + 500), (X0 + 3000, Y0 + 500)]),  # 3 km across the south row
            LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 3000)]),  # 3 km up the west column
        ],
        crs=UTM,
    )


def test_river_density_straight_rivers(units):
    d = ind.river_density(units, _rivers(), crs=UTM)
    assert d.name == "river_density"
    expected = {"u00": 2.0, "u10": 1.0, "u20": 1.0, "u01": 1.0, "u02": 1.0}
    for uid, val in zip(units["unit_id"], d, strict=True):
        assert val == pytest.approx(expected.get(uid, 0.0), abs=1e-12)


def test_river_density_by_level(units):
    t = ind.river_density_by_level(units, _rivers(), crs=UTM)
    assert list(t.columns) == ["river_density_l1", "river_density_l2", "river_density"]
    u00 = units["unit_id"] == "u00"
    assert t.loc[u00, "river_density_l1"].item() == pytest.approx(1.0)
    assert t.loc[u00, "river_density_l2"].item() == pytest.approx(1.0)
    np.testing.assert_allclose(t["river_density"], t["river_density_l1"] + t["river_density_l2"])
    one = ind.river_density(units, _rivers(), level=1, crs=UTM)
    assert one.name == "river_density_l1"
    # one clipping for all levels: the same numbers as one call per level
    for lv in (1, 2):
        np.testing.assert_array_equal(
            t[f"river_density_l{lv}"], ind.river_density(units, _rivers(), level=lv, crs=UTM)
        )
    np.testing.assert_array_equal(t["river_density"], ind.river_density(units, _rivers(), crs=UTM))


def test_river_density_diagonal_in_default_crs(units):
    """A diagonal river: sqrt(2) km in each diagonal unit; the default Albers CRS agrees within 1 %."""
    riv = gpd.GeoDataFrame(
        {"river_id": ["d"], "level": [0]}, geometry=[LineString([(X0, Y0), (X0 + 3000, Y0 + 3000)])], crs=UTM
    )
    d = ind.river_density(units.to_crs(4326), riv.to_crs(4326))  # lon/lat in -> computed in Albers
    exact = ind.river_density(units, riv)  # projected units -> computed in their CRS
    for uid, val, ex in zip(units["unit_id"], d, exact, strict=True):
        assert ex == pytest.approx(math.sqrt(2) if uid[1] == uid[2] else 0.0, rel=1e-12, abs=1e-6)
        want = math.sqrt(2) if uid[1] == uid[2] else 0.0
        assert val == pytest.approx(want, rel=0.01, abs=1e-3)


# -------------------------------------------------------------------------------------------- sensitivity
def _zones() -> gpd.GeoDataFrame:
    # zone A: the south half of the south row; zone B: the rest of the south row; zone C elsewhere
    return gpd.GeoDataFrame(
        {"zone": ["A", "B", "C"]},
        geometry=[
            box(X0, Y0, X0 + 3000, Y0 + 500),
            box(X0, Y0 + 500, X0 + 3000, Y0 + 1000),
            box(X0, Y0 + 1000, X0 + 3000, Y0 + 3000),
        ],
        crs=UTM,
    )


def test_riparian_share(units):
    s = ind.riparian_share(units, _zones())
    assert s.name == "riparian_share"
    south = units["unit_id"].str.endswith("0")
    np.testing.assert_allclose(s[south], 1.0)
    np.testing.assert_allclose(s[~south], 0.0, atol=1e-12)
    a_only = ind.riparian_share(units, _zones(), classes=["A"])
    np.testing.assert_allclose(a_only[south], 0.5)
    with pytest.raises(SchemaError, match=r"zone classes \['D'\] are unknown"):
        ind.riparian_share(units, _zones(), classes=["D"])
    with pytest.raises(SchemaError, match=r"zones: missing column\(s\) \['zone'\]"):
        ind.riparian_share(units, _zones().rename(columns={"zone": "z"}))


def test_lake_share(units):
    lakes = gpd.GeoDataFrame(
        {"lake_id": ["L1", "L2"], "connected": [True, False]},
        geometry=[box(X0 + 1000, Y0 + 1000, X0 + 1500, Y0 + 1500), box(X0, Y0, X0 + 1000, Y0 + 1000)],
        crs=UTM,
    )
    s = ind.lake_share(units, lakes)
    assert s[units["unit_id"] == "u11"].item() == pytest.approx(0.25)
    assert s[units["unit_id"] == "u00"].item() == pytest.approx(0.0)
    s_all = ind.lake_share(units, lakes, connected_only=False)
    assert s_all[units["unit_id"] == "u00"].item() == pytest.approx(1.0)


def _stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"station_id": ["s1", "s2", "s3"], "target_class": [2, 4, 3]},
        geometry=[Point(X0 + 200, Y0 + 200), Point(X0 + 800, Y0 + 800), Point(X0 + 1500, Y0 + 1500)],
        crs=UTM,
    )


def test_target_strictness(units):
    s = ind.target_strictness(units, _stations())
    by = dict(zip(units["unit_id"], s, strict=True))
    assert by["u00"] == pytest.approx(0.8)  # classes II and IV -> strictest II -> (6-2)/5
    assert by["u11"] == pytest.approx(0.6)
    assert by["u22"] == 0.0
    mean = dict(zip(units["unit_id"], ind.target_strictness(units, _stations(), how="mean"), strict=True))
    assert mean["u00"] == pytest.approx((0.8 + 0.4) / 2)
    bad = _stations().assign(target_class=[2, 7, 3])
    with pytest.raises(SchemaError, match=r"target_class must be 1-5, got \['7'\]"):
        ind.target_strictness(units, bad)


def test_water_sensitivity_weighted(units):
    s = ind.water_sensitivity(
        units, zones=_zones(), stations=_stations(), weights={"riparian_share": 3, "target_strictness": 1}
    )
    by = dict(zip(units["unit_id"], s, strict=True))
    assert by["u00"] == pytest.approx((3 * 1.0 + 1 * 0.8) / 4)
    assert by["u11"] == pytest.approx((3 * 0.0 + 1 * 0.6) / 4)
    # defaults: riparian 0.5, lakes 0.25 (not given -> left out), stations 0.25
    d = dict(
        zip(units["unit_id"], ind.water_sensitivity(units, zones=_zones(), stations=_stations()), strict=True)
    )
    assert d["u00"] == pytest.approx((0.5 * 1.0 + 0.25 * 0.8) / 0.75)
    with pytest.raises(SchemaError, match="needs at least one ingredient"):
        ind.water_sensitivity(units)
    with pytest.raises(SchemaError, match=r"unknown sensitivity ingredient\(s\) \['slope'\]"):
        ind.water_sensitivity(units, zones=_zones(), weights={"slope": 1})


# ------------------------------------------------------------------------------------------ town pressure
def _admin() -> gpd.GeoDataFrame:
    # province P; county D (an urban district 区) covers the west 1.5 columns, county X (县) the rest
    return gpd.GeoDataFrame(
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


def test_town_pressure_from_districts(units):
    s = ind.town_pressure(units, admin=_admin())
    assert s.name == "town_pressure"
    by = dict(zip(units["unit_id"], s, strict=True))
    assert by["u00"] == pytest.approx(1.0)
    assert by["u10"] == pytest.approx(0.5)
    assert by["u20"] == pytest.approx(0.0)
    # without a kind column, the name suffix 区 is used
    s2 = ind.town_pressure(units, admin=_admin().drop(columns="kind"))
    np.testing.assert_allclose(s2, s)


def test_town_pressure_from_landuse(tmp_path, units):
    # land use on the offset grid: class 1 = built-up, 2 = farmland; nodata at the top-left cell
    lu = np.array([[NODATA, 1, 2, 2], [1, 1, 2, 2], [2, 2, 2, 1], [2, 2, 1, 1]], dtype="float32")
    path = write_raster(tmp_path / "lu.tif", lu, x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=UTM)
    s = ind.town_pressure(units, landuse=path, built_classes=[1])
    by = dict(zip(units["unit_id"], s, strict=True))
    assert by["u02"] == pytest.approx(1.0)  # cells 1, 1, 1 (+ nodata)
    assert by["u20"] == pytest.approx(0.75)  # rows 2-3, cols 2-3: 2, 1, 1, 1
    assert by["u00"] == pytest.approx(0.0)
    with pytest.raises(SchemaError, match="needs built_classes"):
        ind.town_pressure(units, landuse=path)
    with pytest.raises(SchemaError, match="needs a land-use raster"):
        ind.town_pressure(units)


# ----------------------------------------------------------------------------------------- water capacity
def test_river_capacity_worked_example():
    """DOMAIN.md 4.1: Cs=20, C0=10 mg/L, Q=10, q=1 m³/s, k=0.2 /d, x=10 km, u=0.3 m/s -> 4018.5 t/a."""
    w = ind.river_capacity(cs=20, c0=10, q=10, q_in=1, k=0.2, x_km=10, u=0.3)
    assert float(w) == pytest.approx(4018.5, abs=0.1)
    # hand check of the pieces: travel time 0.386 d, 127.4 g/s
    assert 10 / (86.4 * 0.3) == pytest.approx(0.386, abs=1e-3)
    assert float(w) / 31.536 == pytest.approx(127.4, abs=0.05)
    with pytest.raises(SchemaError, match=r"u must be > 0"):
        ind.river_capacity(cs=20, c0=10, q=10, k=0.2, x_km=10, u=0)


def test_water_capacity_and_ratio(units):
    flows = pd.DataFrame(
        {
            "unit_id": ["u00", "u00", "u11"],
            "cs": [20, 20, 1.0],
            "c0": [10, 10, 0.5],
            "q": [10, 10, 5],
            "q_in": [1, 1, 0],
            "k": [0.2, 0.2, 0.0],
            "x_km": [10, 10, 1],
            "u": [0.3, 0.3, 1.0],
        }
    )
    w = ind.water_capacity(units, flows)
    assert w.name == "water_capacity"
    by = dict(zip(units["unit_id"], w, strict=True))
    assert by["u00"] == pytest.approx(2 * 4018.5, abs=0.2)
    assert by["u11"] == pytest.approx(31.536 * (1.0 * 5 - 0.5 * 5))
    assert np.isnan(by["u22"])
    load = pd.Series(np.where(units["unit_id"] == "u00", 4018.5, 10.0), index=units.index)
    r = ind.load_capacity_ratio(load, w)
    assert r.name == "load_capacity_ratio"
    assert r[units["unit_id"] == "u00"].item() == pytest.approx(0.5, rel=1e-4)
    assert np.isnan(r[units["unit_id"] == "u22"].item())
    neg = ind.load_capacity_ratio(pd.Series([1.0]), pd.Series([-5.0]))
    assert np.isinf(neg.iloc[0])
    with pytest.raises(SchemaError, match=r"flows: unit_id\(s\) \['zz'\] are not units"):
        ind.water_capacity(units, flows.assign(unit_id=["u00", "zz", "u11"]))


def test_overlap_area_with_pieces_equals_direct_intersection():
    """The quadtree-piece overlay gives the areas of the direct intersection with the dissolved geometry."""
    from shapely.geometry import Point as _Pt

    from basin.units.indicators import _overlap_area, _subdivide

    rng = np.random.default_rng(11)
    blobs = shapely.union_all(
        [
            _Pt(x, y).buffer(r, quad_segs=64)
            for x, y, r in zip(
                rng.uniform(0, 50_000, 60),
                rng.uniform(0, 50_000, 60),
                rng.uniform(500, 6000, 60),
                strict=True,
            )
        ]
    )
    pieces = _subdivide(blobs, max_vertices=200)
    assert len(pieces) > 10
    assert shapely.get_num_coordinates(pieces).max() <= 200 or len(pieces) > 100
    assert float(shapely.area(pieces).sum()) == pytest.approx(blobs.area, rel=1e-9)
    cells = [
        shapely.box(x, y, x + 7000, y + 5000) for x in range(0, 50_000, 7000) for y in range(0, 50_000, 5000)
    ]
    units = gpd.GeoDataFrame(
        {"unit_id": [f"u{i}" for i in range(len(cells))]}, geometry=cells, crs="EPSG:32648"
    )
    direct = shapely.area(shapely.intersection(units.geometry.values, blobs))
    np.testing.assert_allclose(_overlap_area(units, blobs), direct, rtol=1e-9, atol=1e-3)
