"""A hand-made world for the zoning tests: straight rivers in a metric CRS, one lake of each kind, facilities at
known distances.

The CRS is a transverse Mercator with scale 1 on its central meridian (105E, 30N origin); within 60 km of the
meridian its scale differs from 1 by < 5e-5, so planar distances below equal geodesic ones to < 0.25 m at 5 km,
far inside the 1 m margins used by the tests.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

TM = "+proj=tmerc +lat_0=30 +lon_0=105 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"
X0 = 500_000.0


def make_rivers() -> gpd.GeoDataFrame:
    """Main stem M0 at x=X0; level-3 T3 at X0+20 km; Yellow-River Y1 at X0-20 km; level-4 Q4 at X0+40 km."""
    rows = [
        ("M0", "长江", 0, "长江 Yangtze", LineString([(X0, -20_000), (X0, 20_000)])),
        ("T3", "前河", 3, "长江 Yangtze", LineString([(X0 + 20_000, -20_000), (X0 + 20_000, 20_000)])),
        ("Y1", "白河", 1, "黄河 Yellow River", LineString([(X0 - 20_000, -20_000), (X0 - 20_000, 20_000)])),
        ("Q4", None, 4, "长江 Yangtze", LineString([(X0 + 40_000, -20_000), (X0 + 40_000, 20_000)])),
    ]
    # vertices every 500 m, so that the geodesic edges follow the straight lines of this CRS to < 1 mm
    return gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "river_id": pd.array([r[0] for r in rows], dtype="string"),
                "name": pd.array([r[1] for r in rows], dtype="string"),
                "level": pd.array([r[2] for r in rows], dtype="Int64"),
                "basin": pd.array([r[3] for r in rows], dtype="string"),
            }
        ),
        geometry=shapely.segmentize([r[4] for r in rows], 500.0),
        crs=TM,
    )


def make_lakes() -> gpd.GeoDataFrame:
    """L1 connected 2x2 km square at X0+60..62 km; L2 unconnected at X0-40..-38 km."""
    return gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "lake_id": pd.array(["L1", "L2"], dtype="string"),
                "name": pd.array(["通江湖", "孤湖"], dtype="string"),
                "kind": pd.array(["reservoir", "lake"], dtype="string"),
                "connected": pd.array([True, False], dtype="boolean"),
            }
        ),
        geometry=shapely.segmentize(
            [box(X0 + 60_000, -1_000, X0 + 62_000, 1_000), box(X0 - 40_000, -1_000, X0 - 38_000, 1_000)],
            500.0,
        ),
        crs=TM,
    )


#: facility id -> (category, status, geometry, {rule: (expected distance, feature)})
FACILITIES = {
    "F01": ("polluting_facility", "proposed", Point(X0 + 999, 0), {"R1": (999, "M0")}),
    "F02": ("polluting_facility", "proposed", Point(X0 + 1001, 0), {}),
    "F03": ("industrial_park", "proposed", Point(X0 + 4999, 5_000), {"R2": (4999, "M0")}),
    "F04": ("industrial_park", "proposed", Point(X0 + 5001, 5_000), {}),
    "F05": ("polluting_facility", "existing", Point(X0 - 500, 0), {"R2": (500, "M0")}),
    "F06": ("industrial_park", "existing", Point(X0 + 300, 0), {}),
    "F07": ("industrial_park", "proposed", Point(X0 + 20_000 + 2_999, 0), {"R3": (2999, "T3")}),
    "F08": ("industrial_park", "proposed", Point(X0 - 20_000 + 100, 0), {}),
    "F09": ("industrial_park", "proposed", Point(X0 + 62_000 + 2_500, 0), {"R3": (2500, "L1")}),
    "F10": ("industrial_park", "proposed", Point(X0 + 61_000, 0), {"R3": (0, "L1")}),
    "F11": ("industrial_park", "proposed", Point(X0 - 38_000 + 500, 0), {}),
    "F12": ("industrial_park", "proposed", box(X0 + 4_000, -200, X0 + 4_500, 200), {"R2": (4000, "M0")}),
    "F13": ("other", "proposed", Point(X0 + 10, 0), {}),
    "F14": ("polluting_facility", "proposed", Point(X0, 20_800), {"R1": (800, "M0")}),
    "F15": ("industrial_park", "proposed", Point(X0 + 700, 0), {"R1": (700, "M0"), "R2": (700, "M0")}),
    "F16": ("polluting_facility", "existing", Point(X0 + 20_000 - 2_000, 0), {"R3": (2000, "T3")}),
}


def make_facilities() -> gpd.GeoDataFrame:
    """The facilities of :data:`FACILITIES`."""
    ids = list(FACILITIES)
    return gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "facility_id": pd.array(ids, dtype="string"),
                "name": pd.array([f"厂{i}" for i in ids], dtype="string"),
                "category": pd.array([FACILITIES[i][0] for i in ids], dtype="string"),
                "status": pd.array([FACILITIES[i][1] for i in ids], dtype="string"),
            }
        ),
        geometry=[FACILITIES[i][2] for i in ids],
        crs=TM,
    )


def make_region() -> gpd.GeoDataFrame:
    """Two 'provinces' side by side covering the world, and two counties in the west one."""
    return gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "admin_id": pd.array(["P1", "P2", "C11", "C12"], dtype="string"),
                "name": pd.array(["西省", "东省", "甲县", "乙县"], dtype="string"),
                "level": pd.array(["province", "province", "county", "county"], dtype="string"),
                "parent_id": pd.array([None, None, "P1", "P1"], dtype="string"),
            }
        ),
        geometry=[
            box(X0 - 50_000, -30_000, X0 + 10_000, 30_000),
            box(X0 + 10_000, -30_000, X0 + 70_000, 30_000),
            box(X0 - 50_000, -30_000, X0 + 10_000, 0),
            box(X0 - 50_000, 0, X0 + 10_000, 30_000),
        ],
        crs=TM,
    )


@pytest.fixture
def rivers() -> gpd.GeoDataFrame:
    return make_rivers()


@pytest.fixture
def lakes() -> gpd.GeoDataFrame:
    return make_lakes()


@pytest.fixture
def facilities() -> gpd.GeoDataFrame:
    return make_facilities()


@pytest.fixture
def region() -> gpd.GeoDataFrame:
    return make_region()


@pytest.fixture
def world_files(tmp_path):
    """The hand-made world written to GeoPackages: dict kind -> path."""
    paths = {}
    for kind, gdf in (
        ("rivers", make_rivers()),
        ("lakes", make_lakes()),
        ("admin", make_region()),
        ("facilities", make_facilities()),
    ):
        p = tmp_path / f"{kind}.gpkg"
        gdf.to_file(p, layer=kind, engine="pyogrio")
        paths[kind] = p
    return paths
