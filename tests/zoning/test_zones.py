"""Zone polygons A/B/C and the area table on the hand-made world (areas computed by hand)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from basin._errors import SchemaError
from basin.zoning import riparian_zones, zone_areas

from .conftest import TM

# 16 segments per quarter circle: a buffer's round caps are a 64-gon
CAP = 64 / 2 * np.sin(2 * np.pi / 64)  # area of the 64-gon of radius 1


def test_zone_areas_by_hand(rivers, lakes, region):
    z = riparian_zones(rivers, lakes, region, crs=TM)
    assert list(z.columns) == ["zone", "rules", "label_zh", "label_en", "area_km2", "geometry"]
    assert list(zip(z.zone, z.rules, strict=True)) == [("A", "R1,R2"), ("B", "R2"), ("B", "R3"), ("C", "")]
    a = z.set_index("rules").area_km2
    # M0: 40 km long; A = 40 x 2 + caps of radius 1; R2 = 40 x 10 + caps of radius 5, minus A
    assert a["R1,R2"] == pytest.approx(80 + CAP, rel=1e-6)
    assert a["R2"] == pytest.approx(400 + 25 * CAP - (80 + CAP), rel=1e-6)
    # R3: T3 (40 km x 6 + caps r=3) and L1 (2x2 km lake + 3 km: 4 + 4*2*3 + 9*CAP), clipped at the region edge
    t3 = 240 + 9 * CAP
    assert a["R3"] == pytest.approx(t3 + 4 + 24 + 9 * CAP, rel=1e-3)
    region_area = 120 * 60
    assert z.area_km2.sum() == pytest.approx(region_area, rel=1e-9)
    # mutually exclusive
    geoms = z.geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert shapely.intersection(geoms[i], geoms[j]).area < 1e-3
    assert z.crs.equals(TM)
    assert "R1" in z.label_zh[0] and "1 km" in z.label_en[0] and z.label_en[3].startswith("Zone C")


def test_default_crs_is_albers_and_buffers_are_true_on_the_ground(rivers, lakes, region):
    z = riparian_zones(rivers, lakes, region)
    from basin.crs import metric_crs

    assert z.crs.equals(metric_crs())
    # buffers are built in local transverse Mercators: the areas agree with the TM world to ~1e-4
    a = z.set_index("rules").area_km2
    assert a["R1,R2"] == pytest.approx(80 + CAP, rel=2e-4)


def test_without_region_no_zone_c(rivers, lakes):
    z = riparian_zones(rivers, lakes, crs=TM)
    assert set(z.zone) == {"A", "B"}


def test_yellow_river_is_not_zoned(rivers, region):
    z = riparian_zones(rivers, None, region, crs=TM)
    yellow = shapely.Point(500_000 - 20_000, 0)
    row = z[z.geometry.intersects(yellow)]
    assert list(row.zone) == ["C"]


def test_zone_areas_table(rivers, lakes, region):
    z = riparian_zones(rivers, lakes, region, crs=TM)
    t = zone_areas(z, region, crs=TM)
    assert list(t.columns) == ["admin_id", "name", "level", "parent_id", "zone", "area_km2", "share"]
    assert len(t) == 4 * 3
    p1 = t[t.admin_id == "P1"].set_index("zone").area_km2
    assert p1.sum() == pytest.approx(60 * 60, rel=1e-9)
    assert p1["A"] == pytest.approx(80 + CAP, rel=1e-6)  # all of M0's 1 km zone is in the west province
    p2 = t[t.admin_id == "P2"].set_index("zone").area_km2
    assert p2["A"] == 0
    counties = t[t.level == "county"].groupby("zone").area_km2.sum()
    assert counties["A"] == pytest.approx(p1["A"], rel=1e-9)
    assert t[t.admin_id == "C11"].share.sum() == pytest.approx(1.0)


def test_zone_errors(rivers, region):
    z = riparian_zones(rivers, None, region, crs=TM)
    with pytest.raises(SchemaError, match="admin: missing column 'admin_id'"):
        zone_areas(z, region.drop(columns="admin_id"))
    with pytest.raises(SchemaError, match="missing column 'zone'"):
        zone_areas(z.drop(columns="zone"), region)
    with pytest.raises(SchemaError, match="region: expected polygons"):
        riparian_zones(rivers, None, rivers)


def test_tiled_buffers_agree_with_one_projection_per_feature():
    """Buffering many short reaches per 50 km tile gives the per-feature result to within the stated 1e-4."""
    from pyproj import Transformer

    from basin.crs import metric_crs
    from basin.zoning.zones import _local_buffer, _tiled_buffer

    rng = np.random.default_rng(7)
    n = 300
    lon0 = rng.uniform(104.0, 108.0, n)
    lat0 = rng.uniform(28.5, 31.5, n)
    lines = [
        shapely.LineString(
            np.column_stack(
                [lon0[i] + np.cumsum(rng.normal(0, 0.01, 6)), lat0[i] + np.cumsum(rng.normal(0, 0.01, 6))]
            )
        )
        for i in range(n)
    ]
    lines.append(
        shapely.LineString([(102.0, 29.0), (104.5, 30.5), (107.0, 29.5)])
    )  # a long river: cut in pieces
    geoms = np.array(lines, dtype=object)
    to_m = Transformer.from_crs(4326, metric_crs(), always_xy=True)
    fast = _tiled_buffer(geoms, 3000.0, to_m)
    ref = shapely.union_all([b for g in geoms for b in _local_buffer(g, 3000.0, to_m)])
    assert shapely.symmetric_difference(fast, ref).area <= 1e-4 * ref.area
    assert fast.area == pytest.approx(ref.area, rel=2e-5)
