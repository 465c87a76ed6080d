"""Shared fixtures: tiny hand-made layers in a metric CRS (UTM 48N covers Chongqing)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

UTM48 = "EPSG:32648"


@pytest.fixture
def rivers_gdf() -> gpd.GeoDataFrame:
    """A main stem with a first- and a third-level tributary, digitised downstream."""
    return gpd.GeoDataFrame(
        {
            "river_id": ["R1", "R2", "R3"],
            "name": ["长江", "嘉陵江", None],
            "level": [0, 1, 3],
            "downstream_id": [None, "R1", "R2"],
        },
        geometry=[
            LineString([(0, 0), (10_000, 0)]),
            LineString([(5_000, 8_000), (5_000, 0)]),
            LineString([(9_000, 8_000), (5_000, 4_000)]),
        ],
        crs=UTM48,
    )


@pytest.fixture
def admin_gdf() -> gpd.GeoDataFrame:
    """Two provinces side by side, each one county."""
    west = Polygon([(-1000, -5000), (5000, -5000), (5000, 10_000), (-1000, 10_000)])
    east = Polygon([(5000, -5000), (11_000, -5000), (11_000, 10_000), (5000, 10_000)])
    return gpd.GeoDataFrame(
        {
            "admin_id": ["510000", "500000", "510101", "500101"],
            "name": ["四川省", "重庆市", "西县", "东区"],
            "level": ["province", "province", "county", "county"],
            "parent_id": [None, None, "510000", "500000"],
        },
        geometry=[west, east, west, east],
        crs=UTM48,
    )


@pytest.fixture
def stations_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "station_id": ["S1", "S2"],
            "name": ["甲", "乙"],
            "river_id": ["R1", "R2"],
            "waterbody": ["river", "river"],
            "target_class": [2, 3],
        },
        geometry=[Point(2000, 0), Point(5000, 3000)],
        crs=UTM48,
    )
