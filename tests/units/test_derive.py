"""Units from a synthetic DEM (pyflwdir), Voronoi units of reaches (exact partition), basin x county units."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from basin._errors import CRSError, DataError, SchemaError
from basin.units.derive import (
    region_from_admin,
    streams_from_dem,
    units_by_county,
    units_from_dem,
    units_from_reaches,
)
from tests.units.conftest import UTM, X0, Y0, write_raster


# -------------------------------------------------------------------------------------------------- DEM
@pytest.fixture
def valley_dem(tmp_path):
    """A tilted V-shaped valley: 40 rows x 31 columns of 100 m, valley along column 15, falling to the
    south."""
    r, c = np.mgrid[0:40, 0:31]
    z = (1000.0 - 5.0 * r + 10.0 * np.abs(c - 15)).astype("float32")
    return write_raster(tmp_path / "dem.tif", z, x0=X0, y0=Y0 + 4000, res=100, crs=UTM)


def _assert_partition(units: gpd.GeoDataFrame, region: shapely.Geometry, rel: float = 1e-9) -> None:
    geoms = units.geometry.values
    assert shapely.is_valid(geoms).all()
    total = float(shapely.area(geoms).sum())
    assert total == pytest.approx(region.area, rel=rel)
    union = shapely.union_all(geoms)
    assert shapely.symmetric_difference(union, region).area <= rel * region.area
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    overlap = float(shapely.area(shapely.intersection(geoms[a[keep]], geoms[b[keep]])).sum())
    assert overlap <= rel * region.area


def test_units_from_dem_single_catchment(valley_dem):
    """With one outlet and a threshold above the catchment area, the whole grid (12.4 km²) is one unit."""
    u = units_from_dem(valley_dem, min_area_km2=20, outlets="min")
    assert list(u["unit_id"]) == ["B001"]
    assert u["area_km2"].item() == pytest.approx(40 * 31 * 0.01)
    assert u.crs == UTM


@pytest.mark.parametrize("kw", [{"min_area_km2": 2.0}, {"min_order": 2}])
def test_units_from_dem_partition(valley_dem, kw):
    u = units_from_dem(valley_dem, outlets="min", **kw)
    assert len(u) > 1
    assert u["unit_id"].is_unique
    _assert_partition(u, box(X0, Y0, X0 + 3100, Y0 + 4000))


def test_units_from_dem_area_threshold_cuts_tributaries(valley_dem):
    # the two valley sides are 1.5 km wide, 4 km long: a 2 km² threshold must cut them off the main stem
    u = units_from_dem(valley_dem, min_area_km2=2.0, outlets="min")
    assert (u["area_km2"] >= 2.0 - 1e-9).sum() >= 2


def test_streams_from_dem(valley_dem):
    s = streams_from_dem(valley_dem, min_order=2, outlets="min")
    assert s["river_id"].is_unique
    assert (s.length > 0).all()
    # the longest stream runs down the valley, column 15 (x = X0 + 1550), over most of the 4 km
    main = s.geometry.iloc[int(s.length.argmax())]
    assert np.allclose(shapely.get_coordinates(main)[:, 0], X0 + 1550)
    assert main.length >= 3500


def test_units_from_dem_errors(tmp_path, valley_dem):
    with pytest.raises(SchemaError, match="exactly one of min_area_km2"):
        units_from_dem(valley_dem)
    with pytest.raises(SchemaError, match="exactly one of min_area_km2"):
        units_from_dem(valley_dem, min_area_km2=1, min_order=2)
    with pytest.raises(SchemaError, match="min_order must be between 1 and"):
        units_from_dem(valley_dem, min_order=99)
    nocrs = write_raster(tmp_path / "nocrs.tif", np.ones((3, 3), "float32"), x0=0, y0=3, res=1, crs=None)
    with pytest.raises(CRSError, match=r"nocrs\.tif: DEM has no CRS"):
        units_from_dem(nocrs, min_area_km2=1)
    bad = tmp_path / "bad.tif"
    bad.write_text("x")
    with pytest.raises(DataError, match=r"bad\.tif: cannot read as a raster"):
        units_from_dem(bad, min_area_km2=1)


# ---------------------------------------------------------------------------------------------- Voronoi
def _region() -> Polygon:
    outer = [(0, 0), (20_000, 0), (24_000, 9_000), (18_000, 16_000), (6_000, 15_000), (-2_000, 8_000)]
    hole = [(15_000, 3_000), (17_000, 3_000), (17_000, 5_000), (15_000, 5_000)]
    return Polygon(outer, [hole])


def _tree() -> gpd.GeoDataFrame:
    """A small river tree split at confluences; one reach runs out of the region."""
    return gpd.GeoDataFrame(
        {
            "river_id": ["R1", "R2", "R3", "R4", "R5"],
            "name": ["main-low", "main-up", "trib", "trib2", None],
            "level": [0, 0, 1, 2, 1],
        },
        geometry=[
            LineString([(10_000, 8_000), (21_000, 7_000), (26_000, 7_500)]),
            LineString([(2_000, 9_000), (6_000, 8_500), (10_000, 8_000)]),
            LineString([(9_000, 14_000), (10_500, 11_000), (10_000, 8_000)]),
            LineString([(4_000, 13_000), (8_000, 12_500), (10_500, 11_000)]),
            LineString([(5_000, 1_000), (9_000, 4_000), (10_000, 8_000)]),
        ],
        crs=UTM,
    )


def test_voronoi_units_partition_region():
    region = gpd.GeoDataFrame(geometry=[_region()], crs=UTM)
    u = units_from_reaches(_tree(), region, spacing=200, crs=UTM)
    assert sorted(u["unit_id"]) == ["UR1", "UR2", "UR3", "UR4", "UR5"]
    assert dict(zip(u["unit_id"], u["name"], strict=True))["UR1"] == "main-low"
    _assert_partition(u, _region())
    np.testing.assert_allclose(u["area_km2"].sum(), _region().area / 1e6, rtol=1e-12)


def test_voronoi_units_nearest_reach():
    """Points clearly nearer to one reach (margin > spacing) lie in that reach's unit."""
    spacing = 200.0
    region = gpd.GeoDataFrame(geometry=[_region()], crs=UTM)
    riv = _tree()
    u = units_from_reaches(riv, region, spacing=spacing, crs=UTM)
    rng = np.random.default_rng(42)
    xmin, ymin, xmax, ymax = _region().bounds
    pts = shapely.points(rng.uniform(xmin, xmax, 400), rng.uniform(ymin, ymax, 400))
    pts = pts[shapely.contains(_region(), pts)]
    dist = np.array([shapely.distance(riv.geometry.values, p) for p in pts])
    order = np.sort(dist, axis=1)
    clear = order[:, 1] - order[:, 0] > spacing
    assert clear.sum() > 100
    nearest = riv["river_id"].to_numpy()[dist.argmin(axis=1)]
    tree = shapely.STRtree(u.geometry.values)
    ip, iu = tree.query(pts, predicate="within")
    got = dict(zip(ip, u["river_id"].to_numpy()[iu], strict=True))
    for k in np.flatnonzero(clear):
        assert got[k] == nearest[k]


def test_voronoi_units_in_degrees_and_reprojected():
    """Layers in lon/lat are projected to the metric CRS (default Albers) and still partition the region."""
    region = gpd.GeoDataFrame(geometry=[_region()], crs=UTM).to_crs(4326)
    u = units_from_reaches(_tree().to_crs(4326), region, spacing=300)
    reg_m = region.to_crs(u.crs).geometry.iloc[0]
    _assert_partition(u, reg_m)


def test_voronoi_errors():
    region = gpd.GeoDataFrame(geometry=[_region()], crs=UTM)
    with pytest.raises(SchemaError, match="no 'river_id' column"):
        units_from_reaches(_tree().drop(columns="river_id"), region)
    dup = _tree().assign(river_id=["R1", "R1", "R3", "R4", "R5"])
    with pytest.raises(SchemaError, match=r"duplicate river_id\(s\) \['R1'\]"):
        units_from_reaches(dup, region)
    with pytest.raises(SchemaError, match="spacing must be a positive"):
        units_from_reaches(_tree(), region, spacing=0)
    with pytest.raises(CRSError, match="rivers has no CRS"):
        units_from_reaches(_tree().set_crs(None, allow_override=True), region)


# -------------------------------------------------------------------------------------- basin x county
def _admin() -> gpd.GeoDataFrame:
    xmin, ymin, xmax, ymax = _region().bounds
    mid = (xmin + xmax) / 2
    west = box(xmin - 1, ymin - 1, mid, ymax + 1).intersection(_region())
    east = box(mid, ymin - 1, xmax + 1, ymax + 1).intersection(_region())
    return gpd.GeoDataFrame(
        {
            "admin_id": ["P", "C1", "C2"],
            "name": ["省", "西区", "东县"],
            "level": ["province", "county", "county"],
            "parent_id": [None, "P", "P"],
        },
        geometry=[_region(), west, east],
        crs=UTM,
    )


def test_units_by_county_partition():
    adm = _admin()
    region = region_from_admin(adm)
    assert region.geometry.iloc[0].area == pytest.approx(_region().area)
    u = units_from_reaches(_tree(), region, spacing=200, crs=UTM)
    bc = units_by_county(u, adm, crs=UTM)
    assert bc["unit_id"].is_unique
    assert set(bc["county_id"]) == {"C1", "C2"}
    assert set(bc["basin_unit_id"]) == set(u["unit_id"])
    _assert_partition(bc, _region())
    # the pieces of one basin unit add up to it
    sums = bc.groupby("basin_unit_id")["area_km2"].sum()
    np.testing.assert_allclose(sums[u["unit_id"]].to_numpy(), u["area_km2"].to_numpy(), rtol=1e-9)
    assert bc["name"].str.contains("·").all()


def test_region_and_county_errors():
    adm = _admin()
    with pytest.raises(SchemaError, match="no feature of level 'nation'"):
        region_from_admin(adm, level="nation")
    u = gpd.GeoDataFrame({"unit_id": ["a"]}, geometry=[Point(0, 0).buffer(10)], crs=UTM)
    with pytest.raises(SchemaError, match="no county features"):
        units_by_county(u, adm[adm["level"] == "province"])


def test_units_by_county_merges_small_pieces():
    adm = _admin()
    u = units_from_reaches(_tree(), region_from_admin(adm), spacing=200, crs=UTM)
    raw = units_by_county(u, adm, crs=UTM)
    threshold = float(raw["area_km2"].sort_values().iloc[2]) + 1e-6  # at least the three smallest pieces
    merged = units_by_county(u, adm, min_area_km2=threshold, crs=UTM)
    assert len(merged) < len(raw)
    assert (merged["area_km2"] >= threshold).all()
    _assert_partition(merged, _region())
    # every piece still lies in one county: the county totals are unchanged
    np.testing.assert_allclose(
        merged.groupby("county_id")["area_km2"].sum().sort_index(),
        raw.groupby("county_id")["area_km2"].sum().sort_index(),
        rtol=1e-9,
    )


# ------------------------------------------------------------- the fast paths against the direct methods
def _random_network(seed: int, n: int = 40) -> gpd.GeoDataFrame:
    """Random short reaches (crossings allowed: the allocation does not need a tree) in a 20 km square."""
    rng = np.random.default_rng(seed)
    starts = rng.uniform(0, 20_000, (n, 2))
    ends = starts + rng.normal(0, 2_000, (n, 2))
    mids = 0.5 * (starts + ends) + rng.normal(0, 300, (n, 2))
    lines = [LineString([tuple(a), tuple(m), tuple(b)]) for a, m, b in zip(starts, mids, ends, strict=True)]
    return gpd.GeoDataFrame(
        {"river_id": [f"R{i:02d}" for i in range(n)], "name": None}, geometry=lines, crs=UTM
    )


def _geos_voronoi_units(rivers: gpd.GeoDataFrame, region: shapely.Geometry, spacing: float) -> dict:
    """Reference: GEOS Voronoi cells of the densified vertices, unioned per reach, clipped to the region."""
    dense = shapely.segmentize(rivers.geometry.values, spacing)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    _, first = np.unique(coords, axis=0, return_index=True)
    first.sort()
    coords, which = coords[first], which[first]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=region.buffer(50_000), ordered=True)
    )
    out = {}
    for k in np.unique(which):
        piece = shapely.intersection(shapely.union_all(cells[which == k]), region)
        if piece.area > 0:
            out[f"U{rivers['river_id'].iloc[k]}"] = piece
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_units_from_reaches_equals_geos_voronoi(seed):
    """The ridge-polygonize path gives the units of dissolved GEOS Voronoi cells, to 1e-9 of the area."""
    riv = _random_network(seed)
    region = Polygon([(-2000, -1000), (21_000, -3000), (23_000, 22_000), (8000, 18_000), (-1000, 21_000)])
    u = units_from_reaches(riv, region, spacing=400, crs=UTM)
    ref = _geos_voronoi_units(riv, region, 400)
    assert list(u["unit_id"]) == sorted(ref, key=lambda k: int(k[2:]))
    for uid, geom in zip(u["unit_id"], u.geometry.values, strict=True):
        assert shapely.symmetric_difference(geom, ref[uid]).area <= 1e-9 * region.area, uid
    _assert_partition(u, region)


def _merge_reference(df, min_area_m2):
    """The direct method: repeatedly merge the smallest small piece into its longest-boundary neighbour."""
    geoms = list(df["geometry"])
    alive = np.ones(len(df), dtype=bool)
    county = df["county_id"].to_numpy()
    while True:
        areas = np.array([g.area if a else np.inf for g, a in zip(geoms, alive, strict=True)])
        merged = False
        for i in [i for i in np.argsort(areas, kind="stable") if alive[i] and areas[i] < min_area_m2]:
            best, best_len = None, 0.0
            for j in np.flatnonzero(alive & (county == county[i])):
                if j != i and shapely.intersects(geoms[i], geoms[j]):
                    shared = shapely.length(shapely.intersection(geoms[i].boundary, geoms[j].boundary))
                    if shared > best_len:
                        best, best_len = j, shared
            if best is None:
                continue
            geoms[best] = shapely.union_all([geoms[best], geoms[i]])
            alive[i] = False
            merged = True
            break
        if not merged:
            break
    return {uid: g for uid, g, a in zip(df["unit_id"], geoms, alive, strict=True) if a}


@pytest.mark.parametrize("quantile", [0.2, 0.5])
def test_merge_small_pieces_equals_direct_method(quantile):
    riv = _random_network(4, n=30)
    region = box(-1000, -1000, 21_000, 21_000)
    counties = gpd.GeoDataFrame(
        {
            "admin_id": ["C1", "C2", "C3", "P1"],
            "name": ["甲县", "乙县", "丙县", "省"],
            "level": ["county", "county", "county", "province"],
            "parent_id": ["P1", "P1", "P1", None],
        },
        geometry=[
            Polygon([(-1000, -1000), (9000, -1000), (12_000, 21_000), (-1000, 21_000)]),
            Polygon([(9000, -1000), (21_000, -1000), (21_000, 8000), (10_500, 10_000)]),
            Polygon([(10_500, 10_000), (21_000, 8000), (21_000, 21_000), (12_000, 21_000)]),
            region,
        ],
        crs=UTM,
    )
    u = units_from_reaches(riv, region, spacing=400, crs=UTM)
    raw = units_by_county(u, counties, crs=UTM)
    threshold = float(raw["area_km2"].quantile(quantile))
    fast = units_by_county(u, counties, min_area_km2=threshold, crs=UTM)
    ref = _merge_reference(raw, threshold * 1e6)
    assert len(fast) < len(raw)
    assert set(fast["unit_id"]) == set(ref)
    for uid, geom in zip(fast["unit_id"], fast.geometry.values, strict=True):
        assert shapely.symmetric_difference(geom, ref[uid]).area <= 1e-6, uid
